//! The caller's support requests.

use leptos::prelude::*;

use super::SupportListView;
use crate::domain::paging::Page;
use crate::error::AppError;

/// The requests the signed-in user opened, the latest activity first.
#[server(endpoint = "my_support_requests")]
pub async fn my_support_requests(
    #[server(default)] page: String,
) -> Result<Page<SupportListView>, AppError> {
    use crate::domain::paging::page_from_query;
    use crate::server::services::support;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let page = page_from_query(Some(&page));
        let rows = support::mine(&state.pool, caller.user_id, page).await?;
        let now = time::OffsetDateTime::now_utc();
        Ok(rows.map(|row| SupportListView::from_row(row, now)))
    })
    .await
}
