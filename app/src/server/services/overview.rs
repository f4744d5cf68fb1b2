//! The admin overview: the platform's numbers for Lab staff. What waits for
//! them, sign-ups and approvals per day, credits granted, spent and expired,
//! requests, tokens and errors by model and provider, the organizations and
//! courses spending most, the support queue and the goals.
//!
//! Each read is one statement over the tables as they are, and [`platform`]
//! runs them at once (one connection each), so the page waits for the
//! slowest. What each reads, and through which index, is on the function.
//! The page is for staff, opened a few times a day: the reads bound what
//! they scan to the last 30 days. Usage by model, the one that would grow
//! with every request, reads the daily rollup [`roll_up_usage`] keeps
//! (`platform_usage_daily`) and only the days since from the records.

use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::internal;
use crate::server::services::support;

/// Days on the overview's charts and tables, today (UTC) included.
pub const DAYS: i64 = 30;

/// How many organizations and courses the top lists show.
pub const TOP: i64 = 5;

/// The headline counts: queues, and the goals' actuals.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Counts {
    pub users: i64,
    pub pending_applications: i64,
    pub pending_access_requests: i64,
    pub unsent_emails: i64,
    /// Micro-credits served without being paid (the uncollected account).
    pub uncollected: i64,
    /// Every organization (a business), verified or not.
    pub organizations: i64,
    pub verified_organizations: i64,
    pub institutions: i64,
    /// People who signed up since the year began (UTC), staff left out.
    pub developers_this_year: i64,
}

/// Sign-ups and approved applications on one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PeopleDay {
    pub day: Date,
    pub signups: i64,
    pub approvals: i64,
}

/// Micro-credits granted, spent (charged to accounts) and expired on one
/// day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CreditsDay {
    pub day: Date,
    pub granted: i64,
    pub spent: i64,
    pub expired: i64,
}

/// One model's requests on one day (UTC). `model` is empty for requests
/// refused before their model was read.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ModelDay {
    pub day: Date,
    pub model: String,
    /// The provider serving the model now; `None` for a model no longer
    /// configured (usage records keep the model's id, not its provider).
    pub provider: Option<String>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Answered with a status of 400 or more.
    pub errors: i64,
    /// Micro-credits charged.
    pub credits: i64,
}

/// An organization or a course, with what it spent over the last 30 days.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TopSpender {
    pub slug: String,
    pub name: String,
    /// A course's institution.
    pub parent: Option<String>,
    pub requests: i64,
    /// Micro-credits.
    pub credits: i64,
}

/// Everything the overview shows, read at once.
#[derive(Debug, Clone)]
pub struct Platform {
    /// The first day (UTC) of the 30 the series cover.
    pub first: Date,
    pub counts: Counts,
    pub people: Vec<PeopleDay>,
    pub credits: Vec<CreditsDay>,
    pub usage: Vec<ModelDay>,
    pub organizations: Vec<TopSpender>,
    pub courses: Vec<TopSpender>,
    pub support: support::QueueHealth,
}

/// The overview as of `now`: the series over the 30 days (UTC) ending
/// with `now`'s, the goals over `now`'s calendar year.
#[tracing::instrument(skip(pool))]
pub async fn platform(pool: &PgPool, now: OffsetDateTime) -> Result<Platform, AppError> {
    let today = now.date();
    let first = today
        .checked_sub(time::Duration::days(DAYS - 1))
        .unwrap_or(today);
    let since = first.midnight().assume_utc();
    let year = Date::from_ordinal_date(today.year(), 1)
        .unwrap_or(first)
        .midnight()
        .assume_utc();
    let (counts, people, credits, usage, organizations, courses, support) = tokio::try_join!(
        counts(pool, year),
        people(pool, since),
        credits(pool, since),
        usage(pool, since),
        top_organizations(pool, since),
        top_courses(pool, first),
        support::queue_health(pool),
    )?;
    Ok(Platform {
        first,
        counts,
        people,
        credits,
        usage,
        organizations,
        courses,
        support,
    })
}

