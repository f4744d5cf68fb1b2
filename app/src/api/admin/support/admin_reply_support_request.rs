//! Staff's reply on a request.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::error::AppError;

/// Takes staff's reply (`multipart/form-data`: `number`, `body` in
/// Markdown, the `status` to leave the request in (default: waiting on the
/// requester) and up to three files in `file`). The requester is told, in
/// the app and by email if they want it.
#[server(input = MultipartFormData, endpoint = "admin_reply_support_request")]
#[middleware(crate::server::upload::MultipartOnly)]
pub async fn admin_reply_support_request(data: MultipartData) -> Result<(), AppError> {
    use crate::api::support::{parse_number, MESSAGE_FIELDS};
    use crate::domain::support::{parse_body, Status};
    use crate::server::datasets::upload;
    use crate::server::services::support;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_admin();
        let (texts, files): (&[(&str, usize)], usize) = if caller.is_ok() {
            (&MESSAGE_FIELDS, support::MAX_ATTACHMENTS)
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
        let number = parse_number(text("number"))?;
        let body = parse_body(text("body")).map_err(|m| AppError::field("body", m))?;
        let status = match text("status").trim() {
            "" => None,
            value => Some(
                Status::parse(value)
                    .filter(|s| Status::SETTABLE.contains(s))
                    .ok_or_else(|| AppError::field("status", "Choose a status."))?,
            ),
        };
        support::staff_reply(
            &state.pool,
            &state.datasets,
            &caller,
            number,
            &body,
            form.files,
            status,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::admin_support_request(number),
            &[("done", "replied")],
        ));
        Ok(())
    })
    .await
}
