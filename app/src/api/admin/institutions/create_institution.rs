//! Creating an institution, with its students' email domains.

use leptos::prelude::*;

use super::NewInstitutionForm;
use crate::error::AppError;

/// Creates an institution (name, address, country, website, time zone and
/// its students' email domains).
#[server(endpoint = "admin_create_institution")]
pub async fn create_institution(
    #[server(flatten)] form: NewInstitutionForm,
) -> Result<String, AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let new = super::checked_institution(&form)?;
        let institution = cohorts::create_institution(
            &state.pool,
            &caller,
            &new,
            None,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_institutions(),
            &[("done", "created")],
        ));
        Ok(institution.slug)
    })
    .await
}
