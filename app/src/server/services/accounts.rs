//! Accounts: sign-up, email verification, sign-in, sign-out, password reset
//! and changes of password or email.
//!
//! Nothing here tells an anonymous caller whether an email address has an
//! account: sign-up, resend and reset answer the same either way, and a
//! sign-in with an unknown address costs the same time as a wrong password.

use std::net::IpAddr;

use sqlx::{PgConnection, PgPool};
use time::Duration;
use tower_sessions::Session;
use uuid::Uuid;

use crate::domain::email::Email;
use crate::domain::password::Password;
use crate::domain::profile::{AccountKind, Country, DisplayName, Organization};
use crate::error::AppError;
use crate::href;
use crate::server::auth::{Caller, LOGIN_KEY};
use crate::server::email_tokens::{self, Purpose};
use crate::server::services::outbox::{self, OutgoingEmail};
use crate::server::{emails, internal, password, throttle};
use minijinja::context;

/// Minimum time between two emails of the same kind to one account.
pub const RESEND_COOLDOWN: Duration = Duration::seconds(60);

/// A validated sign-up form.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
    pub kind: AccountKind,
    pub organization: Option<Organization>,
    pub country: Country,
}

/// Creates an unverified account and emails a verification link. If the
/// address already has an account, its owner is told by email instead, and
/// the caller sees the same outcome.
#[tracing::instrument(skip_all)]
pub async fn sign_up(pool: &PgPool, base_url: &str, account: NewAccount) -> Result<(), AppError> {
    let hash = password::hash(account.password).await.map_err(internal)?;
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, organization, country)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict ((lower(email))) do nothing",
    )
    .bind(id)
    .bind(account.email.as_str())
    .bind(&hash)
    .bind(account.display_name.as_str())
    .bind(account.kind.as_str())
    .bind(account.organization.as_ref().map(|o| o.as_str()))
    .bind(account.country.code())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if inserted.rows_affected() == 1 {
        send_verification(&mut tx, base_url, id, account.email.as_str()).await?;
    } else {
        let email = OutgoingEmail {
            recipient: account.email.as_str().to_owned(),
            subject: "You already have a Lab Portal account".to_owned(),
            body_text: emails::render(
                "account_exists.txt",
                context! {
                    sign_in_url => format!("{base_url}{}", href::sign_in()),
                    forgot_password_url => format!("{base_url}{}", href::forgot_password()),
                },
            )?,
            secret_body_text: None,
        };
        outbox::enqueue(&mut tx, &email).await.map_err(internal)?;
    }
    tx.commit().await.map_err(internal)
}

/// The emailed link to `path` carrying `token`.
fn link(base_url: &str, path: &str, token: &str) -> String {
    format!("{base_url}{}", href::with_query(path, &[("token", token)]))
}

async fn send_verification(
    conn: &mut PgConnection,
    base_url: &str,
    user_id: Uuid,
    email: &str,
) -> Result<(), AppError> {
    let token = email_tokens::issue(conn, user_id, Purpose::VerifyEmail, email)
        .await
        .map_err(internal)?;
    let (kept, sent) = emails::render_with_link(
        "verify_email.txt",
        &link(base_url, href::verify_email(), token.expose()),
    )?;
    let message = OutgoingEmail {
        recipient: email.to_owned(),
        subject: "Verify your email for Lab Portal".to_owned(),
        body_text: kept,
        secret_body_text: Some(sent),
    };
    outbox::enqueue(conn, &message).await.map_err(internal)?;
    Ok(())
}

/// Confirms an email address from a verification link. For a changed
/// address, the new address becomes the account's.
#[tracing::instrument(skip_all)]
pub async fn verify_email(pool: &PgPool, token: &str) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let used = email_tokens::consume(&mut tx, token, Purpose::VerifyEmail).await?;
    let updated = sqlx::query(
        "update users set email = $2, email_verified_at = coalesce(email_verified_at, now())
         where id = $1 and status = 'active'",
    )
    .bind(used.user_id)
    .bind(&used.email)
    .execute(&mut *tx)
    .await;
    match updated {
        Ok(r) if r.rows_affected() == 1 => {}
        Ok(_) => return Err(AppError::Refused("This account is suspended.".to_owned())),
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(
                "That email address now belongs to another account.".to_owned(),
            ))
        }
        Err(e) => return Err(internal(e)),
    }
    tx.commit().await.map_err(internal)
}

/// The active account at `email` (still unverified, for a verification
/// link) when it may be sent another `purpose` email: at most one a minute.
async fn due_recipient(
    conn: &mut PgConnection,
    email: &Email,
    purpose: Purpose,
) -> Result<Option<(Uuid, String)>, AppError> {
    let user: Option<(Uuid, String)> = sqlx::query_as(
        "select id, email from users where lower(email) = lower($1) and status = 'active'
           and ($2 or email_verified_at is null)",
    )
    .bind(email.as_str())
    .bind(purpose != Purpose::VerifyEmail)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    let Some((id, address)) = user else {
        return Ok(None);
    };
    let wait = email_tokens::cooldown_remaining(conn, id, purpose, RESEND_COOLDOWN)
        .await
        .map_err(internal)?;
    Ok((wait == 0).then_some((id, address)))
}

