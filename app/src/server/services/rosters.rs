//! Roster files uploaded to a course: our CSV (email, name, student id) or
//! a OneRoster 1.1 CSV bundle (its `.zip`, or its `users.csv` alone), read
//! as our CSV and kept as a draft for its preview page until the
//! coordinator invites it ([`super::cohorts::apply_roster`]).

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::oneroster::{is_users_csv, OneRoster};
use crate::server::upload::Part;

/// The most a roster file may weigh (a OneRoster bundle of a whole school
/// is larger than one course's CSV).
pub const MAX_ROSTER_BYTES: usize = 2 * 1024 * 1024;

/// Which format a roster came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    OneRoster,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::OneRoster => "oneroster",
        }
    }
}

/// A roster read from the upload form, as our CSV.
#[derive(Debug, Clone)]
pub struct Upload {
    pub roster: String,
    pub format: Format,
    pub file_name: Option<String>,
    /// The form field it came from (for errors).
    pub field: &'static str,
}

/// Reads the roster form's fields: a `file` (our CSV, a OneRoster `.zip`
/// or `users.csv`) or text pasted in `roster`, exactly one; `class` picks
/// the class of a OneRoster bundle listing several. Problems are field
/// errors on the field concerned.
pub fn read_upload(fields: Vec<(String, Part)>) -> Result<Upload, AppError> {
    let mut file = None;
    let mut pasted = None;
    let mut class = String::new();
    for (name, part) in fields {
        match name.as_str() {
            // A form without a chosen file sends an empty part.
            "file"
                if !part.bytes.is_empty()
                    || part.too_large
                    || part.file_name.as_deref().is_some_and(|n| !n.is_empty()) =>
            {
                file = Some(part);
            }
            "roster"
                if part.too_large || !String::from_utf8_lossy(&part.bytes).trim().is_empty() =>
            {
                pasted = Some(part);
            }
            "class" => class = String::from_utf8_lossy(&part.bytes).trim().to_owned(),
            _ => {}
        }
    }
    let (field, part) = match (file, pasted) {
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "file",
                "Choose a file or paste the roster, not both.",
            ))
        }
        (None, None) => {
            return Err(AppError::field(
                "file",
                "Choose a roster file, or paste its text below.",
            ))
        }
        (Some(part), None) => ("file", part),
        (None, Some(part)) => ("roster", part),
    };
    let fail = |message: String| AppError::field(field, message);
    if part.too_large {
        return Err(fail(format!(
            "The file is too large: at most {} MiB.",
            MAX_ROSTER_BYTES / (1024 * 1024)
        )));
    }
    if part.bytes.is_empty() {
        return Err(fail("The file is empty.".to_owned()));
    }
    let class = Some(class.as_str()).filter(|c| !c.is_empty());
    let file_name = part
        .file_name
        .as_deref()
        .map(|n| n.chars().take(255).collect::<String>())
        .filter(|n| !n.trim().is_empty());
    if part.bytes.starts_with(b"PK\x03\x04") {
        let bundle = OneRoster::from_zip(&part.bytes).map_err(fail)?;
        return Ok(Upload {
            roster: bundle.roster_csv(class).map_err(fail)?,
            format: Format::OneRoster,
            file_name,
            field,
        });
    }
    let text = String::from_utf8(part.bytes).map_err(|_| {
        fail("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.".to_owned())
    })?;
    if is_users_csv(&text) {
        let bundle = OneRoster::from_files(&text, None, None).map_err(fail)?;
        return Ok(Upload {
            roster: bundle.roster_csv(class).map_err(fail)?,
            format: Format::OneRoster,
            file_name,
            field,
        });
    }
    Ok(Upload {
        roster: text,
        format: Format::Csv,
        file_name,
        field,
    })
}

/// A roster kept for its preview.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Draft {
    pub id: Uuid,
    pub roster: String,
    pub file_name: Option<String>,
    pub format: String,
    pub created_at: OffsetDateTime,
    pub invited_at: Option<OffsetDateTime>,
    pub invited: Option<i64>,
}

/// Keeps `upload` as a draft of the course `cohort`; its id.
pub async fn create_draft(
    pool: &PgPool,
    actor: &Caller,
    cohort: Uuid,
    upload: &Upload,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into roster_drafts (id, cohort_id, roster, file_name, format, created_by)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(cohort)
    .bind(&upload.roster)
    .bind(&upload.file_name)
    .bind(upload.format.as_str())
    .bind(actor.user_id)
    .execute(pool)
    .await
    .map_err(internal)?;
    Ok(id)
}

/// The draft `id` of the course `cohort` (none if it is another course's).
pub async fn draft(pool: &PgPool, cohort: Uuid, id: Uuid) -> Result<Option<Draft>, AppError> {
    sqlx::query_as(
        "select id, roster, file_name, format, created_at, invited_at, invited
         from roster_drafts where cohort_id = $1 and id = $2",
    )
    .bind(cohort)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// Notes that the draft `id` was invited, and how many addresses that
/// invited.
pub async fn mark_invited(pool: &PgPool, id: Uuid, invited: usize) -> Result<(), AppError> {
    sqlx::query(
        "update roster_drafts set invited_at = now(), invited = $2 where id = $1 and invited_at is null",
    )
    .bind(id)
    .bind(i64::try_from(invited).unwrap_or(i64::MAX))
    .execute(pool)
    .await
    .map_err(internal)?;
    Ok(())
}

/// How long a roster nobody invited is kept for its preview.
pub const DRAFT_DAYS: i32 = 7;

/// Forgets rosters uploaded more than [`DRAFT_DAYS`] ago and never invited
/// (their addresses are kept no longer than needed); how many.
pub async fn prune_drafts(pool: &PgPool) -> Result<u64, AppError> {
    let pruned = sqlx::query(
        "delete from roster_drafts
         where invited_at is null and created_at < now() - make_interval(days => $1)",
    )
    .bind(DRAFT_DAYS)
    .execute(pool)
    .await
    .map_err(internal)?;
    Ok(pruned.rows_affected())
}
