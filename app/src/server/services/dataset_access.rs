//! Who may download a dataset's files, and how they come to: accepting
//! its terms (once per version of them) or an approved request, which Lab
//! staff decide and may revoke. Every decision is audited and told
//! to the requester.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::json;
use sqlx::types::Json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::dataset_access::{parse_answers, RequestField, RequestStatus};
use crate::domain::notifications::NotificationKind;
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::services::audit::{self, Entry};
use crate::server::services::notifications;
use crate::server::services::outbox::{self, OutgoingEmail};

/// A dataset's access rules.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rules {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub access: String,
    pub terms: String,
    pub terms_version: i32,
    pub request_fields: Json<Vec<RequestField>>,
}

/// The published dataset `slug`'s access rules.
pub async fn rules(pool: &PgPool, slug: &str) -> Result<Option<Rules>, sqlx::Error> {
    rules_of(pool, slug, false).await
}

/// [`rules`], of a dataset not published yet too when `drafts` (staff
/// previewing it).
pub async fn rules_of(
    pool: &PgPool,
    slug: &str,
    drafts: bool,
) -> Result<Option<Rules>, sqlx::Error> {
    sqlx::query_as(
        "select id, slug, title, access, terms, terms_version, request_fields from datasets
         where slug = $1 and (latest_version is not null or $2)",
    )
    .bind(slug)
    .bind(drafts)
    .fetch_optional(pool)
    .await
}

/// A user's latest access request for a dataset.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: Uuid,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
}

/// Where `user` stands with the dataset `rules`.
#[derive(Debug, Clone)]
pub struct Standing {
    pub granted: bool,
    /// Terms: the version this user accepted last, and when.
    pub accepted: Option<(i32, OffsetDateTime)>,
    /// Approval: their latest request.
    pub request: Option<RequestRow>,
}

/// Where `user` stands with the dataset `rules`: open datasets are theirs,
/// terms once they accepted the current version, approval once approved.
pub async fn standing(pool: &PgPool, rules: &Rules, user: Uuid) -> Result<Standing, sqlx::Error> {
    match rules.access.as_str() {
        "terms" => {
            let accepted: Option<(i32, OffsetDateTime)> = sqlx::query_as(
                "select terms_version, accepted_at from dataset_terms_acceptances
                 where dataset_id = $1 and user_id = $2 order by terms_version desc limit 1",
            )
            .bind(rules.id)
            .bind(user)
            .fetch_optional(pool)
            .await?;
            Ok(Standing {
                granted: accepted.is_some_and(|(v, _)| v == rules.terms_version),
                accepted,
                request: None,
            })
        }
        "approval" => {
            let request: Option<RequestRow> = sqlx::query_as(
                "select id, status, reason, created_at, decided_at from dataset_access_requests
                 where dataset_id = $1 and user_id = $2 order by created_at desc limit 1",
            )
            .bind(rules.id)
            .bind(user)
            .fetch_optional(pool)
            .await?;
            Ok(Standing {
                granted: request.as_ref().is_some_and(|r| r.status == "approved"),
                accepted: None,
                request,
            })
        }
        _ => Ok(Standing {
            granted: true,
            accepted: None,
            request: None,
        }),
    }
}

/// Whether `user` may read the files of the dataset `dataset_id` (access
/// level `access`).
pub async fn granted(
    pool: &PgPool,
    dataset_id: Uuid,
    access: &str,
    user: Uuid,
) -> Result<bool, sqlx::Error> {
    match access {
        "open" => Ok(true),
        "terms" => sqlx::query_scalar(
            "select exists (select 1 from dataset_terms_acceptances a join datasets d on d.id = a.dataset_id
                            where a.dataset_id = $1 and a.user_id = $2 and a.terms_version = d.terms_version)",
        )
        .bind(dataset_id)
        .bind(user)
        .fetch_one(pool)
        .await,
        "approval" => sqlx::query_scalar(
            "select exists (select 1 from dataset_access_requests
                            where dataset_id = $1 and user_id = $2 and status = 'approved')",
        )
        .bind(dataset_id)
        .bind(user)
        .fetch_one(pool)
        .await,
        _ => Ok(false),
    }
}

