//! A course's roster: students listed in a CSV file, checked and invited.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use super::{RosterDraftView, RosterReport};
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

/// Takes the roster form (`multipart/form-data`): the course's `slug`, a
/// roster `file` (our CSV, a OneRoster 1.1 `.zip`, or its `users.csv`) or
/// the roster pasted in `roster`, and for a OneRoster bundle of several
/// classes the `class` to import. Keeps it and sends the browser to its
/// preview on the course page (`?roster=<id>`); invites nobody yet.
#[server(input = MultipartFormData, endpoint = "upload_roster_file")]
#[middleware(crate::server::upload::MultipartOnly)]
pub async fn upload_roster_file(data: MultipartData) -> Result<String, AppError> {
    use crate::server::services::{cohorts, rosters};
    use crate::server::upload;
    crate::server::respond(async move {
        let caller = crate::server::require_user();
        // The body is read (only drained for a refused caller) before
        // answering, so the browser sees the answer rather than a reset.
        let wanted: &[&str] = if caller.is_ok() {
            &["slug", "file", "roster", "class"]
        } else {
            &[]
        };
        let mut fields = upload::read_form(data, wanted, rosters::MAX_ROSTER_BYTES).await?;
        let caller = caller?;
        let state = crate::server::state()?;
        let slug = fields
            .iter()
            .position(|(name, _)| name == "slug")
            .map(|at| {
                String::from_utf8_lossy(&fields.remove(at).1.bytes)
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let (cohort, _) = cohorts::coordinated(&state.pool, &slug, caller.user_id).await?;
        let upload = rosters::read_upload(fields)?;
        // A file that does not read as a roster is refused now, on its field.
        cohorts::check_roster(&state.pool, &cohort, &upload.roster)
            .await
            .map_err(|error| match error {
                AppError::Validation(mut errors) => {
                    for e in &mut errors {
                        e.field = upload.field.to_owned();
                    }
                    AppError::Validation(errors)
                }
                other => other,
            })?;
        let draft = rosters::create_draft(&state.pool, &caller, cohort.id, &upload).await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::course(&cohort.slug),
            &[("roster", &draft.to_string())],
        ));
        Ok(draft.to_string())
    })
    .await
}

/// The roster `draft` uploaded to the course `slug`, checked against the
/// course as it is now: each row's fate before anyone is invited.
#[server(endpoint = "roster_draft")]
pub async fn roster_draft(slug: String, draft: String) -> Result<RosterDraftView, AppError> {
    use crate::server::services::{cohorts, rosters};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let draft = find_draft(&state.pool, cohort.id, &draft).await?;
        let checked = cohorts::check_roster(&state.pool, &cohort, &draft.roster).await?;
        Ok(RosterDraftView {
            id: draft.id.to_string(),
            file_name: draft.file_name.unwrap_or_default(),
            oneroster: draft.format == rosters::Format::OneRoster.as_str(),
            uploaded: crate::format::time(draft.created_at),
            invited: draft.invited,
            report: super::roster_report(checked, 0),
        })
    })
    .await
}

/// Invites every new address of the roster `draft` to the course `slug`
/// by email (with the join link); addresses invited or enrolled before are
/// left alone, so inviting a roster again invites nobody twice.
#[server(endpoint = "invite_roster")]
pub async fn invite_roster(slug: String, draft: String) -> Result<usize, AppError> {
    use crate::server::services::{cohorts, rosters};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (cohort, _) = cohorts::coordinated(&state.pool, slug.trim(), caller.user_id).await?;
        let draft = find_draft(&state.pool, cohort.id, &draft).await?;
        let join_url = format!(
            "{}{}",
            crate::server::origin(&state),
            crate::href::join_course(&cohort.join_code)
        );
        let invited = cohorts::apply_roster(
            &state.pool,
            &caller,
            &cohort,
            &draft.roster,
            &join_url,
            crate::server::client_addr(),
        )
        .await?;
        rosters::mark_invited(&state.pool, draft.id, invited).await?;
        if crate::server::plain_form_post() {
            super::back_to(&cohort.slug, "invited");
        }
        Ok(invited)
    })
    .await
}

#[cfg(feature = "ssr")]
async fn find_draft(
    pool: &sqlx::PgPool,
    cohort: uuid::Uuid,
    id: &str,
) -> Result<crate::server::services::rosters::Draft, AppError> {
    let missing =
        || AppError::NotFound("This roster is not this course's; upload it again.".to_owned());
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| missing())?;
    crate::server::services::rosters::draft(pool, cohort, id)
        .await?
        .ok_or_else(missing)
}
