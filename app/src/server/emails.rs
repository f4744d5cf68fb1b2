//! The bodies of the emails the portal sends, as minijinja templates
//! (`app/templates/email/*.txt`, compiled in), rendered by one
//! [`Environment`]. Plain text: nothing is HTML-escaped.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;

use crate::error::AppError;

/// Every template, by name.
const TEMPLATES: [(&str, &str); 10] = [
    (
        "account_exists.txt",
        include_str!("../../templates/email/account_exists.txt"),
    ),
    (
        "verify_email.txt",
        include_str!("../../templates/email/verify_email.txt"),
    ),
    (
        "reset_password.txt",
        include_str!("../../templates/email/reset_password.txt"),
    ),
    (
        "email_changing.txt",
        include_str!("../../templates/email/email_changing.txt"),
    ),
    (
        "email_already_yours.txt",
        include_str!("../../templates/email/email_already_yours.txt"),
    ),
    (
        "application_decision.txt",
        include_str!("../../templates/email/application_decision.txt"),
    ),
    (
        "dataset_access_decision.txt",
        include_str!("../../templates/email/dataset_access_decision.txt"),
    ),
    (
        "organization_invitation.txt",
        include_str!("../../templates/email/organization_invitation.txt"),
    ),
    (
        "notification.txt",
        include_str!("../../templates/email/notification.txt"),
    ),
    (
        "support_staff.txt",
        include_str!("../../templates/email/support_staff.txt"),
    ),
];

/// The environment holding every template; one that does not compile is
/// logged and missing, so rendering it fails (and a test catches it).
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(error) = environment.add_template(name, source) {
            tracing::error!(%error, name, "an email template does not compile");
        }
    }
    environment
});

/// The body of the email `name` (`verify_email.txt`, …) for `context`.
pub fn render(name: &str, context: impl Serialize) -> Result<String, AppError> {
    ENVIRONMENT
        .get_template(name)
        .and_then(|template| template.render(context))
        .map_err(crate::server::internal)
}

/// What a template with a single-use `link` says in place of the link in
/// the copy that is kept.
pub const LINK_NOT_KEPT: &str = "(the link went to the recipient alone and is not kept here)";

/// Renders template `name` twice: with `link` (what is sent) and with
/// [`LINK_NOT_KEPT`] in its place (what is kept, shown and logged).
pub fn render_with_link(name: &str, link: &str) -> Result<(String, String), AppError> {
    let sent = render(name, minijinja::context! { link => link })?;
    let kept = render(name, minijinja::context! { link => LINK_NOT_KEPT })?;
    Ok((kept, sent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(ENVIRONMENT.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn an_approval_names_the_credits_and_the_note_only_when_there_are_some() {
        let render = |credits: Option<&str>, note: Option<&str>| {
            render(
                "application_decision.txt",
                context! { name => "Ada", approved => true, credits, note,
                dashboard_url => "https://lab.example/dashboard" },
            )
            .expect("rendered")
        };
        assert_eq!(
            render(Some("100"), Some("Welcome")),
            "Hello Ada,\n\nYour Lab Portal application is approved.\n\n100 starter credits are \
             now in your account.\n\nNote from the Lab: Welcome\n\nYour dashboard: \
             https://lab.example/dashboard"
        );
        assert_eq!(
            render(None, None),
            "Hello Ada,\n\nYour Lab Portal application is approved.\n\nYour dashboard: \
             https://lab.example/dashboard"
        );
    }

    #[test]
    fn a_rejection_gives_the_reason_and_text_is_never_escaped() {
        let body = render(
            "application_decision.txt",
            context! { name => "<Ada & Co>", approved => false, credits => None::<String>,
            note => Some("Too vague"), dashboard_url => "https://lab.example/dashboard" },
        )
        .expect("rendered");
        assert_eq!(
            body,
            "Hello <Ada & Co>,\n\nWe could not approve your Lab Portal application.\n\nReason: \
             Too vague\n\nYou can send a new application from your dashboard: \
             https://lab.example/dashboard"
        );
    }
}
