//! One dataset's page.

use leptos::prelude::*;

use super::DatasetView;
use crate::error::AppError;

/// The published dataset `slug` at version `version` (0: the latest), with
/// its versions, files and rendered card. Public.
#[server(endpoint = "get_dataset")]
pub async fn get_dataset(
    slug: String,
    #[server(default)] version: i32,
) -> Result<DatasetView, AppError> {
    use super::{ColumnView, FileView, VersionView};
    use crate::domain::datasets::{task_label, Access, DatasetIndustry, Format};
    use crate::server::datasets::{card, croissant};
    use crate::server::services::datasets;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let not_found =
            || AppError::NotFound("There is no published dataset at this address.".to_owned());
        let wanted = (version > 0).then_some(version);
        let (row, versions, shown, files) =
            datasets::dataset(&state.pool, slug.trim(), wanted, crate::server::is_staff())
                .await
                .map_err(crate::server::internal)?
                .ok_or_else(not_found)?;
        let origin = crate::server::origin(&state);
        let access_view = access_view(&state.pool, &row.slug).await?;
        let json_ld = croissant::schema_org(&row, &shown, &files, &origin);
        let files = files
            .into_iter()
            .map(|file| FileView {
                href: crate::href::dataset_file(&row.slug, shown.number, &file.name),
                viewer_href: (file.columns.is_some()
                    && matches!(
                        Format::parse(&file.format),
                        Some(Format::Csv | Format::Tsv | Format::JsonLines | Format::Parquet)
                    ))
                .then(|| {
                    crate::href::with_query(
                        &crate::href::dataset_viewer(&row.slug, wanted),
                        &[("file", file.name.as_str())],
                    )
                }),
                format: Format::parse(&file.format)
                    .map_or("Other", |f| f.label())
                    .to_owned(),
                sha256: crate::server::datasets::ingest::hex(&file.sha256),
                columns: file
                    .columns
                    .map(|c| c.0)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| ColumnView {
                        name: c.name,
                        kind: c.kind,
                        description: c.description,
                        nulls: c.nulls,
                    })
                    .collect(),
                bytes: file.bytes,
                rows: file.row_count,
                name: file.name,
            })
            .collect();
        Ok(DatasetView {
            industry: DatasetIndustry::parse(&row.industry)
                .map_or("", |i| i.label())
                .to_owned(),
            tasks: row.tasks.iter().map(|t| task_label(t).to_owned()).collect(),
            access: Access::parse(&row.access)
                .map_or("", |a| a.label())
                .to_owned(),
            version: shown.number,
            latest: row.latest_version.unwrap_or(shown.number),
            draft: shown.status == "draft",
            versions: versions
                .into_iter()
                .map(|v| VersionView {
                    number: v.number,
                    changelog: v.changelog,
                    published: v.published_at.map(crate::format::time).unwrap_or_default(),
                    downloads: v.downloads,
                    draft: v.status == "draft",
                })
                .collect(),
            files,
            card_html: card::render(&shown.card),
            json_ld,
            origin,
            slug: row.slug,
            title: row.title,
            summary: row.summary,
            license_name: row.license_name,
            license_id: row.license_id,
            license_url: row.license_url,
            languages: row.languages,
            tags: row.tags,
            publisher: row.publisher,
            source_name: row.source_name,
            source_url: row.source_url,
            citation: row.citation,
            size: row.size_category,
            downloads: row.downloads,
            access_view,
        })
    })
    .await
}

/// The dataset `slug`'s access level and where the caller stands with it.
#[cfg(feature = "ssr")]
async fn access_view(pool: &sqlx::PgPool, slug: &str) -> Result<super::AccessView, AppError> {
    use super::{AccessView, RequestView};
    use crate::domain::dataset_access::RequestStatus;
    use crate::domain::datasets::Access;
    use crate::server::datasets::card;
    use crate::server::internal;
    use crate::server::services::dataset_access;
    let rules = dataset_access::rules_of(pool, slug, crate::server::is_staff())
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            AppError::NotFound("There is no published dataset at this address.".to_owned())
        })?;
    let level = Access::parse(&rules.access).unwrap_or(Access::Approval);
    let caller = crate::server::caller();
    let standing = match &caller {
        Some(caller) => Some(
            dataset_access::standing(pool, &rules, caller.user_id)
                .await
                .map_err(internal)?,
        ),
        None => None,
    };
    Ok(AccessView {
        level,
        signed_in: caller.is_some(),
        // Staff curate every dataset, whatever its access.
        granted: crate::server::is_staff() || standing.as_ref().is_some_and(|s| s.granted),
        terms_html: card::render(&rules.terms),
        terms_version: rules.terms_version,
        accepted: standing
            .as_ref()
            .and_then(|s| s.accepted)
            .map(|(version, at)| (version, crate::format::time(at))),
        fields: rules.request_fields.0,
        request: standing.and_then(|s| s.request).map(|r| RequestView {
            status: RequestStatus::parse(&r.status).unwrap_or(RequestStatus::Pending),
            reason: r.reason,
            sent: crate::format::time(r.created_at),
            decided: r.decided_at.map(crate::format::time),
        }),
    })
}
