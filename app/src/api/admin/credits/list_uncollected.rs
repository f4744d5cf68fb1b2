//! Usage the Lab served without being paid, for the admin credits page.

use leptos::prelude::*;

use super::UncollectedView;
use crate::error::AppError;

/// The uncollected total and one page of the requests it came from.
#[server(endpoint = "admin_uncollected_usage")]
pub async fn list_uncollected(#[server(default)] page: i64) -> Result<UncollectedView, AppError> {
    use super::UncollectedRequest;
    use crate::api::admin::PER_PAGE;
    use crate::domain::paging::{clamp_page, Page};
    use crate::format;
    use crate::server::services::credits;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let page = clamp_page(page);
        let (total, rows, count) = credits::uncollected(&state.pool, page, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        Ok(UncollectedView {
            total,
            requests: Page::new(rows, count, page, PER_PAGE).map(|row| UncollectedRequest {
                request_id: row.request_id.to_string(),
                at: format::time(row.created_at),
                user_id: row.user_id,
                email: row.email,
                model: row.model,
                tokens: i64::from(row.input_tokens) + i64::from(row.output_tokens),
                credits: row.credits,
                uncollected: row.uncollected,
            }),
        })
    })
    .await
}
