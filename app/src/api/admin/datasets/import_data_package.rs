//! Importing a Frictionless data package.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::error::AppError;

/// Takes the import form (`multipart/form-data`: `industry`, then `file`, a
/// `.zip` with `datapackage.json`): creates the dataset the package
/// describes (its name, title, description, licenses, sources, keywords,
/// and, from its `lab` object when it has one, industry, tasks, access and
/// publisher; `industry` otherwise) with a draft version 1 holding the
/// package's `README.md` as card and its resources as files, their columns
/// described by its schemas. Nothing is published: the console opens on
/// the draft to preview and publish. Audited as `dataset.import`; a package
/// that fails leaves nothing stored.
#[server(input = MultipartFormData, endpoint = "admin_import_data_package")]
#[middleware(crate::server::upload::MultipartOnly)]
pub async fn import_data_package(data: MultipartData) -> Result<(), AppError> {
    use crate::server::datasets::package::Lab;
    use crate::server::datasets::{import, upload, viewer};
    use crate::server::services::dataset_curation;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let limit = state.dataset_upload_limit;
        let (fields, received) =
            upload::receive(data, &state.datasets, &["industry"], limit).await?;
        let fallback = Lab {
            industry: fields.get("industry").cloned().unwrap_or_default(),
            publisher: "AI Innovation Lab".to_owned(),
            ..Lab::default()
        };
        let store = state.datasets.clone();
        let imported = tokio::task::spawn_blocking(move || {
            import::read_zip(received.file.path(), &store, &fallback, limit)
        })
        .await
        .map_err(crate::server::internal)?
        .map_err(|e| upload::file_error(format!("The package cannot be imported: {e}")))?;
        let import::Imported { meta, card, files } = imported;
        let mut kept = Vec::with_capacity(files.len());
        for (file, incoming) in files {
            let store = state.datasets.clone();
            let sha256 = file.facts.sha256;
            tokio::task::spawn_blocking(move || store.adopt(incoming, &sha256))
                .await
                .map_err(crate::server::internal)?
                .map_err(crate::server::internal)?;
            state
                .datasets
                .share(&sha256)
                .await
                .map_err(crate::server::internal)?;
            kept.push(file);
        }
        dataset_curation::create(
            &state.pool,
            super::actor(&caller),
            &meta,
            &card,
            &kept,
            "dataset.import",
        )
        .await?;
        let (pool, store) = (state.pool.clone(), state.datasets.clone());
        let tabular: Vec<_> = kept.iter().map(viewer::Tabular::of).collect();
        tokio::spawn(async move {
            for file in &tabular {
                if let Err(error) = viewer::build(&pool, &store, file).await {
                    tracing::error!(
                        error = format!("{error:#}"),
                        "loading an imported file into the viewer"
                    );
                }
            }
        });
        super::back_to(&meta.slug, "imported");
        Ok(())
    })
    .await
}
