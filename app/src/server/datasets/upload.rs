//! Receiving a dataset file (or a data package) from a browser: a
//! `multipart/form-data` post whose short text fields come before its file.
//! The file is streamed to the store's incoming folder, its SHA-256 and
//! size computed on the way and its size held to the portal's limit; what
//! fails is removed, so nothing is ever half stored.

use std::collections::BTreeMap;

use leptos::server_fn::codec::MultipartData;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::storage::{Incoming, Store};
use crate::error::{AppError, FieldError};

/// The longest text field of an upload form.
const MAX_TEXT: usize = 1024;

/// The longest file name, as `dataset_files.name` holds it.
const MAX_NAME: usize = 128;

/// A file received into the store's incoming folder.
#[derive(Debug)]
pub struct Received {
    /// Its name, as the browser sent it (without any folder).
    pub name: String,
    pub file: Incoming,
    pub bytes: u64,
    pub sha256: [u8; 32],
}

/// A field error on the form's `file` field.
pub fn file_error(message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError {
        field: "file".to_owned(),
        message: message.into(),
    }])
}

fn malformed(error: &dyn std::fmt::Display) -> AppError {
    tracing::info!(%error, "malformed multipart upload");
    AppError::InvalidRequest("The upload was incomplete or malformed. Please try again.".into())
}

fn failed(error: &dyn std::fmt::Display) -> AppError {
    tracing::error!(%error, "receiving an upload");
    AppError::Internal
}

/// Reads the form: the text fields named in `texts` (each up to 1 KiB),
/// then the file in the field `file`, at most `limit` bytes. Everything
/// after the file, and a file past the limit, is read to the end and
/// dropped, so the browser gets the answer rather than a reset.
pub async fn receive(
    data: MultipartData,
    store: &Store,
    texts: &[&str],
    limit: u64,
) -> Result<(BTreeMap<String, String>, Received), AppError> {
    let Some(mut multipart) = data.into_inner() else {
        return Err(malformed(&"no multipart body"));
    };
    let mut fields = BTreeMap::new();
    let mut received: Option<Result<Received, AppError>> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| malformed(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" && received.is_none() {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut sink = match checked_name(&file_name) {
                Ok(name) => Some(Sink::open(store, name, limit).await?),
                Err(e) => {
                    received = Some(Err(e));
                    None
                }
            };
            while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
                if let Some(sink) = sink.as_mut() {
                    sink.write(&chunk).await?;
                }
            }
            if let Some(sink) = sink {
                received = Some(sink.finish().await);
            }
        } else if texts.contains(&name.as_str()) && !fields.contains_key(&name) {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
                if text.len() + chunk.len() > MAX_TEXT {
                    return Err(AppError::InvalidRequest(format!(
                        "The field {name} is too long."
                    )));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|e| malformed(&e))?;
            fields.insert(name, text);
        }
        // Anything else is read past and dropped.
        while field.chunk().await.map_err(|e| malformed(&e))?.is_some() {}
    }
    match received {
        Some(received) => Ok((fields, received?)),
        None => Err(file_error("Choose a file to upload.")),
    }
}

/// A form of text fields and files, as received.
#[derive(Debug, Default)]
pub struct ReceivedForm {
    pub texts: BTreeMap<String, String>,
    pub files: Vec<Received>,
}

