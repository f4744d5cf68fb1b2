//! Opening a support request.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::error::AppError;

/// Takes the new-request form (`multipart/form-data`: `category`,
/// `subject`, `body` in Markdown, the page it came `from`, and up to three
/// files in `file`), attaches the caller's context (account, balance,
/// organizations and courses, latest failed requests), tells Lab staff,
/// and sends the browser to the request. Answers its number.
#[server(input = MultipartFormData, endpoint = "open_support_request")]
#[middleware(crate::server::upload::MultipartOnly)]
pub async fn open_support_request(data: MultipartData) -> Result<i64, AppError> {
    use crate::domain::support::{parse_body, parse_from_page, parse_subject, Category};
    use crate::error::FieldErrors;
    use crate::server::datasets::upload;
    use crate::server::services::support::{self, NewRequest};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user();
        // A refused caller's body is drained, not kept.
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
        let mut errors = FieldErrors::default();
        let category = errors.check(
            "category",
            Category::parse(text("category"))
                .ok_or_else(|| "Choose what the request is about.".to_owned()),
        );
        let subject = errors.check("subject", parse_subject(text("subject")));
        let body = errors.check("body", parse_body(text("body")));
        errors.finish()?;
        let (Some(category), Some(subject), Some(body)) = (category, subject, body) else {
            return Err(AppError::Internal);
        };
        let request = NewRequest {
            category,
            subject,
            body,
            from_page: parse_from_page(text("from")),
            files: form.files,
        };
        let origin = crate::server::origin(&state);
        let number = support::open(&state.pool, &state.datasets, &origin, &caller, request).await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::support_request(number),
            &[("done", "opened")],
        ));
        Ok(number)
    })
    .await
}
