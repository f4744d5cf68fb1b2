//! Curation, as Lab staff do it: every dataset, published or not; a
//! dataset's description; its next version as a draft (card, changelog
//! line, files uploaded); publishing and unpublishing versions; featuring;
//! importing a Frictionless data package.

mod create_dataset;
mod get_curated_dataset;
mod import_data_package;
mod list_curated_datasets;
mod publish_dataset_version;
mod remove_dataset_file;
mod save_dataset_draft;
mod set_dataset_featured;
mod start_dataset_version;
mod unpublish_dataset_version;
mod update_dataset;
mod upload_dataset_file;

pub use create_dataset::*;
pub use get_curated_dataset::*;
pub use import_data_package::*;
pub use list_curated_datasets::*;
pub use publish_dataset_version::*;
pub use remove_dataset_file::*;
pub use save_dataset_draft::*;
pub use set_dataset_featured::*;
pub use start_dataset_version::*;
pub use unpublish_dataset_version::*;
pub use update_dataset::*;
pub use upload_dataset_file::*;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A dataset as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CuratedRow {
    pub slug: String,
    pub title: String,
    pub industry: String,
    pub access: String,
    pub featured: bool,
    /// The version the catalog shows; `None`: not in the catalog.
    pub latest: Option<i32>,
    /// The version being prepared, if any.
    pub draft: Option<i32>,
    pub downloads: i64,
    pub updated: String,
}

/// A dataset's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CuratedDataset {
    pub slug: String,
    pub title: String,
    pub featured: bool,
    pub latest: Option<i32>,
    /// What it says about itself, as the form shows it.
    pub form: DatasetForm,
    /// Newest first.
    pub versions: Vec<CuratedVersionView>,
    pub draft: Option<DraftView>,
    /// The largest file an upload may be, for people.
    pub upload_limit: String,
}

/// One version of a dataset, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CuratedVersionView {
    pub number: i32,
    /// `draft`, `published` or `unpublished`.
    pub status: String,
    pub changelog: String,
    pub published: Option<String>,
    pub downloads: i64,
    pub files: i64,
}

/// The version being prepared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftView {
    pub number: i32,
    pub card: String,
    pub changelog: String,
    pub files: Vec<DraftFileView>,
}

/// A file of the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftFileView {
    pub name: String,
    pub format: String,
    pub bytes: i64,
    pub sha256: String,
    pub rows: Option<i64>,
    pub columns: usize,
}

/// The dataset form, as posted (and as the console fills it in). Text
/// until checked, so that every mistake comes back on its field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetForm {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub industry: String,
    /// Ticked task boxes: `tasks[<task>]=on`.
    #[serde(default)]
    pub tasks: BTreeMap<String, String>,
    #[serde(default)]
    pub license_id: String,
    #[serde(default)]
    pub license_name: String,
    #[serde(default)]
    pub license_url: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub publisher: String,
    #[serde(default)]
    pub source_name: String,
    #[serde(default)]
    pub source_url: String,
    #[serde(default)]
    pub citation: String,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub terms: String,
    /// JSON.
    #[serde(default)]
    pub request_fields: String,
}

#[cfg(feature = "ssr")]
impl DatasetForm {
    pub(in crate::api::admin) fn fields(&self) -> crate::domain::dataset_forms::DatasetFields<'_> {
        crate::domain::dataset_forms::DatasetFields {
            slug: &self.slug,
            title: &self.title,
            summary: &self.summary,
            industry: &self.industry,
            tasks: &self.tasks,
            license_id: &self.license_id,
            license_name: &self.license_name,
            license_url: &self.license_url,
            languages: &self.languages,
            tags: &self.tags,
            publisher: &self.publisher,
            source_name: &self.source_name,
            source_url: &self.source_url,
            citation: &self.citation,
            access: &self.access,
            terms: &self.terms,
            request_fields: &self.request_fields,
        }
    }
}

/// Who acts, for the audit log.
#[cfg(feature = "ssr")]
fn actor(
    caller: &crate::server::auth::Caller,
) -> crate::server::services::dataset_curation::Actor<'_> {
    crate::server::services::dataset_curation::Actor {
        caller,
        addr: crate::server::client_addr(),
    }
}

/// Back to dataset `slug`'s console, saying what was `done`.
#[cfg(feature = "ssr")]
fn back_to(slug: &str, done: &str) {
    crate::server::redirect(&crate::href::done(&crate::href::admin_dataset(slug), done));
}
