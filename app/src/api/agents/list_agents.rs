//! The gallery: published agents, featured first, one page at a time.

use leptos::prelude::*;

use super::GalleryView;
use crate::domain::agents::GalleryParams;
use crate::error::AppError;

/// The published agents matching `params` (the gallery's URL), with how
/// many match in each industry. Public.
#[server(endpoint = "list_agents")]
pub async fn list_agents(
    #[server(default)] params: GalleryParams,
) -> Result<GalleryView, AppError> {
    use super::{AgentCard, IndustryCount, PriceView, PER_PAGE};
    use crate::domain::agents::GalleryQuery;
    use crate::domain::datasets::DatasetIndustry;
    use crate::domain::paging::Page;
    use crate::server::services::agents;
    crate::server::respond(async move {
        let query =
            GalleryQuery::parse(&params).map_err(|message| AppError::field("q", message))?;
        let state = crate::server::state()?;
        let (rows, total, counts) = agents::gallery(&state.pool, &query, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        let label = |v: &str| {
            DatasetIndustry::parse(v)
                .map_or(v, |i| i.label())
                .to_owned()
        };
        let results = rows
            .into_iter()
            .map(|row| AgentCard {
                industry: label(&row.industry),
                price: row
                    .input_price
                    .zip(row.output_price)
                    .map(|(i, o)| PriceView::of(i, o)),
                slug: row.slug,
                name: row.name,
                summary: row.summary,
                icon: row.icon,
                model: row.model,
                featured: row.featured,
            })
            .collect();
        let industries = DatasetIndustry::ALL
            .into_iter()
            .filter_map(|industry| {
                let count = counts
                    .iter()
                    .find(|(value, _)| value == industry.as_str())
                    .map_or(0, |(_, n)| *n);
                let chosen = query.industry == Some(industry);
                (count > 0 || chosen).then(|| IndustryCount {
                    value: industry.as_str().to_owned(),
                    label: industry.label().to_owned(),
                    count,
                    chosen,
                })
            })
            .collect();
        Ok(GalleryView {
            results: Page::new(results, total, query.page, PER_PAGE),
            query,
            industries,
        })
    })
    .await
}
