//! The caller's request log.

use leptos::prelude::*;

use super::UsageLog;
use crate::error::AppError;

/// Requests per page of the log.
pub const USAGE_PER_PAGE: i64 = 50;

/// One page of the signed-in user's requests, newest first, filtered by
/// model, key, status class (`ok` or `error`) and days (`YYYY-MM-DD`, UTC,
/// both inclusive). Empty filters match everything.
#[server(endpoint = "my_usage")]
pub async fn my_usage(
    #[server(default)] page: i64,
    #[server(default)] model: String,
    #[server(default)] key: String,
    #[server(default)] status: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<UsageLog, AppError> {
    use super::UsageView;
    use crate::domain::calendar::parse_day;
    use crate::domain::paging::{clamp_page, Page};
    use crate::domain::search::Search;
    use crate::error::FieldErrors;
    use crate::server::services::usage;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let mut errors = FieldErrors::default();
        let key_id = errors.check(
            "key",
            match key.trim() {
                "" => Ok(None),
                k => uuid::Uuid::parse_str(k)
                    .map(Some)
                    .map_err(|_| "Choose one of your keys.".to_owned()),
            },
        );
        let status_class = errors.check(
            "status",
            match status.trim() {
                "" => Ok(None),
                s => usage::StatusClass::parse(s)
                    .map(Some)
                    .ok_or_else(|| "Choose successful or failed requests.".to_owned()),
            },
        );
        let model = errors.check("model", Search::parse(&model));
        let from = errors.check("from", parse_day(&from));
        let to = errors.check("to", parse_day(&to));
        if let (Some(Some(from)), Some(Some(to))) = (from, to) {
            if to < from {
                errors.add("to", "The last day is before the first day.");
            }
        }
        errors.finish()?;
        let filter = usage::UsageFilter {
            model: model.and_then(Search::non_empty),
            key_id: key_id.flatten(),
            status: status_class.flatten(),
            from: from.flatten(),
            to: to.flatten(),
        };
        let page = clamp_page(page);
        let (rows, totals) =
            usage::log(&state.pool, caller.user_id, &filter, page, USAGE_PER_PAGE).await?;
        let rows = rows.into_iter().map(UsageView::from).collect();
        Ok(UsageLog {
            requests: Page::new(rows, totals.requests, page, USAGE_PER_PAGE),
            input_tokens: totals.input_tokens,
            output_tokens: totals.output_tokens,
            credits: totals.credits,
        })
    })
    .await
}
