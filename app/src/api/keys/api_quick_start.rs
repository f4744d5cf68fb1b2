//! What the quick-start snippets on the keys page need.

use leptos::prelude::*;

use super::QuickStart;
use crate::error::AppError;

/// The inference API's base URL (this portal's origin + `/v1`) and the
/// models it serves.
#[server(endpoint = "api_quick_start")]
pub async fn api_quick_start() -> Result<QuickStart, AppError> {
    use super::ModelView;
    use crate::server::services::models;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        crate::server::require_user()?;
        let models = models::served_models(&state.pool).await?;
        Ok(QuickStart {
            base_url: crate::server::api_base_url(&state),
            models: models
                .into_iter()
                .map(|m| ModelView {
                    id: m.public_id,
                    kind: m.kind,
                })
                .collect(),
        })
    })
    .await
}
