//! Rating the help on a resolved request.

use leptos::prelude::*;

use crate::error::AppError;

/// The requester rates a resolved (or closed) request from 1 to 5, with
/// an optional comment; rating again replaces it.
#[server(endpoint = "rate_support_request")]
pub async fn rate_support_request(
    number: String,
    rating: String,
    #[server(default)] comment: String,
) -> Result<(), AppError> {
    use crate::domain::support::parse_rating;
    use crate::server::services::support;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let number = super::parse_number(&number)?;
        let rating = parse_rating(&rating).map_err(|m| AppError::field("rating", m))?;
        let comment = comment.trim();
        if comment.chars().count() > 2000 {
            return Err(AppError::field(
                "comment",
                "Keep the comment under 2,000 characters.",
            ));
        }
        let comment = (!comment.is_empty()).then_some(comment);
        support::rate(&state.pool, &caller, number, rating, comment).await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::support_request(number),
            &[("done", "rated")],
        ));
        Ok(())
    })
    .await
}
