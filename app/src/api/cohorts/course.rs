//! A course's console, for its coordinators and its institution's admins.

use leptos::prelude::*;

use super::CohortView;
use crate::error::AppError;

/// The course `slug` for those who run it: its details, join code and
/// link, pool against what its seats need, and every student with what
/// they received, spent and have left. "Not found" for anyone else,
/// students included.
#[server(endpoint = "get_cohort")]
pub async fn get_cohort(slug: String) -> Result<CohortView, AppError> {
    use super::{status_label, StudentView};
    use crate::server::ledger;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let students = cohorts::students(&state.pool, cohort.id).await?;
        let pool = ledger::available_of(&state.pool, ledger::Owner::Cohort(cohort.id))
            .await
            .map_err(crate::server::internal)?;
        let count = |status: &str| {
            i64::try_from(students.iter().filter(|s| s.status == status).count()).unwrap_or(0)
        };
        let (invited, joined, waiting) = (count("invited"), count("joined"), count("waiting"));
        let week_ago = time::OffsetDateTime::now_utc() - time::Duration::days(7);
        let active = i64::try_from(
            students
                .iter()
                .filter(|s| s.last_activity.is_some_and(|at| at >= week_ago))
                .count(),
        )
        .unwrap_or(0);
        let allocated_seats = joined + count("ended");
        let open_seats = (i64::from(cohort.max_students) - allocated_seats).max(0);
        Ok(CohortView {
            status: cohort.status(),
            join_url: format!(
                "{}{}",
                crate::server::origin(&state),
                crate::href::join_course(&cohort.join_code)
            ),
            needs: open_seats.saturating_mul(cohort.allocation),
            students: students
                .into_iter()
                .map(|s| StudentView {
                    id: s.id.to_string(),
                    name: s.name.unwrap_or_default(),
                    student_id: s.student_id.unwrap_or_default(),
                    status: status_label(&s.status).to_owned(),
                    near_limit: s.status == "joined"
                        && s.allocated > 0
                        && s.remaining * 5 < s.allocated,
                    email: s.email,
                    allocated: s.allocated,
                    spent: s.spent,
                    remaining: s.remaining,
                    requests: s.requests,
                    last_activity: s.last_activity.map(crate::format::time),
                })
                .collect(),
            slug: cohort.slug,
            name: cohort.name,
            course_code: cohort.course_code,
            institution_slug: cohort.institution_slug,
            institution_name: cohort.institution_name,
            term_start: cohort.term_start.to_string(),
            term_end: cohort.term_end.to_string(),
            time_zone: cohort.time_zone,
            allocation: cohort.allocation,
            max_students: cohort.max_students,
            require_institution_email: cohort.require_institution_email,
            join_code: cohort.join_code,
            pool,
            invited,
            joined,
            waiting,
            active,
            form_key: uuid::Uuid::now_v7().to_string(),
        })
    })
    .await
}

/// Opens the course for joining, or closes it (`status`: `open`,
/// `closed` or `draft`).
#[server(endpoint = "set_cohort_status")]
pub async fn set_cohort_status(slug: String, status: String) -> Result<(), AppError> {
    use crate::domain::cohorts::CohortStatus;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let status = CohortStatus::parse(&status)
            .ok_or_else(|| AppError::field("status", "Choose draft, open or closed."))?;
        cohorts::set_status(
            &state.pool,
            &caller,
            &cohort,
            status,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&cohort.slug, status.as_str());
        Ok(())
    })
    .await
}

/// Gives the course a new join code and link; the old ones stop working.
#[server(endpoint = "rotate_join_code")]
pub async fn rotate_join_code(slug: String) -> Result<String, AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let code =
            cohorts::rotate_code(&state.pool, &caller, &cohort, crate::server::client_addr())
                .await?;
        super::back_to(&cohort.slug, "rotated");
        Ok(code)
    })
    .await
}

/// Moves `amount` credits from the institution's pool to the course's;
/// waiting students then receive theirs. Once per form (`idempotency_key`).
#[server(endpoint = "fund_cohort")]
pub async fn fund_cohort(
    slug: String,
    amount: String,
    idempotency_key: String,
) -> Result<bool, AppError> {
    use crate::domain::credits::Credits;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let key = crate::api::admin::credits::form_key(&idempotency_key)?;
        let amount = Credits::parse_positive(&amount)
            .map_err(|message| AppError::field("amount", message))?;
        let moved = cohorts::fund(
            &state.pool,
            &caller,
            &cohort,
            amount,
            &format!("cohort-fund:{key}"),
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&cohort.slug, "funded");
        Ok(moved)
    })
    .await
}

/// Tops up students of the course by `amount` credits each from its pool:
/// `students` is `all` (every joined student) or ids separated by commas.
/// All or none; once per form (`idempotency_key`). Answers how many.
#[server(endpoint = "top_up_students")]
pub async fn top_up_students(
    slug: String,
    students: String,
    amount: String,
    idempotency_key: String,
) -> Result<usize, AppError> {
    use crate::domain::credits::Credits;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let key = crate::api::admin::credits::form_key(&idempotency_key)?;
        let amount = Credits::parse_positive(&amount)
            .map_err(|message| AppError::field("amount", message))?;
        let ids: Vec<uuid::Uuid> = if students.trim() == "all" {
            cohorts::students(&state.pool, cohort.id)
                .await?
                .into_iter()
                .filter(|s| s.status == "joined")
                .map(|s| s.id)
                .collect()
        } else {
            students
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| uuid::Uuid::parse_str(s.trim()))
                .collect::<Result<_, _>>()
                .map_err(|_| AppError::field("students", "Choose students of this course."))?
        };
        let count = cohorts::top_up(
            &state.pool,
            &caller,
            &cohort,
            &ids,
            amount,
            &format!("cohort-top-up:{key}"),
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&cohort.slug, "topped-up");
        Ok(count)
    })
    .await
}

/// Ends the course's term now: students' keys stop and every unused
/// allocation goes back to the course and then the institution.
#[server(endpoint = "end_cohort_term")]
pub async fn end_cohort_term(slug: String) -> Result<(), AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        cohorts::end_term(
            &state.pool,
            Some(&caller),
            &cohort,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&cohort.slug, "ended");
        Ok(())
    })
    .await
}
