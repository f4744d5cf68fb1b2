//! `/admin/institutions`: every university with its pool and courses,
//! creating one (with its students' email domains), grants to an
//! institution's pool and its staff (admins and coordinators, by email),
//! each named by the institution's slug.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use super::{empty_state, load_error};
use crate::api::admin::{
    list_institutions, CreateInstitution, GrantInstitutionCredits, SetInstitutionStaff,
    StaffInstitution,
};
use crate::components::form::{
    action_error, field_error, kept_fields, FormError, KeptFields, SelectField, TextField,
};
use crate::components::ui::{Flash, PageHeader, Tone};
use crate::domain::credits::Credits;
use crate::href;

/// `/admin/institutions`.
#[component]
pub fn AdminInstitutionsPage() -> impl IntoView {
    super::admin_frame("Institutions", || view! { <InstitutionList /> })
}

fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "The institution is created. Add its staff, then grant credit to its pool.",
        "granted" => "The credit is in the institution's pool.",
        "repeated" => "That form was sent before: nothing more was granted.",
        "staff" => "The staff role is saved: they see the institution at /institutions/<address>.",
        _ => return None,
    })
}

/// The flash of a `?done=`, unless a form posted without JavaScript came
/// back with an error.
fn done_flash() -> impl IntoView {
    let query = use_query_map();
    move || {
        let q = query.read();
        let text = q.get_str("done").and_then(done_text);
        let failed = q.get_str("__err").is_some();
        (!failed)
            .then_some(text)
            .flatten()
            .map(|text| view! { <Flash tone=Tone::Good>{text}</Flash> })
    }
}

/// The page's forms, created once so their results (and errors brought
/// back without JavaScript) survive re-fetches, with what a failed post
/// without JavaScript had in each.
#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateInstitution>,
    grant: ServerAction<GrantInstitutionCredits>,
    staff: ServerAction<SetInstitutionStaff>,
    create_kept: StoredValue<KeptFields>,
    grant_kept: StoredValue<KeptFields>,
    staff_kept: StoredValue<KeptFields>,
}

#[component]
fn InstitutionList() -> impl IntoView {
    let actions = Actions {
        create: ServerAction::new(),
        grant: ServerAction::new(),
        staff: ServerAction::new(),
        create_kept: StoredValue::new(kept_fields(CreateInstitution::PATH)),
        grant_kept: StoredValue::new(kept_fields(GrantInstitutionCredits::PATH)),
        staff_kept: StoredValue::new(kept_fields(SetInstitutionStaff::PATH)),
    };
    let list = Resource::new(
        move || {
            (
                actions.create.version().get(),
                actions.grant.version().get(),
                actions.staff.version().get(),
            )
        },
        |_| list_institutions(),
    );
    view! {
        <PageHeader
            title="Institutions"
            lead="Universities whose courses give their students credit: each has a pool the Lab grants to, staff who run its courses, and the email domains of its students."
        />
        {done_flash()}
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading institutions…"</p> }
        }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => institution_table(list.institutions).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
        {create_form(actions)}
        {staff_form(actions)}
        // The grant form carries the list's idempotency key.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                list.await.ok().map(|list| grant_form(list.form_key, actions))
            })}
        </Suspense>
    }
}

