//! `/credits`: the signed-in user's statement in plain words (a line per
//! day of requests and per grant or expiry, with the balance after each),
//! and the detailed ledger as CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::credits::{my_credit_statement, StatementView};
use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::components::ui::{EmptyState, PageHeader};
use crate::domain::credits::Credits;
use crate::domain::paging::{page_from_query, Page};
use crate::{format, href};

/// `/credits`.
#[component]
pub fn CreditsPage() -> impl IntoView {
    view! {
        <Title text="Credits" />
        <RequireUser children=|_| view! { <Statement /> } />
    }
}

#[component]
fn Statement() -> impl IntoView {
    let query = use_query_map();
    let page = move || page_from_query(query.read().get_str("page"));
    let statement = Resource::new(page, my_credit_statement);
    view! {
        <section class="container page credits-page">
            <PageHeader
                eyebrow="Credits"
                title="Credit history"
                lead="What came in and what your requests cost, a line per day of requests, with your balance after each. Credit held for a request in progress counts as yours until it is charged."
            >
                <a class="button" href=href::credit_history_csv() download="credit-history.csv">
                    "Export the ledger (CSV)"
                </a>
            </PageHeader>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match statement.await {
                        Ok(page) => statement_table(page).into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn statement_table(page: Page<StatementView>) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <EmptyState title="No credit yet">
                <p>"Credits you receive and spend will be listed here."</p>
            </EmptyState>
        }
        .into_any();
    }
    let nav = pager(&page, href::credits(), &[]);
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table statement">
                <caption class="visually-hidden">"Your credit history, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Date"</th>
                        <th scope="col">"What"</th>
                        <th scope="col" class="num">
                            "Change"
                        </th>
                        <th scope="col" class="num">
                            "Balance"
                        </th>
                    </tr>
                </thead>
                <tbody>{page.items.into_iter().map(line).collect_view()}</tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn line(line: StatementView) -> impl IntoView {
    let change = Credits::from_micros(line.change);
    let signed = if line.change > 0 {
        format!("+{}", format::credits(change))
    } else {
        format::credits(change)
    };
    let class = if line.change < 0 {
        "num debit"
    } else {
        "num credit"
    };
    view! {
        <tr>
            <td data-label="Date">{line.when}</td>
            <td data-label="What">
                {match line.usage_link {
                    Some(link) => view! { <A href=link>{line.what}</A> }.into_any(),
                    None => line.what.into_any(),
                }}
            </td>
            <td data-label="Change" class=class>
                {signed}
            </td>
            <td data-label="Balance" class="num">
                {format::credits(Credits::from_micros(line.balance))}
            </td>
        </tr>
    }
}
