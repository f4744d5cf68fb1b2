//! Creating an API key.

use leptos::prelude::*;

use super::CreatedKey;
use crate::error::AppError;

/// Creates a key for the signed-in user. The answer carries the key's
/// plaintext, the only copy there is. Limits and the expiry are optional
/// (empty: none); the spend cap is in credits, up to 6 decimals.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(
    name: String,
    #[server(default)] spend_cap: String,
    #[server(default)] rpm_limit: String,
    #[server(default)] tpm_limit: String,
    #[server(default)] expires_on: String,
) -> Result<CreatedKey, AppError> {
    use crate::server::api_keys::display_prefix;
    use crate::server::services::keys;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let settings = crate::domain::keys::parse_settings(
            &name,
            &spend_cap,
            &rpm_limit,
            &tpm_limit,
            &expires_on,
            time::OffsetDateTime::now_utc(),
        )?;
        let (row, key) = keys::create(&state.pool, caller.user_id, &settings).await?;
        let created = CreatedKey {
            id: row.id.to_string(),
            name: row.name,
            prefix: display_prefix(&row.public_id),
            key: key.plaintext,
        };
        super::no_store();
        if crate::server::plain_form_post() {
            super::flash::set(
                &created.key,
                crate::server::cookies::secure(&state.public_url),
            );
            crate::server::redirect(&crate::href::with_query(
                crate::href::keys(),
                &[("created", "1")],
            ));
        }
        Ok(created)
    })
    .await
}
