//! Organizations: `/orgs` (the caller's organizations, those their email's
//! domain lets them join, and creating one), `/orgs/{slug}` (one
//! organization: its pool, members with roles and budgets, invitations,
//! email domains, settings, leaving) and `/orgs/{slug}/keys` (the keys
//! billed to it).
//!
//! Every form works without JavaScript: a change lands back on the page
//! with `?done=…`, and removing a member or leaving asks first at an
//! address of its own (`?remove=<id>`, `?leave=1`).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::organizations::{
    get_organization, my_organizations, org_keys, AcceptInvitation, BudgetView, CreateOrganization,
    InvitationView, InviteMember, JoinOrganization, LeaveOrganization, MemberView, OrgKeyView,
    OrgView, RemoveMember, ResendInvitation, RevokeInvitation, RevokeOrgKey, SetMemberBudget,
    SetMemberRole, SetOrgDomain, UpdateOrganization,
};
use crate::components::form::{action_error, field_error, kept_fields, FormError, TextField};
use crate::components::guard::RequireUser;
use crate::components::ui::{Badge, ConfirmDialog, EmptyState, Flash, PageHeader, StatTile, Tone};
use crate::domain::credits::Credits;
use crate::domain::datasets::DatasetIndustry;
use crate::domain::organizations::{BudgetPeriod, OrgRole};
use crate::domain::profile::COUNTRIES;
use crate::href;
use leptos::server_fn::ServerFn;

/// `/orgs`.
#[component]
pub fn OrganizationsPage() -> impl IntoView {
    view! {
        <Title text="Organizations" />
        <RequireUser children=|_| view! { <Organizations /> } />
    }
}

/// What a `?done=` after a change says.
fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "The organization is created, and you are its owner.",
        "joined" => "Welcome: you are a member of this organization now.",
        "left" => "You left the organization; your keys billed to it are revoked.",
        "saved" => "The settings are saved.",
        "invited" => "The invitation is on its way.",
        "resent" => "The invitation was sent again with a new link.",
        "invitation_revoked" => "The invitation is revoked; its link no longer works.",
        "role" => "The role is changed.",
        "budget" => "The budget is saved.",
        "removed" => "The member is removed; their keys billed to the organization are revoked.",
        "domain_added" => "The domain is added: people with a verified address there may join.",
        "domain_removed" => "The domain is removed.",
        "revoked" => "The key is revoked. Requests made with it are refused from now on.",
        _ => return None,
    })
}

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

fn credits(micros: i64) -> String {
    crate::format::credits(Credits::from_micros(micros))
}

fn budget_text(budget: Option<BudgetView>) -> String {
    match budget {
        Some(b) => format!("{} {}", credits(b.amount), b.period.label()),
        None => "No budget".to_owned(),
    }
}

