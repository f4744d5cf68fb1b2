//! One of the caller's support requests.

use leptos::prelude::*;

use super::SupportRequestView;
use crate::error::AppError;

/// The request `number` with its thread, if the caller opened it ("not
/// found" otherwise). Internal notes are never part of it.
#[server(endpoint = "get_support_request")]
pub async fn get_support_request(number: String) -> Result<SupportRequestView, AppError> {
    use crate::server::services::support;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let number = super::parse_number(&number)?;
        let request = support::for_requester(&state.pool, caller.user_id, number).await?;
        let messages = support::thread(&state.pool, request.id).await?;
        Ok(SupportRequestView::build(request, messages))
    })
    .await
}