/// Records that `user` accepted version `version` of the terms of `slug`,
/// from `addr`. The version must be the current one: terms that changed
/// since the page was shown are read again.
pub async fn accept_terms(
    pool: &PgPool,
    slug: &str,
    version: i32,
    user: Uuid,
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    let rules = rules(pool, slug)
        .await
        .map_err(internal)?
        .ok_or_else(no_dataset)?;
    if rules.access != "terms" {
        return Err(AppError::Conflict(
            "This dataset has no terms to accept.".to_owned(),
        ));
    }
    if version != rules.terms_version {
        return Err(AppError::Conflict(
            "The terms changed since you opened this page. Read them again before accepting."
                .to_owned(),
        ));
    }
    sqlx::query(
        "insert into dataset_terms_acceptances (dataset_id, user_id, terms_version, client_addr)
         values ($1, $2, $3, $4::text::inet) on conflict do nothing",
    )
    .bind(rules.id)
    .bind(user)
    .bind(version)
    .bind(addr.map(|a| a.to_string()))
    .execute(pool)
    .await
    .map_err(internal)?;
    Ok(())
}

fn no_dataset() -> AppError {
    AppError::NotFound("There is no published dataset at this address.".to_owned())
}

/// Sends `user`'s request for the approval dataset `slug` with `answers`
/// to the form's fields.
pub async fn request(
    pool: &PgPool,
    slug: &str,
    user: Uuid,
    answers: &BTreeMap<String, String>,
) -> Result<Uuid, AppError> {
    let rules = rules(pool, slug)
        .await
        .map_err(internal)?
        .ok_or_else(no_dataset)?;
    if rules.access != "approval" {
        return Err(AppError::Conflict(
            "This dataset does not take access requests.".to_owned(),
        ));
    }
    let answers = parse_answers(&rules.request_fields.0, answers).map_err(|errors| {
        AppError::Validation(
            errors
                .into_iter()
                .map(|(field, message)| crate::error::FieldError {
                    field: format!("answers[{field}]"),
                    message,
                })
                .collect(),
        )
    })?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into dataset_access_requests (id, dataset_id, user_id, answers) values ($1, $2, $3, $4)
         on conflict (dataset_id, user_id) where status in ('pending', 'approved') do nothing",
    )
    .bind(id)
    .bind(rules.id)
    .bind(user)
    .bind(Json(&answers))
    .execute(pool)
    .await
    .map_err(internal)?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "You have a request for this dataset already; it is pending or approved.".to_owned(),
        ));
    }
    Ok(id)
}

/// A decision on a request, or the revocation of an approved one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Revoke,
}

