//! An institution's staff: admins and coordinators.

use leptos::prelude::*;

use crate::error::AppError;

/// Makes the person signed up with `email` an `admin` or `coordinator` of
/// the institution `slug`.
#[server(endpoint = "admin_set_institution_staff")]
pub async fn set_institution_staff(
    slug: String,
    email: String,
    role: String,
) -> Result<(), AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let institution = cohorts::institution_by_slug(&state.pool, slug.trim())
            .await?
            .ok_or_else(|| AppError::field("slug", "There is no institution with this address."))?;
        cohorts::set_staff(
            &state.pool,
            &caller,
            &institution,
            &email,
            role.trim(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_institutions(),
            &[("done", "staff")],
        ));
        Ok(())
    })
    .await
}
