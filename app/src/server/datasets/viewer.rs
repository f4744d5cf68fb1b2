//! The data viewer's tables: each tabular file is loaded once into a typed
//! table of its own (see the migration `dataset_viewer`), and every view of
//! it is then a page of a hundred rows read through an index.
//!
//! Loading streams the stored file on a blocking thread, turns each row
//! into the cells its column types store, and COPYs them into PostgreSQL
//! while the next rows are read; `dataset_table_build` then types them,
//! numbers every sort and filter, indexes and measures each column.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use sqlx::postgres::PgPoolCopyExt;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use super::ingest::{self, Column};
use super::storage::Store;
use crate::domain::datasets::Format;
use crate::domain::viewer::{cell_value, ColumnKind, View, PAGE_ROWS, SEARCH_COUNT_CAP};

/// Bytes of COPY data sent at a time.
const CHUNK_BYTES: usize = 1 << 20;

/// A stored tabular file, as far as loading it needs.
#[derive(Debug, Clone)]
pub struct Tabular {
    pub sha256: [u8; 32],
    pub format: Format,
    pub delimiter: Option<u8>,
    pub encoding: Option<String>,
    pub columns: Vec<Column>,
}

impl Tabular {
    /// A file of a new version.
    pub fn of(file: &crate::server::services::datasets::NewFile) -> Self {
        Self {
            sha256: file.facts.sha256,
            format: file.facts.format,
            delimiter: file.facts.delimiter,
            encoding: file.facts.encoding.map(str::to_owned),
            columns: file
                .columns
                .clone()
                .or_else(|| file.facts.columns.clone())
                .unwrap_or_default(),
        }
    }
}

/// Loads `file` into its viewer table unless it has one (or another load
/// holds it); returns the rows loaded, `None` when there was nothing to do.
/// A load that fails is recorded as failed, with its reason, and leaves no
/// rows behind.
pub async fn build(pool: &PgPool, store: &Store, file: &Tabular) -> anyhow::Result<Option<u64>> {
    if !matches!(
        file.format,
        Format::Csv | Format::Tsv | Format::JsonLines | Format::Parquet
    ) || file.columns.is_empty()
    {
        return Ok(None);
    }
    let types: Vec<&str> = file
        .columns
        .iter()
        .map(|c| ColumnKind::parse(&c.kind).as_str())
        .collect();
    let claimed: Option<Vec<u8>> = sqlx::query_scalar(
        "insert into dataset_tables (sha256, name, types) values ($1, $2, $3)
         on conflict (sha256) do update set status = 'building', types = excluded.types, error = null
         where dataset_tables.status = 'failed'
         returning sha256",
    )
    .bind(file.sha256.as_slice())
    .bind(format!("t_{}", &ingest::hex(&file.sha256)[..40]))
    .bind(&types)
    .fetch_optional(pool)
    .await?;
    if claimed.is_none() {
        return Ok(None);
    }
    let load = Uuid::new_v4();
    match load_rows(pool, store, file, load).await {
        Ok(rows) => Ok(Some(rows)),
        Err(e) => {
            sqlx::query("delete from dataset_table_loads where load_id = $1")
                .bind(load)
                .execute(pool)
                .await?;
            sqlx::query(
                "update dataset_tables set status = 'failed', error = $2 where sha256 = $1",
            )
            .bind(file.sha256.as_slice())
            .bind(e.to_string())
            .execute(pool)
            .await?;
            Err(e)
        }
    }
}

