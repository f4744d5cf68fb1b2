//! The dataset catalog's vocabulary: industries, tasks, access levels, file
//! formats and size categories, dataset slugs, and a catalog query as a URL
//! carries it (what is searched, which facet values are chosen, the order
//! and the page).

use serde::{Deserialize, Serialize};

use super::paging::page_from_query;
use super::search::Search;

/// The industries the catalog files datasets under: the six the Lab serves,
/// and data useful across them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatasetIndustry {
    Finance,
    Healthcare,
    Logistics,
    Manufacturing,
    Retail,
    Energy,
    CrossIndustry,
}

impl DatasetIndustry {
    pub const ALL: [DatasetIndustry; 7] = [
        Self::Finance,
        Self::Healthcare,
        Self::Logistics,
        Self::Manufacturing,
        Self::Retail,
        Self::Energy,
        Self::CrossIndustry,
    ];

    /// The stored and URL value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finance => "finance",
            Self::Healthcare => "healthcare",
            Self::Logistics => "logistics",
            Self::Manufacturing => "manufacturing",
            Self::Retail => "retail",
            Self::Energy => "energy",
            Self::CrossIndustry => "cross-industry",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Finance => "Finance",
            Self::Healthcare => "Healthcare",
            Self::Logistics => "Logistics",
            Self::Manufacturing => "Manufacturing",
            Self::Retail => "Retail",
            Self::Energy => "Energy",
            Self::CrossIndustry => "Cross-industry",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.as_str() == input.trim())
    }
}

/// What a dataset is for: `(value, label)`.
pub const TASKS: [(&str, &str); 8] = [
    ("classification", "Classification"),
    ("regression", "Regression"),
    ("forecasting", "Forecasting"),
    ("anomaly-detection", "Anomaly detection"),
    ("clustering", "Clustering"),
    ("nlp", "Natural language"),
    ("tabular-analysis", "Tabular analysis"),
    ("geospatial", "Geospatial"),
];

/// The label of a task value, or the value itself for one we do not list.
pub fn task_label(value: &str) -> &str {
    TASKS
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(value, |(_, label)| label)
}

/// Who may download a dataset's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Any signed-in user.
    Open,
    /// A signed-in user who accepted the dataset's current terms.
    Terms,
    /// A signed-in user whose request Lab staff approved.
    Approval,
}

impl Access {
    pub const ALL: [Access; 3] = [Self::Open, Self::Terms, Self::Approval];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Terms => "terms",
            Self::Approval => "approval",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Terms => "Accept terms",
            Self::Approval => "Approval required",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == input.trim())
    }
}

/// A file's format, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Csv,
    Tsv,
    JsonLines,
    Parquet,
    /// Stored and downloadable as it is, not read.
    Other,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Self::Csv,
        Self::Tsv,
        Self::JsonLines,
        Self::Parquet,
        Self::Other,
    ];

    /// The format a file name's extension says.
    pub fn of_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        match lower.rsplit_once('.').map(|(_, ext)| ext) {
            Some("csv") => Self::Csv,
            Some("tsv" | "tab") => Self::Tsv,
            Some("jsonl" | "ndjson") => Self::JsonLines,
            Some("parquet") => Self::Parquet,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Tsv => "tsv",
            Self::JsonLines => "jsonl",
            Self::Parquet => "parquet",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Tsv => "TSV",
            Self::JsonLines => "JSON Lines",
            Self::Parquet => "Parquet",
            Self::Other => "Other",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == input.trim())
    }

    /// The media type a download is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Tsv => "text/tab-separated-values; charset=utf-8",
            Self::JsonLines => "application/jsonl",
            Self::Parquet => "application/vnd.apache.parquet",
            Self::Other => "application/octet-stream",
        }
    }
}

/// Size categories by rows, as Hugging Face names them.
pub const SIZE_CATEGORIES: [&str; 5] = ["n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "n>1M"];

/// The size category of `rows` rows.
pub fn size_category(rows: u64) -> &'static str {
    match rows {
        0..1_000 => SIZE_CATEGORIES[0],
        1_000..10_000 => SIZE_CATEGORIES[1],
        10_000..100_000 => SIZE_CATEGORIES[2],
        100_000..1_000_000 => SIZE_CATEGORIES[3],
        _ => SIZE_CATEGORIES[4],
    }
}

const SLUG_INVALID: &str =
    "Use 1 to 64 lower-case letters, digits and hyphens, starting and ending with a letter or digit.";

/// A dataset's slug: its name in URLs.
pub fn parse_slug(input: &str) -> Result<String, String> {
    let slug = input.trim();
    let bytes = slug.as_bytes();
    let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    let ends_ok = |b: Option<&u8>| b.is_some_and(|b| *b != b'-');
    if bytes.is_empty()
        || bytes.len() > 64
        || !bytes.iter().all(allowed)
        || !ends_ok(bytes.first())
        || !ends_ok(bytes.last())
    {
        return Err(SLUG_INVALID.to_owned());
    }
    Ok(slug.to_owned())
}

