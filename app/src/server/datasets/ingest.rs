//! What a dataset file is, read once when it is added: its bytes and
//! SHA-256, and for a tabular file its delimiter, encoding, rows and typed
//! columns. Files are read as a stream (never whole into memory), on a
//! blocking thread, and a file that cannot be read as its format says is an
//! error that names the row and what is wrong.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::datasets::Format;
use crate::domain::viewer::{is_date, is_datetime, is_missing};

/// A column of a tabular file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// Frictionless type: `integer`, `number`, `boolean`, `date`,
    /// `datetime` or `string`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// Cells that were empty or `NA`.
    #[serde(default)]
    pub nulls: u64,
}

/// What ingestion found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub format: Format,
    pub bytes: u64,
    pub sha256: [u8; 32],
    /// Tabular files: data rows (the header not counted) and columns.
    pub rows: Option<u64>,
    pub columns: Option<Vec<Column>>,
    pub delimiter: Option<u8>,
    pub encoding: Option<&'static str>,
}

/// A digest (a file's SHA-256), as lower-case hex.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `path` (named `name`): its digest, and its rows and columns when
/// its format is tabular. Blocking: call from a blocking thread.
pub fn inspect(path: &Path, name: &str) -> Result<FileFacts, String> {
    let (bytes, sha256) = digest(path).map_err(|e| format!("{name}: cannot be read ({e})."))?;
    inspect_digested(path, name, bytes, sha256)
}

/// [`inspect`] for a file whose size and digest are known already (taken
/// while it was received).
pub fn inspect_digested(
    path: &Path,
    name: &str,
    bytes: u64,
    sha256: [u8; 32],
) -> Result<FileFacts, String> {
    let format = Format::of_name(name);
    let mut facts = FileFacts {
        format,
        bytes,
        sha256,
        rows: None,
        columns: None,
        delimiter: None,
        encoding: None,
    };
    if matches!(format, Format::Csv | Format::Tsv) {
        let table = read_delimited(path, format).map_err(|e| format!("{name}: {e}"))?;
        facts.rows = Some(table.rows);
        facts.columns = Some(table.columns);
        facts.delimiter = Some(table.delimiter);
        facts.encoding = Some(table.encoding);
    } else if format == Format::JsonLines {
        let table = read_json_lines(path).map_err(|e| format!("{name}: {e}"))?;
        facts.rows = Some(table.rows);
        facts.columns = Some(table.columns);
        facts.encoding = Some("utf-8");
    } else if format == Format::Parquet {
        let (rows, columns) = read_parquet(path).map_err(|e| format!("{name}: {e}"))?;
        facts.rows = Some(rows);
        facts.columns = Some(columns);
    }
    Ok(facts)
}

fn digest(path: &Path) -> std::io::Result<(u64, [u8; 32])> {
    let mut file = BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        total += u64::try_from(n).unwrap_or(u64::MAX);
        hasher.update(&buffer[..n]);
    }
    Ok((total, hasher.finalize().into()))
}

/// A delimited file's shape.
struct Table {
    rows: u64,
    columns: Vec<Column>,
    delimiter: u8,
    encoding: &'static str,
}

/// Delimiters tried, most likely first.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
/// How much of the start of a file decides its delimiter and encoding.
const SNIFF_BYTES: usize = 64 * 1024;