fn institution_table(institutions: Vec<StaffInstitution>) -> impl IntoView {
    if institutions.is_empty() {
        return empty_state(
            "No institutions yet",
            "Create the first below, then make someone there its admin and grant credit to its pool."
                .to_owned(),
        )
        .into_any();
    }
    view! {
        <div class="table-wrap" role="region" aria-label="Institutions table" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Institutions, by name"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Address"</th>
                        <th scope="col">"Country"</th>
                        <th scope="col">"Email domains"</th>
                        <th scope="col">"Pool"</th>
                        <th scope="col">"Courses"</th>
                    </tr>
                </thead>
                <tbody>{institutions.into_iter().map(institution_row).collect_view()}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn institution_row(institution: StaffInstitution) -> impl IntoView {
    let domains = institution
        .domains
        .iter()
        .map(|d| format!("@{d}"))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <tr data-institution=institution.slug.clone()>
            <th scope="row">
                <a href=href::institution(&institution.slug)>{institution.name.clone()}</a>
            </th>
            <td data-label="Address">
                <code>{institution.slug.clone()}</code>
            </td>
            <td data-label="Country">{institution.country.clone()}</td>
            <td data-label="Email domains" class="admin-break">
                {domains}
            </td>
            <td data-label="Pool" class="num admin-nowrap">
                {crate::format::credits(Credits::from_micros(institution.pool))}
            </td>
            <td data-label="Courses" class="num">
                {crate::format::grouped(institution.cohorts)}
            </td>
        </tr>
    }
}

/// A labelled input with its own element id (the page's forms share field
/// names), a hint and the action's error for it.
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

fn grant_form(key: String, actions: Actions) -> impl IntoView {
    let action = actions.grant;
    let error = action_error(action.value());
    let kept = actions.grant_kept.get_value();
    view! {
        <section class="card" aria-labelledby="institution-grant-heading">
            <h2 id="institution-grant-heading">"Grant credit to an institution"</h2>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="idempotency_key" value=key />
                {input_field(
                    "grant-slug",
                    "slug",
                    "Institution address",
                    "text",
                    Some("As in /institutions/<address>, like nus."),
                    kept.get("slug"),
                    field_error(error, "slug"),
                )}
                {input_field(
                    "grant-amount",
                    "amount",
                    "Credits",
                    "text",
                    Some("Up to 6 decimals."),
                    kept.get("amount"),
                    field_error(error, "amount"),
                )}
                {input_field(
                    "grant-expiry",
                    "expiry",
                    "Expires on (optional)",
                    "date",
                    Some("What is left of it goes back to the Lab at the end of this day (UTC)."),
                    kept.get("expiry"),
                    field_error(error, "expiry"),
                )}
                {input_field(
                    "grant-reason",
                    "reason",
                    "Reason",
                    "text",
                    Some("Kept in the ledger and the audit log, like “Spring term 2027”."),
                    kept.get("reason"),
                    field_error(error, "reason"),
                )}
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || action.pending().get()
                    >
                        "Grant credit"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

fn staff_form(actions: Actions) -> impl IntoView {
    let action = actions.staff;
    let error = action_error(action.value());
    let kept = actions.staff_kept.get_value();
    let roles = vec![
        (
            "admin".to_owned(),
            "Admin: runs every course of the institution".to_owned(),
        ),
        (
            "coordinator".to_owned(),
            "Coordinator: runs the courses they create".to_owned(),
        ),
    ];
    view! {
        <section class="card" aria-labelledby="institution-staff-heading">
            <h2 id="institution-staff-heading">"Add staff to an institution"</h2>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                {input_field(
                    "staff-slug",
                    "slug",
                    "Institution address",
                    "text",
                    Some("As in /institutions/<address>, like nus."),
                    kept.get("slug"),
                    field_error(error, "slug"),
                )}
                {input_field(
                    "staff-email",
                    "email",
                    "Email",
                    "email",
                    Some(
                        "They must have signed up with this address. Someone on the staff already gets this role instead.",
                    ),
                    kept.get("email"),
                    field_error(error, "email"),
                )}
                <SelectField
                    label="Role"
                    name="role"
                    options=roles
                    selected=kept.get("role").unwrap_or_else(|| "coordinator".to_owned())
                    error=field_error(error, "role")
                />
                <div class="actions">
                    <button type="submit" class="button" disabled=move || action.pending().get()>
                        "Save staff role"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

fn create_form(actions: Actions) -> impl IntoView {
    let action = actions.create;
    let error = action_error(action.value());
    let kept = actions.create_kept.get_value();
    view! {
        <section class="card" aria-labelledby="institution-create-heading">
            <h2 id="institution-create-heading">"Create an institution"</h2>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextField
                    label="Name"
                    name="name"
                    required=true
                    maxlength=120
                    autocomplete="off"
                    hint="Like National University of Singapore."
                    value=kept.get("name").unwrap_or_default()
                    error=field_error(error, "name")
                />
                {input_field(
                    "create-slug",
                    "slug",
                    "Address",
                    "text",
                    Some(
                        "Its page will be /institutions/<address>: lower-case letters, digits and hyphens, like nus.",
                    ),
                    kept.get("slug"),
                    field_error(error, "slug"),
                )}
                <SelectField
                    label="Country"
                    name="country"
                    required=true
                    placeholder="Choose a country"
                    options=crate::pages::organizations::country_options()
                    selected=kept.get("country").unwrap_or_default()
                    error=field_error(error, "country")
                />
                <TextField
                    label="Website (optional)"
                    name="website"
                    kind="url"
                    autocomplete="off"
                    value=kept.get("website").unwrap_or_default()
                    error=field_error(error, "website")
                />
                <TextField
                    label="Time zone"
                    name="time_zone"
                    autocomplete="off"
                    hint="Its courses' terms start and end at midnight here, like Asia/Singapore. Empty: UTC."
                    value=kept.get("time_zone").unwrap_or_default()
                    error=field_error(error, "time_zone")
                />
                <TextField
                    label="Students' email domains"
                    name="domains"
                    required=true
                    autocomplete="off"
                    hint="Separated by commas or spaces, like nus.edu.sg, u.nus.edu. Courses may take only these addresses."
                    value=kept.get("domains").unwrap_or_default()
                    error=field_error(error, "domains")
                />
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || action.pending().get()
                    >
                        "Create institution"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