/// Decides (or revokes) the request `id` as `admin`, with `reason`
/// (required to reject or revoke); the requester is told (in the portal,
/// and by email unless they opted out) and the
/// decision audited.
pub async fn decide(
    pool: &PgPool,
    base_url: &str,
    admin: &Caller,
    id: Uuid,
    decision: Decision,
    reason: Option<String>,
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::field(
            "reason",
            "Keep the reason to 1,000 characters or fewer.",
        ));
    }
    if decision != Decision::Approve && reason.is_none() {
        return Err(AppError::field("reason", "Give the requester a reason."));
    }
    let (from, to) = match decision {
        Decision::Approve => ("pending", "approved"),
        Decision::Reject => ("pending", "rejected"),
        Decision::Revoke => ("approved", "revoked"),
    };
    let mut tx = pool.begin().await.map_err(internal)?;
    let decided: Option<(Uuid, String, String, String, String)> = sqlx::query_as(
        "update dataset_access_requests r set status = $3, reason = $4, decided_by = $5, decided_at = now()
         from users u, datasets d
         where r.id = $1 and r.status = $2 and u.id = r.user_id and d.id = r.dataset_id
         returning u.id, u.email, u.display_name, d.slug, d.title",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(&reason)
    .bind(admin.user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((user_id, email, name, slug, title)) = decided else {
        return Err(AppError::Conflict(format!(
            "This request is no longer {from}: it was decided already, or does not exist."
        )));
    };
    audit::record(
        &mut tx,
        Entry {
            actor_id: Some(admin.user_id),
            action: match decision {
                Decision::Approve => "dataset_access.approve",
                Decision::Reject => "dataset_access.reject",
                Decision::Revoke => "dataset_access.revoke",
            },
            target_type: "dataset_access_request",
            target_id: id.to_string(),
            before: Some(json!({ "status": from })),
            after: Some(
                json!({ "status": to, "reason": reason, "user_id": user_id, "dataset": slug }),
            ),
            client_addr: addr,
        },
    )
    .await
    .map_err(internal)?;
    let subject = match decision {
        Decision::Approve => format!("Your access to “{title}” is approved"),
        Decision::Reject => format!("About your request for “{title}”"),
        Decision::Revoke => format!("Your access to “{title}” was withdrawn"),
    };
    // The notification is recorded here; its email is this area's own
    // (the decision's reason and the dataset's link), sent only when the
    // person wants access decisions by email.
    let notice = notifications::Notice {
        user_id,
        kind: NotificationKind::AccessDecided,
        dedupe_key: format!("access_decided:{id}:{to}"),
        title: subject.clone(),
        body: match (&decision, &reason) {
            (Decision::Approve, _) => format!("You can download the files of “{title}” now."),
            (_, Some(reason)) => format!("Reason: {reason}"),
            (_, None) => String::new(),
        },
        link: crate::href::dataset(&slug),
    };
    let wants_email = notifications::record(&mut tx, &notice)
        .await
        .map_err(internal)?
        .unwrap_or(false);
    if !wants_email {
        return tx.commit().await.map_err(internal);
    }
    let body = crate::server::emails::render(
        "dataset_access_decision.txt",
        minijinja::context! {
            name,
            title,
            status => to,
            reason,
            dataset_url => format!("{base_url}{}", crate::href::dataset(&slug)),
        },
    )?;
    outbox::enqueue(
        &mut tx,
        &OutgoingEmail {
            recipient: email,
            subject,
            body_text: body,
            secret_body_text: None,
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)
}

/// An access request as staff review it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: Uuid,
    pub status: String,
    pub answers: Json<BTreeMap<String, String>>,
    pub reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub user_id: Uuid,
    pub user_email: String,
    pub user_name: String,
    pub slug: String,
    pub title: String,
    pub request_fields: Json<Vec<RequestField>>,
    pub total: i64,
}

/// One page of requests with `status`, of the dataset `slug` if given:
/// pending ones oldest first, decided ones newest first.
pub async fn queue(
    pool: &PgPool,
    status: RequestStatus,
    slug: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<Vec<QueueRow>, sqlx::Error> {
    sqlx::query_as(
        "select r.id, r.status, r.answers, r.reason, r.created_at, r.decided_at, u.id as user_id,
                u.email as user_email, u.display_name as user_name, d.slug, d.title, d.request_fields,
                count(*) over () as total
         from dataset_access_requests r join users u on u.id = r.user_id join datasets d on d.id = r.dataset_id
         where r.status = $1 and ($2::text is null or d.slug = $2)
         order by case when r.status = 'pending' then r.created_at end asc,
                  coalesce(r.decided_at, r.created_at) desc, r.id
         limit $3 offset $4",
    )
    .bind(status.as_str())
    .bind(slug)
    .bind(per_page)
    .bind((page - 1).max(0) * per_page)
    .fetch_all(pool)
    .await
}
