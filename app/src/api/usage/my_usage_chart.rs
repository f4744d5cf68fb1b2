//! The caller's daily totals by model.

use leptos::prelude::*;

use super::UsageChart;
use crate::error::AppError;

/// Days on the chart, today (UTC) included.
pub const CHART_DAYS: usize = 30;

/// Series drawn one by one; the smaller models share one more.
pub const CHART_SERIES: usize = 7;

/// The signed-in user's totals per day and model over the last 30 days
/// (UTC), measured in `metric` (`credits`, `tokens` or `requests`).
#[server(endpoint = "my_usage_chart")]
pub async fn my_usage_chart(#[server(default)] metric: String) -> Result<UsageChart, AppError> {
    use super::Metric;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let metric = Metric::parse(metric.trim());
        chart_of(&state.pool, caller.user_id, metric).await
    })
    .await
}

/// The first day (UTC) of a chart ending `today`.
#[cfg(feature = "ssr")]
pub(crate) fn chart_start(today: time::Date) -> time::Date {
    today
        .checked_sub(time::Duration::days(
            i64::try_from(CHART_DAYS - 1).unwrap_or_default(),
        ))
        .unwrap_or(today)
}

/// `user_id`'s chart over the last 30 days (UTC): what [`my_usage_chart`]
/// answers, and what the dashboard shows beside the rest in one call.
#[cfg(feature = "ssr")]
pub(crate) async fn chart_of(
    pool: &sqlx::PgPool,
    user_id: uuid::Uuid,
    metric: super::Metric,
) -> Result<UsageChart, AppError> {
    let first = chart_start(time::OffsetDateTime::now_utc().date());
    let totals = crate::server::services::usage::daily(pool, user_id, first).await?;
    Ok(build(metric, first, &totals))
}

/// Lays `totals` out as one series per model over the chart's days: the
/// biggest models first, the ones past [`CHART_SERIES`] summed as "Other
/// models".
#[cfg(feature = "ssr")]
fn build(
    metric: super::Metric,
    first: time::Date,
    totals: &[crate::server::services::usage::DailyTotal],
) -> UsageChart {
    build_over(metric, first, CHART_DAYS, totals)
}

/// [`build`] over `count` days from `first` (an organization's usage page
/// charts the days its filter asks for).
#[cfg(feature = "ssr")]
pub(crate) fn build_over(
    metric: super::Metric,
    first: time::Date,
    count: usize,
    totals: &[crate::server::services::usage::DailyTotal],
) -> UsageChart {
    use std::collections::HashMap;

    let days: Vec<time::Date> = std::iter::successors(Some(first), |d| d.next_day())
        .take(count)
        .collect();
    use super::Metric;
    let value = |t: &crate::server::services::usage::DailyTotal| match metric {
        Metric::Credits => t.credits,
        Metric::Tokens => t.tokens,
        Metric::Requests => t.requests,
    };
    let mut by_model: HashMap<&str, Vec<i64>> = HashMap::new();
    for total in totals {
        let Some(index) = days.iter().position(|d| *d == total.day) else {
            continue;
        };
        let values = by_model
            .entry(total.model.as_str())
            .or_insert_with(|| vec![0; days.len()]);
        values[index] = values[index].saturating_add(value(total));
    }
    let mut models: Vec<(&str, Vec<i64>)> = by_model.into_iter().collect();
    // Biggest first; ties by name, so the order (and colours) are stable.
    models.sort_by(|a, b| {
        let sum = |v: &[i64]| v.iter().fold(0i64, |acc, x| acc.saturating_add(*x));
        sum(&b.1).cmp(&sum(&a.1)).then_with(|| a.0.cmp(b.0))
    });
    let mut series: Vec<super::Series> = Vec::new();
    let mut other: Option<Vec<i64>> = None;
    for (i, (name, values)) in models.into_iter().enumerate() {
        if i < CHART_SERIES {
            series.push(super::Series {
                name: name.to_owned(),
                values,
            });
        } else {
            let sum = other.get_or_insert_with(|| vec![0; days.len()]);
            for (s, v) in sum.iter_mut().zip(values) {
                *s = s.saturating_add(v);
            }
        }
    }
    if let Some(values) = other {
        series.push(super::Series {
            name: "Other models".to_owned(),
            values,
        });
    }
    UsageChart {
        metric,
        days: days.iter().map(|d| crate::format::date(*d)).collect(),
        series,
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::api::usage::Metric;
    use crate::server::services::usage::DailyTotal;
    use time::macros::date;

    fn total(day: time::Date, model: &str, credits: i64) -> DailyTotal {
        DailyTotal {
            day,
            model: model.to_owned(),
            requests: 1,
            tokens: credits * 10,
            credits,
        }
    }

    #[test]
    fn days_are_filled_and_models_ordered_by_size() {
        let first = date!(2026 - 11 - 01);
        let chart = build(
            Metric::Credits,
            first,
            &[
                total(date!(2026 - 11 - 01), "small", 5),
                total(date!(2026 - 11 - 03), "big", 50),
                total(date!(2026 - 11 - 30), "small", 1),
                total(date!(2026 - 12 - 01), "big", 999), // past the chart
            ],
        );
        assert_eq!(chart.days.len(), CHART_DAYS);
        assert_eq!(chart.days[0], "2026-11-01");
        assert_eq!(chart.days[29], "2026-11-30");
        let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["big", "small"]);
        assert_eq!(chart.series[0].values[2], 50);
        assert_eq!(chart.series[1].values[0], 5);
        assert_eq!(chart.series[1].values[29], 1);
        assert_eq!(chart.day_total(2), 50);
        assert!(!chart.is_empty());

        let tokens = build(Metric::Tokens, first, &[total(first, "m", 3)]);
        assert_eq!(tokens.series[0].values[0], 30);
    }

    #[test]
    fn models_past_the_palette_share_one_series() {
        let first = date!(2026 - 11 - 01);
        let totals: Vec<DailyTotal> = (0..10)
            .map(|i| total(first, &format!("model-{i}"), 100 - i))
            .collect();
        let chart = build(Metric::Credits, first, &totals);
        assert_eq!(chart.series.len(), CHART_SERIES + 1);
        let other = chart.series.last().expect("other");
        assert_eq!(other.name, "Other models");
        assert_eq!(other.values[0], 93 + 92 + 91);
        assert_eq!(chart.day_total(0), (91..=100).sum::<i64>());
    }

    #[test]
    fn no_usage_is_an_empty_chart() {
        let chart = build(Metric::Requests, date!(2026 - 11 - 01), &[]);
        assert!(chart.is_empty());
        assert!(chart.series.is_empty());
        assert_eq!(chart.days.len(), CHART_DAYS);
    }
}
