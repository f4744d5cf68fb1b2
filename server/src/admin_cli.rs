//! `lab-portal create-admin`: the first admin, from the command line.

use std::io::{IsTerminal, Read};

use anyhow::{anyhow, Context};
use app::domain::email::Email;
use app::domain::password::Password;
use app::domain::profile::{Country, DisplayName};
use app::server::services::users::{self, AdminOutcome};

use crate::config::Settings;
use crate::startup::Database;

/// Creates or promotes the admin with `email`.
pub async fn create_admin(
    settings: &Settings,
    email: &str,
    name: &str,
    country: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|m| anyhow!("--email: {m}"))?;
    let name = DisplayName::parse(name).map_err(|m| anyhow!("--name: {m}"))?;
    let country = Country::parse(country).map_err(|m| anyhow!("--country: {m}"))?;
    let db = Database::open(settings).await?;
    let local_part = email.local_part().to_owned();
    let outcome = users::create_or_promote(&db.pool, &email, &name, country, || {
        let raw = read_password()?;
        Password::parse(raw, &[&local_part, name.as_str()]).map_err(|m| anyhow!("password: {m}"))
    })
    .await;
    // Stop the embedded database whatever happened.
    db.close().await?;
    match outcome? {
        AdminOutcome::Created(id) => {
            eprintln!("Created admin {email} ({id}). They can sign in now.")
        }
        AdminOutcome::Promoted(id) => {
            eprintln!("Promoted {email} ({id}) to admin; their password is unchanged.")
        }
        AdminOutcome::AlreadyAdmin(id) => {
            eprintln!("{email} ({id}) is already an admin; nothing changed.")
        }
    }
    Ok(())
}

/// The new admin's password: from `LAB_PORTAL_ADMIN_PASSWORD`, a pipe on
/// standard input, or an interactive prompt (never a command-line argument,
/// which other users of the machine can see).
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("LAB_PORTAL_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut input = String::new();
        stdin
            .lock()
            .read_to_string(&mut input)
            .context("reading the password from standard input")?;
        return Ok(input.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first =
        rpassword::prompt_password("New admin password: ").context("reading the password")?;
    let second = rpassword::prompt_password("Repeat it: ").context("reading the password")?;
    if first != second {
        return Err(anyhow!("the two passwords differ"));
    }
    Ok(first)
}