async fn load_rows(
    pool: &PgPool,
    store: &Store,
    file: &Tabular,
    load: Uuid,
) -> anyhow::Result<u64> {
    let path = store.local(&file.sha256).await?;
    let (sender, mut chunks) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let reader = {
        let file = file.clone();
        tokio::task::spawn_blocking(move || read_as_copy(&path, &file, load, &sender))
    };
    let mut copy = pool
        .copy_in_raw("copy dataset_table_loads (load_id, row_number, cells) from stdin")
        .await?;
    while let Some(chunk) = chunks.recv().await {
        copy.send(chunk).await?;
    }
    match reader.await? {
        Ok(()) => {
            copy.finish().await?;
        }
        Err(e) => {
            copy.abort(e.clone()).await?;
            anyhow::bail!(e);
        }
    }
    let rows: i64 = sqlx::query_scalar("select dataset_table_build($1, $2)")
        .bind(file.sha256.as_slice())
        .bind(load)
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(rows).unwrap_or(0))
}

/// Reads the file at `path` row by row into COPY text for load `load`,
/// handing `sender` about a megabyte at a time. Blocking.
fn read_as_copy(
    path: &Path,
    file: &Tabular,
    load: Uuid,
    sender: &tokio::sync::mpsc::Sender<Vec<u8>>,
) -> Result<(), String> {
    let kinds: Vec<ColumnKind> = file
        .columns
        .iter()
        .map(|c| ColumnKind::parse(&c.kind))
        .collect();
    let load = load.to_string();
    let mut buffer = Vec::with_capacity(CHUNK_BYTES + 4096);
    let mut row = 0u64;
    let mut cells: Vec<String> = Vec::with_capacity(kinds.len());
    let flush = |buffer: &mut Vec<u8>, last: bool| -> Result<(), String> {
        if buffer.len() >= CHUNK_BYTES || (last && !buffer.is_empty()) {
            let full = std::mem::replace(buffer, Vec::with_capacity(CHUNK_BYTES + 4096));
            sender
                .blocking_send(full)
                .map_err(|_| "the load was stopped.".to_owned())?;
        }
        Ok(())
    };
    match file.format {
        Format::Csv | Format::Tsv => {
            let encoding = file.encoding.as_deref().unwrap_or("utf-8");
            let delimiter = file.delimiter.unwrap_or(b',');
            let mut reader = ingest::delimited_reader(path, delimiter)?;
            let mut record = csv::ByteRecord::new();
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => return Err(format!("row {} cannot be read ({e}).", row + 2)),
                }
                if ingest::is_blank(&record) {
                    continue;
                }
                row += 1;
                cells.clear();
                cells.extend(record.iter().map(|cell| ingest::decode(cell, encoding)));
                push_row(&mut buffer, &load, row, &kinds, &cells);
                flush(&mut buffer, false)?;
            }
        }
        Format::Parquet => {
            super::parquet_file::each_row(path, |_, values| {
                row += 1;
                push_row(&mut buffer, &load, row, &kinds, values);
                flush(&mut buffer, false)
            })?;
        }
        _ => {
            let names: Vec<&str> = file.columns.iter().map(|c| c.name.as_str()).collect();
            ingest::each_json_line(path, |_, object| {
                row += 1;
                cells.clear();
                cells.extend(names.iter().map(|name| ingest::json_cell(object.get(name))));
                push_row(&mut buffer, &load, row, &kinds, &cells);
                flush(&mut buffer, false)
            })?;
        }
    }
    flush(&mut buffer, true)
}

/// Appends one row to COPY text: the load, the row number and the cells as
/// a PostgreSQL array of text, each cell as its column's kind stores it.
fn push_row(buffer: &mut Vec<u8>, load: &str, row: u64, kinds: &[ColumnKind], cells: &[String]) {
    let mut line = String::with_capacity(64 + cells.iter().map(String::len).sum::<usize>() * 2);
    let _ = write!(line, "{load}\t{row}\t{{");
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        match cells.get(i).and_then(|cell| cell_value(*kind, cell)) {
            None => line.push_str("NULL"),
            Some(value) => {
                line.push('"');
                for c in value.chars() {
                    match c {
                        // Escaped once for the array and once for COPY.
                        '\\' => line.push_str("\\\\\\\\"),
                        '"' => line.push_str("\\\\\""),
                        '\n' => line.push_str("\\n"),
                        '\r' => line.push_str("\\r"),
                        '\t' => line.push_str("\\t"),
                        c => line.push(c),
                    }
                }
                line.push('"');
            }
        }
    }
    line.push_str("}\n");
    buffer.extend_from_slice(line.as_bytes());
}

