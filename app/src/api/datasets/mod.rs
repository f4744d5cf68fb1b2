//! The dataset catalog, for everyone (signed in or not): the catalog with
//! its facets, and one dataset's page.

mod get_dataset;
mod search_datasets;

pub use get_dataset::*;
pub use search_datasets::*;

use serde::{Deserialize, Serialize};

use crate::domain::datasets::CatalogQuery;
use crate::domain::paging::Page;

/// Datasets per catalog page.
pub const PER_PAGE: i64 = 20;

/// One page of the catalog and the facets beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    pub query: CatalogQuery,
    pub results: Page<DatasetCard>,
    pub facets: Vec<FacetView>,
}

/// A dataset as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetCard {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub industry: String,
    pub tasks: Vec<String>,
    pub license: String,
    pub access: String,
    pub formats: Vec<String>,
    pub size: Option<String>,
    pub rows: Option<i64>,
    pub downloads: i64,
    pub featured: bool,
    pub version: i32,
}

/// A facet: its URL parameter, its label and its values with counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetView {
    pub param: String,
    pub label: String,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub chosen: bool,
}

/// One dataset's page: the version shown, every published version, its
/// files, its card as sanitized HTML and its schema.org description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetView {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub industry: String,
    pub tasks: Vec<String>,
    pub license_name: String,
    pub license_id: Option<String>,
    pub license_url: Option<String>,
    pub languages: Vec<String>,
    pub tags: Vec<String>,
    pub publisher: String,
    pub source_name: String,
    pub source_url: Option<String>,
    pub citation: Option<String>,
    pub access: String,
    pub size: Option<String>,
    pub downloads: i64,
    /// The version shown, and the latest one.
    pub version: i32,
    pub latest: i32,
    pub versions: Vec<VersionView>,
    pub files: Vec<FileView>,
    pub card_html: String,
    /// schema.org `Dataset` as JSON, safe inside a `<script>` element.
    pub json_ld: String,
    /// The portal's origin and API base, for the snippets.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub number: i32,
    pub changelog: String,
    pub published: String,
    pub downloads: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileView {
    pub name: String,
    pub format: String,
    pub bytes: i64,
    pub sha256: String,
    pub rows: Option<i64>,
    pub columns: Vec<ColumnView>,
    /// Where it downloads from.
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnView {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub nulls: u64,
}
