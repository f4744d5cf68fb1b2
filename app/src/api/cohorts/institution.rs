//! An institution's dashboard and its new courses.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::InstitutionView;
use crate::error::AppError;

/// The institution `slug` for its staff: its pool, its courses with their
/// spend, and its staff. "Not found" for anyone else.
#[server(endpoint = "get_institution")]
pub async fn get_institution(slug: String) -> Result<InstitutionView, AppError> {
    use super::{CohortSummary, StaffView};
    use crate::domain::cohorts::CohortStatus;
    use crate::server::ledger;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let institution = cohorts::staffed(&state.pool, slug.trim(), caller.user_id, false).await?;
        let (list, staff, domains) = tokio::try_join!(
            cohorts::cohorts_of(&state.pool, institution.id),
            cohorts::staff(&state.pool, institution.id),
            cohorts::domains(&state.pool, institution.id),
        )?;
        let pool = ledger::available_of(&state.pool, ledger::Owner::Institution(institution.id))
            .await
            .map_err(crate::server::internal)?;
        let is_admin = staff
            .iter()
            .any(|s| s.user_id == caller.user_id && s.role == "admin");
        let invitations = if is_admin {
            cohorts::staff_invitations(&state.pool, institution.id).await?
        } else {
            Vec::new()
        };
        Ok(InstitutionView {
            slug: institution.slug,
            name: institution.name,
            time_zone: institution.time_zone,
            domains,
            pool,
            is_admin,
            cohorts: list
                .into_iter()
                .map(|c| CohortSummary {
                    status: CohortStatus::parse(&c.status).unwrap_or(CohortStatus::Draft),
                    term: format!("{} to {}", c.term_start, c.term_end),
                    slug: c.slug,
                    name: c.name,
                    course_code: c.course_code,
                    students: c.students,
                    allocated: c.allocated,
                    spent: c.spent,
                    pool: c.pool,
                })
                .collect(),
            staff: staff
                .into_iter()
                .map(|s| StaffView {
                    name: s.display_name,
                    email: s.email,
                    role: s.role,
                })
                .collect(),
            invitations: invitations
                .into_iter()
                .map(|i| super::StaffInvitationView {
                    id: i.id.to_string(),
                    email: i.email,
                    role: i.role,
                    invited_by: i.invited_by.unwrap_or_default(),
                    expires: crate::format::time(i.expires_at),
                })
                .collect(),
        })
    })
    .await
}

/// The new course form, as posted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewCohortForm {
    pub institution: String,
    pub name: String,
    pub course_code: String,
    pub term_start: String,
    pub term_end: String,
    /// Credits per student.
    pub allocation: String,
    pub max_students: String,
    /// Present when ticked.
    #[serde(default)]
    pub require_institution_email: String,
}

/// Creates a course of the institution `institution` (its staff), in
/// draft, with the caller as its coordinator; sends the browser to it.
#[server(endpoint = "create_cohort")]
pub async fn create_cohort(#[server(flatten)] form: NewCohortForm) -> Result<String, AppError> {
    use crate::domain::cohorts::{parse_cohort, CohortFields};
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let institution =
            cohorts::staffed(&state.pool, form.institution.trim(), caller.user_id, false).await?;
        let form = parse_cohort(CohortFields {
            name: &form.name,
            course_code: &form.course_code,
            term_start: &form.term_start,
            term_end: &form.term_end,
            allocation: &form.allocation,
            max_students: &form.max_students,
            require_institution_email: &form.require_institution_email,
        })?;
        let cohort = cohorts::create_cohort(
            &state.pool,
            &caller,
            &institution,
            &form,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&cohort.slug, "created");
        Ok(cohort.slug)
    })
    .await
}

/// What an approved academic applicant gives to set up their institution;
/// its students' domain is the applicant's own email domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnInstitutionForm {
    pub name: String,
    pub slug: String,
    pub country: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub time_zone: String,
}

/// Sets up the institution of the caller's approved academic application
/// (once per application), with the caller as its admin and their email
/// domain as its students' domain. The Lab funds its pool; its admin then
/// creates courses and adds coordinators.
#[server(endpoint = "create_own_institution")]
pub async fn create_own_institution(
    #[server(flatten)] form: OwnInstitutionForm,
) -> Result<String, AppError> {
    use crate::api::admin::NewInstitutionForm;
    use crate::server::services::{cohorts, onboarding};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let offer = onboarding::academic_offer(&state.pool, caller.user_id)
            .await?
            .ok_or_else(|| {
                AppError::Conflict(
                    "Only an approved academic application that has no institution yet can set one up."
                        .to_owned(),
                )
            })?;
        let domain = caller
            .email
            .rsplit_once('@')
            .map(|(_, domain)| domain.to_owned())
            .unwrap_or_default();
        let new = crate::api::admin::checked_institution(&NewInstitutionForm {
            name: form.name,
            slug: form.slug,
            country: form.country,
            website: form.website,
            time_zone: form.time_zone,
            domains: domain,
        })?;
        let institution = cohorts::create_institution(
            &state.pool,
            &caller,
            &new,
            Some(offer.application),
            crate::server::client_addr(),
        )
        .await?;
        cohorts::set_staff(
            &state.pool,
            &caller,
            &institution,
            &caller.email,
            "admin",
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::institution(&institution.slug));
        Ok(institution.slug)
    })
    .await
}

/// Invites `email` to the institution `slug`'s staff as `role` (`admin` or
/// `coordinator`) by an email with a link (its admins only).
#[server(endpoint = "invite_institution_staff")]
pub async fn invite_institution_staff(
    slug: String,
    email: String,
    role: String,
) -> Result<(), AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let institution = cohorts::staffed(&state.pool, slug.trim(), caller.user_id, true).await?;
        cohorts::invite_staff(
            &state.pool,
            &caller,
            &institution,
            &email,
            role.trim(),
            &crate::server::origin(&state),
            crate::server::client_addr(),
        )
        .await?;
        if crate::server::plain_form_post() {
            crate::server::redirect(&crate::href::with_query(
                &crate::href::institution(&institution.slug),
                &[("done", "invited")],
            ));
        }
        Ok(())
    })
    .await
}

/// Revokes an open invitation to the institution `slug`'s staff (its
/// admins only): its link stops working.
#[server(endpoint = "revoke_institution_invitation")]
pub async fn revoke_institution_invitation(slug: String, id: String) -> Result<(), AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let institution = cohorts::staffed(&state.pool, slug.trim(), caller.user_id, true).await?;
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| {
            AppError::NotFound("That invitation was accepted or revoked already.".to_owned())
        })?;
        cohorts::revoke_staff_invitation(
            &state.pool,
            &caller,
            &institution,
            id,
            crate::server::client_addr(),
        )
        .await?;
        if crate::server::plain_form_post() {
            crate::server::redirect(&crate::href::institution(&institution.slug));
        }
        Ok(())
    })
    .await
}