/// A stored file's digest, format, delimiter, encoding and columns.
type StoredFile = (
    Vec<u8>,
    String,
    Option<String>,
    Option<String>,
    Option<Json<Vec<Column>>>,
);

/// Loads every tabular file that has no ready viewer table (at start-up:
/// files added before the viewer existed, and loads a stop cut short).
pub async fn build_missing(pool: &PgPool, store: &Store) -> anyhow::Result<usize> {
    sqlx::query("update dataset_tables set status = 'failed', error = 'cut short' where status = 'building'")
        .execute(pool)
        .await?;
    let files: Vec<StoredFile> = sqlx::query_as(
        "select distinct on (f.sha256) f.sha256, f.format, f.delimiter, f.encoding, f.columns
             from dataset_files f left join dataset_tables t on t.sha256 = f.sha256
             where f.format in ('csv', 'tsv', 'jsonl', 'parquet') and f.columns is not null
               and (t.sha256 is null or t.status = 'failed')
             order by f.sha256, f.created_at",
    )
    .fetch_all(pool)
    .await?;
    let mut built = 0;
    for (sha256, format, delimiter, encoding, columns) in files {
        let Ok(sha256) = <[u8; 32]>::try_from(sha256.as_slice()) else {
            continue;
        };
        let file = Tabular {
            sha256,
            format: Format::parse(&format).unwrap_or(Format::Other),
            delimiter: delimiter.and_then(|d| d.bytes().next()),
            encoding,
            columns: columns.map(|c| c.0).unwrap_or_default(),
        };
        match build(pool, store, &file).await {
            Ok(Some(_)) => built += 1,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "a dataset file could not be loaded into the viewer")
            }
        }
    }
    Ok(built)
}

/// A file's viewer table as the viewer reads it.
#[derive(Debug, Clone)]
pub struct TableState {
    pub status: String,
    pub rows: i64,
    pub stats: Vec<ColumnStats>,
}

/// One column's statistics, as `dataset_table_stats` measured them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ColumnStats {
    pub nulls: i64,
    pub distinct: i64,
    pub min: Option<String>,
    pub max: Option<String>,
    pub mean: Option<f64>,
    /// Histogram bins over [low, high): `bins` of them, each [number, rows].
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub bins: Option<i64>,
    pub histogram: Vec<(i64, i64)>,
    /// The most common values, each [value, rows].
    pub top: Vec<(String, i64)>,
    pub filterable: bool,
}

/// The viewer table of the file `sha256`, if one was registered.
pub async fn table(pool: &PgPool, sha256: &[u8]) -> Result<Option<TableState>, sqlx::Error> {
    let row: Option<(String, i64, Json<Vec<ColumnStats>>)> =
        sqlx::query_as("select status, row_count, stats from dataset_tables where sha256 = $1")
            .bind(sha256)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(status, rows, stats)| TableState {
        status,
        rows,
        stats: stats.0,
    }))
}

/// A page of a view: its rows (number and cells) and how many rows match
/// (no more than [`SEARCH_COUNT_CAP`] counted for a search).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub rows: Vec<(i64, Vec<Option<String>>)>,
    pub matching: i64,
}

/// The page `view` of the ready table of the file `sha256`.
pub async fn page(pool: &PgPool, sha256: &[u8], view: &View) -> Result<Page, sqlx::Error> {
    let page = page_within(pool, sha256, view, VIEW_TIMEOUT).await?;
    if view.filter > 0 && view.sort > 0 && view.sort != view.filter && view.pattern.is_none() {
        rank_pair_in_background(pool, sha256, view.filter, view.sort).await;
    }
    Ok(page)
}

