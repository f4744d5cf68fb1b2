//! `/credits`: the signed-in user's balance history, with CSV export.

use leptos::prelude::*;

use crate::components::history::HistoryTable;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::credits::{my_credit_history, HistoryView, KINDS};
use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::domain::paging::{page_from_query, Page};
use crate::href;

/// `/credits`.
#[component]
pub fn CreditsPage() -> impl IntoView {
    view! {
        <Title text="Credits" />
        <RequireUser children=|_| view! { <History /> } />
    }
}

#[component]
fn History() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        let page = page_from_query(q.get_str("page"));
        let kind = q.get("kind").filter(|k| !k.is_empty());
        (page, kind)
    };
    let history = Resource::new(params, |(page, kind)| my_credit_history(page, kind));
    let kind_now = move || params().1.unwrap_or_default();
    view! {
        <section class="container page">
            <h1>"Credit history"</h1>
            <p class="lead">
                "Every movement of your credits: grants, requests held and charged, releases and expiries."
            </p>
            <form method="get" action=href::credits() class="inline-form filters">
                <div class="field">
                    <label for="kind">"Show"</label>
                    <select id="kind" name="kind">
                        <option value="" selected=move || kind_now().is_empty()>
                            "All movements"
                        </option>
                        {KINDS
                            .iter()
                            .map(|k| {
                                let k = *k;
                                view! {
                                    <option value=k selected=move || kind_now() == k>
                                        {k}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="button">
                    "Filter"
                </button>
                <a class="button" href=href::credit_history_csv() download="credit-history.csv">
                    "Export CSV"
                </a>
            </form>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(page) => history_table(page, params().1).into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn history_table(page: Page<HistoryView>, kind: Option<String>) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <div class="empty-state" role="status">
                <h2>"No movements yet"</h2>
                <p>"Credits you receive and spend will be listed here."</p>
            </div>
        }
        .into_any();
    }
    let nav = pager(
        &page,
        href::credits(),
        &[("kind", kind.unwrap_or_default())],
    );
    view! {
        <HistoryTable rows=page.items />
        {nav}
    }
    .into_any()
}
