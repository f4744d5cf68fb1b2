//! `/admin/credits`: look up a user's credit account by email, see its
//! balances and history, grant credit and adjust the balance.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::history::HistoryTable;
use crate::components::ui::PageHeader;
use leptos_router::components::Form;

use super::{admin_frame, done_flag, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{
    get_credit_account, list_uncollected, AdjustCredits, CreditAccountView, GrantCredits,
    UncollectedRequest, UncollectedView,
};
use crate::api::credits::{HistoryView, KINDS};
use crate::components::form::{
    action_error, field_error, kept_fields, FormError, KeptFields, Notice,
};
use crate::domain::credits::Credits;
use crate::domain::paging::Page;
use crate::error::AppError;
use crate::href;
use leptos::server_fn::ServerFn;

/// `/admin/credits`.
#[component]
pub fn AdminCreditsPage() -> impl IntoView {
    admin_frame("Credits", || view! { <CreditsView /> })
}

/// The forms of the page, created once so their results (and errors brought
/// back in the URL without JavaScript) survive re-fetches.
#[derive(Clone, Copy)]
struct Actions {
    grant: ServerAction<GrantCredits>,
    adjust: ServerAction<AdjustCredits>,
    /// What a failed post without JavaScript had in each form.
    grant_kept: StoredValue<KeptFields>,
    adjust_kept: StoredValue<KeptFields>,
}

#[component]
fn CreditsView() -> impl IntoView {
    let email = query_param("email");
    let kind = query_param("kind");
    let page = page_param();
    let actions = Actions {
        grant: ServerAction::new(),
        adjust: ServerAction::new(),
        grant_kept: StoredValue::new(kept_fields(GrantCredits::PATH)),
        adjust_kept: StoredValue::new(kept_fields(AdjustCredits::PATH)),
    };
    let account = Resource::new(
        move || {
            (
                email.get(),
                kind.get(),
                page.get(),
                actions.grant.version().get(),
                actions.adjust.version().get(),
            )
        },
        |(email, kind, page, ..)| get_credit_account(email, kind, page),
    );
    view! {
        <PageHeader
            title="Credits"
            lead="Look up a user's credit account to see its balance and history, grant credit or correct the balance."
        >
            <a class="button" href=href::admin_bulk_credits()>
                "Grant to many users from a CSV file"
            </a>
        </PageHeader>
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=href::admin_credits()
            attr:class="filter-bar"
            attr:role="search"
        >
            <div class="field">
                <label for="lookup-email">"User's email"</label>
                <input
                    id="lookup-email"
                    name="email"
                    type="email"
                    value=move || email.get()
                    autocomplete="off"
                    required
                />
            </div>
            <button type="submit" class="button">
                "Look up"
            </button>
        </Form>
        <Notice show=done_flag("granted") message="The credits are granted." />
        <Notice show=done_flag("adjusted") message="The balance is adjusted." />
        <Notice
            show=done_flag("repeated")
            message="This form had already been sent: nothing was done twice."
        />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(a)) => account_view(a, actions, kind.get_untracked()).into_any(),
                    Ok(None) => {
                        view! {
                            <p class="muted">"Enter the email of a user to see their credits."</p>
                            <UncollectedUsage page />
                        }
                            .into_any()
                    }
                    Err(e @ AppError::NotFound(_)) => {
                        super::error_status(&e);
                        empty_state(
                                "No such user",
                                format!(
                                    "No user has the email “{}”.",
                                    email.get_untracked().trim(),
                                ),
                            )
                            .into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn account_view(account: CreditAccountView, actions: Actions, kind: String) -> impl IntoView {
    let CreditAccountView {
        history, expiring, ..
    } = account.clone();
    view! {
        <section aria-labelledby="account-heading">
            <h2 id="account-heading">
                <a href=href::admin_user(account.user_id)>{account.display_name.clone()}</a>
            </h2>
            {balances(&account, expiring)}
        </section>
        <div class="admin-columns admin-credit-forms">
            <section aria-labelledby="grant-heading" class="admin-actions">
                <h2 id="grant-heading">"Grant credits"</h2>
                {grant_form(&account, actions.grant, &actions.grant_kept.get_value())}
            </section>
            <section aria-labelledby="adjust-heading" class="admin-actions">
                <h2 id="adjust-heading">"Adjust the balance"</h2>
                {adjust_form(&account, actions.adjust, &actions.adjust_kept.get_value())}
            </section>
        </div>
        <section aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            {kind_filter(&account.email, &kind)}
            {history_table(history, account.email.clone(), kind)}
        </section>
    }
}

fn credits(micros: i64) -> String {
    Credits::from_micros(micros).to_string()
}

fn balances(account: &CreditAccountView, expiring: Vec<(i64, String)>) -> impl IntoView {
    let upcoming = if expiring.is_empty() {
        "Nothing expires.".to_owned()
    } else {
        expiring
            .into_iter()
            .map(|(amount, at)| format!("{} on {at}", credits(amount)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    view! {
        <dl class="admin-facts">
            <dt>"Email"</dt>
            <dd class="admin-break">{account.email.clone()}</dd>
            <dt>"Available"</dt>
            <dd class="num">{credits(account.available)}</dd>
            <dt>"Reserved"</dt>
            <dd class="num">{credits(account.reserved)}</dd>
            <dt>"Expiring in 30 days"</dt>
            <dd class="num">{credits(account.expiring_soon)}</dd>
            <dt>"Next expiries"</dt>
            <dd>{upcoming}</dd>
        </dl>
    }
}

/// A labelled input with its own element id (the page has two forms with
/// the same field names), a hint and the action's error for it.
fn input_field(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    hint: Option<&'static str>,
    value: Option<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let required = kind != "date";
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=kind
                required=required
                value=value
                autocomplete="off"
                inputmode=(name == "amount").then_some("decimal")
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            />
            {hint
                .map(|h| {
                    view! {
                        <p class="field-hint" id=hint_id>
                            {h}
                        </p>
                    }
                })}
            <Show when=move || error.get().is_some()>
                <p class="field-error" id=error_id.clone()>
                    {move || error.get()}
                </p>
            </Show>
        </div>
    }
}

fn grant_form(
    account: &CreditAccountView,
    action: ServerAction<GrantCredits>,
    kept: &KeptFields,
) -> impl IntoView {
    let error = action_error(action.value());
    let (email, key) = (account.email.clone(), account.form_key.clone());
    let (amount, expiry, reason) = (
        kept_for(kept, &email, "amount"),
        kept_for(kept, &email, "expiry"),
        kept_for(kept, &email, "reason"),
    );
    view! {
        <ActionForm action attr:class="form admin-action-form">
            <FormError error />
            <input type="hidden" name="email" value=email />
            <input type="hidden" name="idempotency_key" value=key />
            {input_field(
                "grant-amount",
                "amount",
                "Credits",
                "text",
                Some("Up to 6 decimals, like 100 or 2.5."),
                amount,
                field_error(error, "amount"),
            )}
            {input_field(
                "grant-expiry",
                "expiry",
                "Expires (optional)",
                "date",
                Some(
                    "The credit expires at the end of this day, UTC. Leave empty for credit that never expires.",
                ),
                expiry,
                field_error(error, "expiry"),
            )}
            {input_field(
                "grant-reason",
                "reason",
                "Reason",
                "text",
                Some("Kept in the audit log and shown in the user's history."),
                reason,
                field_error(error, "reason"),
            )}
            <button type="submit" class="button" disabled=move || action.pending().get()>
                "Grant credits"
            </button>
        </ActionForm>
    }
}

fn adjust_form(
    account: &CreditAccountView,
    action: ServerAction<AdjustCredits>,
    kept: &KeptFields,
) -> impl IntoView {
    let error = action_error(action.value());
    let (email, key) = (account.email.clone(), account.form_key.clone());
    let (amount, reason) = (
        kept_for(kept, &email, "amount"),
        kept_for(kept, &email, "reason"),
    );
    view! {
        <ActionForm action attr:class="form admin-action-form">
            <FormError error />
            <input type="hidden" name="email" value=email />
            <input type="hidden" name="idempotency_key" value=key />
            {input_field(
                "adjust-amount",
                "amount",
                "Change in credits",
                "text",
                Some(
                    "Positive adds credit that never expires; negative takes credit back (never below zero).",
                ),
                amount,
                field_error(error, "amount"),
            )}
            {input_field(
                "adjust-reason",
                "reason",
                "Reason",
                "text",
                Some("Kept in the audit log with the balances before and after."),
                reason,
                field_error(error, "reason"),
            )}
            <button type="submit" class="button" disabled=move || action.pending().get()>
                "Adjust balance"
            </button>
        </ActionForm>
    }
}

/// The kept value of `name`, when the failed post was for this account.
fn kept_for(kept: &KeptFields, email: &str, name: &str) -> Option<String> {
    (kept.get("email").as_deref() == Some(email))
        .then(|| kept.get(name))
        .flatten()
}

fn kind_filter(email: &str, current: &str) -> impl IntoView {
    let options = KINDS
        .iter()
        .map(|k| {
            let selected = *k == current;
            view! {
                <option value=*k selected=selected>
                    {*k}
                </option>
            }
        })
        .collect_view();
    let all = current.is_empty();
    let email = email.to_owned();
    view! {
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=href::admin_credits()
            attr:class="filter-bar"
        >
            <input type="hidden" name="email" value=email />
            <div class="field">
                <label for="kind">"Kind"</label>
                <select id="kind" name="kind">
                    <option value="" selected=all>
                        "All movements"
                    </option>
                    {options}
                </select>
            </div>
            <button type="submit" class="button">
                "Filter"
            </button>
        </Form>
    }
}

fn history_table(history: Page<HistoryView>, email: String, kind: String) -> impl IntoView {
    if history.total == 0 {
        let text = if kind.is_empty() {
            "No credit has moved in or out of this account yet.".to_owned()
        } else {
            format!("No movements of the kind “{kind}”.")
        };
        return empty_state("No movements", text).into_any();
    }
    let nav = pager(
        &history,
        href::admin_credits(),
        &[("email", email), ("kind", kind)],
    );
    view! {
        <HistoryTable rows=history.items />
        {nav}
    }
    .into_any()
}

/// What the Lab served without being paid: usage an upstream reported past
/// a request's reservation that its account had no credit left for. Shown
/// when no account is looked up.
#[component]
fn UncollectedUsage(page: Memo<i64>) -> impl IntoView {
    let found = Resource::new(move || page.get(), list_uncollected);
    view! {
        <section aria-labelledby="uncollected-heading" id="uncollected">
            <h2 id="uncollected-heading">"Uncollected usage"</h2>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(view) => uncollected_table(view).into_any(),
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn uncollected_table(found: UncollectedView) -> impl IntoView {
    if found.requests.total == 0 {
        return empty_state(
                "Nothing uncollected",
                "Every request was paid for in full. When an upstream reports more usage than a request reserved and its account has no credit left for it, the request is listed here."
                    .to_owned(),
            )
            .into_any();
    }
    let nav = pager(&found.requests, href::admin_credits(), &[]);
    view! {
        <p>
            "Served without being paid, in all: "
            <strong class="num">{credits(found.total)}</strong>
            " credits. Each request below was charged what its account had; the rest is in the uncollected account."
        </p>
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">
                    "Requests not paid for in full, newest first"
                </caption>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"Model"</th>
                        <th scope="col" class="num">
                            "Tokens"
                        </th>
                        <th scope="col" class="num">
                            "Price"
                        </th>
                        <th scope="col" class="num">
                            "Uncollected"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {found.requests.items.into_iter().map(uncollected_row).collect_view()}
                </tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn uncollected_row(request: UncollectedRequest) -> impl IntoView {
    view! {
        <tr>
            <td data-label="When" class="admin-nowrap">
                {request.at}
                <br />
                <code class="muted" title="Request id">
                    {request.request_id}
                </code>
            </td>
            <td data-label="User" class="admin-break">
                <a href=href::admin_user(request.user_id)>{request.email}</a>
            </td>
            <td data-label="Model" class="admin-break">
                {request.model}
            </td>
            <td data-label="Tokens" class="num">
                {crate::format::grouped(request.tokens)}
            </td>
            <td data-label="Price" class="num">
                {credits(request.credits)}
            </td>
            <td data-label="Uncollected" class="num">
                {credits(request.uncollected)}
            </td>
        </tr>
    }
}
