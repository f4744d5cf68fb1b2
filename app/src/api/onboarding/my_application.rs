//! The caller's latest onboarding application.

use leptos::prelude::*;

use super::ApplicationView;
use crate::error::AppError;

/// The caller's latest application, if any.
#[server(endpoint = "my_application")]
pub async fn my_application() -> Result<Option<ApplicationView>, AppError> {
    use crate::domain::onboarding::{ExpectedUsage, Industry};
    use crate::domain::role::ApplicationStatus;
    use crate::server::services::onboarding;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (row, business, academic) = tokio::try_join!(
            onboarding::latest_for(&state.pool, caller.user_id),
            onboarding::business_name(&state.pool, caller.user_id),
            onboarding::academic_offer(&state.pool, caller.user_id),
        )?;
        let academic = academic.map(|offer| super::AcademicOfferView {
            university: offer.university,
            country: offer.country,
            domain: caller
                .email
                .rsplit_once('@')
                .map(|(_, domain)| domain.to_owned())
                .unwrap_or_default(),
        });
        Ok(row.map(|a| ApplicationView {
            building: a.building,
            industry: Industry::parse(&a.industry)
                .map(|i| i.label().to_owned())
                .unwrap_or(a.industry),
            expected_usage: ExpectedUsage::parse(&a.expected_usage)
                .map(|u| u.label().to_owned())
                .unwrap_or(a.expected_usage),
            business,
            academic,
            status: ApplicationStatus::parse(&a.status).unwrap_or(ApplicationStatus::Pending),
            decision_note: a.decision_note,
            submitted: crate::format::time(a.created_at),
            decided: a.decided_at.map(crate::format::time),
        }))
    })
    .await
}