fn read_delimited(path: &Path, format: Format) -> Result<Table, String> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| format!("cannot be read ({e})."))?;
    let encoding = encoding_of(&head);
    let delimiter = if format == Format::Tsv {
        b'\t'
    } else {
        sniff_delimiter(&head)
    };
    let mut reader = delimited_reader(path, delimiter)?;
    let header = reader
        .byte_headers()
        .map_err(|e| format!("the header row cannot be read ({e})."))?
        .clone();
    if header.is_empty() || header.iter().all(<[u8]>::is_empty) {
        return Err("the first row must name the columns.".to_owned());
    }
    let mut columns: Vec<Inferred> = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = decode(name, encoding);
            let name = name.trim_start_matches('\u{feff}').trim();
            Inferred::new(if name.is_empty() {
                format!("column_{}", i + 1)
            } else {
                name.to_owned()
            })
        })
        .collect();
    let width = columns.len();
    if width > MAX_COLUMNS {
        return Err(format!(
            "the header names {width} columns; a file may have {MAX_COLUMNS}."
        ));
    }
    let mut rows = 0u64;
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(format!("row {} cannot be read ({e}).", rows + 2)),
        }
        rows += 1;
        if is_blank(&record) {
            // A blank line.
            rows -= 1;
            continue;
        }
        if record.len() != width {
            return Err(format!(
                "row {} has {} fields, but the header names {width} columns.",
                rows + 1,
                record.len()
            ));
        }
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.see(&decode(cell, encoding));
        }
    }
    Ok(Table {
        rows,
        columns: columns.into_iter().map(Inferred::finish).collect(),
        delimiter,
        encoding,
    })
}

/// A reader of the delimited file at `path`, its first row the header.
pub fn delimited_reader(
    path: &Path,
    delimiter: u8,
) -> Result<csv::Reader<BufReader<File>>, String> {
    let file = File::open(path).map_err(|e| format!("cannot be read ({e})."))?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(BufReader::with_capacity(1 << 16, file)))
}

/// Whether a record is a blank line.
pub fn is_blank(record: &csv::ByteRecord) -> bool {
    record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty)
}

/// A JSON Lines file's shape: one object per line, its columns the keys
/// in the order they first appear, a key a line lacks a missing value.
fn read_json_lines(path: &Path) -> Result<Table, String> {
    let mut columns: Vec<Inferred> = Vec::new();
    let mut rows = 0u64;
    each_json_line(path, |line_number, object| {
        rows += 1;
        for (key, _) in &object.0 {
            if !columns.iter().any(|c| c.name == *key) {
                if columns.len() == MAX_COLUMNS {
                    return Err(format!("line {line_number} brings a column past the {MAX_COLUMNS} a file may have."));
                }
                let mut column = Inferred::new(key.clone());
                // The lines before this one lacked it.
                column.nulls = rows - 1;
                columns.push(column);
            }
        }
        for column in &mut columns {
            column.see(&json_cell(object.get(&column.name)));
        }
        Ok(())
    })?;
    if columns.is_empty() {
        return Err("no line holds a JSON object with a key.".to_owned());
    }
    Ok(Table {
        rows,
        columns: columns.into_iter().map(Inferred::finish).collect(),
        delimiter: b',',
        encoding: "utf-8",
    })
}

/// A Parquet file's rows and columns, typed from their values as a CSV
/// file's are.
fn read_parquet(path: &Path) -> Result<(u64, Vec<Column>), String> {
    let names = super::parquet_file::column_names(path)?;
    if names.len() > MAX_COLUMNS {
        return Err(format!(
            "it has {} columns; a file may have {MAX_COLUMNS}.",
            names.len()
        ));
    }
    let mut columns: Vec<Inferred> = names.into_iter().map(Inferred::new).collect();
    let mut rows = 0u64;
    super::parquet_file::each_row(path, |_, cells| {
        rows += 1;
        for (column, cell) in columns.iter_mut().zip(cells) {
            column.see(cell);
        }
        Ok(())
    })?;
    Ok((rows, columns.into_iter().map(Inferred::finish).collect()))
}

/// The most columns a tabular file may have.
pub const MAX_COLUMNS: usize = 500;

/// A JSON object's members in the order they are written.
pub struct Object(pub Vec<(String, serde_json::Value)>);

