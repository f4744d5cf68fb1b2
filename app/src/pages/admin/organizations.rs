//! `/admin/organizations`: every organization, searchable and paged, with
//! verification and grants to an organization's pool (named by its slug).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;

use super::{admin_frame, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{list_organizations, GrantOrgCredits, StaffOrg, VerifyOrganization};
use crate::components::form::{action_error, field_error, FormError, TextField};
use crate::components::ui::{Badge, Flash, PageHeader, Tone};
use crate::domain::credits::Credits;
use crate::domain::paging::Page;
use crate::href;

/// `/admin/organizations`.
#[component]
pub fn AdminOrganizationsPage() -> impl IntoView {
    admin_frame("Organizations", || view! { <OrganizationList /> })
}

fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "granted" => "The credit is in the organization's pool.",
        "repeated" => "That form was sent before: nothing more was granted.",
        "verified" => "The organization is marked verified.",
        "unverified" => "The organization is no longer marked verified.",
        _ => return None,
    })
}

#[component]
fn OrganizationList() -> impl IntoView {
    let q = query_param("q");
    let done = query_param("done");
    let page = page_param();
    let grant = ServerAction::<GrantOrgCredits>::new();
    let verify = ServerAction::<VerifyOrganization>::new();
    let orgs = Resource::new(
        move || {
            (
                q.get(),
                page.get(),
                grant.version().get(),
                verify.version().get(),
            )
        },
        |(q, page, _, _)| list_organizations(q, page),
    );
    let grant_error = action_error(grant.value());
    let verify_error = action_error(verify.value());
    view! {
        <PageHeader
            title="Organizations"
            lead="Every business organization: its members, its pool, whether the Lab verified it. Grant credit to a pool by the organization's address."
        />
        {move || done_text(&done.get()).map(|text| view! { <Flash tone=Tone::Good>{text}</Flash> })}
        <FormError error=verify_error />
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=href::admin_organizations()
            attr:class="filter-bar"
            attr:role="search"
        >
            <div class="field">
                <label for="q">"Search by name or address"</label>
                <input id="q" name="q" type="search" value=move || q.get() autocomplete="off" />
            </div>
            <button type="submit" class="button">
                "Search"
            </button>
            <Show when=move || !q.get().is_empty()>
                <a href=href::admin_organizations()>"Clear"</a>
            </Show>
        </Form>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading organizations…"</p> }
        }>
            {move || Suspend::new(async move {
                match orgs.await {
                    Ok(list) => {
                        view! {
                            {org_table(list.found, q.get_untracked(), verify)}
                            {grant_form(list.form_key, q.get_untracked(), grant, grant_error)}
                        }
                            .into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn org_table(
    found: Page<StaffOrg>,
    q: String,
    verify: ServerAction<VerifyOrganization>,
) -> impl IntoView {
    if found.total == 0 {
        let text = if q.trim().is_empty() {
            "Nobody has created an organization yet.".to_owned()
        } else {
            format!("No organization's name or address contains “{}”.", q.trim())
        };
        return empty_state("No organizations found", text).into_any();
    }
    let nav = pager(&found, href::admin_organizations(), &[("q", q)]);
    view! {
        <div class="table-wrap" role="region" aria-label="Organizations table" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Organizations, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Address"</th>
                        <th scope="col">"Country"</th>
                        <th scope="col">"Industry"</th>
                        <th scope="col">"Members"</th>
                        <th scope="col">"Pool"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Verified"</th>
                    </tr>
                </thead>
                <tbody>
                    {found.items.into_iter().map(|org| org_row(org, verify)).collect_view()}
                </tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn org_row(org: StaffOrg, verify: ServerAction<VerifyOrganization>) -> impl IntoView {
    let label = format!(" {}", org.name);
    let (button, next) = if org.verified {
        ("Unverify", "false")
    } else {
        ("Verify", "true")
    };
    let slug = org.slug.clone();
    view! {
        <tr data-org=org.slug.clone()>
            <th scope="row">
                {org.name.clone()}
                {org
                    .verified
                    .then(|| {
                        view! {
                            " "
                            <Badge tone=Tone::Good text="Verified" />
                        }
                    })}
            </th>
            <td data-label="Address">
                <code>{org.slug.clone()}</code>
            </td>
            <td data-label="Country">{org.country.clone()}</td>
            <td data-label="Industry">{org.industry.clone()}</td>
            <td data-label="Members" class="num">
                {org.members}
            </td>
            <td data-label="Pool" class="num admin-nowrap">
                {crate::format::credits(Credits::from_micros(org.pool))}
            </td>
            <td data-label="Created" class="admin-nowrap">
                {org.created.clone()}
            </td>
            <td>
                <ActionForm action=verify attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug />
                    <input type="hidden" name="verified" value=next />
                    <button type="submit" class="button button-small">
                        {button}
                        <span class="visually-hidden">{label}</span>
                    </button>
                </ActionForm>
            </td>
        </tr>
    }
}

fn grant_form(
    key: String,
    slug: String,
    grant: ServerAction<GrantOrgCredits>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="org-grant-heading">
            <h2 id="org-grant-heading">"Grant credit to an organization"</h2>
            <ActionForm action=grant attr:class="form" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="idempotency_key" value=key />
                <TextField
                    label="Organization address"
                    name="slug"
                    required=true
                    autocomplete="off"
                    hint="As in /orgs/<address>, like acme-labs."
                    value=slug
                    error=field_error(error, "slug")
                />
                <TextField
                    label="Credits"
                    name="amount"
                    required=true
                    autocomplete="off"
                    hint="Up to 6 decimals."
                    error=field_error(error, "amount")
                />
                <TextField
                    label="Expires on (optional)"
                    name="expiry"
                    kind="date"
                    hint="What is left of it goes back to the Lab at the end of this day (UTC)."
                    error=field_error(error, "expiry")
                />
                <TextField
                    label="Reason"
                    name="reason"
                    required=true
                    autocomplete="off"
                    hint="Kept in the ledger and the audit log, like “Partner programme 2027”."
                    error=field_error(error, "reason")
                />
                <div class="actions">
                    <button type="submit" class="button button-primary">
                        "Grant credit"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
