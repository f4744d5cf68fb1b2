//! Onboarding applications: developers submit, platform admins decide.

use std::net::IpAddr;

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::onboarding::{Building, ExpectedUsage, Industry};
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::ledger::{self, Grant, Memo, Owner};
use crate::server::services::audit::{self, Entry};
use crate::server::services::outbox::{self, OutgoingEmail};
use crate::server::state::StarterGrant;

/// An application as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_email: String,
    pub user_name: String,
    pub building: String,
    pub industry: String,
    pub expected_usage: String,
    pub status: String,
    pub decision_note: Option<String>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
}

/// Submits an application for review. One may be pending at a time, and none
/// once approved.
pub async fn submit(
    pool: &PgPool,
    caller: &Caller,
    building: Building,
    industry: Industry,
    usage: ExpectedUsage,
) -> Result<Uuid, AppError> {
    let approved: bool = sqlx::query_scalar(
        "select exists (select 1 from applications where user_id = $1 and status = 'approved')",
    )
    .bind(caller.user_id)
    .fetch_one(pool)
    .await
    .map_err(internal)?;
    if approved {
        return Err(AppError::Conflict(
            "Your application is already approved.".to_owned(),
        ));
    }
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into applications (id, user_id, building, industry, expected_usage) values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(caller.user_id)
    .bind(building.as_str())
    .bind(industry.as_str())
    .bind(usage.as_str())
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(id),
        Err(e) if super::accounts::is_unique_violation(&e) => Err(AppError::Conflict(
            "You already have an application under review.".to_owned(),
        )),
        Err(e) => Err(internal(e)),
    }
}

