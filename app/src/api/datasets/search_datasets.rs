//! The catalog: a search with its facets, one page at a time.

use leptos::prelude::*;

use super::CatalogView;
use crate::domain::datasets::CatalogParams;
use crate::error::AppError;

/// The published datasets matching `params` (the catalog's URL), with the
/// facet counts. Public.
#[server(endpoint = "search_datasets")]
pub async fn search_datasets(
    #[server(default)] params: CatalogParams,
) -> Result<CatalogView, AppError> {
    use super::{DatasetCard, FacetValue, FacetView, PER_PAGE};
    use crate::domain::datasets::{
        task_label, Access, CatalogQuery, DatasetIndustry, Format, SIZE_CATEGORIES,
    };
    use crate::domain::paging::Page;
    use crate::server::services::datasets;
    crate::server::respond(async move {
        let query =
            CatalogQuery::parse(&params).map_err(|message| AppError::field("q", message))?;
        let state = crate::server::state()?;
        let (rows, total, counts) = datasets::catalog(&state.pool, &query, PER_PAGE)
            .await
            .map_err(crate::server::internal)?;
        let industry_label = |v: &str| {
            DatasetIndustry::parse(v)
                .map_or(v, |i| i.label())
                .to_owned()
        };
        let access_label = |v: &str| Access::parse(v).map_or(v, |a| a.label()).to_owned();
        let format_label = |v: &str| Format::parse(v).map_or(v, |f| f.label()).to_owned();
        let results = rows
            .into_iter()
            .map(|row| DatasetCard {
                industry: industry_label(&row.industry),
                tasks: row.tasks.iter().map(|t| task_label(t).to_owned()).collect(),
                license: row.license_id.unwrap_or(row.license_name),
                access: access_label(&row.access),
                formats: row.formats.iter().map(|f| format_label(f)).collect(),
                size: row.size_category,
                rows: row.row_count,
                downloads: row.downloads,
                featured: row.featured,
                version: row.latest_version.unwrap_or(1),
                slug: row.slug,
                title: row.title,
                summary: row.summary,
            })
            .collect();
        let chosen = |param: &str| -> Option<String> {
            match param {
                "industry" => query.industry.map(|i| i.as_str().to_owned()),
                "task" => query.task.clone(),
                "license" => query.license.clone(),
                "format" => query.format.map(|f| f.as_str().to_owned()),
                "size" => query.size.clone(),
                _ => query.access.map(|a| a.as_str().to_owned()),
            }
        };
        let facets = [
            ("industry", "Industry"),
            ("task", "Task"),
            ("license", "License"),
            ("format", "Format"),
            ("size", "Size"),
            ("access", "Access"),
        ]
        .into_iter()
        .map(|(param, label)| {
            let picked = chosen(param);
            let mut values: Vec<FacetValue> = counts
                .iter()
                .filter(|c| c.facet == param)
                .map(|c| FacetValue {
                    label: match param {
                        "industry" => industry_label(&c.value),
                        "task" => task_label(&c.value).to_owned(),
                        "format" => format_label(&c.value),
                        "access" => access_label(&c.value),
                        _ => c.value.clone(),
                    },
                    chosen: picked.as_deref() == Some(c.value.as_str()),
                    count: c.count,
                    value: c.value.clone(),
                })
                .collect();
            if param == "size" {
                values.sort_by_key(|v| SIZE_CATEGORIES.iter().position(|s| *s == v.value));
            }
            FacetView {
                param: param.to_owned(),
                label: label.to_owned(),
                values,
            }
        })
        .collect();
        Ok(CatalogView {
            results: Page::new(results, total, query.page, PER_PAGE),
            query,
            facets,
        })
    })
    .await
}
