//! One dataset's console.

use leptos::prelude::*;

use super::CuratedDataset;
use crate::error::AppError;

/// Dataset `slug` as its console shows it: its description (as the form
/// fills it in), every version and the draft with its files.
#[server(endpoint = "admin_get_curated_dataset")]
pub async fn get_curated_dataset(slug: String) -> Result<CuratedDataset, AppError> {
    use super::{CuratedVersionView, DatasetForm, DraftFileView, DraftView};
    use crate::domain::datasets::Format;
    use crate::server::datasets::ingest::hex;
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        let console = dataset_curation::console(&state.pool, slug.trim())
            .await
            .map_err(crate::server::internal)?
            .ok_or_else(|| AppError::NotFound("There is no dataset at this address.".to_owned()))?;
        let d = console.dataset;
        let draft = console
            .versions
            .iter()
            .find(|v| v.status == "draft")
            .map(|v| DraftView {
                number: v.number,
                card: v.card.clone(),
                changelog: v.changelog.clone(),
                files: console
                    .draft_files
                    .iter()
                    .map(|f| DraftFileView {
                        name: f.name.clone(),
                        format: Format::parse(&f.format)
                            .map_or("Other", |f| f.label())
                            .to_owned(),
                        bytes: f.bytes,
                        sha256: hex(&f.sha256),
                        rows: f.row_count,
                        columns: f.columns.as_ref().map_or(0, |c| c.0.len()),
                    })
                    .collect(),
            });
        let form = DatasetForm {
            slug: d.slug.clone(),
            title: d.title.clone(),
            summary: d.summary,
            industry: d.industry,
            tasks: d.tasks.into_iter().map(|t| (t, "on".to_owned())).collect(),
            license_id: d.license_id.unwrap_or_default(),
            license_name: d.license_name,
            license_url: d.license_url.unwrap_or_default(),
            languages: d.languages.join(", "),
            tags: d.tags.join(", "),
            publisher: d.publisher,
            source_name: d.source_name,
            source_url: d.source_url.unwrap_or_default(),
            citation: d.citation.unwrap_or_default(),
            access: d.access,
            terms: d.terms,
            request_fields: if d.request_fields.0.is_empty() {
                String::new()
            } else {
                serde_json::to_string_pretty(&d.request_fields.0).unwrap_or_default()
            },
        };
        Ok(CuratedDataset {
            slug: d.slug,
            title: d.title,
            featured: d.featured,
            latest: d.latest_version,
            form,
            versions: console
                .versions
                .into_iter()
                .map(|v| CuratedVersionView {
                    number: v.number,
                    status: v.status,
                    changelog: v.changelog,
                    published: v.published_at.map(crate::format::time),
                    downloads: v.downloads,
                    files: v.files,
                })
                .collect(),
            draft,
            upload_limit: crate::format::bytes(
                i64::try_from(state.dataset_upload_limit).unwrap_or(i64::MAX),
            ),
        })
    })
    .await
}