/// Sends a fresh verification link to an unverified account, at most once a
/// minute. Answers the same whether or not the account exists.
#[tracing::instrument(skip_all)]
pub async fn resend_verification(
    pool: &PgPool,
    base_url: &str,
    email: &Email,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    if let Some((id, address)) = due_recipient(&mut tx, email, Purpose::VerifyEmail).await? {
        send_verification(&mut tx, base_url, id, &address).await?;
    }
    tx.commit().await.map_err(internal)
}

#[derive(sqlx::FromRow)]
struct Credentials {
    id: Uuid,
    password_hash: String,
    status: String,
    verified: bool,
}

/// Checks an email and password, throttling failures per account and per
/// address, and starts a login on `session` (with a new session id).
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    pool: &PgPool,
    session: &Session,
    email: &str,
    password_attempt: String,
    addr: Option<IpAddr>,
    user_agent: Option<&str>,
) -> Result<Uuid, AppError> {
    let normalized = email.trim().to_lowercase();
    let account_key = throttle::account_key(&normalized);
    let address_key = addr.map(|a| throttle::address_key(&a.to_string()));
    let keys: Vec<String> = std::iter::once(account_key.clone())
        .chain(address_key.clone())
        .collect();
    throttle::check(pool, &keys).await?;

    let found: Option<Credentials> = sqlx::query_as(
        "select id, password_hash, status, email_verified_at is not null as verified from users where lower(email) = $1",
    )
    .bind(&normalized)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let matches = password::verify(password_attempt, stored)
        .await
        .map_err(internal)?;
    let Some(user) = found.filter(|_| matches) else {
        throttle::record_failure(pool, &account_key, throttle::ACCOUNT_THRESHOLD)
            .await
            .map_err(internal)?;
        if let Some(key) = &address_key {
            throttle::record_failure(pool, key, throttle::ADDRESS_THRESHOLD)
                .await
                .map_err(internal)?;
        }
        return Err(AppError::BadCredentials);
    };
    throttle::clear(pool, &account_key)
        .await
        .map_err(internal)?;
    if user.status != "active" {
        return Err(AppError::Refused(
            "This account is suspended. Contact the Lab's staff if you think this is a mistake."
                .to_owned(),
        ));
    }
    if !user.verified {
        return Err(AppError::Refused(
            "Please verify your email address first: open the link we emailed you, or ask for a new one.".to_owned(),
        ));
    }
    start_login(pool, session, user.id, addr, user_agent).await?;
    Ok(user.id)
}

async fn start_login(
    pool: &PgPool,
    session: &Session,
    user_id: Uuid,
    addr: Option<IpAddr>,
    user_agent: Option<&str>,
) -> Result<(), AppError> {
    let login_id = Uuid::now_v7();
    sqlx::query("insert into logins (id, user_id, client_addr, user_agent) values ($1, $2, $3::text::inet, $4)")
        .bind(login_id)
        .bind(user_id)
        .bind(addr.map(|a| a.to_string()))
        .bind(user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
        .execute(pool)
        .await
        .map_err(internal)?;
    // A new session id at sign-in defeats session fixation.
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(LOGIN_KEY, login_id)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Ends the caller's login and forgets the session.
pub async fn sign_out(
    pool: &PgPool,
    session: &Session,
    caller: Option<&Caller>,
) -> Result<(), AppError> {
    if let Some(caller) = caller {
        sqlx::query("update logins set ended_at = now() where id = $1 and ended_at is null")
            .bind(caller.login_id)
            .execute(pool)
            .await
            .map_err(internal)?;
    }
    session.flush().await.map_err(internal)
}

/// Emails a password-reset link if the address has an active account.
/// Answers the same either way.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(
    pool: &PgPool,
    base_url: &str,
    email: &Email,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    if let Some((id, address)) = due_recipient(&mut tx, email, Purpose::ResetPassword).await? {
        let token = email_tokens::issue(&mut tx, id, Purpose::ResetPassword, &address)
            .await
            .map_err(internal)?;
        let (kept, sent) = emails::render_with_link(
            "reset_password.txt",
            &link(base_url, href::reset_password(), token.expose()),
        )?;
        let message = OutgoingEmail {
            recipient: address,
            subject: "Reset your Lab Portal password".to_owned(),
            body_text: kept,
            secret_body_text: Some(sent),
        };
        outbox::enqueue(&mut tx, &message).await.map_err(internal)?;
    }
    tx.commit().await.map_err(internal)
}

/// Sets a new password from a reset link and ends every login of the account.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    pool: &PgPool,
    token: &str,
    new_password: Password,
) -> Result<(), AppError> {
    let hash = password::hash(new_password).await.map_err(internal)?;
    let mut tx = pool.begin().await.map_err(internal)?;
    let used = email_tokens::consume(&mut tx, token, Purpose::ResetPassword).await?;
    // The link reached this inbox, which proves control of the address.
    sqlx::query(
        "update users set password_hash = $2,
                email_verified_at = case when lower(email) = lower($3) then coalesce(email_verified_at, now()) else email_verified_at end
         where id = $1",
    )
    .bind(used.user_id)
    .bind(&hash)
    .bind(&used.email)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    end_logins(&mut tx, used.user_id, None).await?;
    tx.commit().await.map_err(internal)
}

