//! Credits as admins manage them: look up a user's account, grant credit
//! (one at a time or from a CSV file) and correct balances, every change
//! audited.
//!
//! Grants are idempotent twice over: the ledger refuses to post the same
//! idempotency key again, and here an advisory lock on the key serialises
//! concurrent submissions, so a double-submitted form is granted and
//! audited exactly once.

pub mod bulk;
pub mod report;
pub mod upload;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::bulk_grant::{self, recipient_kind, BulkRow, RecipientKind};
use crate::domain::credit_grant::ParsedGrant;
use crate::domain::credits::Credits;
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::ledger::{self, Balance, Grant, LedgerError, Memo, Owner};
use crate::server::services::audit::{self, Entry};

/// How far ahead "expiring soon" looks.
const SOON: time::Duration = time::Duration::days(30);

/// The user a credit page is about.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CreditUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
}

/// The user with `email` (ignoring case), if there is one.
#[tracing::instrument(skip(pool))]
pub async fn find_user(pool: &PgPool, email: &str) -> Result<Option<CreditUser>, sqlx::Error> {
    sqlx::query_as("select id, email, display_name from users where lower(email) = lower($1)")
        .bind(email.trim())
        .fetch_optional(pool)
        .await
}

/// A user's credit account and its balances.
#[derive(Debug, Clone)]
pub struct AccountSummary {
    pub account: Uuid,
    pub balance: Balance,
    /// Micro-credits that expire within the next 30 days.
    pub expiring_soon: i64,
    /// `(micro-credits, when)` soonest first (at most 5).
    pub expiring: Vec<(i64, OffsetDateTime)>,
}

/// The balances of `user`'s account (created on first look).
#[tracing::instrument(skip(pool))]
pub async fn summary(pool: &PgPool, user: Uuid) -> Result<AccountSummary, AppError> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    let account = ledger::account_for(&mut conn, Owner::User(user))
        .await
        .map_err(internal)?;
    drop(conn);
    let balance = ledger::balance(pool, account).await.map_err(internal)?;
    let expiring = ledger::expiring(pool, account).await.map_err(internal)?;
    let expiring_soon: i64 = sqlx::query_scalar(
        "select coalesce(sum(remaining), 0)::bigint from credit_lots
         where account_id = $1 and remaining > 0 and expires_at > now() and expires_at <= now() + $2",
    )
    .bind(account)
    .bind(SOON)
    .fetch_one(pool)
    .await
    .map_err(internal)?;
    Ok(AccountSummary {
        account,
        balance,
        expiring_soon,
        expiring,
    })
}

/// Whether a grant moved credit or had been made before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    Now,
    Before,
}

/// A grant an admin asked for.
#[derive(Debug, Clone)]
pub struct GrantRequest<'a> {
    pub user: &'a CreditUser,
    pub grant: &'a ParsedGrant,
    /// The ledger's idempotency key.
    pub key: String,
}

/// Grants credit to one user and audits it (`credits.grant`), in one
/// transaction. A key already used grants nothing and returns
/// [`Granted::Before`].
#[tracing::instrument(skip(pool, actor, request), fields(actor = %actor.user_id, key = %request.key))]
pub async fn grant(
    pool: &PgPool,
    actor: &Caller,
    request: &GrantRequest<'_>,
    addr: Option<IpAddr>,
) -> Result<Granted, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let outcome = grant_in(&mut tx, actor, request, addr).await?;
    tx.commit().await.map_err(internal)?;
    Ok(if outcome.is_some() {
        Granted::Now
    } else {
        Granted::Before
    })
}

/// [`grant`] in the caller's transaction: the ledger transaction's id, or
/// `None` when its key was used before (nothing granted).
pub(crate) async fn grant_in(
    conn: &mut PgConnection,
    actor: &Caller,
    request: &GrantRequest<'_>,
    addr: Option<IpAddr>,
) -> Result<Option<Uuid>, AppError> {
    if key_used(conn, &request.key).await? {
        return Ok(None);
    }
    let account = ledger::account_for(conn, Owner::User(request.user.id))
        .await
        .map_err(internal)?;
    let ParsedGrant {
        amount,
        expires_at,
        reason,
    } = request.grant;
    let grant = Grant {
        account,
        amount: *amount,
        expires_at: *expires_at,
        memo: Memo {
            memo: Some(reason.clone()),
            actor_id: Some(actor.user_id),
            idempotency_key: Some(request.key.clone()),
        },
    };
    let transaction = ledger::grant_with(conn, &grant).await.map_err(internal)?;
    let after = json!({
        "amount_micros": amount.micros(),
        "expires_at": expires_at.map(crate::format::rfc3339),
        "reason": reason,
        "email": request.user.email,
        "transaction_id": transaction,
    });
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "credits.grant",
        target_type: "credit_account",
        target_id: account.to_string(),
        before: None,
        after: Some(after),
        client_addr: addr,
    };
    audit::record(conn, entry).await.map_err(internal)?;
    Ok(Some(transaction))
}

