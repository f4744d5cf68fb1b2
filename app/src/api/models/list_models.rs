//! The public models and pricing list.

use leptos::prelude::*;

use super::PriceList;
use crate::error::AppError;

/// The inference API's base URL and the models it serves with their
/// prices. Public: no sign-in needed.
#[server(endpoint = "list_models")]
pub async fn list_models() -> Result<PriceList, AppError> {
    use crate::server::services::models;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let models = models::served_models(&state.pool).await?;
        Ok(PriceList::new(
            crate::server::api_base_url(&state),
            models.into_iter().map(Into::into).collect(),
        ))
    })
    .await
}
