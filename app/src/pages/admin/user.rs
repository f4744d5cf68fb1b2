//! `/admin/users/:id`: one user's profile, sessions and applications, and
//! the actions on them: change role, suspend, reactivate.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::users::{role_tag, status_tag};
use super::{admin_frame, done_flag, load_error};
use crate::api::admin::{
    get_user, AdminApplication, ChangeRole, LoginView, ReactivateUser, SuspendUser, UserDetail,
};
use crate::components::form::{action_error, field_error, FormError, Notice, SelectField};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::domain::role::{ApplicationStatus, PlatformRole, UserStatus};
use crate::error::AppError;
use crate::href;

/// `/admin/users/:id`.
#[component]
pub fn AdminUserPage() -> impl IntoView {
    admin_frame("User", || view! { <UserView /> })
}

/// The actions of the page, created once so their results (and errors
/// brought back in the URL without JavaScript) survive re-fetches.
#[derive(Clone, Copy)]
struct Actions {
    role: ServerAction<ChangeRole>,
    suspend: ServerAction<SuspendUser>,
    reactivate: ServerAction<ReactivateUser>,
}

#[component]
fn UserView() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let actions = Actions {
        role: ServerAction::new(),
        suspend: ServerAction::new(),
        reactivate: ServerAction::new(),
    };
    let user = Resource::new(
        move || {
            (
                id.get(),
                actions.role.version().get(),
                actions.suspend.version().get(),
                actions.reactivate.version().get(),
            )
        },
        |(id, ..)| get_user(id),
    );
    view! {
        <p>
            <a href=href::admin_users()>"← All users"</a>
        </p>
        <Notice show=done_flag("role") message="The role is changed." />
        <Notice
            show=done_flag("suspended")
            message="The user is suspended and signed out everywhere."
        />
        <Notice show=done_flag("reactivated") message="The user is active again and can sign in." />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(u) => detail(u, actions).into_any(),
                    Err(e @ AppError::NotFound(_)) => {
                        super::error_status(&e);
                        view! {
                            <PageHeader title="User not found" />
                            <p>
                                "There is no user with this address. "
                                <a href=href::admin_users()>"Search the users."</a>
                            </p>
                        }
                            .into_any()
                    }
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn detail(user: UserDetail, actions: Actions) -> impl IntoView {
    let UserDetail {
        logins,
        applications,
        ..
    } = user.clone();
    view! {
        <PageHeader title=user.display_name.clone() />
        <div class="admin-columns">
            <section aria-labelledby="profile-heading">
                <h2 id="profile-heading">"Profile"</h2>
                {profile(&user)}
            </section>
            <section aria-labelledby="actions-heading" class="admin-actions">
                <h2 id="actions-heading">"Actions"</h2>
                <p>
                    <a href=href::with_query(
                        href::admin_credits(),
                        &[("email", user.email.as_str())],
                    )>"Credits"</a>
                    " — balance, history, grants and adjustments."
                </p>
                {user_actions(&user, actions)}
            </section>
        </div>
        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            {sessions(logins)}
        </section>
        <section aria-labelledby="applications-heading">
            <h2 id="applications-heading">"Applications"</h2>
            {user_applications(applications)}
        </section>
    }
}

fn profile(user: &UserDetail) -> impl IntoView {
    view! {
        <dl class="admin-facts">
            <dt>"Name"</dt>
            <dd>{user.display_name.clone()}</dd>
            <dt>"Email"</dt>
            <dd class="admin-break">{user.email.clone()}</dd>
            <dt>"Kind"</dt>
            <dd>{user.kind.clone()}</dd>
            <dt>"Organization"</dt>
            <dd>{user.organization.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Country"</dt>
            <dd>{user.country.clone()}</dd>
            <dt>"Role"</dt>
            <dd>{role_tag(user.role)}</dd>
            <dt>"Status"</dt>
            <dd>{status_tag(user.status)}</dd>
            <dt>"Verified"</dt>
            <dd>{user.verified_at.clone().unwrap_or_else(|| "Not verified".to_owned())}</dd>
            <dt>"Created"</dt>
            <dd>{user.created.clone()}</dd>
        </dl>
    }
}

fn user_actions(user: &UserDetail, actions: Actions) -> impl IntoView {
    if user.is_self {
        return view! {
            <p class="muted">
                "This is your own account. Another administrator has to change its role or status."
            </p>
        }
        .into_any();
    }
    let id = user.id.to_string();
    view! {
        {role_form(id.clone(), user.role, actions.role)}
        {match user.status {
            UserStatus::Active => suspend_form(id, actions.suspend).into_any(),
            UserStatus::Suspended => reactivate_form(id, actions.reactivate).into_any(),
        }}
    }
    .into_any()
}

fn role_form(id: String, role: PlatformRole, action: ServerAction<ChangeRole>) -> impl IntoView {
    let error = action_error(action.value());
    let roles = PlatformRole::ALL
        .iter()
        .map(|r| (r.as_str().to_owned(), r.label().to_owned()))
        .collect();
    view! {
        <ActionForm action attr:class="form admin-action-form">
            <FormError error />
            <input type="hidden" name="user_id" value=id />
            <SelectField
                label="Role"
                name="role"
                options=roles
                selected=role.as_str()
                required=true
                error=field_error(error, "role")
            />
            <button type="submit" class="button" disabled=move || action.pending().get()>
                "Change role"
            </button>
        </ActionForm>
    }
}

fn suspend_form(id: String, action: ServerAction<SuspendUser>) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <ActionForm action attr:class="form admin-action-form">
            <FormError error />
            <input type="hidden" name="user_id" value=id />
            <p class="field-hint" id="suspend-hint">
                "A suspended user cannot sign in, and every session they have ends at once."
            </p>
            <button
                type="submit"
                class="button admin-danger"
                aria-describedby="suspend-hint"
                disabled=move || action.pending().get()
            >
                "Suspend user"
            </button>
        </ActionForm>
    }
}

