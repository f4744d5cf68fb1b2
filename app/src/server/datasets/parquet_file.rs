//! Parquet files, read row by row with the `parquet` crate (snappy, gzip,
//! LZ4 and zstd pages), each value written out as the text a CSV cell of it
//! would hold: numbers and booleans as written, dates as `YYYY-MM-DD`,
//! timestamps as RFC 3339 in UTC, a null empty. Ingestion infers the
//! columns' kinds from that text as it does for CSV, and the viewer loads
//! it the same way, so every tabular format is typed by one rule.

use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use time::OffsetDateTime;

/// The names of the top-level columns of the Parquet file at `path` (read
/// from its footer). Blocking.
pub fn column_names(path: &Path) -> Result<Vec<String>, String> {
    let names: Vec<String> = open(path)?
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    if names.is_empty() {
        return Err("has no columns.".to_owned());
    }
    Ok(names)
}

/// Calls `each` with every row of the Parquet file at `path` (numbered from
/// 1) as one cell per top-level column. Blocking.
pub fn each_row(
    path: &Path,
    mut each: impl FnMut(u64, &[String]) -> Result<(), String>,
) -> Result<(), String> {
    let reader = open(path)?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| format!("cannot be read ({e})."))?;
    let mut cells: Vec<String> = Vec::new();
    for (number, row) in (1u64..).zip(rows) {
        let row = row.map_err(|e| format!("row {number} cannot be read ({e})."))?;
        cells.clear();
        cells.extend(row.get_column_iter().map(|(_, field)| cell(field)));
        each(number, &cells)?;
    }
    Ok(())
}

fn open(path: &Path) -> Result<SerializedFileReader<File>, String> {
    let file = File::open(path).map_err(|e| format!("cannot be read ({e})."))?;
    SerializedFileReader::new(file)
        .map_err(|e| format!("is not a Parquet file that can be read ({e})."))
}

/// A value as the text of a cell.
fn cell(field: &Field) -> String {
    match field {
        Field::Null => String::new(),
        Field::Str(text) => text.clone(),
        Field::Bytes(bytes) => String::from_utf8_lossy(bytes.data()).into_owned(),
        Field::Float(value) if value.is_finite() => value.to_string(),
        Field::Double(value) if value.is_finite() => value.to_string(),
        Field::Float(_) | Field::Double(_) => String::new(),
        Field::Date(days) => {
            let day = OffsetDateTime::UNIX_EPOCH.date().to_julian_day() + *days;
            time::Date::from_julian_day(day).map_or_else(|_| String::new(), |d| d.to_string())
        }
        Field::TimestampMillis(ms) => instant(i128::from(*ms) * 1_000_000),
        Field::TimestampMicros(us) => instant(i128::from(*us) * 1_000),
        // Numbers, booleans, decimals, times of day, and nested values
        // as the crate writes them.
        other => other.to_string(),
    }
}

/// An instant `nanos` after the Unix epoch, as RFC 3339 in UTC.
fn instant(nanos: i128) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_their_csv_cells_would() {
        assert_eq!(cell(&Field::Null), "");
        assert_eq!(cell(&Field::Long(-42)), "-42");
        assert_eq!(cell(&Field::Double(2.5)), "2.5");
        assert_eq!(cell(&Field::Double(f64::NAN)), "");
        assert_eq!(cell(&Field::Bool(true)), "true");
        assert_eq!(cell(&Field::Date(0)), "1970-01-01");
        assert_eq!(cell(&Field::Date(19_723)), "2024-01-01");
        assert_eq!(
            cell(&Field::TimestampMillis(1_704_067_200_000)),
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(cell(&Field::Str("Brest".to_owned())), "Brest");
    }
}
