//! Sending an onboarding application.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The onboarding form, as posted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub building: String,
    pub industry: String,
    pub expected_usage: String,
}

/// Sends the application to the review queue.
#[server(endpoint = "submit_application")]
pub async fn submit_application(#[server(flatten)] form: ApplicationForm) -> Result<(), AppError> {
    use crate::domain::onboarding::{Building, ExpectedUsage, Industry};
    use crate::error::FieldErrors;
    use crate::server::services::onboarding;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let mut errors = FieldErrors::default();
        let building = errors.check("building", Building::parse(&form.building));
        let industry = errors.check("industry", Industry::parse(&form.industry));
        let usage = errors.check("expected_usage", ExpectedUsage::parse(&form.expected_usage));
        errors.finish()?;
        let (Some(building), Some(industry), Some(usage)) = (building, industry, usage) else {
            return Err(AppError::Internal);
        };
        onboarding::submit(&state.pool, &caller, building, industry, usage).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::dashboard(),
            &[("applied", "1")],
        ));
        Ok(())
    })
    .await
}