/// Files with fewer rows sort a filter's matches fast enough for any page.
pub const PAIR_MIN_ROWS: i64 = 100_000;

/// The pairs of filter and sort columns this process has asked for, so
/// each is asked for once.
static PAIRS_ASKED: std::sync::Mutex<Vec<([u8; 32], i32, i32)>> = std::sync::Mutex::new(Vec::new());

/// Asks for the ranks of filtering on column `filter` sorted by column
/// `sort` (see the migration `viewer_pair_ranks`), and builds them in the
/// background when this caller is the one to: until they are ready, pages
/// of the pair read and sort their matching rows.
async fn rank_pair_in_background(pool: &PgPool, sha256: &[u8], filter: i32, sort: i32) {
    let Ok(sha) = <[u8; 32]>::try_from(sha256) else {
        return;
    };
    {
        let Ok(mut asked) = PAIRS_ASKED.lock() else {
            return;
        };
        if asked.contains(&(sha, filter, sort)) {
            return;
        }
        asked.push((sha, filter, sort));
    }
    match want_pair(pool, sha256, filter, sort, PAIR_MIN_ROWS).await {
        Ok(true) => {
            let pool = pool.clone();
            tokio::spawn(async move {
                if let Err(e) = build_pair(&pool, &sha, filter, sort).await {
                    tracing::warn!(error = %e, "ranking a filter and sort pair failed");
                }
            });
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "asking for a filter and sort pair failed"),
    }
}

/// Whether the caller is to build the ranks of the pair now (the file has
/// at least `min_rows` rows and nobody else is building them).
pub async fn want_pair(
    pool: &PgPool,
    sha256: &[u8],
    filter: i32,
    sort: i32,
    min_rows: i64,
) -> Result<bool, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar("select dataset_table_pair_want($1, $2, $3, $4)")
        .bind(sha256)
        .bind(filter)
        .bind(sort)
        .bind(min_rows)
        .fetch_one(pool)
        .await?;
    Ok(name.is_some())
}

/// Builds the ranks of a pair asked for with [`want_pair`]; whether they
/// are ready.
pub async fn build_pair(
    pool: &PgPool,
    sha256: &[u8],
    filter: i32,
    sort: i32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select dataset_table_pair_build($1, $2, $3)")
        .bind(sha256)
        .bind(filter)
        .bind(sort)
        .fetch_one(pool)
        .await
}

/// How long a page (with its count) may take: a search through millions
/// of rows stops there rather than holding a connection.
pub const VIEW_TIMEOUT: &str = "5s";

/// [`page`], stopped after `timeout` (a PostgreSQL interval).
pub async fn page_within(
    pool: &PgPool,
    sha256: &[u8],
    view: &View,
    timeout: &str,
) -> Result<Page, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("select set_config('statement_timeout', $1, true)")
        .bind(timeout)
        .execute(&mut *tx)
        .await?;
    let rows: Vec<(i64, Vec<Option<String>>)> = sqlx::query_as(
        "select row_number, cells from dataset_table_page($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(sha256)
    .bind(view.sort)
    .bind(view.desc)
    .bind(view.filter)
    .bind(&view.value)
    .bind(&view.pattern)
    .bind(view.offset())
    .bind(i32::try_from(PAGE_ROWS).unwrap_or(100))
    .fetch_all(&mut *tx)
    .await?;
    let matching: Option<i64> =
        sqlx::query_scalar("select dataset_table_count($1, $2, $3, $4, $5)")
            .bind(sha256)
            .bind(view.filter)
            .bind(&view.value)
            .bind(&view.pattern)
            .bind(SEARCH_COUNT_CAP)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Page {
        rows,
        matching: matching.unwrap_or(0),
    })
}

/// Whether `error` is a page that ran past its time.
pub fn timed_out(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("57014"))
}
