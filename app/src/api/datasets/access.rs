//! Accepting a dataset's terms, and asking for access to a dataset that
//! needs approval. Signed-in users.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::error::AppError;

/// Records that the caller accepts version `version` of the terms of the
/// dataset `slug` (with the time and their address), then returns to the
/// dataset's page.
#[server(endpoint = "accept_dataset_terms")]
pub async fn accept_dataset_terms(slug: String, version: i32) -> Result<(), AppError> {
    use crate::server::services::dataset_access;
    crate::server::respond(async move {
        let caller = crate::server::require_user()?;
        let state = crate::server::state()?;
        dataset_access::accept_terms(
            &state.pool,
            slug.trim(),
            version,
            caller.user_id,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::dataset(slug.trim()),
            &[("done", "accepted")],
        ));
        Ok(())
    })
    .await
}

/// Sends the caller's request for access to the dataset `slug`, with
/// `answers` to its form (`answers[field]`), then returns to its page.
#[server(endpoint = "request_dataset_access")]
pub async fn request_dataset_access(
    slug: String,
    #[server(default)] answers: BTreeMap<String, String>,
) -> Result<(), AppError> {
    use crate::server::services::dataset_access;
    crate::server::respond(async move {
        let caller = crate::server::require_user()?;
        let state = crate::server::state()?;
        dataset_access::request(&state.pool, slug.trim(), caller.user_id, &answers).await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::dataset(slug.trim()),
            &[("done", "requested")],
        ));
        Ok(())
    })
    .await
}
