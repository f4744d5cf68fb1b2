//! The dataset catalog, for everyone (signed in or not): the catalog with
//! its facets, one dataset's page, and the data viewer; and for a signed-in
//! user, accepting a dataset's terms or asking for access to it.

mod access;
mod get_dataset;
mod search_datasets;
mod view_dataset;

pub use access::*;
pub use get_dataset::*;
pub use search_datasets::*;
pub use view_dataset::*;

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
    /// The version shown is a draft staff are previewing.
    pub draft: bool,
    pub versions: Vec<VersionView>,
    pub files: Vec<FileView>,
    pub card_html: String,
    /// schema.org `Dataset` as JSON, safe inside a `<script>` element.
    pub json_ld: String,
    /// The portal's origin and API base, for the snippets.
    pub origin: String,
    /// Who may download the files, and where the caller stands.
    pub access_view: AccessView,
}

/// A dataset's access level and where the caller stands with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessView {
    pub level: crate::domain::datasets::Access,
    pub signed_in: bool,
    /// The caller may download the files.
    pub granted: bool,
    /// Terms: sanitized HTML, their current version, and the version the
    /// caller accepted last with when.
    pub terms_html: String,
    pub terms_version: i32,
    pub accepted: Option<(i32, String)>,
    /// Approval: the request form's fields and the caller's latest request.
    pub fields: Vec<crate::domain::dataset_access::RequestField>,
    pub request: Option<RequestView>,
}

/// A caller's request for access, as they see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub status: crate::domain::dataset_access::RequestStatus,
    pub reason: Option<String>,
    pub sent: String,
    pub decided: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub number: i32,
    pub changelog: String,
    pub published: String,
    pub downloads: i64,
    /// Not published yet: staff preview it.
    pub draft: bool,
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
    /// Where the data viewer shows it (tabular files).
    pub viewer_href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnView {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub nulls: u64,
}

/// A page of the data viewer: one tabular file of a version, one page of a
/// view of it (sorted, filtered, searched), its columns with their
/// statistics, and the view as the URL carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableView {
    pub slug: String,
    pub title: String,
    /// The version shown, the latest, and whether the URL named a version.
    pub version: i32,
    pub latest: i32,
    pub pinned: bool,
    /// The version's tabular files, and the one shown.
    pub files: Vec<String>,
    pub file: String,
    /// `ready`, `building`, `failed`, or `none` (no tabular file).
    pub status: String,
    pub columns: Vec<ViewerColumn>,
    pub rows: Vec<ViewerRow>,
    /// Rows of the file, and rows matching the view (a search's are counted
    /// up to a cap: `capped`).
    pub total: i64,
    pub matching: i64,
    pub capped: bool,
    pub page: i64,
    pub pages: i64,
    pub params: crate::domain::viewer::ViewParams,
    /// Why the URL's view was not shown as asked (an unknown column, a
    /// value of the wrong type); the file's first page is shown instead.
    pub notice: Option<String>,
    /// Only the first page is shown: the dataset needs access the visitor
    /// has not been given.
    pub preview_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewerColumn {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub nulls: i64,
    pub distinct: i64,
    pub min: Option<String>,
    pub max: Option<String>,
    pub mean: Option<String>,
    pub histogram: Vec<HistogramBin>,
    pub top: Vec<(String, i64)>,
    pub filterable: bool,
}

/// One bar of a column's histogram: the values it covers and its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistogramBin {
    pub label: String,
    pub rows: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerRow {
    pub number: i64,
    pub cells: Vec<Option<String>>,
}
