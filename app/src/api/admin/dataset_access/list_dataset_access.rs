//! The queue of access requests.

use leptos::prelude::*;

use super::AdminAccessRequest;
use crate::domain::paging::Page;
use crate::error::AppError;

/// One page of access requests with `status` (pending by default), of the
/// dataset `dataset` (a slug) if given: pending ones oldest first, decided
/// ones newest first.
#[server(endpoint = "admin_list_dataset_access")]
pub async fn list_dataset_access(
    #[server(default)] status: String,
    #[server(default)] dataset: String,
    #[server(default)] page: i64,
) -> Result<Page<AdminAccessRequest>, AppError> {
    use crate::api::admin::PER_PAGE;
    use crate::domain::dataset_access::RequestStatus;
    use crate::domain::paging::clamp_page;
    use crate::server::services::dataset_access;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let status = if status.trim().is_empty() {
            RequestStatus::Pending
        } else {
            RequestStatus::parse(&status)
                .ok_or_else(|| AppError::InvalidRequest("Unknown request status.".to_owned()))?
        };
        let dataset = Some(dataset.trim()).filter(|d| !d.is_empty());
        let page = clamp_page(page);
        let rows = dataset_access::queue(&state.pool, status, dataset, page, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        let total = rows.first().map_or(0, |r| r.total);
        let items = rows
            .into_iter()
            .map(|row| {
                let fields = row.request_fields.0;
                let answers = row.answers.0;
                // In the form's order, labelled; answers to fields removed
                // since are kept under their names.
                let mut labelled: Vec<(String, String)> = fields
                    .iter()
                    .filter_map(|f| answers.get(&f.name).map(|a| (f.label.clone(), a.clone())))
                    .collect();
                labelled.extend(
                    answers
                        .iter()
                        .filter(|(name, _)| !fields.iter().any(|f| &f.name == *name))
                        .map(|(name, a)| (name.clone(), a.clone())),
                );
                AdminAccessRequest {
                    id: row.id,
                    user_id: row.user_id,
                    user_email: row.user_email,
                    user_name: row.user_name,
                    slug: row.slug,
                    title: row.title,
                    answers: labelled,
                    status: RequestStatus::parse(&row.status).unwrap_or(RequestStatus::Pending),
                    reason: row.reason,
                    sent: crate::format::time(row.created_at),
                    decided: row.decided_at.map(crate::format::time),
                }
            })
            .collect();
        Ok(Page::new(items, total, page, PER_PAGE))
    })
    .await
}
