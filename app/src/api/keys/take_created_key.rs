//! The key created by a form posted without JavaScript, shown once.

use leptos::prelude::*;

use super::CreatedKey;
use crate::error::AppError;

/// The key this browser just created without JavaScript (see `flash`), once:
/// the answer clears it. `None` when there is none, or it is not the
/// caller's, or it is revoked or more than a few minutes old.
#[server(endpoint = "take_created_key")]
pub async fn take_created_key() -> Result<Option<CreatedKey>, AppError> {
    use crate::server::api_keys::display_prefix;
    use crate::server::services::keys;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let Some(key) = super::flash::take(crate::server::cookies::secure(&state.public_url))
        else {
            return Ok(None);
        };
        let max_age = time::Duration::seconds(super::flash::MAX_AGE_SECONDS);
        let Some(row) = keys::find_recent(&state.pool, caller.user_id, &key, max_age).await? else {
            return Ok(None);
        };
        super::no_store();
        Ok(Some(CreatedKey {
            id: row.id.to_string(),
            name: row.name,
            prefix: display_prefix(&row.public_id),
            key,
        }))
    })
    .await
}
