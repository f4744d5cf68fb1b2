//! Joining a course, and a student's courses.

use leptos::prelude::*;

use super::MyCourseView;
use crate::error::AppError;

/// Joins the signed-in user to the course whose join code is `code`, with
/// their own verified address. Answers what happened in words.
#[server(endpoint = "join_course")]
pub async fn join_course(code: String) -> Result<String, AppError> {
    use crate::domain::cohorts::parse_code;
    use crate::domain::credits::Credits;
    use crate::server::services::cohorts::{self, Joined};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let code = parse_code(&code).map_err(|message| AppError::field("code", message))?;
        let cohort = cohorts::cohort_by_code(&state.pool, &code)
            .await?
            .ok_or_else(|| AppError::field("code", "No course has this code; check it with your coordinator."))?;
        let joined =
            cohorts::join(&state.pool, &caller, &cohort, crate::server::client_addr()).await?;
        let message = match joined {
            Joined::Now => format!(
                "You joined {} ({}): {} credits are yours to use until the term ends.",
                cohort.name,
                cohort.course_code,
                crate::format::credits(Credits::from_micros(cohort.allocation))
            ),
            Joined::Already => format!("You are in {} already.", cohort.name),
            Joined::Waiting => format!(
                "You joined {}, but its credit has run out for now: your coordinator is told, and your {} credits arrive once they add more.",
                cohort.name,
                crate::format::credits(Credits::from_micros(cohort.allocation))
            ),
        };
        crate::server::redirect(&crate::href::with_query(
            crate::href::dashboard(),
            &[("joined", cohort.course_code.as_str())],
        ));
        Ok(message)
    })
    .await
}

/// The signed-in user's courses: allocation, what is left, days left.
#[server(endpoint = "my_courses")]
pub async fn my_courses() -> Result<Vec<MyCourseView>, AppError> {
    use super::status_label;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let today = time::OffsetDateTime::now_utc().date();
        Ok(cohorts::my_courses(&state.pool, caller.user_id)
            .await?
            .into_iter()
            .map(|c| MyCourseView {
                days_left: (c.status != "ended").then(|| (c.term_end - today).whole_days().max(0)),
                status: status_label(&c.status).to_owned(),
                slug: c.slug,
                name: c.name,
                course_code: c.course_code,
                institution_name: c.institution_name,
                allocated: c.allocated,
                remaining: c.remaining,
            })
            .collect())
    })
    .await
}
