//! A course's console beyond its dashboard: usage by day, model and agent,
//! one student's page, and the course's audit trail (coordinators of the
//! course and admins of its institution only; 404 to anyone else).

use leptos::prelude::*;

use super::{CourseAuditView, CourseStudentView, CourseUsageView};
use crate::error::AppError;

/// Entries per page of a course's audit trail.
pub const COURSE_AUDIT_PER_PAGE: i64 = 50;

/// The course `slug`'s requests and spend from `from` to `to` (UTC days,
/// `YYYY-MM-DD`; by default the term so far): per day and model as a
/// chart, per model and per playground agent as tables.
#[server(endpoint = "course_usage")]
pub async fn course_usage(
    slug: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<CourseUsageView, AppError> {
    use crate::api::organizations::UsageTotalView;
    use crate::api::usage::{build_over, Metric};
    use crate::server::services::{cohorts, course_console};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let today = time::OffsetDateTime::now_utc().date();
        let (first, last) = usage_days(&from, &to, cohort.term_start, cohort.term_end, today)?;
        let (daily, by_model, by_agent) = tokio::try_join!(
            course_console::daily(&state.pool, cohort.id, first, last),
            course_console::by_model(&state.pool, cohort.id, first, last),
            course_console::by_agent(&state.pool, cohort.id, first, last),
        )?;
        let view = |rows: Vec<crate::server::services::organizations::UsageTotal>| {
            rows.into_iter()
                .map(|t| UsageTotalView {
                    label: t.label,
                    detail: t.detail,
                    requests: t.requests,
                    tokens: t.tokens,
                    credits: t.credits,
                })
                .collect::<Vec<_>>()
        };
        let days = usize::try_from((last - first).whole_days() + 1).unwrap_or(1);
        Ok(CourseUsageView {
            slug: cohort.slug,
            name: cohort.name,
            course_code: cohort.course_code,
            from: crate::format::date(first),
            to: crate::format::date(last),
            chart: build_over(Metric::Credits, first, days, &daily),
            by_model: view(by_model),
            by_agent: view(by_agent),
        })
    })
    .await
}

/// The days a course's usage page covers: those asked for, by default the
/// term up to today (or all of it once over).
#[cfg_attr(
    all(not(feature = "ssr"), not(test)),
    expect(dead_code, reason = "used on the server")
)]
fn usage_days(
    from: &str,
    to: &str,
    term_start: time::Date,
    term_end: time::Date,
    today: time::Date,
) -> Result<(time::Date, time::Date), AppError> {
    use crate::api::organizations::MAX_USAGE_DAYS;
    use crate::domain::calendar::parse_day;
    use crate::error::FieldErrors;
    let mut errors = FieldErrors::default();
    let last = errors
        .check("to", parse_day(to))
        .flatten()
        .unwrap_or_else(|| today.min(term_end).max(term_start));
    let first = errors
        .check("from", parse_day(from))
        .flatten()
        .unwrap_or_else(|| term_start.min(last));
    if first > last {
        errors.add("from", "The first day comes after the last.");
    } else if (last - first).whole_days() >= MAX_USAGE_DAYS {
        errors.add("from", format!("Choose at most {MAX_USAGE_DAYS} days."));
    }
    errors.finish()?;
    Ok((first, last))
}

