//! Sign-up, sign-in, email verification and password reset pages. Every
//! form posts to a server function and works without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{
    ForgotPassword, ResendVerification, ResetPassword, SignIn, SignUp, VerifyEmail,
};
use crate::components::form::{
    action_error, field_error, kept_fields, FormError, Notice, SelectField, TextField,
};
use crate::components::ui::PageHeader;
use crate::domain::profile::{AccountKind, COUNTRIES};
use crate::href;

fn query_flag(name: &'static str) -> Signal<bool> {
    let query = use_query_map();
    Signal::derive(move || query.read().get(name).is_some_and(|v| v == "1"))
}

fn query_value(name: &'static str) -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get(name).unwrap_or_default())
}

/// Create a new account.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action.value());
    let kept = kept_fields(SignUp::PATH);
    let kinds = AccountKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    let countries = COUNTRIES
        .iter()
        .map(|(code, name)| ((*code).to_owned(), (*name).to_owned()))
        .collect();
    view! {
        <Title text="Sign up" />
        <section class="container page narrow">
            <PageHeader
                title="Create your account"
                lead="Verify your email, tell us what you want to build, and once approved you receive starter credits."
            />
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextField
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    value=kept.get("email").unwrap_or_default()
                    error=field_error(error, "email")
                />
                <TextField
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    minlength=12
                    hint="At least 12 characters. A few unrelated words make a strong, memorable password."
                    error=field_error(error, "password")
                />
                <TextField
                    label="Your name"
                    name="display_name"
                    autocomplete="name"
                    required=true
                    maxlength=80
                    value=kept.get("display_name").unwrap_or_default()
                    error=field_error(error, "display_name")
                />
                <SelectField
                    label="You are"
                    name="account_kind"
                    options=kinds
                    placeholder="Choose one"
                    required=true
                    selected=kept.get("account_kind").unwrap_or_default()
                    error=field_error(error, "account_kind")
                />
                <TextField
                    label="Organization or university"
                    name="organization"
                    autocomplete="organization"
                    maxlength=120
                    value=kept.get("organization").unwrap_or_default()
                    hint="Required for businesses and for students or academics."
                    error=field_error(error, "organization")
                />
                <SelectField
                    label="Country"
                    name="country"
                    options=countries
                    placeholder="Choose your country"
                    required=true
                    selected=kept.get("country").unwrap_or_default()
                    error=field_error(error, "country")
                />
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || action.pending().get()
                >
                    {move || {
                        if action.pending().get() {
                            "Creating your account…"
                        } else {
                            "Create account"
                        }
                    }}
                </button>
            </ActionForm>
            <p>"Already have an account? " <A href=href::sign_in()>"Sign in"</A></p>
        </section>
    }
}

/// After sign-up: where the verification link went, and how to get another.
#[component]
pub fn CheckEmailPage() -> impl IntoView {
    let action = ServerAction::<ResendVerification>::new();
    let error = action_error(action.value());
    view! {
        <Title text="Check your email" />
        <section class="container page narrow">
            <PageHeader title="Check your email" />
            <Notice
                show=query_flag("resent")
                message="If that address has an unverified account, a new link is on its way."
            />
            <p>
                "We sent a verification link to the address you gave. Open it to confirm your email, then sign in. The link works once and expires after 24 hours."
            </p>
            <h2>"No email?"</h2>
            <p>"Check your spam folder, or ask for a new link (one per minute):"</p>
            <ActionForm action attr:class="form inline-form">
                <FormError error />
                <TextField
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    error=field_error(error, "email")
                />
                <button type="submit" class="button">
                    "Send a new link"
                </button>
            </ActionForm>
        </section>
    }
}

/// Sign in to an existing account.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action.value());
    let next = query_value("next");
    let email = kept_fields(SignIn::PATH).get("email").unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <section class="container page narrow">
            <PageHeader title="Sign in" />
            <Notice
                show=query_flag("verified")
                message="Your email address is confirmed. You can sign in now."
            />
            <Notice
                show=query_flag("reset")
                message="Your password is changed. Sign in with the new one."
            />
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="next" value=next />
                <TextField
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    value=email
                    error=field_error(error, "email")
                />
                <TextField
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=field_error(error, "password")
                />
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || action.pending().get()
                >
                    "Sign in"
                </button>
            </ActionForm>
            <p>
                <A href=href::forgot_password()>"Forgot your password?"</A>
                " · New here? "
                <A href=href::sign_up()>"Create an account"</A>
            </p>
        </section>
    }
}

/// Confirms an email address: the link lands here and one button press uses it.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let error = action_error(action.value());
    let token = query_value("token");
    view! {
        <Title text="Confirm your email" />
        <section class="container page narrow">
            <PageHeader title="Confirm your email address" />
            <Show
                when=move || !token.get().is_empty()
                fallback=|| {
                    view! {
                        <p class="form-error">
                            "This link is incomplete. Open the link from the email again, or ask for a new one."
                        </p>
                    }
                }
            >
                <p>"One more step: confirm that this address is yours."</p>
                <ActionForm action attr:class="form">
                    <FormError error />
                    <input type="hidden" name="token" value=token />
                    <button type="submit" class="button button-primary">
                        "Confirm my email"
                    </button>
                </ActionForm>
            </Show>
            <p>
                <A href=href::check_email()>"Need a new link?"</A>
            </p>
        </section>
    }
}

/// Ask for a password-reset link.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = action_error(action.value());
    view! {
        <Title text="Forgot password" />
        <section class="container page narrow">
            <PageHeader title="Reset your password" />
            <Notice
                show=query_flag("sent")
                message="If that address has an account, we sent it a link to choose a new password. It is valid for one hour."
            />
            <p>
                "Enter your account's email address and we will send you a link to choose a new password."
            </p>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextField
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    error=field_error(error, "email")
                />
                <button type="submit" class="button button-primary">
                    "Send the link"
                </button>
            </ActionForm>
        </section>
    }
}

/// Choose a new password from a reset link.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action.value());
    let token = query_value("token");
    view! {
        <Title text="Choose a new password" />
        <section class="container page narrow">
            <PageHeader title="Choose a new password" />
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="token" value=token />
                <TextField
                    label="New password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    minlength=12
                    hint="At least 12 characters. You will be signed out everywhere else."
                    error=field_error(error, "password")
                />
                <button type="submit" class="button button-primary">
                    "Set the new password"
                </button>
            </ActionForm>
        </section>
    }
}
