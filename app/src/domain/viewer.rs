//! The data viewer's vocabulary: the types a tabular file's columns are read
//! as, a cell as each type stores it, and a view of a file as its URL
//! carries it (which file, which page, sorted by which column, filtered on
//! which value, searched for what).

use serde::{Deserialize, Serialize};

use super::search::Search;

/// Rows on one page of the viewer.
pub const PAGE_ROWS: i64 = 100;

/// A search's matches are counted up to this many (a count reads them:
/// about 5 µs each when most rows match).
pub const SEARCH_COUNT_CAP: i64 = 10_000;

/// Cells read as missing.
pub const MISSING: [&str; 6] = ["", "NA", "N/A", "null", "NULL", "NaN"];

/// Whether `cell` (trimmed) stands for a missing value.
pub fn is_missing(cell: &str) -> bool {
    MISSING.contains(&cell.trim())
}

/// What a column holds, as ingestion inferred it from every cell (the
/// Frictionless type names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    String,
}

impl ColumnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::String => "string",
        }
    }

    /// Anything unknown is read as text.
    pub fn parse(input: &str) -> Self {
        match input {
            "integer" => Self::Integer,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "datetime" => Self::Datetime,
            _ => Self::String,
        }
    }

    /// Whether values of this kind are ordered on a scale (drawn as a
    /// histogram).
    pub fn is_scalar(self) -> bool {
        matches!(
            self,
            Self::Integer | Self::Number | Self::Date | Self::Datetime
        )
    }

    /// What a filter value of this kind must look like.
    pub fn expected(self) -> &'static str {
        match self {
            Self::Integer => "a whole number",
            Self::Number => "a number",
            Self::Boolean => "true or false",
            Self::Date => "a date as YYYY-MM-DD",
            Self::Datetime => "a time as 2024-01-31T09:30:00Z",
            Self::String => "text",
        }
    }
}

