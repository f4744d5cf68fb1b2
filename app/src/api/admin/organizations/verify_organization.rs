//! Marking an organization verified.

use leptos::prelude::*;

use crate::error::AppError;

/// Marks the organization `slug` verified (shown as a badge), or not;
/// audited.
#[server(endpoint = "admin_verify_organization")]
pub async fn verify_organization(slug: String, verified: bool) -> Result<(), AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        organizations::set_verified(
            &state.pool,
            &caller,
            slug.trim(),
            verified,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_organizations(),
            &[("done", if verified { "verified" } else { "unverified" })],
        ));
        Ok(())
    })
    .await
}