/// Reads a form with several files (a support message and its
/// attachments): the text fields named in `texts`, each up to its own
/// length in bytes, and up to `max_files` files in the field `file`, each
/// at most `limit` bytes, streamed into the store's incoming folder. A
/// file input left empty is skipped; a file past the limit, a bad name or
/// one file too many is the `file` field's error. With no fields wanted
/// (a refused caller) the body is only drained.
pub async fn receive_form(
    data: MultipartData,
    store: &Store,
    texts: &[(&str, usize)],
    max_files: usize,
    limit: u64,
) -> Result<ReceivedForm, AppError> {
    let Some(mut multipart) = data.into_inner() else {
        return Err(malformed(&"no multipart body"));
    };
    let mut form = ReceivedForm::default();
    let mut error: Option<AppError> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| malformed(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let text_limit = texts
            .iter()
            .find(|(wanted, _)| *wanted == name)
            .map(|(_, limit)| *limit);
        if name == "file" && max_files > 0 && error.is_none() {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            if file_name.trim().is_empty() {
                // An empty file input: nothing chosen.
                while field.chunk().await.map_err(|e| malformed(&e))?.is_some() {}
                continue;
            }
            if form.files.len() == max_files {
                error = Some(file_error(format!("Attach at most {max_files} files.")));
                while field.chunk().await.map_err(|e| malformed(&e))?.is_some() {}
                continue;
            }
            let mut sink = match checked_name(&file_name) {
                Ok(name) => Some(Sink::open(store, name, limit).await?),
                Err(e) => {
                    error = Some(e);
                    None
                }
            };
            while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
                if let Some(sink) = sink.as_mut() {
                    sink.write(&chunk).await?;
                }
            }
            if let Some(sink) = sink {
                match sink.finish().await {
                    Ok(received) => form.files.push(received),
                    Err(e) => error = Some(e),
                }
            }
        } else if let Some(text_limit) = text_limit.filter(|_| !form.texts.contains_key(&name)) {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
                if text.len() + chunk.len() > text_limit {
                    return Err(AppError::InvalidRequest(format!(
                        "The field {name} is too long."
                    )));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|e| malformed(&e))?;
            form.texts.insert(name, text);
        }
        // Anything else is read past and dropped.
        while field.chunk().await.map_err(|e| malformed(&e))?.is_some() {}
    }
    match error {
        Some(error) => Err(error),
        None => Ok(form),
    }
}

/// The name of an uploaded file, without any folder the browser sent,
/// if `dataset_files.name` can hold it.
fn checked_name(file_name: &str) -> Result<String, AppError> {
    let name = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    if name.is_empty() {
        return Err(file_error("Choose a file to upload."));
    }
    let named = name.len() <= MAX_NAME
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !named {
        return Err(file_error(format!(
            "Rename \"{}\" before uploading: a file name has at most {MAX_NAME} letters, digits, '.', '_' and '-', and starts with a letter or digit.",
            name.chars().take(MAX_NAME).collect::<String>()
        )));
    }
    Ok(name)
}

/// A file being streamed into the store.
struct Sink {
    name: String,
    incoming: Incoming,
    out: tokio::fs::File,
    hasher: Sha256,
    bytes: u64,
    limit: u64,
}

impl Sink {
    async fn open(store: &Store, name: String, limit: u64) -> Result<Self, AppError> {
        let incoming = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.incoming())
                .await
                .map_err(|e| failed(&e))?
                .map_err(|e| failed(&e))?
        };
        let out = tokio::fs::File::create(incoming.path())
            .await
            .map_err(|e| failed(&e))?;
        Ok(Self {
            name,
            incoming,
            out,
            hasher: Sha256::new(),
            bytes: 0,
            limit,
        })
    }

    /// Writes `chunk`, or, past the limit, only counts it.
    async fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        self.bytes = self
            .bytes
            .saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if self.bytes > self.limit {
            return Ok(());
        }
        self.hasher.update(chunk);
        self.out.write_all(chunk).await.map_err(|e| failed(&e))
    }

    async fn finish(mut self) -> Result<Received, AppError> {
        if self.bytes > self.limit {
            return Err(file_error(format!(
                "{} is larger than the upload limit of {}.",
                self.name,
                crate::format::bytes(i64::try_from(self.limit).unwrap_or(i64::MAX))
            )));
        }
        if self.bytes == 0 {
            return Err(file_error(format!("{} is empty.", self.name)));
        }
        self.out.flush().await.map_err(|e| failed(&e))?;
        self.out.sync_all().await.map_err(|e| failed(&e))?;
        Ok(Received {
            name: self.name,
            file: self.incoming,
            bytes: self.bytes,
            sha256: self.hasher.finalize().into(),
        })
    }
}
