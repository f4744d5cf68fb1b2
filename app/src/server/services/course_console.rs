//! What a course's coordinators read: its usage by day, model and agent
//! (from `cohort_usage_daily`, kept by the usage trigger), one student's
//! moves and requests, the export of every student's requests, and the
//! course's audit trail. Who may read is checked by the caller
//! ([`super::cohorts::coordinated`]).

use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::internal;
use crate::server::services::organizations::UsageTotal;
use crate::server::services::usage::DailyTotal;

/// A course's totals per day and model from `first` to `last` (UTC days).
pub async fn daily(
    pool: &PgPool,
    cohort: Uuid,
    first: Date,
    last: Date,
) -> Result<Vec<DailyTotal>, AppError> {
    sqlx::query_as(
        "select day, model, sum(requests)::bigint as requests, sum(tokens)::bigint as tokens,
                sum(credits)::bigint as credits
         from cohort_usage_daily
         where cohort_id = $1 and day between $2 and $3
         group by day, model
         order by day, model",
    )
    .bind(cohort)
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// A course's totals per model from `first` to `last`, the biggest spend
/// first.
pub async fn by_model(
    pool: &PgPool,
    cohort: Uuid,
    first: Date,
    last: Date,
) -> Result<Vec<UsageTotal>, AppError> {
    sqlx::query_as(
        "select model as label, '' as detail, sum(requests)::bigint as requests,
                sum(tokens)::bigint as tokens, sum(credits)::bigint as credits
         from cohort_usage_daily
         where cohort_id = $1 and day between $2 and $3
         group by model
         order by credits desc, label",
    )
    .bind(cohort)
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// A course's totals per playground agent ("API" for requests made with
/// keys) from `first` to `last`, the biggest spend first.
pub async fn by_agent(
    pool: &PgPool,
    cohort: Uuid,
    first: Date,
    last: Date,
) -> Result<Vec<UsageTotal>, AppError> {
    sqlx::query_as(
        "select coalesce((select v.name from agent_versions v where v.agent_id = a.id
                           order by v.number desc limit 1), 'API (keys)') as label,
                coalesce(a.slug, '') as detail, t.requests, t.tokens, t.credits
         from (select agent_id, sum(requests)::bigint as requests, sum(tokens)::bigint as tokens,
                      sum(credits)::bigint as credits
               from cohort_usage_daily
               where cohort_id = $1 and day between $2 and $3
               group by agent_id) t
         left join agents a on a.id = t.agent_id
         order by t.credits desc, label",
    )
    .bind(cohort)
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// One student of a course, for their page in the console.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StudentDetail {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub student_id: Option<String>,
    pub status: String,
    pub invited_at: Option<OffsetDateTime>,
    pub joined_at: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    pub allocated: i64,
    pub reclaimed: i64,
    pub spent: i64,
    pub requests: i64,
    pub last_activity: Option<OffsetDateTime>,
    /// Micro-credits left (available and held for requests in flight).
    pub remaining: i64,
    /// The enrollment's credit account, once they joined.
    pub account: Option<Uuid>,
}

/// The student `enrollment` of `cohort` (none if it is another course's).
pub async fn student(
    pool: &PgPool,
    cohort: Uuid,
    enrollment: Uuid,
) -> Result<Option<StudentDetail>, AppError> {
    sqlx::query_as(
        "select e.id, e.email, e.name, e.student_id, e.status, e.invited_at, e.joined_at, e.ended_at,
                e.allocated, e.reclaimed, e.spent, e.requests, e.last_activity,
                coalesce(a.available + a.reserved, 0)::bigint as remaining, a.id as account
         from enrollments e
         left join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
         where e.cohort_id = $1 and e.id = $2 and e.status <> 'removed'",
    )
    .bind(cohort)
    .bind(enrollment)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// Credit moved to or from a student's allocation (not their spending).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Move {
    pub created_at: OffsetDateTime,
    /// `allocation` (joining, top-ups) or `reclaim`.
    pub kind: String,
    pub memo: Option<String>,
    /// Micro-credits; negative: taken back.
    pub amount: i64,
    pub actor: Option<String>,
}

/// Every move of the account `account`, newest first.
pub async fn moves(pool: &PgPool, account: Uuid) -> Result<Vec<Move>, AppError> {
    sqlx::query_as(
        "select t.created_at, t.kind, t.memo, e.amount, u.display_name as actor
         from ledger_entries e
         join ledger_transactions t on t.id = e.transaction_id
         left join users u on u.id = t.actor_id
         where e.account_id = $1 and e.bucket = 'available'
           and t.kind in ('grant', 'transfer', 'allocation', 'reclaim', 'adjustment')
         order by e.created_at desc, e.id desc
         limit 500",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// A request of a student, for their page and the export.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub model: String,
    /// The playground agent; none: a key.
    pub agent: Option<String>,
    /// The key (none: the playground).
    pub key_name: Option<String>,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub credits: i64,
    pub status: i16,
}

/// Up to `limit` requests spent from the account `account`: newest first
/// with `newest_first`, else oldest first after `after` (the last one
/// read: its time and id).
pub async fn requests(
    conn: &mut PgConnection,
    account: Uuid,
    after: Option<(OffsetDateTime, Uuid)>,
    newest_first: bool,
    limit: i64,
) -> Result<Vec<Request>, sqlx::Error> {
    if newest_first {
        return sqlx::query_as(
            "select r.id, r.created_at, r.model, v.name as agent, k.name as key_name,
                    r.input_tokens, r.output_tokens, r.credits, r.status
             from usage_records r
             left join api_keys k on k.id = r.key_id
             left join conversations c on c.id = r.conversation_id
             left join agent_versions v on v.agent_id = c.agent_id and v.number = c.agent_version
             where r.account_id = $1
             order by r.created_at desc, r.id desc
             limit $2",
        )
        .bind(account)
        .bind(limit)
        .fetch_all(conn)
        .await;
    }
    sqlx::query_as(
        "select r.id, r.created_at, r.model, v.name as agent, k.name as key_name,
                r.input_tokens, r.output_tokens, r.credits, r.status
         from usage_records r
         left join api_keys k on k.id = r.key_id
         left join conversations c on c.id = r.conversation_id
         left join agent_versions v on v.agent_id = c.agent_id and v.number = c.agent_version
         where r.account_id = $1 and ($2::timestamptz is null or (r.created_at, r.id) > ($2, $3))
         order by r.created_at, r.id
         limit $4",
    )
    .bind(account)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A student whose requests an export writes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportedStudent {
    pub account: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub student_id: Option<String>,
}

/// Every student of `cohort` who has an account, by address.
pub async fn exported_students(
    conn: &mut PgConnection,
    cohort: Uuid,
) -> Result<Vec<ExportedStudent>, sqlx::Error> {
    sqlx::query_as(
        "select a.id as account, e.email, e.name, e.student_id
         from enrollments e
         join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
         where e.cohort_id = $1
         order by e.email",
    )
    .bind(cohort)
    .fetch_all(conn)
    .await
}