/// Changes the caller's password after checking the current one; every
/// other login of the account ends.
#[tracing::instrument(skip_all)]
pub async fn change_password(
    pool: &PgPool,
    caller: &Caller,
    current: String,
    new_password: Password,
) -> Result<(), AppError> {
    check_password(pool, caller, current, "current_password").await?;
    let hash = password::hash(new_password).await.map_err(internal)?;
    let mut tx = pool.begin().await.map_err(internal)?;
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(caller.user_id)
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    end_logins(&mut tx, caller.user_id, Some(caller.login_id)).await?;
    tx.commit().await.map_err(internal)
}

/// Starts a change of email: the new address gets a verification link and
/// becomes the account's once it is opened (or, when another account has
/// it, a word for its owner); the old address is told either way.
#[tracing::instrument(skip_all)]
pub async fn change_email(
    pool: &PgPool,
    base_url: &str,
    caller: &Caller,
    new_email: &Email,
    password_attempt: String,
) -> Result<(), AppError> {
    check_password(pool, caller, password_attempt, "password").await?;
    if new_email.normalized() == caller.email.to_lowercase() {
        return Err(AppError::field(
            "email",
            "That is already your email address.",
        ));
    }
    let mut tx = pool.begin().await.map_err(internal)?;
    let taken: bool =
        sqlx::query_scalar("select exists (select 1 from users where lower(email) = lower($1))")
            .bind(new_email.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
    // The caller hears the same whoever owns the address (else this would
    // tell who has an account); an address that is taken gets a word for
    // its owner instead of a link that could never work.
    if taken {
        let owner_notice = OutgoingEmail {
            recipient: new_email.as_str().to_owned(),
            subject: "Someone asked to use your address on Lab Portal".to_owned(),
            body_text: emails::render(
                "email_already_yours.txt",
                context! { profile_url => format!("{base_url}{}", href::profile()) },
            )?,
            secret_body_text: None,
        };
        outbox::enqueue(&mut tx, &owner_notice)
            .await
            .map_err(internal)?;
    } else {
        send_verification(&mut tx, base_url, caller.user_id, new_email.as_str()).await?;
    }
    let notice = OutgoingEmail {
        recipient: caller.email.clone(),
        subject: "Your Lab Portal email address is changing".to_owned(),
        body_text: emails::render(
            "email_changing.txt",
            context! {
                new_email => new_email.as_str(),
                profile_url => format!("{base_url}{}", href::profile()),
            },
        )?,
        secret_body_text: None,
    };
    outbox::enqueue(&mut tx, &notice).await.map_err(internal)?;
    tx.commit().await.map_err(internal)
}

/// Checks the signed-in caller's password before a change that needs it,
/// throttled as sign-in is (the same count per account): a stolen session
/// must not become unlimited guesses at the password.
async fn check_password(
    pool: &PgPool,
    caller: &Caller,
    attempt: String,
    field: &str,
) -> Result<(), AppError> {
    let key = throttle::account_key(&caller.email.trim().to_lowercase());
    throttle::check(pool, std::slice::from_ref(&key)).await?;
    let stored: Option<String> =
        sqlx::query_scalar("select password_hash from users where id = $1")
            .bind(caller.user_id)
            .fetch_optional(pool)
            .await
            .map_err(internal)?;
    if password::verify(attempt, stored).await.map_err(internal)? {
        throttle::clear(pool, &key).await.map_err(internal)?;
        Ok(())
    } else {
        throttle::record_failure(pool, &key, throttle::ACCOUNT_THRESHOLD)
            .await
            .map_err(internal)?;
        Err(AppError::field(field, "That password is not correct."))
    }
}

/// Ends the logins of `user_id`, except `keep`.
pub async fn end_logins(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, AppError> {
    let ended = sqlx::query("update logins set ended_at = now() where user_id = $1 and ended_at is null and id is distinct from $2")
        .bind(user_id)
        .bind(keep)
        .execute(conn)
        .await
        .map_err(internal)?;
    Ok(ended.rows_affected())
}

/// Whether `error` is a unique-constraint violation.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}
