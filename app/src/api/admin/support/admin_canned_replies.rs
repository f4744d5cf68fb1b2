//! Canned replies: saved answers with variables, filled in per request.

use leptos::prelude::*;

use super::CannedView;
use crate::error::AppError;

/// Every canned reply, by title.
#[server(endpoint = "admin_canned_replies")]
pub async fn admin_canned_replies() -> Result<Vec<CannedView>, AppError> {
    use crate::server::services::support;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        Ok(support::canned(&state.pool)
            .await?
            .into_iter()
            .map(|c| CannedView {
                id: c.id.to_string(),
                title: c.title,
                body: c.body,
            })
            .collect())
    })
    .await
}

/// Saves a canned reply (`id` empty: a new one). Its body may use
/// `{{ name }}`, `{{ email }}`, `{{ number }}`, `{{ subject }}`,
/// `{{ balance }}` and `{{ staff }}`.
#[server(endpoint = "admin_save_canned_reply")]
pub async fn admin_save_canned_reply(
    #[server(default)] id: String,
    title: String,
    body: String,
) -> Result<String, AppError> {
    use crate::domain::support::parse_body;
    use crate::error::FieldErrors;
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let id = match id.trim() {
            "" => None,
            id => Some(
                uuid::Uuid::parse_str(id)
                    .map_err(|_| AppError::NotFound("There is no such canned reply.".into()))?,
            ),
        };
        let mut errors = FieldErrors::default();
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 120 {
            errors.add("title", "Give the reply a title of 1 to 120 characters.");
        }
        let body = errors.check("body", parse_body(&body));
        errors.finish()?;
        let Some(body) = body else {
            return Err(AppError::Internal);
        };
        let id = support::save_canned(
            &state.pool,
            &caller,
            id,
            title,
            &body,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_support_canned(),
            &[("done", "saved")],
        ));
        Ok(id.to_string())
    })
    .await
}

/// Deletes a canned reply.
#[server(endpoint = "admin_delete_canned_reply")]
pub async fn admin_delete_canned_reply(id: String) -> Result<(), AppError> {
    use crate::server::services::support;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let id = uuid::Uuid::parse_str(id.trim())
            .map_err(|_| AppError::NotFound("There is no such canned reply.".into()))?;
        support::delete_canned(&state.pool, &caller, id, crate::server::client_addr()).await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_support_canned(),
            &[("done", "deleted")],
        ));
        Ok(())
    })
    .await
}
