//! Every dataset, for staff.

use leptos::prelude::*;

use super::CuratedRow;
use crate::domain::paging::Page;
use crate::error::AppError;

/// One page of every dataset (published, draft only or unpublished) whose
/// title or slug contains `q`, most recently changed first.
#[server(endpoint = "admin_list_curated_datasets")]
pub async fn list_curated_datasets(
    #[server(default)] q: String,
    #[server(default)] page: i64,
) -> Result<Page<CuratedRow>, AppError> {
    use crate::api::admin::PER_PAGE;
    use crate::domain::datasets::{Access, DatasetIndustry};
    use crate::domain::paging::clamp_page;
    use crate::domain::search::Search;
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let q = Search::parse(&q).map_err(|message| AppError::field("q", message))?;
        let page = clamp_page(page);
        let rows = dataset_curation::list(&state.pool, q.as_str(), page, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        let total = rows.first().map_or(0, |r| r.total);
        let items = rows
            .into_iter()
            .map(|r| CuratedRow {
                industry: DatasetIndustry::parse(&r.industry)
                    .map_or("", |i| i.label())
                    .to_owned(),
                access: Access::parse(&r.access)
                    .map_or("", |a| a.label())
                    .to_owned(),
                slug: r.slug,
                title: r.title,
                featured: r.featured,
                latest: r.latest_version,
                draft: r.draft,
                downloads: r.downloads,
                updated: crate::format::time(r.updated_at),
            })
            .collect();
        Ok(Page::new(items, total, page, PER_PAGE))
    })
    .await
}
