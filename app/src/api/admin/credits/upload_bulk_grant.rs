//! Uploading (or pasting) a bulk grant file to preview it.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

/// Where an uploaded file was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDraft {
    /// Preview it at `/admin/credits/bulk?draft=<id>`.
    pub draft: Uuid,
}

/// Takes the bulk grant form (`multipart/form-data`): a CSV file in `file`,
/// or its text pasted in `csv`. Checks the file as a whole (size, encoding,
/// header, number of rows), keeps it as a draft and sends the browser to its
/// preview. Grants nothing. Problems are field errors on the field used.
#[server(input = MultipartFormData, endpoint = "admin_upload_bulk_grant")]
#[middleware(crate::server::upload::MultipartOnly)]
pub async fn upload_bulk_grant(data: MultipartData) -> Result<BulkDraft, AppError> {
    use crate::domain::bulk_grant::MAX_CSV_BYTES;
    use crate::server::services::credits::{self, bulk, upload::bulk_upload};
    use crate::server::upload;
    crate::server::respond(async move {
        let caller = crate::server::require_admin();
        // The body is read (only drained for a refused caller) before
        // answering, so the browser sees the answer rather than a reset.
        let wanted: &[&str] = if caller.is_ok() {
            &["file", "csv"]
        } else {
            &[]
        };
        let fields = upload::read_form(data, wanted, MAX_CSV_BYTES).await;
        let caller = caller?;
        let upload = bulk_upload(fields?)?;
        let state = crate::server::state()?;
        credits::preview_bulk(&state.pool, &upload.text)
            .await
            .map_err(|e| retarget(e, upload.field))?;
        let draft = bulk::create_draft(
            &state.pool,
            &caller,
            &upload.text,
            upload.file_name.as_deref(),
        )
        .await?;
        crate::server::redirect(&super::bulk_page("draft", draft));
        Ok(BulkDraft { draft })
    })
    .await
}

/// A whole-file error, told about the field the text came from.
#[cfg(feature = "ssr")]
fn retarget(error: AppError, field: &str) -> AppError {
    match error {
        AppError::Validation(mut errors) => {
            for e in &mut errors {
                e.field = field.to_owned();
            }
            AppError::Validation(errors)
        }
        other => other,
    }
}
