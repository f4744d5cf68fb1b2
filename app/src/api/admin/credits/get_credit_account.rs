//! One user's credit account, as the admin credits page shows it.

use leptos::prelude::*;

use super::CreditAccountView;
use crate::error::AppError;

/// The balances and one page of the history of the user with `email`,
/// optionally only transactions of `kind`. A blank email is `None` (the page
/// shows only the lookup form).
#[server(endpoint = "admin_credit_account")]
pub async fn get_credit_account(
    #[server(default)] email: String,
    #[server(default)] kind: String,
    #[server(default)] page: i64,
) -> Result<Option<CreditAccountView>, AppError> {
    use crate::api::admin::PER_PAGE;
    use crate::api::credits::{HistoryView, KINDS};
    use crate::domain::paging::{clamp_page, Page};
    use crate::domain::search::Search;
    use crate::format;
    use crate::server::services::credits;
    use crate::server::{internal, ledger};
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let email = Search::parse(&email).map_err(|message| AppError::field("email", message))?;
        if email.as_str().is_empty() {
            return Ok(None);
        }
        let email = email.as_str();
        let user = credits::find_user(&state.pool, email)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("No user has this email.".to_owned()))?;
        let summary = credits::summary(&state.pool, user.id).await?;
        let filter = ledger::HistoryFilter {
            kind: KINDS.contains(&kind.as_str()).then_some(kind),
            ..ledger::HistoryFilter::default()
        };
        let page = clamp_page(page);
        let (rows, total) = ledger::history(&state.pool, summary.account, &filter, page, PER_PAGE)
            .await
            .map_err(internal)?;
        Ok(Some(CreditAccountView {
            user_id: user.id,
            email: user.email,
            display_name: user.display_name,
            available: summary.balance.available,
            reserved: summary.balance.reserved,
            expiring_soon: summary.expiring_soon,
            expiring: summary
                .expiring
                .into_iter()
                .map(|(amount, at)| (amount, format::expiry(at)))
                .collect(),
            history: Page::new(rows, total, page, PER_PAGE).map(HistoryView::from),
            form_key: uuid::Uuid::new_v4().to_string(),
        }))
    })
    .await
}
