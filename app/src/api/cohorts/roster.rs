//! A course's roster: students listed in a CSV file, checked and invited.

use leptos::prelude::*;

use super::RosterReport;
use crate::error::AppError;

/// Checks a roster (CSV text: a header naming `email` and optionally
/// `name` and `student_id`) against the course `slug`, changing nothing:
/// each row's address, and whether uploading would invite it, has invited
/// or enrolled it already, or leaves it out (a bad or repeated address,
/// one outside the institution's domains).
#[server(endpoint = "check_roster")]
pub async fn check_roster(slug: String, roster: String) -> Result<RosterReport, AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let checked = cohorts::check_roster(&state.pool, &cohort, &roster).await?;
        Ok(super::roster_report(checked, 0))
    })
    .await
}

/// Invites every new address of the roster to the course `slug` by email
/// (with the join link); addresses invited or enrolled before are left
/// alone. Answers the checked rows and how many were invited.
#[server(endpoint = "upload_roster")]
pub async fn upload_roster(slug: String, roster: String) -> Result<RosterReport, AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let join_url = format!(
            "{}{}",
            crate::server::origin(&state),
            crate::href::join_course(&cohort.join_code)
        );
        let invited = cohorts::apply_roster(
            &state.pool,
            &caller,
            &cohort,
            &roster,
            &join_url,
            crate::server::client_addr(),
        )
        .await?;
        let checked = cohorts::check_roster(&state.pool, &cohort, &roster).await?;
        if crate::server::plain_form_post() {
            super::back_to(&cohort.slug, "invited");
        }
        Ok(super::roster_report(checked, invited))
    })
    .await
}
