//! Uploading a file into a draft.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::error::AppError;

/// Takes the upload form (`multipart/form-data`: `slug`, then `file`):
/// streams the file into the store (its SHA-256 computed on the way, its
/// size held to the portal's limit), reads it as its format says (a CSV,
/// TSV or JSON Lines file must parse: a ragged row or a bad line is an
/// error naming it), and adds it to the dataset's draft in place of a file
/// of the same name; audited. A file that fails leaves nothing stored.
/// Tabular files are then loaded into the data viewer in the background.
#[server(input = MultipartFormData, endpoint = "admin_upload_dataset_file")]
#[middleware(crate::server::upload::MultipartOnly)]
pub async fn upload_dataset_file(data: MultipartData) -> Result<(), AppError> {
    use crate::server::datasets::{ingest, upload, viewer};
    use crate::server::services::dataset_curation;
    use crate::server::services::datasets::NewFile;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let (fields, received) =
            upload::receive(data, &state.datasets, &["slug"], state.dataset_upload_limit).await?;
        let slug = fields.get("slug").map_or("", |s| s.trim()).to_owned();
        // Before the file is read as its format says or kept (it was
        // only received, and is removed on the way out if refused).
        dataset_curation::draft_number(&state.pool, &slug).await?;
        let upload::Received {
            name,
            file,
            bytes,
            sha256,
        } = received;
        let (facts, file) = {
            let name = name.clone();
            tokio::task::spawn_blocking(move || {
                (
                    ingest::inspect_digested(file.path(), &name, bytes, sha256),
                    file,
                )
            })
            .await
            .map_err(crate::server::internal)?
        };
        let facts = facts.map_err(upload::file_error)?;
        {
            let store = state.datasets.clone();
            tokio::task::spawn_blocking(move || store.adopt(file, &sha256))
                .await
                .map_err(crate::server::internal)?
                .map_err(crate::server::internal)?;
        }
        state
            .datasets
            .share(&sha256)
            .await
            .map_err(crate::server::internal)?;
        let new_file = NewFile {
            name,
            facts,
            columns: None,
        };
        dataset_curation::add_file(&state.pool, super::actor(&caller), &slug, &new_file).await?;
        if new_file.facts.columns.is_some() {
            let (pool, store) = (state.pool.clone(), state.datasets.clone());
            let tabular = viewer::Tabular::of(&new_file);
            tokio::spawn(async move {
                if let Err(error) = viewer::build(&pool, &store, &tabular).await {
                    tracing::error!(
                        error = format!("{error:#}"),
                        "loading an uploaded file into the viewer"
                    );
                }
            });
        }
        super::back_to(&slug, "uploaded");
        Ok(())
    })
    .await
}
