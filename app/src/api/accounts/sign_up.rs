//! Creating an account.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The sign-up form, as posted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignUpForm {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub account_kind: String,
    #[serde(default)]
    pub organization: String,
    pub country: String,
}

/// Creates an unverified account and emails a verification link, then sends
/// the browser to "check your email".
#[server(endpoint = "sign_up")]
pub async fn sign_up(#[server(flatten)] form: SignUpForm) -> Result<(), AppError> {
    use crate::server::services::accounts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let account = parse(form)?;
        accounts::sign_up(&state.pool, &state.public_url, account).await?;
        crate::server::redirect(crate::href::check_email());
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn parse(form: SignUpForm) -> Result<crate::server::services::accounts::NewAccount, AppError> {
    use crate::domain::{email::Email, password::Password, profile::*};
    use crate::error::FieldErrors;

    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let display_name = errors.check("display_name", DisplayName::parse(&form.display_name));
    let kind = errors.check("account_kind", AccountKind::parse(&form.account_kind));
    let organization =
        kind.and_then(|k| errors.check("organization", Organization::parse(&form.organization, k)));
    let country = errors.check("country", Country::parse(&form.country));
    let local_part = form.email.split('@').next().unwrap_or_default().to_owned();
    let password = errors.check(
        "password",
        Password::parse(form.password, &[&local_part, &form.display_name]),
    );
    errors.finish()?;
    match (email, password, display_name, kind, organization, country) {
        (
            Some(email),
            Some(password),
            Some(display_name),
            Some(kind),
            Some(organization),
            Some(country),
        ) => Ok(crate::server::services::accounts::NewAccount {
            email,
            password,
            display_name,
            kind,
            organization,
            country,
        }),
        _ => Err(AppError::Internal),
    }
}
