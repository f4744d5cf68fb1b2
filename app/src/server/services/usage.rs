//! A developer's usage of the inference API, from `usage_records`: the
//! per-request log with filters, and daily totals by model.

use sqlx::{PgPool, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::internal;

/// Which requests the log shows. Every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageFilter {
    pub model: Option<String>,
    pub key_id: Option<Uuid>,
    pub status: Option<StatusClass>,
    /// First day shown (UTC), inclusive.
    pub from: Option<Date>,
    /// Last day shown (UTC), inclusive.
    pub to: Option<Date>,
}

/// Answered successfully, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// HTTP status below 400.
    Ok,
    /// HTTP status 400 or above.
    Error,
}

impl StatusClass {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ok" => Some(Self::Ok),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// One request, with the name of the key that made it (none for a call the
/// portal made for the signed-in user).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UsageRow {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub model: String,
    pub key_id: Option<Uuid>,
    pub key_name: Option<String>,
    pub key_public_id: Option<String>,
    pub endpoint: String,
    pub streamed: bool,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub credits: i64,
    pub latency_ms: i32,
    pub status: i16,
    /// `None`: the upstream reported the tokens; else what counted them.
    pub counted_by: Option<String>,
}

/// Totals over every request the filter matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageTotals {
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub credits: i64,
}

fn push_filter(query: &mut QueryBuilder<'_, Postgres>, user_id: Uuid, filter: &UsageFilter) {
    query.push(" where u.user_id = ").push_bind(user_id);
    if let Some(model) = &filter.model {
        query.push(" and u.model = ").push_bind(model.clone());
    }
    if let Some(key) = filter.key_id {
        query.push(" and u.key_id = ").push_bind(key);
    }
    match filter.status {
        Some(StatusClass::Ok) => {
            query.push(" and u.status < 400");
        }
        Some(StatusClass::Error) => {
            query.push(" and u.status >= 400");
        }
        None => {}
    }
    if let Some(from) = filter.from {
        query
            .push(" and u.created_at >= ")
            .push_bind(from.midnight().assume_utc());
    }
    if let Some(end) = filter.to.and_then(Date::next_day) {
        query
            .push(" and u.created_at < ")
            .push_bind(end.midnight().assume_utc());
    }
}

/// One page of `user_id`'s requests matching `filter`, newest first, and
/// the totals over all pages.
pub async fn log(
    pool: &PgPool,
    user_id: Uuid,
    filter: &UsageFilter,
    page: i64,
    per_page: i64,
) -> Result<(Vec<UsageRow>, UsageTotals), AppError> {
    let (limit, offset) = crate::domain::paging::limit_offset(page, per_page);
    let mut query = QueryBuilder::new(
        "select u.id, u.created_at, u.model, u.key_id, k.name as key_name,
                k.public_id as key_public_id, u.endpoint, u.streamed, u.input_tokens,
                u.output_tokens, u.credits, u.latency_ms, u.status, u.counted_by
         from usage_records u left join api_keys k on k.id = u.key_id",
    );
    push_filter(&mut query, user_id, filter);
    query
        .push(" order by u.created_at desc, u.id desc limit ")
        .push_bind(limit)
        .push(" offset ")
        .push_bind(offset);
    let rows: Vec<UsageRow> = query
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(internal)?;

    let mut totals = QueryBuilder::new(
        "select count(*) as requests,
                coalesce(sum(u.input_tokens), 0)::bigint as input_tokens,
                coalesce(sum(u.output_tokens), 0)::bigint as output_tokens,
                coalesce(sum(u.credits), 0)::bigint as credits
         from usage_records u",
    );
    push_filter(&mut totals, user_id, filter);
    let totals: UsageTotals = totals
        .build_query_as()
        .fetch_one(pool)
        .await
        .map_err(internal)?;
    Ok((rows, totals))
}

/// The models `user_id` has called, by name, for the filter (not the
/// empty name of a request refused before its model could be read).
pub async fn models_used(pool: &PgPool, user_id: Uuid) -> Result<Vec<String>, AppError> {
    sqlx::query_scalar(
        "select distinct model from usage_records where user_id = $1 and model <> ''
         order by model limit 200",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// One model's totals on one day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DailyTotal {
    pub day: Date,
    pub model: String,
    pub requests: i64,
    pub tokens: i64,
    pub credits: i64,
}

/// `user_id`'s totals per day (UTC) and model, from `first` on.
pub async fn daily(pool: &PgPool, user_id: Uuid, first: Date) -> Result<Vec<DailyTotal>, AppError> {
    sqlx::query_as(
        "select (created_at at time zone 'UTC')::date as day, model,
                count(*) as requests,
                coalesce(sum(input_tokens::bigint + output_tokens::bigint), 0)::bigint as tokens,
                coalesce(sum(credits), 0)::bigint as credits
         from usage_records
         where user_id = $1 and created_at >= $2 and model <> ''
         group by 1, 2
         order by 1, 2",
    )
    .bind(user_id)
    .bind(first.midnight().assume_utc())
    .fetch_all(pool)
    .await
    .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_are_named_ok_and_error() {
        assert_eq!(StatusClass::parse("ok"), Some(StatusClass::Ok));
        assert_eq!(StatusClass::parse("error"), Some(StatusClass::Error));
        assert_eq!(StatusClass::parse("200"), None);
    }
}