fn reactivate_form(id: String, action: ServerAction<ReactivateUser>) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <ActionForm action attr:class="form admin-action-form">
            <FormError error />
            <input type="hidden" name="user_id" value=id />
            <p class="field-hint">"The user can sign in again."</p>
            <button type="submit" class="button" disabled=move || action.pending().get()>
                "Reactivate user"
            </button>
        </ActionForm>
    }
}

fn sessions(logins: Vec<LoginView>) -> impl IntoView {
    if logins.is_empty() {
        return view! { <p class="muted">"This user has never signed in."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Sessions, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Last seen"</th>
                        <th scope="col">"Client address"</th>
                        <th scope="col">"Browser"</th>
                        <th scope="col">"State"</th>
                    </tr>
                </thead>
                <tbody>
                    {logins
                        .into_iter()
                        .map(|l| {
                            view! {
                                <tr>
                                    <td data-label="Started" class="admin-nowrap">
                                        {l.created}
                                    </td>
                                    <td data-label="Last seen" class="admin-nowrap">
                                        {l.last_seen}
                                    </td>
                                    <td data-label="Client address">
                                        {l.client_addr.unwrap_or_else(|| "—".to_owned())}
                                    </td>
                                    <td data-label="Browser" class="admin-break">
                                        {l.user_agent.unwrap_or_else(|| "—".to_owned())}
                                    </td>
                                    <td data-label="State">
                                        {match l.ended {
                                            Some(at) => {
                                                view! {
                                                    <div>
                                                        <Badge tone=Tone::Neutral text="Ended" />
                                                        " "
                                                        <span class="admin-nowrap">{at}</span>
                                                    </div>
                                                }
                                                    .into_any()
                                            }
                                            None => {
                                                view! { <Badge tone=Tone::Good text="Active" /> }.into_any()
                                            }
                                        }}
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

fn user_applications(applications: Vec<AdminApplication>) -> impl IntoView {
    if applications.is_empty() {
        return view! { <p class="muted">"No applications."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Applications, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Submitted"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Industry"</th>
                        <th scope="col">"Stage"</th>
                        <th scope="col">"What they build"</th>
                        <th scope="col">"Decision note"</th>
                    </tr>
                </thead>
                <tbody>
                    {applications
                        .into_iter()
                        .map(|a| {
                            let pending = a.status == ApplicationStatus::Pending;
                            view! {
                                <tr>
                                    <td data-label="Submitted" class="admin-nowrap">
                                        {a.submitted}
                                    </td>
                                    <td data-label="Status">
                                        <div>
                                            {application_tag(a.status)}
                                            {pending
                                                .then(|| {
                                                    view! {
                                                        " "
                                                        <a href=href::admin_applications()>"Review"</a>
                                                    }
                                                })}
                                        </div>
                                    </td>
                                    <td data-label="Industry">{a.industry}</td>
                                    <td data-label="Stage">{a.expected_usage}</td>
                                    <td data-label="What they build" class="admin-prose">
                                        {a.building}
                                    </td>
                                    <td data-label="Decision note" class="admin-prose">
                                        {a.decision_note.unwrap_or_else(|| "—".to_owned())}
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

/// An application status, as a badge.
pub(super) fn application_tag(status: ApplicationStatus) -> impl IntoView {
    let tone = match status {
        ApplicationStatus::Pending => Tone::Warning,
        ApplicationStatus::Approved => Tone::Good,
        ApplicationStatus::Rejected => Tone::Bad,
    };
    view! { <Badge tone text=status.label() /> }
}