#[component]
fn Organizations() -> impl IntoView {
    let create = ServerAction::<CreateOrganization>::new();
    let join = ServerAction::<JoinOrganization>::new();
    let mine = Resource::new(
        move || (create.version().get(), join.version().get()),
        |_| my_organizations(),
    );
    let join_error = action_error(join.value());
    view! {
        <section class="container page orgs-page">
            <PageHeader
                eyebrow="Teams"
                title="Organizations"
                lead="An organization shares one pool of credits between its members, with a budget for each member and keys billed to the pool."
            />
            {done_flash()}
            <FormError error=join_error />
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match mine.await {
                        Ok(mine) => {
                            view! {
                                {joinable_list(mine.joinable, join)}
                                <section aria-labelledby="mine-heading">
                                    <h2 id="mine-heading">"Your organizations"</h2>
                                    {orgs_list(mine.organizations)}
                                </section>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <CreateOrgForm create />
        </section>
    }
}

fn joinable_list(
    joinable: Vec<crate::api::organizations::JoinableOrg>,
    join: ServerAction<JoinOrganization>,
) -> impl IntoView {
    (!joinable.is_empty()).then(|| {
        view! {
            <section class="card" aria-labelledby="joinable-heading">
                <h2 id="joinable-heading">"Organizations you can join"</h2>
                <ul class="plain-list">
                    {joinable
                        .into_iter()
                        .map(|org| {
                            let label = format!(" {}", org.name);
                            view! {
                                <li>
                                    <ActionForm action=join attr:class="inline-form">
                                        <input type="hidden" name="slug" value=org.slug.clone() />
                                        <span>
                                            <strong>{org.name.clone()}</strong>
                                            {format!(" lets people at @{} join.", org.domain)}
                                        </span>
                                        " "
                                        <button type="submit" class="button button-small">
                                            "Join"
                                            <span class="visually-hidden">{label}</span>
                                        </button>
                                    </ActionForm>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

fn orgs_list(orgs: Vec<crate::api::organizations::OrgSummary>) -> impl IntoView {
    if orgs.is_empty() {
        return view! {
            <EmptyState title="No organizations yet">
                <p>"Create one below for your team, or ask a colleague to invite you to theirs."</p>
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap" role="region" aria-label="Your organizations" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Your organizations, by name"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Organization"</th>
                        <th scope="col">"Your role"</th>
                        <th scope="col">"Members"</th>
                    </tr>
                </thead>
                <tbody>
                    {orgs
                        .into_iter()
                        .map(|org| {
                            view! {
                                <tr>
                                    <th scope="row">
                                        <a href=href::organization(&org.slug)>{org.name.clone()}</a>
                                        {org
                                            .verified
                                            .then(|| {
                                                view! {
                                                    " "
                                                    <Badge tone=Tone::Good text="Verified" />
                                                }
                                            })}
                                    </th>
                                    <td data-label="Your role">{org.role.label()}</td>
                                    <td data-label="Members" class="num">
                                        {org.members}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Every country as a select's options (code, name).
pub(crate) fn country_options() -> Vec<(String, String)> {
    COUNTRIES
        .iter()
        .map(|(code, name)| ((*code).to_owned(), (*name).to_owned()))
        .collect()
}

fn industry_options() -> Vec<(String, String)> {
    DatasetIndustry::ALL
        .iter()
        .map(|i| (i.as_str().to_owned(), i.label().to_owned()))
        .collect()
}

fn period_options() -> Vec<(String, String)> {
    BudgetPeriod::ALL
        .iter()
        .map(|p| (p.as_str().to_owned(), p.label().to_owned()))
        .collect()
}

#[component]
fn CreateOrgForm(create: ServerAction<CreateOrganization>) -> impl IntoView {
    use crate::components::form::SelectField;
    let error = action_error(create.value());
    let kept = kept_fields(CreateOrganization::PATH);
    // An approved business application links here with the company's name.
    let offered = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("name")
        .map(|n| n.trim().chars().take(120).collect::<String>())
        .filter(|n| !n.is_empty());
    let name = kept
        .get("name")
        .or_else(|| offered.clone())
        .unwrap_or_default();
    let slug = kept
        .get("slug")
        .or_else(|| {
            offered
                .as_deref()
                .map(crate::domain::organizations::suggest_slug)
        })
        .unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="create-org-heading">
            <h2 id="create-org-heading">"Create an organization"</h2>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextField
                    label="Name"
                    name="name"
                    required=true
                    maxlength=120
                    autocomplete="organization"
                    value=name
                    error=field_error(error, "name")
                />
                <TextField
                    label="Address"
                    name="slug"
                    required=true
                    maxlength=40
                    autocomplete="off"
                    hint="Its page will be /orgs/<address>: lower-case letters, digits and hyphens, like acme-labs."
                    value=slug
                    error=field_error(error, "slug")
                />
                <TextField
                    label="Website (optional)"
                    name="website"
                    kind="url"
                    autocomplete="url"
                    value=kept.get("website").unwrap_or_default()
                    error=field_error(error, "website")
                />
                <SelectField
                    label="Country"
                    name="country"
                    required=true
                    placeholder="Choose a country"
                    options=country_options()
                    selected=kept.get("country").unwrap_or_default()
                    error=field_error(error, "country")
                />
                <SelectField
                    label="Industry"
                    name="industry"
                    required=true
                    placeholder="Choose an industry"
                    options=industry_options()
                    selected=kept.get("industry").unwrap_or_default()
                    error=field_error(error, "industry")
                />
                <TextField
                    label="Time zone"
                    name="time_zone"
                    autocomplete="off"
                    hint="Daily, weekly and monthly budgets start again at midnight here, like Europe/Berlin. Empty: UTC."
                    value=kept.get("time_zone").unwrap_or_default()
                    error=field_error(error, "time_zone")
                />
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || create.pending().get()
                    >
                        "Create organization"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// `/orgs/{slug}`.
#[component]
pub fn OrganizationPage() -> impl IntoView {
    view! {
        <Title text="Organization" />
        <RequireUser children=|_| view! { <Organization /> } />
    }
}

/// Every action of the organization page, so one change reads it again.
#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateOrganization>,
    invite: ServerAction<InviteMember>,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
    role: ServerAction<SetMemberRole>,
    budget: ServerAction<SetMemberBudget>,
    remove: ServerAction<RemoveMember>,
    leave: ServerAction<LeaveOrganization>,
    domain: ServerAction<SetOrgDomain>,
}

impl Actions {
    fn new() -> Self {
        Self {
            update: ServerAction::new(),
            invite: ServerAction::new(),
            resend: ServerAction::new(),
            revoke: ServerAction::new(),
            role: ServerAction::new(),
            budget: ServerAction::new(),
            remove: ServerAction::new(),
            leave: ServerAction::new(),
            domain: ServerAction::new(),
        }
    }

    fn versions(self) -> [usize; 9] {
        [
            self.update.version().get(),
            self.invite.version().get(),
            self.resend.version().get(),
            self.revoke.version().get(),
            self.role.version().get(),
            self.budget.version().get(),
            self.remove.version().get(),
            self.leave.version().get(),
            self.domain.version().get(),
        ]
    }
}

#[component]
fn Organization() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let actions = Actions::new();
    let org = Resource::new(
        move || (slug.get(), actions.versions()),
        |(slug, _)| get_organization(slug),
    );
    let errors = [
        action_error(actions.resend.value()),
        action_error(actions.revoke.value()),
        action_error(actions.role.value()),
        action_error(actions.remove.value()),
        action_error(actions.leave.value()),
    ];
    view! {
        <section class="container page org-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || {
                    let remove = query.read().get("remove");
                    let leave = query.read().get_str("leave") == Some("1");
                    Suspend::new(async move {
                        match org.await {
                            Ok(org) => {
                                view! {
                                    <Title text=org.name.clone() />
                                    {org_header(&org)}
                                    {done_flash()}
                                    {errors.map(|error| view! { <FormError error /> })}
                                    {confirm_remove(&org, remove, actions.remove)}
                                    {leave.then(|| confirm_leave(&org, actions.leave))}
                                    {org_stats(&org)}
                                    {members_section(&org, actions)}
                                    {org.manages.then(|| invitations_section(&org, actions))}
                                    {org.manages.then(|| domains_section(&org, actions.domain))}
                                    {org
                                        .manages
                                        .then(|| {
                                            view! {
                                                <SettingsForm org=org.clone() update=actions.update />
                                            }
                                        })}
                                    {leave_section(&org)}
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <PageHeader title="Organization" />
                                    <p class="form-error" role="alert">
                                        {e.to_string()}
                                    </p>
                                    <p>
                                        <a href=href::organizations()>"Your organizations"</a>
                                    </p>
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

fn org_header(org: &OrgView) -> impl IntoView {
    let badge = org
        .verified
        .then(|| view! { <Badge tone=Tone::Good text="Verified" /> }.into_any());
    let lead = format!(
        "You are acting for {} as {}. {} · {} · budgets follow {}.",
        org.name,
        org.my_role.label().to_lowercase(),
        org.industry_label,
        org.country_name,
        org.time_zone
    );
    let keys = href::organization_keys(&org.slug);
    let usage = href::organization_usage(&org.slug);
    let audit = href::organization_audit(&org.slug);
    let webhooks = (org.my_role == OrgRole::Owner).then(|| href::organization_webhooks(&org.slug));
    let manages = org.manages;
    view! {
        <PageHeader
            eyebrow="Organization"
            title=org.name.clone()
            title_extra=badge.unwrap_or_else(|| ().into_any())
            lead
        >
            <a href=keys.clone() class="button">
                "Keys"
            </a>
            <a href=usage.clone() class="button">
                "Usage"
            </a>
            {manages
                .then(|| {
                    view! {
                        <a href=audit.clone() class="button">
                            "Audit"
                        </a>
                    }
                })}
            {webhooks
                .map(|webhooks| {
                    view! {
                        <a href=webhooks class="button">
                            "Webhooks"
                        </a>
                    }
                })}
        </PageHeader>
    }
}

fn org_stats(org: &OrgView) -> impl IntoView {
    let me = org.members.iter().find(|m| m.is_me).cloned();
    let (budget, hint) = match me.as_ref().and_then(|m| m.budget.map(|b| (b, m))) {
        Some((b, m)) => (
            budget_text(Some(b)),
            format!(
                "{} spent{}",
                credits(m.spent),
                m.resets
                    .as_ref()
                    .map(|at| format!("; starts again {at}"))
                    .unwrap_or_default()
            ),
        ),
        None => (
            "No budget".to_owned(),
            "Your keys may spend up to the pool.".to_owned(),
        ),
    };
    view! {
        <div class="stat-grid">
            <StatTile
                label="Credit pool"
                value=credits(org.pool)
                unit="credits"
                hint="Granted by the Lab; spent by members' keys."
            />
            <StatTile label="Members" value=org.members.len().to_string() />
            <StatTile label="Your budget" value=budget hint />
        </div>
    }
}

fn members_section(org: &OrgView, actions: Actions) -> impl IntoView {
    let budget_error = action_error(actions.budget.value());
    let rows = org
        .members
        .iter()
        .cloned()
        .map(|member| member_row(org, member, actions))
        .collect_view();
    view! {
        <section class="org-section" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <FormError error=budget_error />
            <div class="table-wrap" role="region" aria-label="Members table" tabindex="0">
                <table class="data-table members-table">
                    <caption class="visually-hidden">
                        "Members, owners first, with their roles and budgets"
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Budget"</th>
                            <th scope="col">"Spent this period"</th>
                            <th scope="col">"Joined"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

fn member_row(org: &OrgView, member: MemberView, actions: Actions) -> impl IntoView {
    let manages = org.manages;
    let slug = org.slug.clone();
    let may_change = manages && org.my_role.may_grant(member.role) && !member.is_me;
    let name = if member.is_me {
        format!("{} (you)", member.name)
    } else {
        member.name.clone()
    };
    let role_cell = if may_change {
        let roles: Vec<OrgRole> = OrgRole::ALL
            .into_iter()
            .filter(|r| org.my_role.may_grant(*r))
            .collect();
        let label = format!("Role of {}", member.name);
        let (slug, user_id, current) = (slug.clone(), member.user_id.clone(), member.role);
        view! {
            <ActionForm action=actions.role attr:class="inline-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="user_id" value=user_id />
                <select name="role" aria-label=label>
                    {roles
                        .into_iter()
                        .map(|r| {
                            view! {
                                <option value=r.as_str() selected=r == current>
                                    {r.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                " "
                <button type="submit" class="button button-small">
                    "Change"
                </button>
            </ActionForm>
        }
        .into_any()
    } else {
        member.role.label().into_any()
    };
    let budget_cell = if manages && org.my_role.may_grant(member.role) {
        let amount = member
            .budget
            .map(|b| Credits::from_micros(b.amount).to_string())
            .unwrap_or_default();
        let period = member.budget.map_or(BudgetPeriod::Month, |b| b.period);
        let amount_label = format!("Budget of {} in credits (empty: none)", member.name);
        let period_label = format!("How often {}'s budget starts again", member.name);
        let (slug, user_id) = (slug.clone(), member.user_id.clone());
        view! {
            <ActionForm action=actions.budget attr:class="inline-form budget-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="user_id" value=user_id />
                <input
                    name="amount"
                    value=amount
                    size="8"
                    inputmode="decimal"
                    aria-label=amount_label
                    placeholder="None"
                />
                " "
                <select name="period" aria-label=period_label>
                    {BudgetPeriod::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=p == period>
                                    {p.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                " "
                <button type="submit" class="button button-small">
                    "Save"
                </button>
            </ActionForm>
        }
        .into_any()
    } else if manages || member.is_me {
        budget_text(member.budget).into_any()
    } else {
        "—".into_any()
    };
    let spent = if manages || member.is_me {
        format!(
            "{}{}",
            credits(member.spent),
            member
                .resets
                .as_ref()
                .map(|at| format!(" (until {at})"))
                .unwrap_or_default()
        )
    } else {
        "—".to_owned()
    };
    let remove = (may_change).then(|| {
        let href = format!(
            "{}#remove-heading",
            href::with_query(&href::organization(&slug), &[("remove", &member.user_id)])
        );
        let label = format!(" {}", member.name);
        view! {
            <a href=href class="button button-small" data-noscroll=true>
                "Remove"
                <span class="visually-hidden">{label}</span>
            </a>
        }
    });
    view! {
        <tr data-member=member.email.clone()>
            <th scope="row">
                {name}
                {(!member.email.is_empty())
                    .then(|| {
                        view! { <span class="muted member-email">{member.email.clone()}</span> }
                    })}
            </th>
            <td data-label="Role">{role_cell}</td>
            <td data-label="Budget">{budget_cell}</td>
            <td data-label="Spent this period" class="num nowrap">
                {spent}
            </td>
            <td data-label="Joined" class="nowrap">
                {member.joined.clone()}
            </td>
            <td>{remove}</td>
        </tr>
    }
}

fn confirm_remove(
    org: &OrgView,
    remove: Option<String>,
    action: ServerAction<RemoveMember>,
) -> Option<impl IntoView> {
    let member = org
        .members
        .iter()
        .find(|m| Some(&m.user_id) == remove.as_ref() && !m.is_me)?
        .clone();
    let (slug, back) = (org.slug.clone(), href::organization(&org.slug));
    org.manages.then(move || {
        view! {
            <ConfirmDialog
                heading_id="remove-heading"
                title=format!("Remove {}?", member.name)
                cancel_href=back.clone()
            >
                <p>
                    "They lose access to the organization, and their keys billed to it stop working at once. Their past usage stays listed."
                </p>
                <ActionForm action attr:class="confirm-actions">
                    <input type="hidden" name="slug" value=slug />
                    <input type="hidden" name="user_id" value=member.user_id.clone() />
                    <button type="submit" class="button button-danger">
                        "Remove member"
                    </button>
                    <a href=back class="button" data-noscroll=true>
                        "Cancel"
                    </a>
                </ActionForm>
            </ConfirmDialog>
        }
    })
}

fn confirm_leave(org: &OrgView, action: ServerAction<LeaveOrganization>) -> impl IntoView {
    let (slug, back, title) = (
        org.slug.clone(),
        href::organization(&org.slug),
        format!("Leave {}?", org.name),
    );
    view! {
        <ConfirmDialog heading_id="leave-heading" title cancel_href=back.clone()>
            <p>
                "Your keys billed to the organization stop working at once. To come back you need a new invitation."
            </p>
            <ActionForm action attr:class="confirm-actions">
                <input type="hidden" name="slug" value=slug />
                <button type="submit" class="button button-danger">
                    "Leave organization"
                </button>
                <a href=back class="button" data-noscroll=true>
                    "Cancel"
                </a>
            </ActionForm>
        </ConfirmDialog>
    }
}

fn leave_section(org: &OrgView) -> impl IntoView {
    let href = format!(
        "{}#leave-heading",
        href::with_query(&href::organization(&org.slug), &[("leave", "1")])
    );
    view! {
        <section class="org-section" aria-labelledby="leave-section-heading">
            <h2 id="leave-section-heading">"Leave"</h2>
            <p>
                "Leaving revokes your keys billed to this organization. An organization keeps at least one owner."
            </p>
            <a href=href class="button" data-noscroll=true>
                "Leave organization…"
            </a>
        </section>
    }
}

fn invitations_section(org: &OrgView, actions: Actions) -> impl IntoView {
    use crate::components::form::SelectField;
    let error = action_error(actions.invite.value());
    let kept = kept_fields(InviteMember::PATH);
    let roles: Vec<(String, String)> = OrgRole::ALL
        .into_iter()
        .filter(|r| org.my_role.may_grant(*r))
        .rev()
        .map(|r| (r.as_str().to_owned(), r.label().to_owned()))
        .collect();
    let list = if org.invitations.is_empty() {
        view! { <p class="muted">"No invitations in the last 30 days."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap" role="region" aria-label="Invitations table" tabindex="0">
                <table class="data-table">
                    <caption class="visually-hidden">"Invitations, newest first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Sent"</th>
                            <th scope="col">"Expires"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {org
                            .invitations
                            .iter()
                            .cloned()
                            .map(|i| invitation_row(&org.slug, i, actions))
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let slug = org.slug.clone();
    view! {
        <section class="org-section" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invitations"</h2>
            <ActionForm action=actions.invite attr:class="form form-row" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="slug" value=slug />
                <TextField
                    label="Email"
                    name="email"
                    kind="email"
                    required=true
                    autocomplete="off"
                    hint="The link works for 7 days, only for someone signed in with this address."
                    value=kept.get("email").unwrap_or_default()
                    error=field_error(error, "email")
                />
                <SelectField
                    label="Role"
                    name="role"
                    options=roles
                    selected=kept.get("role").unwrap_or_else(|| "member".to_owned())
                    error=field_error(error, "role")
                />
                <div class="actions">
                    <button type="submit" class="button button-primary">
                        "Send invitation"
                    </button>
                </div>
            </ActionForm>
            {list}
        </section>
    }
}

fn invitation_row(slug: &str, invitation: InvitationView, actions: Actions) -> impl IntoView {
    let tone = match invitation.status.as_str() {
        "Open" => Tone::Accent,
        "Accepted" => Tone::Good,
        _ => Tone::Neutral,
    };
    let label = format!(" invitation of {}", invitation.email);
    let (slug_a, slug_b) = (slug.to_owned(), slug.to_owned());
    let (id_a, id_b) = (invitation.id.clone(), invitation.id.clone());
    let label_b = label.clone();
    let buttons = invitation.open.then(move || {
        view! {
            <ActionForm action=actions.resend attr:class="inline-form">
                <input type="hidden" name="slug" value=slug_a />
                <input type="hidden" name="invitation_id" value=id_a />
                <button type="submit" class="button button-small">
                    "Resend"
                    <span class="visually-hidden">{label}</span>
                </button>
            </ActionForm>
            <ActionForm action=actions.revoke attr:class="inline-form">
                <input type="hidden" name="slug" value=slug_b />
                <input type="hidden" name="invitation_id" value=id_b />
                <button type="submit" class="button button-small">
                    "Revoke"
                    <span class="visually-hidden">{label_b}</span>
                </button>
            </ActionForm>
        }
    });
    view! {
        <tr data-invitation=invitation.email.clone()>
            <th scope="row">{invitation.email.clone()}</th>
            <td data-label="Role">{invitation.role.label()}</td>
            <td data-label="Status">
                <Badge tone text=invitation.status.clone() />
            </td>
            <td data-label="Sent" class="nowrap">
                {invitation.sent.clone()}
            </td>
            <td data-label="Expires" class="nowrap">
                {invitation.expires.clone()}
            </td>
            <td class="row-actions">{buttons}</td>
        </tr>
    }
}

fn domains_section(org: &OrgView, action: ServerAction<SetOrgDomain>) -> impl IntoView {
    let error = action_error(action.value());
    let slug = org.slug.clone();
    let domains = org.domains.clone();
    view! {
        <section class="org-section" aria-labelledby="domains-heading">
            <h2 id="domains-heading">"Join by email domain"</h2>
            <p>
                "People with a verified address at one of these domains may join as members without an invitation."
            </p>
            <FormError error />
            <ul class="plain-list">
                {domains
                    .into_iter()
                    .map(|domain| {
                        let label = format!(" {domain}");
                        let shown = format!("@{domain}");
                        let slug = slug.clone();
                        view! {
                            <li>
                                <ActionForm action attr:class="inline-form">
                                    <input type="hidden" name="slug" value=slug />
                                    <input type="hidden" name="domain" value=domain />
                                    <input type="hidden" name="action" value="remove" />
                                    <code>{shown}</code>
                                    " "
                                    <button type="submit" class="button button-small">
                                        "Remove"
                                        <span class="visually-hidden">{label}</span>
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <ActionForm action attr:class="form form-row" attr:novalidate=true>
                <input type="hidden" name="slug" value=slug.clone() />
                <input type="hidden" name="action" value="add" />
                <TextField
                    label="Domain"
                    name="domain"
                    autocomplete="off"
                    hint="Your own address's domain, like example.com."
                    error=field_error(error, "domain")
                />
                <div class="actions">
                    <button type="submit" class="button">
                        "Add domain"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn SettingsForm(org: OrgView, update: ServerAction<UpdateOrganization>) -> impl IntoView {
    use crate::components::form::SelectField;
    let error = action_error(update.value());
    let default_amount = org
        .default_budget
        .map(|b| Credits::from_micros(b.amount).to_string())
        .unwrap_or_default();
    let default_period = org
        .default_budget
        .map_or(BudgetPeriod::Month, |b| b.period)
        .as_str()
        .to_owned();
    view! {
        <section class="org-section card" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <ActionForm action=update attr:class="form" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="slug" value=org.slug.clone() />
                <TextField
                    label="Name"
                    name="name"
                    required=true
                    maxlength=120
                    value=org.name.clone()
                    error=field_error(error, "name")
                />
                <TextField
                    label="Website (optional)"
                    name="website"
                    kind="url"
                    value=org.website.clone().unwrap_or_default()
                    error=field_error(error, "website")
                />
                <SelectField
                    label="Country"
                    name="country"
                    required=true
                    options=country_options()
                    selected=org.country.clone()
                    error=field_error(error, "country")
                />
                <SelectField
                    label="Industry"
                    name="industry"
                    required=true
                    options=industry_options()
                    selected=org.industry.clone()
                    error=field_error(error, "industry")
                />
                <TextField
                    label="Time zone"
                    name="time_zone"
                    hint="Daily, weekly and monthly budgets start again at midnight here."
                    value=org.time_zone.clone()
                    error=field_error(error, "time_zone")
                />
                <div class="field field-checkbox">
                    <input
                        type="checkbox"
                        id="members_create_keys"
                        name="members_create_keys"
                        value="on"
                        checked=org.members_create_keys
                    />
                    <label for="members_create_keys">
                        "Members may create keys billed to the organization (owners and admins always may)"
                    </label>
                </div>
                <fieldset>
                    <legend>"Budget for new members"</legend>
                    <TextField
                        label="Credits (empty: no budget)"
                        name="default_budget_amount"
                        value=default_amount
                        error=field_error(error, "budget_amount")
                    />
                    <SelectField
                        label="Starts again"
                        name="default_budget_period"
                        options=period_options()
                        selected=default_period
                        error=field_error(error, "budget_period")
                    />
                </fieldset>
                <div class="actions">
                    <button type="submit" class="button button-primary">
                        "Save settings"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// `/orgs/{slug}/keys`.
#[component]
pub fn OrganizationKeysPage() -> impl IntoView {
    view! {
        <Title text="Organization keys" />
        <RequireUser children=|_| view! { <OrganizationKeys /> } />
    }
}

#[component]
fn OrganizationKeys() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let revoke = ServerAction::<RevokeOrgKey>::new();
    let keys = Resource::new(
        move || (slug.get(), revoke.version().get()),
        |(slug, _)| org_keys(slug),
    );
    let error = action_error(revoke.value());
    view! {
        <section class="container page org-keys-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) => {
                            let lead = if list.manages {
                                format!(
                                    "Every key billed to {}'s pool, by whoever created it.",
                                    list.organization,
                                )
                            } else {
                                format!("Your keys billed to {}'s pool.", list.organization)
                            };
                            let back = href::organization(&list.slug);
                            let title = format!("{} — keys", list.organization);
                            view! {
                                <PageHeader eyebrow="Organization" title lead>
                                    <a href=back.clone() class="button">
                                        "Back to the organization"
                                    </a>
                                    <a href=href::keys() class="button button-primary">
                                        "Create a key"
                                    </a>
                                </PageHeader>
                                {done_flash()}
                                <FormError error />
                                {org_keys_table(&list.slug, list.manages, list.keys, revoke)}
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <PageHeader title="Organization keys" />
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

fn org_keys_table(
    slug: &str,
    manages: bool,
    keys: Vec<OrgKeyView>,
    revoke: ServerAction<RevokeOrgKey>,
) -> impl IntoView {
    if keys.is_empty() {
        return view! {
            <EmptyState title="No keys billed to this organization yet">
                <p>
                    "Create one on the keys page and choose this organization under “Bill to”."
                </p>
            </EmptyState>
        }
        .into_any();
    }
    let slug = slug.to_owned();
    view! {
        <div class="table-wrap" role="region" aria-label="Organization keys" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Keys billed to the organization"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Created by"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Spent"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|key| {
                            let label = format!(" key {}", key.name);
                            let spent = match key.spend_cap {
                                Some(cap) => format!("{} of {}", credits(key.spent), credits(cap)),
                                None => credits(key.spent),
                            };
                            let (slug, id) = (slug.clone(), key.id.clone());
                            view! {
                                <tr data-key-id=key.id.clone()>
                                    <th scope="row">{key.name.clone()}</th>
                                    <td data-label="Key">
                                        <code>{key.prefix.clone()}</code>
                                    </td>
                                    <td data-label="Created by">
                                        {key.creator.clone()}
                                        <span class="muted member-email">
                                            {key.creator_email.clone()}
                                        </span>
                                    </td>
                                    <td data-label="Created" class="nowrap">
                                        {key.created.clone()}
                                    </td>
                                    <td data-label="Last used" class="nowrap">
                                        {key
                                            .last_used
                                            .clone()
                                            .unwrap_or_else(|| "Never".to_owned())}
                                    </td>
                                    <td data-label="Spent" class="num nowrap">
                                        {spent}
                                    </td>
                                    <td data-label="Status">
                                        {if key.active { "Active" } else { "Revoked or expired" }}
                                    </td>
                                    <td>
                                        {(manages && key.active)
                                            .then(move || {
                                                view! {
                                                    <ActionForm action=revoke attr:class="inline-form">
                                                        <input type="hidden" name="slug" value=slug />
                                                        <input type="hidden" name="key_id" value=id />
                                                        <button type="submit" class="button button-small">
                                                            "Revoke"
                                                            <span class="visually-hidden">{label}</span>
                                                        </button>
                                                    </ActionForm>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// `/invitations/{token}`: an invitation to an organization. A signed-out
/// visitor is told which address to sign in or sign up with; a signed-in
/// one accepts it, or reads why they cannot.
#[component]
pub fn InvitationPage() -> impl IntoView {
    use crate::api::organizations::get_invitation;
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let accept = ServerAction::<AcceptInvitation>::new();
    let invitation = Resource::new(move || token.get(), get_invitation);
    let error = action_error(accept.value());
    view! {
        <Title text="Invitation" />
        <section class="container page narrow invitation-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match invitation.await {
                        Ok(info) => {
                            let lead = format!(
                                "{} invited {} to join as {}.",
                                info.invited_by.clone().unwrap_or_else(|| "Someone".to_owned()),
                                info.email,
                                info.role.to_lowercase(),
                            );
                            let body = if let Some(why) = info.refusal.clone() {
                                view! {
                                    <p class="notice notice-error" role="alert">
                                        {why}
                                    </p>
                                }
                                    .into_any()
                            } else if !info.signed_in {
                                let next = href::invitation(&token.get_untracked());
                                view! {
                                    <p>
                                        {format!(
                                            "To accept, sign in as {}. No account yet? Sign up with that address, confirm it, then open this link again.",
                                            info.email,
                                        )}
                                    </p>
                                    <p class="actions">
                                        <a
                                            class="button button-primary"
                                            href=href::with_query(href::sign_in(), &[("next", &next)])
                                        >
                                            "Sign in"
                                        </a>
                                        " "
                                        <a class="button" href=href::sign_up()>
                                            "Sign up"
                                        </a>
                                    </p>
                                }
                                    .into_any()
                            } else {
                                let join = format!("Join {}", info.organization);
                                view! {
                                    <FormError error />
                                    <ActionForm action=accept>
                                        <input
                                            type="hidden"
                                            name="token"
                                            value=token.get_untracked()
                                        />
                                        <button type="submit" class="button button-primary">
                                            {join}
                                        </button>
                                    </ActionForm>
                                }
                                    .into_any()
                            };
                            view! {
                                <PageHeader
                                    eyebrow="Invitation"
                                    title=format!("Join {}", info.organization)
                                    lead
                                />
                                <p class="muted">
                                    {format!("The invitation works until {}.", info.expires)}
                                </p>
                                {body}
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <PageHeader title="Invitation" />
                                <p class="notice notice-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/orgs/{slug}/usage`.
#[component]
pub fn OrganizationUsagePage() -> impl IntoView {
    view! {
        <Title text="Organization usage" />
        <RequireUser children=|_| view! { <OrganizationUsage /> } />
    }
}

#[component]
fn OrganizationUsage() -> impl IntoView {
    use crate::api::organizations::org_usage;
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let filter = Memo::new(move |_| {
        let q = query.read();
        let get = |name: &str| q.get(name).unwrap_or_default();
        (get("from"), get("to"), get("member"), get("model"))
    });
    let usage = Resource::new(
        move || (slug.get(), filter.get()),
        |(slug, (from, to, member, model))| org_usage(slug, from, to, member, model),
    );
    view! {
        <section class="container page org-usage-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(usage) => usage_view(usage).into_any(),
                        Err(e) => {
                            view! {
                                <PageHeader title="Organization usage" />
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

fn usage_view(usage: crate::api::organizations::OrgUsageView) -> impl IntoView {
    let lead = if usage.manages {
        format!(
            "What {}'s pool paid for: by member, key, model and day.",
            usage.organization
        )
    } else {
        format!("Your requests billed to {}'s pool.", usage.organization)
    };
    let csv = href::with_query(
        &href::organization_usage_csv(&usage.slug),
        &[
            ("from", &usage.from),
            ("to", &usage.to),
            ("member", &usage.member),
            ("model", &usage.model),
        ],
    );
    let back = href::organization(&usage.slug);
    let title = format!("{} — usage", usage.organization);
    let total: i64 = usage.by_model.iter().map(|m| m.credits).sum();
    view! {
        <PageHeader eyebrow="Organization" title lead>
            <a href=back.clone() class="button">
                "Back to the organization"
            </a>
            <a href=csv.clone() class="button" download="">
                "Export CSV"
            </a>
        </PageHeader>
        {usage_filter_form(&usage)}
        <p class="lead">
            {format!("{} credits from {} to {} (UTC).", credits(total), usage.from, usage.to)}
        </p>
        <section aria-labelledby="usage-chart-heading">
            <h2 id="usage-chart-heading">"Credits by day and model"</h2>
            {crate::pages::usage::chart::usage_chart(usage.chart.clone())}
        </section>
        {usage.manages.then(|| totals_table("By member", "Member", usage.by_member.clone()))}
        {totals_table("By key", "Key", usage.by_key.clone())}
        {totals_table("By model", "Model", usage.by_model.clone())}
    }
}

fn usage_filter_form(usage: &crate::api::organizations::OrgUsageView) -> impl IntoView {
    use leptos_router::components::Form;
    let action = href::organization_usage(&usage.slug);
    let members = usage.members.clone();
    let selected_member = usage.member.clone();
    let models = usage.models.clone();
    let selected_model = usage.model.clone();
    let (from, to) = (usage.from.clone(), usage.to.clone());
    view! {
        <Form
            on_form_data=crate::components::form::without_unnamed_fields()
            method="GET"
            action=action
            attr:class="filter-bar"
            attr:role="search"
        >
            <div class="field">
                <label for="from">"From"</label>
                <input id="from" name="from" type="date" value=from />
            </div>
            <div class="field">
                <label for="to">"To"</label>
                <input id="to" name="to" type="date" value=to />
            </div>
            {(!members.is_empty())
                .then(move || {
                    view! {
                        <div class="field">
                            <label for="member">"Member"</label>
                            <select id="member" name="member">
                                <option value="">"Everyone"</option>
                                {members
                                    .into_iter()
                                    .map(|(id, name)| {
                                        let selected = id == selected_member;
                                        view! {
                                            <option value=id selected=selected>
                                                {name}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                    }
                })}
            <div class="field">
                <label for="model">"Model"</label>
                <select id="model" name="model">
                    <option value="">"Every model"</option>
                    {models
                        .into_iter()
                        .map(|model| {
                            let selected = model == selected_model;
                            view! {
                                <option value=model.clone() selected=selected>
                                    {model.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button">
                "Show"
            </button>
        </Form>
    }
}

pub(crate) fn totals_table(
    heading: &'static str,
    column: &'static str,
    rows: Vec<crate::api::organizations::UsageTotalView>,
) -> impl IntoView {
    let id = format!("usage-{}", column.to_lowercase());
    let labelled_by = id.clone();
    let body = if rows.is_empty() {
        view! { <p class="muted">"No requests in these days."</p> }.into_any()
    } else {
        view! {
            <div
                class="table-wrap"
                role="region"
                aria-label=format!("{heading} table")
                tabindex="0"
            >
                <table class="data-table">
                    <caption class="visually-hidden">{heading}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{column}</th>
                            <th scope="col">"Requests"</th>
                            <th scope="col">"Tokens"</th>
                            <th scope="col">"Credits"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| {
                                view! {
                                    <tr>
                                        <th scope="row">
                                            {row.label.clone()}
                                            {(!row.detail.is_empty())
                                                .then(|| {
                                                    view! {
                                                        <span class="muted member-email">{row.detail.clone()}</span>
                                                    }
                                                })}
                                        </th>
                                        <td data-label="Requests" class="num">
                                            {crate::format::grouped(row.requests)}
                                        </td>
                                        <td data-label="Tokens" class="num">
                                            {crate::format::grouped(row.tokens)}
                                        </td>
                                        <td data-label="Credits" class="num">
                                            {credits(row.credits)}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby=labelled_by>
            <h2 id=id>{heading}</h2>
            {body}
        </section>
    }
}

/// `/orgs/{slug}/audit`.
#[component]
pub fn OrganizationAuditPage() -> impl IntoView {
    view! {
        <Title text="Organization audit" />
        <RequireUser children=|_| view! { <OrganizationAudit /> } />
    }
}

#[component]
fn OrganizationAudit() -> impl IntoView {
    use crate::api::organizations::org_audit;
    use crate::domain::paging::page_from_query;
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let page = Memo::new(move |_| page_from_query(query.read().get("page").as_deref()));
    let trail = Resource::new(
        move || (slug.get(), page.get()),
        |(slug, page)| org_audit(slug, page),
    );
    view! {
        <section class="container page org-audit-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match trail.await {
                        Ok(trail) => {
                            let back = href::organization(&trail.slug);
                            let here = href::organization_audit(&trail.slug);
                            let title = format!("{} — audit", trail.organization);
                            let nav = crate::components::pager::pager(&trail.entries, &here, &[]);
                            let empty = trail.entries.items.is_empty();
                            view! {
                                <PageHeader
                                    eyebrow="Organization"
                                    title
                                    lead="Everything done in the organization: invitations, members, roles, budgets, keys, settings and the credit it received."
                                >
                                    <a href=back.clone() class="button">
                                        "Back to the organization"
                                    </a>
                                </PageHeader>
                                {if empty {
                                    view! { <p class="muted">"Nothing yet."</p> }.into_any()
                                } else {
                                    audit_table(trail.entries.items).into_any()
                                }}
                                {nav}
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <PageHeader title="Organization audit" />
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A team's audit trail (an organization's or a course's), newest first.
pub(crate) fn audit_table(entries: Vec<crate::api::organizations::OrgAuditEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Audit trail" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Audit trail, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"On"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr>
                                    <td data-label="Time" class="nowrap">
                                        {e.time}
                                    </td>
                                    <td data-label="Who">{e.actor}</td>
                                    <td data-label="What">
                                        <code>{e.action}</code>
                                    </td>
                                    <td data-label="On">{e.target}</td>
                                    <td data-label="Details" class="admin-break">
                                        {e.details}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