/// How the catalog orders what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sort {
    /// Best match first (featured first without a search).
    #[default]
    Relevance,
    Newest,
    Downloads,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Self::Relevance, Self::Newest, Self::Downloads];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::Newest => "newest",
            Self::Downloads => "downloads",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Relevance => "Best match",
            Self::Newest => "Newest",
            Self::Downloads => "Most downloaded",
        }
    }

    /// The order a `?sort=` value names; anything else is relevance.
    pub fn parse(input: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .unwrap_or_default()
    }
}

/// A catalog search as its URL says it: unknown facet values are dropped
/// (an old link still works), a search with control characters is a field
/// error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CatalogQuery {
    pub q: String,
    pub industry: Option<DatasetIndustry>,
    pub task: Option<String>,
    pub license: Option<String>,
    pub format: Option<Format>,
    pub size: Option<String>,
    pub access: Option<Access>,
    pub sort: Sort,
    pub page: i64,
}

/// The raw `?` parameters of the catalog (each may be absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogParams {
    pub q: String,
    pub industry: String,
    pub task: String,
    pub license: String,
    pub format: String,
    pub size: String,
    pub access: String,
    pub sort: String,
    pub page: String,
}

impl CatalogQuery {
    pub fn parse(params: &CatalogParams) -> Result<Self, String> {
        let q = Search::parse(&params.q)?;
        let known = |value: &str, ok: &dyn Fn(&str) -> bool| {
            let value = value.trim();
            (!value.is_empty() && ok(value)).then(|| value.to_owned())
        };
        // An SPDX id or expression, as stored.
        let license_ok = |v: &str| {
            v.len() <= 100
                && v.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'.' | b'+' | b'-' | b'(' | b')' | b' ')
                })
        };
        Ok(Self {
            q: q.as_str().to_owned(),
            industry: DatasetIndustry::parse(&params.industry),
            task: known(&params.task, &|v| TASKS.iter().any(|(t, _)| *t == v)),
            license: known(&params.license, &license_ok),
            format: Format::parse(&params.format),
            size: known(&params.size, &|v| SIZE_CATEGORIES.contains(&v)),
            access: Access::parse(&params.access),
            sort: Sort::parse(&params.sort),
            page: page_from_query(Some(&params.page)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_file_names() {
        assert_eq!(Format::of_name("flights.CSV"), Format::Csv);
        assert_eq!(Format::of_name("a.b.tsv"), Format::Tsv);
        assert_eq!(Format::of_name("rows.ndjson"), Format::JsonLines);
        assert_eq!(Format::of_name("t.parquet"), Format::Parquet);
        assert_eq!(Format::of_name("README"), Format::Other);
        assert_eq!(Format::of_name("data.zip"), Format::Other);
    }

    #[test]
    fn size_categories_follow_the_row_count() {
        assert_eq!(size_category(0), "n<1K");
        assert_eq!(size_category(999), "n<1K");
        assert_eq!(size_category(1_000), "1K<n<10K");
        assert_eq!(size_category(336_776), "100K<n<1M");
        assert_eq!(size_category(10_000_000), "n>1M");
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert_eq!(
            parse_slug(" nyc-flights-2013 "),
            Ok("nyc-flights-2013".to_owned())
        );
        for bad in ["", "-a", "a-", "A", "a_b", "a b", &"a".repeat(65)] {
            assert!(parse_slug(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_catalog_link_with_unknown_values_still_works() {
        let query = CatalogQuery::parse(&CatalogParams {
            q: " flights ".into(),
            industry: "logistics".into(),
            task: "astrology".into(),
            license: "CC0-1.0".into(),
            format: "xlsx".into(),
            size: "100K<n<1M".into(),
            access: "open".into(),
            sort: "downloads".into(),
            page: "999999999999".into(),
        })
        .expect("parses");
        assert_eq!(query.q, "flights");
        assert_eq!(query.industry, Some(DatasetIndustry::Logistics));
        assert_eq!(query.task, None);
        assert_eq!(query.license.as_deref(), Some("CC0-1.0"));
        assert_eq!(query.format, None);
        assert_eq!(query.size.as_deref(), Some("100K<n<1M"));
        assert_eq!(query.access, Some(Access::Open));
        assert_eq!(query.sort, Sort::Downloads);
        assert_eq!(query.page, crate::domain::paging::MAX_PAGE);
        let nul = CatalogParams {
            q: "a\0b".into(),
            ..CatalogParams::default()
        };
        assert!(CatalogQuery::parse(&nul).is_err());
    }
}