/// One student of the course `slug` (`id`: their enrollment): their
/// allocation, every credit move to and from it, and their latest requests.
#[server(endpoint = "course_student")]
pub async fn course_student(slug: String, id: String) -> Result<CourseStudentView, AppError> {
    use super::{status_label, MoveView, StudentRequestView};
    use crate::domain::credits::Credits;
    use crate::server::services::{cohorts, course_console};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let missing = || AppError::NotFound("This course has no such student.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| missing())?;
        let student = course_console::student(&state.pool, cohort.id, id)
            .await?
            .ok_or_else(missing)?;
        let (moves, requests) = match student.account {
            Some(account) => {
                let moves = course_console::moves(&state.pool, account).await?;
                let mut conn = state
                    .pool
                    .acquire()
                    .await
                    .map_err(crate::server::internal)?;
                let requests = course_console::requests(&mut conn, account, None, true, 50)
                    .await
                    .map_err(crate::server::internal)?;
                (moves, requests)
            }
            None => (Vec::new(), Vec::new()),
        };
        let time = |at: Option<time::OffsetDateTime>| at.map(crate::format::time);
        Ok(CourseStudentView {
            course_slug: cohort.slug,
            course_name: cohort.name,
            id: student.id.to_string(),
            name: student.name.unwrap_or_default(),
            email: student.email,
            student_id: student.student_id.unwrap_or_default(),
            status: status_label(&student.status).to_owned(),
            invited_at: time(student.invited_at),
            joined_at: time(student.joined_at),
            ended_at: time(student.ended_at),
            allocated: student.allocated,
            reclaimed: student.reclaimed,
            spent: student.spent,
            remaining: student.remaining,
            requests: student.requests,
            last_activity: time(student.last_activity),
            moves: moves
                .into_iter()
                .map(|m| MoveView {
                    time: crate::format::time(m.created_at),
                    what: match m.kind.as_str() {
                        "reclaim" => "Given back at the end of the term".to_owned(),
                        _ => m
                            .memo
                            .map_or_else(|| "Credit".to_owned(), |memo| capitalized(&memo)),
                    },
                    amount: crate::format::credits(Credits::from_micros(m.amount)),
                    by: m.actor.unwrap_or_default(),
                })
                .collect(),
            recent: requests
                .into_iter()
                .map(|r| StudentRequestView {
                    time: crate::format::time(r.created_at),
                    model: r.model,
                    via: match (r.agent, r.key_name) {
                        (Some(agent), _) => format!("Playground: {agent}"),
                        (None, Some(key)) => format!("Key “{key}”"),
                        (None, None) => "Playground".to_owned(),
                    },
                    tokens: i64::from(r.input_tokens) + i64::from(r.output_tokens),
                    credits: r.credits,
                    status: r.status,
                })
                .collect(),
        })
    })
    .await
}

#[cfg_attr(not(feature = "ssr"), expect(dead_code, reason = "used on the server"))]
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Everything done in the course `slug`, newest first: creation, funding,
/// status changes, codes, rosters, joins, top-ups and the end of the term.
#[server(endpoint = "course_audit")]
pub async fn course_audit(
    slug: String,
    #[server(default)] page: i64,
) -> Result<CourseAuditView, AppError> {
    use crate::domain::paging::{clamp_page, Page};
    use crate::server::services::{audit, cohorts};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let page = clamp_page(page);
        let (rows, total) =
            audit::team_trail(&state.pool, cohort.id, page, COURSE_AUDIT_PER_PAGE).await?;
        Ok(CourseAuditView {
            slug: cohort.slug,
            name: cohort.name,
            entries: Page::new(rows, total, page, COURSE_AUDIT_PER_PAGE)
                .map(crate::api::organizations::audit_entry),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::usage_days;

    #[test]
    fn usage_covers_the_term_so_far_by_default() {
        let (start, end) = (date!(2026 - 09 - 01), date!(2026 - 12 - 15));
        assert_eq!(
            usage_days("", "", start, end, date!(2026 - 10 - 10)).ok(),
            Some((start, date!(2026 - 10 - 10)))
        );
        // After the term: all of it; before it: its first day.
        assert_eq!(
            usage_days("", "", start, end, date!(2027 - 01 - 10)).ok(),
            Some((start, end))
        );
        assert_eq!(
            usage_days("", "", start, end, date!(2026 - 08 - 01)).ok(),
            Some((start, start))
        );
        assert_eq!(
            usage_days(
                "2026-10-01",
                "2026-10-07",
                start,
                end,
                date!(2026 - 10 - 10)
            )
            .ok(),
            Some((date!(2026 - 10 - 01), date!(2026 - 10 - 07)))
        );
        assert!(usage_days(
            "2026-10-08",
            "2026-10-07",
            start,
            end,
            date!(2026 - 10 - 10)
        )
        .is_err());
        assert!(usage_days("10/01/2026", "", start, end, date!(2026 - 10 - 10)).is_err());
    }
}
