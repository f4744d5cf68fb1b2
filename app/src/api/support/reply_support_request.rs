//! The requester's reply on their request.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::error::AppError;

/// Takes a reply (`multipart/form-data`: the request's `number`, `body` in
/// Markdown and up to three files in `file`) from the person who opened the
/// request: a resolved request opens again, a closed one takes no reply.
/// Lab staff are told.
#[server(input = MultipartFormData, endpoint = "reply_support_request")]
#[middleware(crate::server::upload::MultipartOnly)]
pub async fn reply_support_request(data: MultipartData) -> Result<(), AppError> {
    use crate::domain::support::parse_body;
    use crate::server::datasets::upload;
    use crate::server::services::support;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user();
        let (texts, files): (&[(&str, usize)], usize) = if caller.is_ok() {
            (&super::MESSAGE_FIELDS, support::MAX_ATTACHMENTS)
        } else {
            (&[], 0)
        };
        let form = upload::receive_form(
            data,
            &state.datasets,
            texts,
            files,
            support::MAX_ATTACHMENT_BYTES,
        )
        .await?;
        let caller = caller?;
        let text = |name: &str| form.texts.get(name).map(String::as_str).unwrap_or_default();
        let number = super::parse_number(text("number"))?;
        let body = parse_body(text("body")).map_err(|m| AppError::field("body", m))?;
        let origin = crate::server::origin(&state);
        support::requester_reply(
            &state.pool,
            &state.datasets,
            &origin,
            &caller,
            number,
            &body,
            form.files,
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::support_request(number),
            &[("done", "replied")],
        ));
        Ok(())
    })
    .await
}