/// The caller's most recent application.
pub async fn latest_for(pool: &PgPool, user_id: Uuid) -> Result<Option<ApplicationRow>, AppError> {
    sqlx::query_as(
        "select a.id, a.user_id, u.email as user_email, u.display_name as user_name, a.building,
                a.industry, a.expected_usage, a.status, a.decision_note, a.created_at, a.decided_at
         from applications a join users u on u.id = a.user_id
         where a.user_id = $1 order by a.created_at desc limit 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// The company `user_id` named at sign-up, if their account is a
/// business's.
pub async fn business_name(pool: &PgPool, user_id: Uuid) -> Result<Option<String>, AppError> {
    let name: Option<Option<String>> = sqlx::query_scalar(
        "select organization from users where id = $1 and account_kind = 'business'",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    Ok(name.flatten())
}

/// What an approved academic application offers: its id (once), the
/// university named at sign-up (may be empty) and the applicant's country.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AcademicOffer {
    pub application: Uuid,
    pub university: String,
    pub country: String,
}

/// The approved application of `user_id`'s academic account that no
/// institution was created from yet, if any.
pub async fn academic_offer(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Option<AcademicOffer>, AppError> {
    sqlx::query_as(
        "select a.id as application, coalesce(u.organization, '') as university, u.country
         from applications a join users u on u.id = a.user_id
         where a.user_id = $1 and u.account_kind = 'academic' and a.status = 'approved'
           and not exists (select 1 from institutions i where i.application_id = a.id)
         order by a.created_at desc
         limit 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// Applications with `status`, oldest first (a queue), one page of them.
pub async fn list(
    pool: &PgPool,
    status: &str,
    page: i64,
    per_page: i64,
) -> Result<(Vec<ApplicationRow>, i64), AppError> {
    // A queue (pending) is read oldest first; decided ones newest first.
    let query = sqlx::query_as(
        "select a.id, a.user_id, u.email as user_email, u.display_name as user_name,
                a.building, a.industry, a.expected_usage, a.status, a.decision_note,
                a.created_at, a.decided_at
         from applications a join users u on u.id = a.user_id
         where a.status = $1
         order by case when $1 = 'pending' then a.created_at end asc,
                  a.created_at desc, a.id
         limit $2 offset $3",
    );
    let (limit, offset) = crate::domain::paging::limit_offset(page, per_page);
    let rows = query
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
        .map_err(internal)?;
    let total = sqlx::query_scalar("select count(*) from applications where status = $1")
        .bind(status)
        .fetch_one(pool)
        .await
        .map_err(internal)?;
    Ok((rows, total))
}

/// An admin's verdict on an application.
#[derive(Debug, Clone)]
pub struct Decision {
    pub application: Uuid,
    pub approve: bool,
    /// A note to the applicant; required to reject.
    pub note: Option<String>,
}

/// Approves or rejects a pending application, emails the applicant and
/// writes the audit record, all in one transaction.
pub async fn decide(
    pool: &PgPool,
    base_url: &str,
    starter: StarterGrant,
    admin: &Caller,
    decision: Decision,
    addr: Option<IpAddr>,
) -> Result<(), AppError> {
    let Decision {
        application: id,
        approve,
        note,
    } = decision;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if !approve && note.is_none() {
        return Err(AppError::field(
            "note",
            "Give the applicant a reason for the rejection.",
        ));
    }
    let status = if approve { "approved" } else { "rejected" };
    let mut tx = pool.begin().await.map_err(internal)?;
    let decided: Option<(Uuid, String, String)> = sqlx::query_as(
        "update applications a set status = $2, decided_by = $3, decided_at = now(), decision_note = $4
         from users u where a.id = $1 and a.status = 'pending' and u.id = a.user_id
         returning u.id, u.email, u.display_name",
    )
    .bind(id)
    .bind(status)
    .bind(admin.user_id)
    .bind(&note)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((user_id, email, name)) = decided else {
        return Err(AppError::Conflict(
            "This application was already decided, or does not exist.".to_owned(),
        ));
    };
    audit::record(
        &mut tx,
        Entry {
            actor_id: Some(admin.user_id),
            action: if approve {
                "application.approve"
            } else {
                "application.reject"
            },
            target_type: "application",
            target_id: id.to_string(),
            before: Some(json!({ "status": "pending" })),
            after: Some(json!({ "status": status, "note": note, "user_id": user_id })),
            client_addr: addr,
        },
    )
    .await
    .map_err(internal)?;
    let granted = if approve && starter.amount.is_positive() {
        let account = ledger::account_for(&mut tx, Owner::User(user_id))
            .await
            .map_err(internal)?;
        let expires_at = starter
            .valid_days
            .map(|days| OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)));
        let grant = Grant {
            account,
            amount: starter.amount,
            expires_at,
            memo: Memo {
                memo: Some("Starter credits for an approved application".to_owned()),
                actor_id: Some(admin.user_id),
                // One starter grant per application, however often this runs.
                idempotency_key: Some(format!("starter:{id}")),
            },
        };
        ledger::grant_with(&mut tx, &grant)
            .await
            .map_err(internal)?;
        audit::record(
            &mut tx,
            Entry {
                actor_id: Some(admin.user_id),
                action: "credits.grant",
                target_type: "credit_account",
                target_id: account.to_string(),
                before: None,
                after: Some(json!({ "amount_micros": starter.amount.micros(), "expires_at": expires_at.map(|e| e.to_string()), "reason": "starter credits", "application_id": id })),
                client_addr: addr,
            },
        )
        .await
        .map_err(internal)?;
        Some(starter.amount)
    } else {
        None
    };
    let body = crate::server::emails::render(
        "application_decision.txt",
        minijinja::context! {
            name,
            approved => approve,
            credits => granted.map(|amount| amount.to_string()),
            note,
            dashboard_url => format!("{base_url}{}", crate::href::dashboard()),
        },
    )?;
    let subject = if approve {
        "Your Lab Portal application is approved"
    } else {
        "About your Lab Portal application"
    };
    outbox::enqueue(
        &mut tx,
        &OutgoingEmail {
            recipient: email,
            subject: subject.to_owned(),
            body_text: body,
            secret_body_text: None,
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)
}
