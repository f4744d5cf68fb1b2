//! Every institution, for Lab staff.

use leptos::prelude::*;

use super::StaffInstitutions;
use crate::error::AppError;

/// Every institution with its pool and number of courses.
#[server(endpoint = "admin_list_institutions")]
pub async fn list_institutions() -> Result<StaffInstitutions, AppError> {
    use super::StaffInstitution;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        Ok(StaffInstitutions {
            institutions: cohorts::institutions(&state.pool)
                .await?
                .into_iter()
                .map(|i| StaffInstitution {
                    slug: i.slug,
                    name: i.name,
                    country: i.country,
                    domains: i.domains,
                    pool: i.pool,
                    cohorts: i.cohorts,
                })
                .collect(),
            form_key: uuid::Uuid::now_v7().to_string(),
        })
    })
    .await
}
