//! The profile page: who you are, and changing password or email.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{ChangeEmail, ChangePassword};
use crate::components::form::{action_error, field_error, FormError, Notice, TextField};
use crate::components::guard::RequireUser;
use crate::components::ui::PageHeader;

/// `/profile`.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let query = use_query_map();
    let flag = move |name: &'static str| Signal::derive(move || query.read().get(name).is_some());
    view! {
        <Title text="Profile" />
        <RequireUser children=move |user| {
            view! {
                <section class="container page narrow">
                    <PageHeader title="Your profile" />
                    <Notice
                        show=flag("password_changed")
                        message="Your password is changed. Your other sessions were signed out."
                    />
                    <Notice
                        show=flag("email_sent")
                        message="We sent a confirmation link to the new address. The change takes effect once you open it."
                    />
                    <Notice
                        show=flag("email_verified")
                        message="Your email address is confirmed."
                    />
                    <dl class="facts">
                        <dt>"Name"</dt>
                        <dd>{user.display_name.clone()}</dd>
                        <dt>"Email"</dt>
                        <dd data-testid="profile-email">{user.email.clone()}</dd>
                    </dl>
                    <ChangePasswordForm />
                    <ChangeEmailForm />
                </section>
            }
        } />
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action.value());
    view! {
        <h2>"Change your password"</h2>
        <ActionForm action attr:class="form" attr:novalidate=true>
            <FormError error />
            <TextField
                label="Current password"
                name="current_password"
                kind="password"
                autocomplete="current-password"
                required=true
                error=field_error(error, "current_password")
            />
            <TextField
                label="New password"
                name="new_password"
                kind="password"
                autocomplete="new-password"
                required=true
                minlength=12
                hint="At least 12 characters. Your other sessions will be signed out."
                error=field_error(error, "new_password")
            />
            <button type="submit" class="button button-primary">
                "Change password"
            </button>
        </ActionForm>
    }
}

#[component]
fn ChangeEmailForm() -> impl IntoView {
    let action = ServerAction::<ChangeEmail>::new();
    let error = action_error(action.value());
    view! {
        <h2>"Change your email address"</h2>
        <ActionForm action attr:class="form" attr:novalidate=true>
            <FormError error />
            <TextField
                label="New email"
                name="email"
                kind="email"
                autocomplete="email"
                required=true
                error=field_error(error, "email")
            />
            <TextField
                label="Your password"
                name="password"
                kind="password"
                autocomplete="current-password"
                required=true
                error=field_error(error, "password")
            />
            <button type="submit" class="button">
                "Send a confirmation link"
            </button>
        </ActionForm>
    }
}