impl Object {
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Object;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Object, A::Error> {
                let mut members: Vec<(String, serde_json::Value)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    // A repeated key: the last one counts, as in JSON.parse.
                    members.retain(|(k, _)| *k != key);
                    members.push((key, value));
                }
                Ok(Object(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// Calls `each` with every non-blank line of a JSON Lines file, numbered
/// from 1, as a JSON object; a line that is not one is an error naming it.
pub fn each_json_line(
    path: &Path,
    mut each: impl FnMut(u64, Object) -> Result<(), String>,
) -> Result<(), String> {
    use std::io::BufRead;
    let file = File::open(path).map_err(|e| format!("cannot be read ({e})."))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("line {} cannot be read ({e}).", number + 1))?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Object>(&line) {
            Ok(object) => each(number, object)?,
            Err(e) if e.is_data() => return Err(format!("line {number} is not a JSON object.")),
            Err(e) => return Err(format!("line {number} is not valid JSON ({e}).")),
        }
    }
}

/// A JSON value as a cell: text as it is, numbers and booleans written
/// out, a missing key or `null` empty, arrays and objects as JSON.
pub fn json_cell(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `utf-8` when the start of the file is UTF-8 (a sequence cut at the end
/// of the sample allowed), else `windows-1252`.
fn encoding_of(head: &[u8]) -> &'static str {
    match std::str::from_utf8(head) {
        Ok(_) => "utf-8",
        Err(e) if e.error_len().is_none() => "utf-8",
        Err(_) => "windows-1252",
    }
}

/// A cell's bytes as text, read in the file's `encoding`.
pub fn decode(bytes: &[u8], encoding: &str) -> String {
    if encoding == "utf-8" {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        // Windows-1252 as Latin-1: right for every letter but the few
        // characters of 0x80–0x9F.
        bytes.iter().map(|b| char::from(*b)).collect()
    }
}

/// The delimiter that splits the first lines into the same number (more
/// than one) of fields, the most fields winning; a comma when none does.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut best = (b',', 1usize);
    for delimiter in DELIMITERS {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(head);
        let widths: Vec<usize> = reader
            .byte_records()
            .take(20)
            .filter_map(Result::ok)
            .map(|r| r.len())
            .collect();
        // The last record of the sample may be cut short.
        let whole = &widths[..widths.len().saturating_sub(1).max(1).min(widths.len())];
        let Some(first) = whole.first().copied() else {
            continue;
        };
        if first > best.1 && whole.iter().all(|w| *w == first) {
            best = (delimiter, first);
        }
    }
    best.0
}

/// A column's type as far as its cells have been seen.
struct Inferred {
    name: String,
    nulls: u64,
    seen: u64,
    integer: bool,
    number: bool,
    boolean: bool,
    date: bool,
    datetime: bool,
}

impl Inferred {
    fn new(name: String) -> Self {
        Self {
            name,
            nulls: 0,
            seen: 0,
            integer: true,
            number: true,
            boolean: true,
            date: true,
            datetime: true,
        }
    }

    fn see(&mut self, cell: &str) {
        let cell = cell.trim();
        if is_missing(cell) {
            self.nulls += 1;
            return;
        }
        self.seen += 1;
        if self.integer && cell.parse::<i64>().is_err() {
            self.integer = false;
        }
        if self.number && !cell.parse::<f64>().is_ok_and(f64::is_finite) {
            self.number = false;
        }
        if self.boolean
            && !matches!(
                cell.to_ascii_lowercase().as_str(),
                "true" | "false" | "yes" | "no"
            )
        {
            self.boolean = false;
        }
        if self.date && !is_date(cell) {
            self.date = false;
        }
        if self.datetime && !is_datetime(cell) {
            self.datetime = false;
        }
    }