/// The queues and the goals' actuals. Reads: `users` twice (a count of
/// every row, and this year's through `users_created_at_idx`), the pending
/// applications (`applications_queue_idx`) and dataset access requests
/// (`dataset_access_requests_queue_idx`), unsent emails, the uncollected
/// account, and `organizations` and `institutions` (one row per business
/// and university: thousands at most).
async fn counts(pool: &PgPool, year: OffsetDateTime) -> Result<Counts, AppError> {
    sqlx::query_as(
        "select (select count(*) from users) as users,
                (select count(*) from applications where status = 'pending') as pending_applications,
                (select count(*) from dataset_access_requests where status = 'pending')
                    as pending_access_requests,
                (select count(*) from outbox where sent_at is null) as unsent_emails,
                coalesce((select available from credit_accounts where owner_kind = 'uncollected'), 0)
                    as uncollected,
                (select count(*) from organizations) as organizations,
                (select count(*) from organizations where verified_at is not null)
                    as verified_organizations,
                (select count(*) from institutions) as institutions,
                (select count(*) from users where created_at >= $1 and platform_role = 'developer')
                    as developers_this_year",
    )
    .bind(year)
    .fetch_one(pool)
    .await
    .map_err(internal)
}

/// Sign-ups and approvals per day since `since`. Reads: the users created
/// since (`users_created_at_idx`) and the approved applications decided
/// since (`applications` has no index on `decided_at`: one row per
/// application, a table the size of `users` at most, scanned).
async fn people(pool: &PgPool, since: OffsetDateTime) -> Result<Vec<PeopleDay>, AppError> {
    sqlx::query_as(
        "select day, count(*) filter (where signup) as signups,
                count(*) filter (where not signup) as approvals
         from (select (created_at at time zone 'UTC')::date as day, true as signup
               from users where created_at >= $1
               union all
               select (decided_at at time zone 'UTC')::date, false
               from applications where status = 'approved' and decided_at >= $1) as events
         group by day
         order by day",
    )
    .bind(since)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Credits granted, spent and expired per day since `since`, as the
/// treasury's side of the ledger's transactions: a grant's entry out of
/// it, a settlement's (what requests were charged, posted by their
/// leases every two seconds) and an expiry's into it. Reads: the
/// transactions since (`ledger_transactions_created_idx`; reservations and
/// releases are skipped by kind) and their entries
/// (`ledger_entries_transaction_idx`).
async fn credits(pool: &PgPool, since: OffsetDateTime) -> Result<Vec<CreditsDay>, AppError> {
    sqlx::query_as(
        "select (t.created_at at time zone 'UTC')::date as day,
                coalesce(sum(-e.amount) filter (where t.kind = 'grant'), 0)::bigint as granted,
                coalesce(sum(e.amount) filter (where t.kind = 'settlement'), 0)::bigint as spent,
                coalesce(sum(e.amount) filter (where t.kind = 'expiry'), 0)::bigint as expired
         from ledger_transactions t
         join ledger_entries e on e.transaction_id = t.id
         where t.created_at >= $1 and t.kind in ('grant', 'settlement', 'expiry')
           and e.account_id = (select id from credit_accounts where owner_kind = 'treasury')
         group by 1
         order by 1",
    )
    .bind(since)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The smallest UUIDv7 of `at`'s millisecond: its first 48 bits are the
/// Unix time in milliseconds, the rest zero.
fn first_v7_at(at: OffsetDateTime) -> Uuid {
    let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    Uuid::from_bytes(bytes)
}

/// Requests, tokens, errors and credits per day and model since `since`
/// (a day's first instant), with each model's provider.
///
/// The days rolled up (see [`roll_up_usage`]) come from
/// `platform_usage_daily`, a row per day and model. The days after them
/// (today, and yesterday for its first hour) from `usage_records`, which
/// has no index on `created_at` alone: its ids are UUIDv7s, made when the
/// request arrived (the proxy's and the playground's request ids), so they
/// sort by time, and the primary key's range from a day before holds every
/// record created since (a request lasts minutes, not a day); `created_at`
/// then picks them exactly. The `models` and `providers` are joined after
/// grouping, once per model.
async fn usage(pool: &PgPool, since: OffsetDateTime) -> Result<Vec<ModelDay>, AppError> {
    let through: Date = sqlx::query_scalar("select through from platform_usage_rolled")
        .fetch_one(pool)
        .await
        .map_err(internal)?;
    let live_from = through
        .next_day()
        .map_or(since, |day| day.midnight().assume_utc().max(since));
    sqlx::query_as(
        "with daily as (
             select day, model, requests, input_tokens, output_tokens, errors, credits
             from platform_usage_daily
             where day >= $3 and day < $4
             union all
             select (created_at at time zone 'UTC')::date, model, count(*),
                    coalesce(sum(input_tokens), 0)::bigint, coalesce(sum(output_tokens), 0)::bigint,
                    count(*) filter (where status >= 400), coalesce(sum(credits), 0)::bigint
             from usage_records
             where id >= $1 and created_at >= $2
             group by 1, 2
         )
         select d.day, d.model, p.name as provider, d.requests, d.input_tokens, d.output_tokens,
                d.errors, d.credits
         from daily d
         left join models m on m.public_id = d.model
         left join providers p on p.id = m.provider_id
         order by d.day, d.model",
    )
    .bind(first_v7_at(live_from - time::Duration::days(1)))
    .bind(live_from)
    .bind(since.date())
    .bind(live_from.date())
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Rolls the days that are over (an hour past their end, when no request
/// of theirs can still be recorded) and not yet rolled up into
/// `platform_usage_daily`; how many days it rolled. One roller at a time
/// (the lock on `platform_usage_rolled`); rolling a day again replaces
/// its rows. Reads: the days' records by `usage_records_created_brin`.
pub async fn roll_up_usage(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (from, through): (Date, Date) = sqlx::query_as(
        "select through + 1, ((now() - interval '1 hour') at time zone 'UTC')::date - 1
         from platform_usage_rolled for update",
    )
    .fetch_one(&mut *tx)
    .await?;
    if from > through {
        return Ok(0);
    }
    sqlx::query(
        "insert into platform_usage_daily as d
             (day, model, requests, input_tokens, output_tokens, errors, credits)
         select (created_at at time zone 'UTC')::date, model, count(*),
                coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
                count(*) filter (where status >= 400), coalesce(sum(credits), 0)
         from usage_records
         where created_at >= ($1::date)::timestamp at time zone 'UTC'
           and created_at < ($2::date + 1)::timestamp at time zone 'UTC'
         group by 1, 2
         on conflict (day, model) do update
             set requests = excluded.requests, input_tokens = excluded.input_tokens,
                 output_tokens = excluded.output_tokens, errors = excluded.errors,
                 credits = excluded.credits",
    )
    .bind(from)
    .bind(through)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update platform_usage_rolled set through = $1")
        .bind(through)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((through - from).whole_days() + 1)
}

/// The organizations whose pools paid most since `since` (requests by
/// keys or members billed to the organization). Reads: each organization's
/// pool account, and its records since through `usage_records_account_idx`
/// (`account_id, created_at`): only organizations' usage of the period.
async fn top_organizations(
    pool: &PgPool,
    since: OffsetDateTime,
) -> Result<Vec<TopSpender>, AppError> {
    sqlx::query_as(
        "select t.slug, t.name, null::text as parent, s.requests, s.credits
         from teams t
         join credit_accounts a on a.owner_kind = 'organization' and a.owner_id = t.id
         cross join lateral (
             select count(*) as requests, coalesce(sum(u.credits), 0)::bigint as credits
             from usage_records u
             where u.account_id = a.id and u.created_at >= $1
         ) as s
         where t.kind = 'organization' and s.requests > 0
         order by s.credits desc, s.requests desc, t.name
         limit $2",
    )
    .bind(since)
    .bind(TOP)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The courses whose students spent most since `first` (UTC days). Reads:
/// every course, and its days since in the `cohort_usage_daily` rollup
/// (by its `cohort_id, day, …` key): a row per course, day, model and
/// agent, never a usage record.
async fn top_courses(pool: &PgPool, first: Date) -> Result<Vec<TopSpender>, AppError> {
    sqlx::query_as(
        "select t.slug, t.name, i.name as parent, s.requests, s.credits
         from cohorts c
         join teams t on t.id = c.team_id
         join teams i on i.id = c.institution_id
         cross join lateral (
             select coalesce(sum(d.requests), 0)::bigint as requests,
                    coalesce(sum(d.credits), 0)::bigint as credits
             from cohort_usage_daily d
             where d.cohort_id = c.team_id and d.day >= $1
         ) as s
         where s.requests > 0
         order by s.credits desc, s.requests desc, t.name
         limit $2",
    )
    .bind(first)
    .bind(TOP)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_v7_bound_sorts_before_every_id_of_its_millisecond_and_after_earlier_ones() {
        let at = OffsetDateTime::from_unix_timestamp(1_795_000_000).expect("a time");
        let bound = first_v7_at(at);
        let stamp = |t: OffsetDateTime| {
            let nanos = u32::try_from(t.unix_timestamp_nanos() % 1_000_000_000).expect("nanos");
            let secs = u64::try_from(t.unix_timestamp()).expect("after 1970");
            uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos)
        };
        for _ in 0..100 {
            assert!(Uuid::new_v7(stamp(at)) >= bound);
            assert!(Uuid::new_v7(stamp(at + time::Duration::seconds(1))) > bound);
            assert!(Uuid::new_v7(stamp(at - time::Duration::milliseconds(1))) < bound);
        }
        assert_eq!(first_v7_at(at).get_version_num(), 0, "a bound, not an id");
    }
}
