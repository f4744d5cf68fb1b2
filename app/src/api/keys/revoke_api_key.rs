//! Revoking an API key.

use leptos::prelude::*;

use crate::error::AppError;

/// Revokes one of the signed-in user's keys; the proxy refuses it within
/// seconds (it trusts a key lookup for 3 s). The key stays listed (and its
/// usage with it).
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    use crate::server::services::keys;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let key_id = uuid::Uuid::parse_str(key_id.trim())
            .map_err(|_| AppError::NotFound("There is no such key.".to_owned()))?;
        keys::revoke(&state.pool, caller.user_id, key_id).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::keys(),
            &[("done", "revoked")],
        ));
        Ok(())
    })
    .await
}