/// `cell` as a column of `kind` stores it: a canonical integer or number,
/// `t`/`f`, `YYYY-MM-DD`, an RFC 3339 time or the text itself; `None` when
/// it is missing or is not of that kind.
pub fn cell_value(kind: ColumnKind, cell: &str) -> Option<String> {
    let trimmed = cell.trim();
    if is_missing(trimmed) {
        return None;
    }
    match kind {
        ColumnKind::Integer => trimmed.parse::<i64>().ok().map(|v| v.to_string()),
        ColumnKind::Number => trimmed
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| v.to_string()),
        ColumnKind::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "yes" | "t" => Some("t".to_owned()),
            "false" | "no" | "f" => Some("f".to_owned()),
            _ => None,
        },
        ColumnKind::Date => is_date(trimmed).then(|| trimmed.replace('/', "-")),
        ColumnKind::Datetime => is_datetime(trimmed).then(|| trimmed.to_owned()),
        ColumnKind::String => Some(cell.replace('\0', "")),
    }
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` naming a real day.
pub fn is_date(cell: &str) -> bool {
    cell.len() == 10
        && super::calendar::parse_day(&cell.replace('/', "-")).is_ok_and(|day| day.is_some())
}

/// RFC 3339, e.g. `2013-01-01T06:00:00Z`.
pub fn is_datetime(cell: &str) -> bool {
    time::OffsetDateTime::parse(cell, &time::format_description::well_known::Rfc3339).is_ok()
}

/// A view of a file as its URL carries it; every field may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewParams {
    /// The file's name (empty: the version's first tabular file).
    pub file: String,
    pub page: String,
    /// A column name to sort by.
    pub sort: String,
    /// `desc` for a descending sort.
    pub dir: String,
    /// A column name to filter on, and the value it must equal.
    pub col: String,
    pub eq: String,
    /// Words to find in the text columns.
    pub q: String,
}

/// A view checked against the file's columns: positions from 1 (0: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub page: i64,
    pub sort: i32,
    pub desc: bool,
    pub filter: i32,
    /// The filter value as the column stores it.
    pub value: Option<String>,
    /// The search as a case-insensitive LIKE pattern.
    pub pattern: Option<String>,
}

impl View {
    /// `params` against `columns` (name and kind, in file order). A sort or
    /// filter column the file does not have is an error, as is a filter
    /// value that is not of its column's kind.
    pub fn parse(params: &ViewParams, columns: &[(String, ColumnKind)]) -> Result<Self, String> {
        let position = |name: &str| -> Result<i32, String> {
            if name.is_empty() {
                return Ok(0);
            }
            columns
                .iter()
                .position(|(n, _)| n == name)
                .and_then(|i| i32::try_from(i + 1).ok())
                .ok_or_else(|| format!("This file has no column named “{name}”."))
        };
        let sort = position(&params.sort)?;
        let filter = position(&params.col)?;
        let value = if filter > 0 {
            let kind = columns[usize::try_from(filter - 1).unwrap_or(0)].1;
            let value = cell_value(kind, &params.eq).ok_or_else(|| {
                if is_missing(&params.eq) {
                    format!("Enter a value for “{}” to filter on.", params.col)
                } else {
                    format!(
                        "“{}” holds {}; “{}” is not one.",
                        params.col,
                        kind.expected(),
                        params.eq.trim()
                    )
                }
            })?;
            Some(value)
        } else {
            None
        };
        let pattern = Search::parse(&params.q)?
            .non_empty()
            .map(|words| like_pattern(&words));
        Ok(Self {
            page: page_number(&params.page),
            sort,
            desc: params.dir == "desc",
            filter,
            value,
            pattern,
        })
    }

    /// Rows skipped before this page.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(PAGE_ROWS)
    }
}

/// A page number from the URL: 1 for anything that is not a positive
/// number, and no further than a page a file could have.
fn page_number(input: &str) -> i64 {
    input
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .map_or(1, |p| p.min(i64::from(i32::MAX)))
}

/// `words` as a LIKE pattern matching text that contains them: `%`, `_`
/// and `\` stand for themselves.
pub fn like_pattern(words: &str) -> String {
    let mut pattern = String::with_capacity(words.len() + 2);
    pattern.push('%');
    for c in words.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// How many pages `rows` rows make (at least one).
pub fn page_count(rows: i64) -> i64 {
    ((rows + PAGE_ROWS - 1) / PAGE_ROWS).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<(String, ColumnKind)> {
        vec![
            ("carrier".to_owned(), ColumnKind::String),
            ("dep_delay".to_owned(), ColumnKind::Integer),
            ("day".to_owned(), ColumnKind::Date),
        ]
    }

    fn params(pairs: &[(&str, &str)]) -> ViewParams {
        let mut p = ViewParams::default();
        for (k, v) in pairs {
            let v = (*v).to_owned();
            match *k {
                "file" => p.file = v,
                "page" => p.page = v,
                "sort" => p.sort = v,
                "dir" => p.dir = v,
                "col" => p.col = v,
                "eq" => p.eq = v,
                _ => p.q = v,
            }
        }
        p
    }

    #[test]
    fn cells_are_stored_in_one_form_per_kind() {
        assert_eq!(cell_value(ColumnKind::Integer, " +12 "), Some("12".into()));
        assert_eq!(cell_value(ColumnKind::Integer, "1.5"), None);
        assert_eq!(cell_value(ColumnKind::Number, "1e3"), Some("1000".into()));
        assert_eq!(cell_value(ColumnKind::Number, "inf"), None);
        assert_eq!(cell_value(ColumnKind::Boolean, "Yes"), Some("t".into()));
        assert_eq!(
            cell_value(ColumnKind::Date, "2013/01/02"),
            Some("2013-01-02".into())
        );
        assert_eq!(cell_value(ColumnKind::Date, "2013-02-30"), None);
        assert_eq!(
            cell_value(ColumnKind::Datetime, "2013-01-01T06:00:00Z"),
            Some("2013-01-01T06:00:00Z".into())
        );
        assert_eq!(cell_value(ColumnKind::String, "NA"), None);
        assert_eq!(
            cell_value(ColumnKind::String, " a\0b "),
            Some(" ab ".into())
        );
    }

    #[test]
    fn a_view_names_columns_by_position_and_checks_its_value() {
        let view = View::parse(
            &params(&[
                ("sort", "dep_delay"),
                ("dir", "desc"),
                ("col", "day"),
                ("eq", "2013/1/2"),
            ]),
            &columns(),
        );
        assert_eq!(
            view,
            Err("“day” holds a date as YYYY-MM-DD; “2013/1/2” is not one.".to_owned())
        );
        let view = View::parse(
            &params(&[
                ("sort", "dep_delay"),
                ("dir", "desc"),
                ("col", "day"),
                ("eq", "2013-01-02"),
                ("page", "3"),
            ]),
            &columns(),
        )
        .expect("a good view");
        assert_eq!((view.sort, view.desc, view.filter), (2, true, 3));
        assert_eq!(view.value.as_deref(), Some("2013-01-02"));
        assert_eq!(view.offset(), 200);
        assert_eq!(
            View::parse(&params(&[("sort", "nope")]), &columns()),
            Err("This file has no column named “nope”.".to_owned())
        );
        assert_eq!(
            View::parse(&params(&[("col", "carrier")]), &columns()),
            Err("Enter a value for “carrier” to filter on.".to_owned())
        );
    }

    #[test]
    fn a_search_matches_its_characters_literally_and_pages_stay_in_range() {
        let view = View::parse(&params(&[("q", " 100%_a\\b ")]), &columns()).expect("view");
        assert_eq!(view.pattern.as_deref(), Some("%100\\%\\_a\\\\b%"));
        for (input, page) in [
            ("", 1),
            ("0", 1),
            ("-4", 1),
            ("x", 1),
            ("7", 7),
            ("99999999999", 2_147_483_647),
        ] {
            assert_eq!(page_number(input), page, "{input}");
        }
        assert_eq!((page_count(0), page_count(100), page_count(101)), (1, 1, 2));
    }
}