/// Locks `key` for the rest of the transaction and says whether the ledger
/// already holds a transaction with it. Concurrent submissions of the same
/// form wait here for the first one to commit.
pub(crate) async fn key_used(conn: &mut PgConnection, key: &str) -> Result<bool, AppError> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    sqlx::query_scalar(
        "select exists (select 1 from ledger_transactions where idempotency_key = $1)",
    )
    .bind(key)
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)
}

/// A manual adjustment an admin asked for.
#[derive(Debug, Clone)]
pub struct AdjustRequest<'a> {
    pub user: &'a CreditUser,
    /// Signed: positive adds credit, negative takes it back.
    pub amount: Credits,
    pub reason: String,
    pub key: String,
}

/// Adjusts a user's balance and audits it (`credits.adjust`, with the
/// balances before and after). Taking back more than the user has is
/// refused as a field error on `amount`. A key already used changes nothing.
#[tracing::instrument(skip(pool, actor, request), fields(actor = %actor.user_id, key = %request.key))]
pub async fn adjust(
    pool: &PgPool,
    actor: &Caller,
    request: &AdjustRequest<'_>,
    addr: Option<IpAddr>,
) -> Result<Granted, AppError> {
    // One transaction holds the key's lock (so a form sent twice at once is
    // adjusted and audited once), posts the adjustment and writes the audit.
    let mut tx = pool.begin().await.map_err(internal)?;
    if key_used(&mut tx, &request.key).await? {
        return Ok(Granted::Before);
    }
    let before = summary(pool, request.user.id).await?;
    let memo = Memo {
        memo: Some(request.reason.clone()),
        actor_id: Some(actor.user_id),
        idempotency_key: Some(request.key.clone()),
    };
    let transaction = ledger::adjust_with(&mut tx, before.account, request.amount, &memo)
        .await
        .map_err(|e| adjust_error(e, before.balance.available))?;
    let after: ledger::Balance =
        sqlx::query_as("select available, reserved from credit_accounts where id = $1")
            .bind(before.account)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "credits.adjust",
        target_type: "credit_account",
        target_id: before.account.to_string(),
        before: Some(
            json!({ "available_micros": before.balance.available, "reserved_micros": before.balance.reserved }),
        ),
        after: Some(json!({
            "available_micros": after.available,
            "reserved_micros": after.reserved,
            "amount_micros": request.amount.micros(),
            "reason": request.reason,
            "email": request.user.email,
            "transaction_id": transaction,
        })),
        client_addr: addr,
    };
    audit::record(&mut tx, entry).await.map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(Granted::Now)
}

fn adjust_error(error: LedgerError, available: i64) -> AppError {
    match error {
        LedgerError::InsufficientCredits => AppError::field(
            "amount",
            format!(
                "That would take the balance below zero: only {} credits are available.",
                Credits::from_micros(available)
            ),
        ),
        LedgerError::NonPositiveAmount => {
            AppError::field("amount", "Enter an amount other than zero.")
        }
        other => internal(other),
    }
}

/// Where a row of a bulk file stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowStatus {
    /// Valid, and would be granted.
    Ready,
    /// Cannot be granted, and why.
    Invalid(String),
    /// Granted by this run.
    Granted,
    /// Granted by an earlier run of the same file.
    AlreadyGranted,
}

/// A bulk file checked (and perhaps applied), row by row.
#[derive(Debug, Clone)]
pub struct BulkOutcome {
    /// SHA-256 of the CSV text, in hex.
    pub file_hash: String,
    pub rows: Vec<(BulkRow, RowStatus)>,
    /// Micro-credits granted by this run (or, in a preview, that would be).
    pub total_micros: i64,
}