    fn finish(self) -> Column {
        let kind = if self.seen == 0 {
            "string"
        } else if self.integer {
            "integer"
        } else if self.number {
            "number"
        } else if self.boolean {
            "boolean"
        } else if self.date {
            "date"
        } else if self.datetime {
            "datetime"
        } else {
            "string"
        };
        Column {
            name: self.name,
            kind: kind.to_owned(),
            description: String::new(),
            nulls: self.nulls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> (tempfile_like::Dir, std::path::PathBuf) {
        let dir = tempfile_like::Dir::new();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        (dir, path)
    }

    /// A directory removed when dropped (no crate for twenty lines).
    mod tempfile_like {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let path = std::env::temp_dir().join(format!("ingest-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&path).expect("temp dir");
                Self(path)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn kinds(facts: &FileFacts) -> Vec<(&str, &str)> {
        facts
            .columns
            .iter()
            .flatten()
            .map(|c| (c.name.as_str(), c.kind.as_str()))
            .collect()
    }

    #[test]
    fn columns_are_typed_and_rows_counted_not_read_as_text() {
        let (_dir, path) = file(
            "w.csv",
            b"origin,day,temp,gust,flag,when,at\nEWR,1,39.02,NA,yes,2013-01-01,2013-01-01T06:00:00Z\nJFK,2,-3,10.5,no,2013/01/02,2013-01-01T07:00:00Z\n",
        );
        let facts = inspect(&path, "w.csv").expect("reads");
        assert_eq!(facts.rows, Some(2));
        assert_eq!(facts.delimiter, Some(b','));
        assert_eq!(
            kinds(&facts),
            vec![
                ("origin", "string"),
                ("day", "integer"),
                ("temp", "number"),
                ("gust", "number"),
                ("flag", "boolean"),
                ("when", "date"),
                ("at", "datetime"),
            ]
        );
        let gust = &facts.columns.as_ref().expect("columns")[3];
        assert_eq!(gust.nulls, 1);
        assert_eq!(facts.bytes, std::fs::metadata(&path).expect("meta").len());
        assert_eq!(
            hex(&facts.sha256),
            hex(&Sha256::digest(std::fs::read(&path).expect("read")))
        );
    }

    #[test]
    fn semicolons_and_latin_1_are_found() {
        let (_dir, path) = file("prices.csv", b"name;price\ncaf\xe9;3,5\nth\xe9;2\n");
        let facts = inspect(&path, "prices.csv").expect("reads");
        assert_eq!(facts.delimiter, Some(b';'));
        assert_eq!(facts.encoding, Some("windows-1252"));
        assert_eq!(facts.rows, Some(2));
        assert_eq!(kinds(&facts), vec![("name", "string"), ("price", "string")]);
    }

    #[test]
    fn a_ragged_row_is_named() {
        let (_dir, path) = file("r.csv", b"a,b,c\n1,2,3\n4,5\n");
        assert_eq!(
            inspect(&path, "r.csv").map(|f| f.rows),
            Err("r.csv: row 3 has 2 fields, but the header names 3 columns.".to_owned())
        );
    }

    #[test]
    fn json_lines_are_typed_in_key_order_and_a_bad_line_is_named() {
        let (_dir, path) = file(
            "l.jsonl",
            b"{\"b\": 1, \"a\": \"x\"}\n\n{\"a\": \"y\", \"c\": true}\n",
        );
        let facts = inspect(&path, "l.jsonl").expect("reads");
        assert_eq!(facts.rows, Some(2));
        assert_eq!(
            kinds(&facts),
            vec![("b", "integer"), ("a", "string"), ("c", "boolean")]
        );
        let columns = facts.columns.expect("columns");
        assert_eq!((columns[0].nulls, columns[2].nulls), (1, 1));
        let (_dir, path) = file("bad.jsonl", b"{\"a\": 1}\n[1, 2]\n");
        assert_eq!(
            inspect(&path, "bad.jsonl").map(|f| f.rows),
            Err("bad.jsonl: line 2 is not a JSON object.".to_owned())
        );
        let (_dir, path) = file("cut.jsonl", b"{\"a\": 1}\n{\"a\": \n");
        assert!(inspect(&path, "cut.jsonl")
            .err()
            .is_some_and(|e| e.starts_with("cut.jsonl: line 2 is not valid JSON")));
    }

    #[test]
    fn other_formats_are_stored_as_they_are() {
        let (_dir, path) = file("notes.pdf", b"%PDF-1.4");
        let facts = inspect(&path, "notes.pdf").expect("reads");
        assert_eq!(facts.format, Format::Other);
        assert_eq!((facts.rows, facts.bytes), (None, 8));
    }
}
