//! The choices of the request log's filters.

use leptos::prelude::*;

use super::UsageFilters;
use crate::error::AppError;

/// The models the signed-in user has called and their keys, for the log's
/// filters.
#[server(endpoint = "my_usage_filters")]
pub async fn my_usage_filters() -> Result<UsageFilters, AppError> {
    use super::KeyOption;
    use crate::server::api_keys::display_prefix;
    use crate::server::services::{keys, usage};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let models = usage::models_used(&state.pool, caller.user_id).await?;
        let keys = keys::list(&state.pool, caller.user_id).await?;
        Ok(UsageFilters {
            models,
            keys: keys
                .into_iter()
                .map(|k| KeyOption {
                    id: k.id.to_string(),
                    label: format!("{} ({})", k.name, display_prefix(&k.public_id)),
                })
                .collect(),
        })
    })
    .await
}