/// The SHA-256 of `text`, in lowercase hex, after normalising what copying
/// and uploading change: line endings become `\n`, and a byte-order mark and
/// surrounding blank space are dropped. The same file pasted or uploaded
/// therefore has the same hash, and the same row keys.
pub fn file_hash(text: &str) -> String {
    let normalised = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    Sha256::digest(normalised.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The idempotency key of row `line` of the file with `hash`.
fn row_key(hash: &str, line: usize) -> String {
    format!("bulk:{hash}:{line}")
}

/// Who a bulk file's rows name: users by lowercased email, organizations
/// by slug.
#[derive(Debug, Default)]
pub struct Recipients {
    pub users: HashMap<String, CreditUser>,
    pub organizations: HashMap<String, super::organizations::OrgRow>,
}

/// Checks every row of a bulk file against the users and organizations,
/// the other rows and earlier runs. Grants nothing. Whole-file problems are
/// a field error on `csv`.
#[tracing::instrument(skip(pool, text))]
pub async fn preview_bulk(
    pool: &PgPool,
    text: &str,
) -> Result<(BulkOutcome, Recipients), AppError> {
    let rows = bulk_grant::parse_bulk(text, OffsetDateTime::now_utc())
        .map_err(|m| AppError::field("csv", m))?;
    let hash = file_hash(text);
    let (emails, slugs): (Vec<String>, Vec<String>) = {
        let (users, orgs): (Vec<&BulkRow>, Vec<&BulkRow>) = rows
            .iter()
            .partition(|r| recipient_kind(&r.email) == RecipientKind::User);
        (
            users.iter().map(|r| r.email.to_lowercase()).collect(),
            orgs.iter().map(|r| r.email.to_lowercase()).collect(),
        )
    };
    let users: Vec<CreditUser> =
        sqlx::query_as("select id, email, display_name from users where lower(email) = any($1)")
            .bind(&emails)
            .fetch_all(pool)
            .await
            .map_err(internal)?;
    let recipients = Recipients {
        users: users
            .into_iter()
            .map(|u| (u.email.to_lowercase(), u))
            .collect(),
        organizations: super::organizations::by_slugs(pool, &slugs)
            .await?
            .into_iter()
            .map(|o| (o.slug.clone(), o))
            .collect(),
    };
    let keys: Vec<String> = rows.iter().map(|r| row_key(&hash, r.line)).collect();
    let used: HashSet<String> = sqlx::query_scalar(
        "select idempotency_key from ledger_transactions where idempotency_key = any($1)",
    )
    .bind(&keys)
    .fetch_all(pool)
    .await
    .map_err(internal)?
    .into_iter()
    .collect();
    let mut seen: HashMap<(String, i64, Option<OffsetDateTime>, String), usize> = HashMap::new();
    let mut total_micros = 0_i64;
    let mut checked = Vec::with_capacity(rows.len());
    for row in rows {
        let unknown = match recipient_kind(&row.email) {
            RecipientKind::User => (!recipients.users.contains_key(&row.email.to_lowercase()))
                .then_some("No user has this email."),
            RecipientKind::Organization => (!recipients
                .organizations
                .contains_key(&row.email.to_lowercase()))
            .then_some("No organization has this slug."),
        };
        let status = match (&row.parsed, unknown) {
            (Err(message), _) => RowStatus::Invalid(message.clone()),
            (Ok(_), Some(message)) => RowStatus::Invalid(message.to_owned()),
            (Ok(grant), None) => {
                let identity = (
                    row.email.to_lowercase(),
                    grant.amount.micros(),
                    grant.expires_at,
                    grant.reason.clone(),
                );
                if let Some(first) = seen.get(&identity) {
                    RowStatus::Invalid(format!("Duplicate of line {first}."))
                } else if used.contains(&row_key(&hash, row.line)) {
                    seen.insert(identity, row.line);
                    RowStatus::AlreadyGranted
                } else {
                    seen.insert(identity, row.line);
                    total_micros = total_micros.saturating_add(grant.amount.micros());
                    RowStatus::Ready
                }
            }
        };
        checked.push((row, status));
    }
    let outcome = BulkOutcome {
        file_hash: hash,
        rows: checked,
        total_micros,
    };
    Ok((outcome, recipients))
}

/// Grants every ready row of `draft`, each in its own transaction with its
/// own `credits.grant` record (an organization's in its own audit trail
/// too), then stores the run with each row's outcome and records it
/// (`credits.bulk_grant`) in one transaction. Row keys come from the file's
/// hash, so applying the same file again (or another upload of it) grants
/// nothing twice. Returns the outcome and the run's id.
#[tracing::instrument(skip(pool, actor, draft), fields(actor = %actor.user_id, draft = %draft.id))]
pub async fn apply_bulk(
    pool: &PgPool,
    actor: &Caller,
    draft: &bulk::Draft,
    addr: Option<IpAddr>,
) -> Result<(BulkOutcome, Uuid), AppError> {
    let (mut outcome, recipients) = preview_bulk(pool, &draft.csv).await?;
    let mut total_micros = 0_i64;
    for (row, status) in &mut outcome.rows {
        let (RowStatus::Ready, Ok(grant)) = (&*status, &row.parsed) else {
            continue;
        };
        let key = row_key(&outcome.file_hash, row.line);
        let granted = if let Some(user) = recipients.users.get(&row.email.to_lowercase()) {
            let request = GrantRequest { user, grant, key };
            self::grant(pool, actor, &request, addr).await? == Granted::Now
        } else if let Some(org) = recipients.organizations.get(&row.email.to_lowercase()) {
            super::organizations::grant_pool(pool, actor, org, grant, &key, addr).await?
        } else {
            continue;
        };
        *status = if granted {
            total_micros = total_micros.saturating_add(grant.amount.micros());
            RowStatus::Granted
        } else {
            RowStatus::AlreadyGranted
        };
    }
    outcome.total_micros = total_micros;
    let mut tx = pool.begin().await.map_err(internal)?;
    let run = bulk::store_run(&mut tx, actor, draft.id, &outcome).await?;
    record_run(&mut tx, actor, &outcome, draft, run, addr).await?;
    tx.commit().await.map_err(internal)?;
    Ok((outcome, run))
}

async fn record_run(
    conn: &mut PgConnection,
    actor: &Caller,
    outcome: &BulkOutcome,
    draft: &bulk::Draft,
    run: Uuid,
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    let count =
        |wanted: fn(&RowStatus) -> bool| outcome.rows.iter().filter(|(_, s)| wanted(s)).count();
    let after = json!({
        "file_hash": outcome.file_hash,
        "file_name": draft.file_name,
        "draft_id": draft.id,
        "run_id": run,
        "rows": outcome.rows.len(),
        "granted": count(|s| *s == RowStatus::Granted),
        "already_granted": count(|s| *s == RowStatus::AlreadyGranted),
        "skipped": count(|s| matches!(s, RowStatus::Invalid(_))),
        "total_micros": outcome.total_micros,
    });
    let entry = Entry {
        actor_id: Some(actor.user_id),
        action: "credits.bulk_grant",
        target_type: "credit_bulk_file",
        target_id: outcome.file_hash.clone(),
        before: None,
        after: Some(after),
        client_addr: addr,
    };
    audit::record(conn, entry).await.map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_name_the_file_and_the_line() {
        let hash = file_hash("email,amount,expiry,reason\n");
        assert_eq!(hash.len(), 64);
        assert_eq!(row_key(&hash, 7), format!("bulk:{hash}:7"));
        assert_ne!(file_hash("a"), file_hash("b"));
        assert_eq!(
            file_hash("email,amount\r\na@b.c,1\r\n"),
            file_hash("\u{feff}email,amount\na@b.c,1"),
            "line endings and a byte-order mark do not make another file"
        );
    }
}

/// A request whose usage its account could not pay for in full.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UncollectedRow {
    pub request_id: Uuid,
    pub created_at: OffsetDateTime,
    pub user_id: Uuid,
    pub email: String,
    pub model: String,
    pub input_tokens: i32,
    pub output_tokens: i32,
    /// The request's price, micro-credits.
    pub credits: i64,
    /// What its account did not have, micro-credits.
    pub uncollected: i64,
}

/// What the Lab served without being paid: the balance of the uncollected
/// ledger account, and one page of the requests it came from, newest first.
pub async fn uncollected(
    pool: &PgPool,
    page: i64,
    per_page: i64,
) -> Result<(i64, Vec<UncollectedRow>, i64), sqlx::Error> {
    let (limit, offset) = crate::domain::paging::limit_offset(page, per_page);
    let (balance, count): (i64, i64) = sqlx::query_as(
        "select coalesce((select available from credit_accounts where owner_kind = 'uncollected'), 0),
                (select count(*) from usage_records where uncollected > 0)",
    )
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query_as(
        "select r.id as request_id, r.created_at, r.user_id, u.email, r.model,
                r.input_tokens, r.output_tokens, r.credits, r.uncollected
         from usage_records r join users u on u.id = r.user_id
         where r.uncollected > 0
         order by r.created_at desc, r.id desc
         limit $1 offset $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok((balance, rows, count))
}
