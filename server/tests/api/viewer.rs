//! The data viewer: a tabular file loaded into its table at ingestion and
//! read a page at a time. Every page, sort, filter and search is checked
//! against the seed file itself, read here with no help from the portal;
//! awkward text and JSON Lines come back exactly; a load that fails is
//! recorded and leaves nothing behind; the pages work over HTTP.

use app::domain::dataset_forms::DatasetMeta;
use app::domain::viewer::{ColumnKind, View, ViewParams};
use app::server::datasets::viewer::{self, Tabular};
use app::server::datasets::{ingest, seed, storage::Store};
use app::server::services::datasets::{self, NewDataset, NewFile};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{page, spawn_app, TestApp};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/datasets");
const WEATHER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/seed/datasets/nycflights13/weather.csv"
);

fn store() -> Store {
    Store::new(std::env::temp_dir().join("lab-portal-test-datasets"))
}

async fn seeded(pool: PgPool) -> TestApp {
    let app = spawn_app(pool).await;
    seed::load(&app.pool, &store(), std::path::Path::new(SEED))
        .await
        .expect("the starter catalog loads");
    app
}

/// weather.csv's data rows, split (it has no quoted cells).
fn weather() -> Vec<Vec<String>> {
    std::fs::read_to_string(WEATHER)
        .expect("seed file")
        .lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

fn sha256(path: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).expect("file")).to_vec()
}

/// The columns of the stored file `sha` as the viewer types them.
async fn kinds(pool: &PgPool, sha: &[u8]) -> Vec<(String, ColumnKind)> {
    let columns: Value =
        sqlx::query_scalar("select columns from dataset_files where sha256 = $1 limit 1")
            .bind(sha)
            .fetch_one(pool)
            .await
            .expect("columns");
    columns
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                ColumnKind::parse(c["type"].as_str().expect("type")),
            )
        })
        .collect()
}

/// A page of the view the URL parameters `pairs` ask for.
async fn view(
    pool: &PgPool,
    sha: &[u8],
    pairs: &[(&str, &str)],
) -> (Vec<(i64, Vec<Option<String>>)>, i64) {
    let mut params = ViewParams::default();
    for (name, value) in pairs {
        let value = (*value).to_owned();
        match *name {
            "page" => params.page = value,
            "sort" => params.sort = value,
            "dir" => params.dir = value,
            "col" => params.col = value,
            "eq" => params.eq = value,
            _ => params.q = value,
        }
    }
    let view = View::parse(&params, &kinds(pool, sha).await).expect("a good view");
    let page = viewer::page(pool, sha, &view).await.expect("a page");
    (page.rows, page.matching)
}

fn numbers(rows: &[(i64, Vec<Option<String>>)]) -> Vec<i64> {
    rows.iter().map(|(n, _)| *n).collect()
}

/// Column `i` of the file's rows, as a number (NA: none).
fn number(row: &[String], i: usize) -> Option<f64> {
    row[i].parse::<f64>().ok()
}

#[sqlx::test(migrations = false)]
async fn every_page_sort_filter_and_search_reads_what_the_file_holds(pool: PgPool) {
    let app = seeded(pool).await;
    let sha = sha256(WEATHER);
    let file = weather();
    let total = i64::try_from(file.len()).expect("rows");
    assert_eq!(total, 26_115);

    // File order, first and last pages.
    let (rows, matching) = view(&app.pool, &sha, &[]).await;
    assert_eq!(matching, total);
    assert_eq!(numbers(&rows), (1..=100).collect::<Vec<_>>());
    assert_eq!(rows[0].1[0].as_deref(), Some("EWR"));
    assert_eq!(rows[0].1[14].as_deref(), Some("2013-01-01 06:00:00+00"));
    let (rows, _) = view(&app.pool, &sha, &[("page", "262")]).await;
    assert_eq!(numbers(&rows), (26_101..=26_115).collect::<Vec<_>>());
    let (rows, _) = view(&app.pool, &sha, &[("page", "263")]).await;
    assert!(rows.is_empty(), "past the end");
    let (rows, _) = view(&app.pool, &sha, &[("dir", "desc")]).await;
    assert_eq!(rows[0].0, total, "file order reversed");

    // Sorted by temperature (column 6), both ways, deep pages included:
    // the same rows in the same order as sorting the file (ties in file
    // order), descending its exact reverse but for the one missing
    // temperature, last both ways.
    let mut ascending: Vec<(Option<f64>, i64)> = file
        .iter()
        .enumerate()
        .map(|(i, row)| (number(row, 5), i64::try_from(i + 1).expect("row")))
        .collect();
    let missing_last = |a: &Option<f64>, b: &Option<f64>| match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(b),
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
    };
    ascending.sort_by(|a, b| missing_last(&a.0, &b.0).then(a.1.cmp(&b.1)));
    let mut descending: Vec<(Option<f64>, i64)> = ascending
        .iter()
        .filter(|r| r.0.is_some())
        .rev()
        .copied()
        .collect();
    descending.extend(ascending.iter().filter(|r| r.0.is_none()).copied());
    for page_number in [1usize, 2, 150, 262] {
        let page_text = page_number.to_string();
        let slice = |all: &[(Option<f64>, i64)]| -> Vec<i64> {
            all.iter()
                .skip((page_number - 1) * 100)
                .take(100)
                .map(|(_, n)| *n)
                .collect()
        };
        let (rows, _) = view(&app.pool, &sha, &[("sort", "temp"), ("page", &page_text)]).await;
        assert_eq!(
            numbers(&rows),
            slice(&ascending),
            "ascending page {page_number}"
        );
        let (rows, _) = view(
            &app.pool,
            &sha,
            &[("sort", "temp"), ("dir", "desc"), ("page", &page_text)],
        )
        .await;
        assert_eq!(
            numbers(&rows),
            slice(&descending),
            "descending page {page_number}"
        );
    }
    let (rows, _) = view(
        &app.pool,
        &sha,
        &[("sort", "temp"), ("dir", "desc"), ("page", "262")],
    )
    .await;
    assert_eq!(
        rows.last().map(|r| r.1[5].clone()),
        Some(None),
        "missing last"
    );

    // Filtered on a value: the matching rows in file order, counted; then
    // sorted by another column.
    let jfk: Vec<i64> = file
        .iter()
        .enumerate()
        .filter(|(_, row)| row[0] == "JFK")
        .map(|(i, _)| i64::try_from(i + 1).expect("row"))
        .collect();
    let (rows, matching) = view(
        &app.pool,
        &sha,
        &[("col", "origin"), ("eq", "JFK"), ("page", "2")],
    )
    .await;
    assert_eq!(matching, 8_706);
    assert_eq!(numbers(&rows), jfk[100..200].to_vec());
    let (rows, _) = view(
        &app.pool,
        &sha,
        &[
            ("col", "origin"),
            ("eq", "JFK"),
            ("dir", "desc"),
            ("page", "88"),
        ],
    )
    .await;
    let mut reversed = jfk.clone();
    reversed.reverse();
    assert_eq!(numbers(&rows), reversed[8_700..].to_vec());
    let hottest_jfk = file
        .iter()
        .filter(|row| row[0] == "JFK")
        .filter_map(|row| number(row, 5))
        .fold(f64::MIN, f64::max);
    let (rows, _) = view(
        &app.pool,
        &sha,
        &[
            ("col", "origin"),
            ("eq", "JFK"),
            ("sort", "temp"),
            ("dir", "desc"),
        ],
    )
    .await;
    let first: f64 = rows[0].1[5]
        .as_deref()
        .expect("temp")
        .parse()
        .expect("number");
    assert_eq!(first, hottest_jfk);
    assert!(rows.iter().all(|r| r.1[0].as_deref() == Some("JFK")));
    check_jfk_sorted_by_another_column(&app.pool, &sha, &file).await;
    // Once ranked (built in the background for files of 100,000 rows or
    // more, asked for here on this smaller one), the same pages come from
    // the pair's ranks.
    for sort in [6, 11] {
        assert!(
            !viewer::want_pair(&app.pool, &sha, 1, sort, viewer::PAIR_MIN_ROWS)
                .await
                .expect("want"),
            "a small file is not ranked"
        );
        assert!(viewer::want_pair(&app.pool, &sha, 1, sort, 0)
            .await
            .expect("want"));
        assert!(
            !viewer::want_pair(&app.pool, &sha, 1, sort, 0)
                .await
                .expect("want"),
            "asked for once"
        );
        assert!(viewer::build_pair(&app.pool, &sha, 1, sort)
            .await
            .expect("build"));
    }
    let ready: i64 = sqlx::query_scalar(
        "select count(*) from dataset_table_pairs where sha256 = $1 and status = 'ready'",
    )
    .bind(&sha)
    .fetch_one(&app.pool)
    .await
    .expect("pairs");
    assert_eq!(ready, 2);
    check_jfk_sorted_by_another_column(&app.pool, &sha, &file).await;
    // A number filter compares numbers: "39.020" is 39.02.
    let warm = file.iter().filter(|row| row[5] == "39.02").count();
    let (_, matching) = view(&app.pool, &sha, &[("col", "temp"), ("eq", "39.020")]).await;
    assert_eq!(matching, i64::try_from(warm).expect("count"));
    assert!(warm > 0);

    // A search finds text in any text column, in any case.
    let (rows, matching) = view(&app.pool, &sha, &[("q", "lga"), ("page", "3")]).await;
    assert_eq!(matching, 8_706);
    assert!(rows.iter().all(|r| r.1[0].as_deref() == Some("LGA")));
    let (rows, matching) = view(&app.pool, &sha, &[("q", "no such place")]).await;
    assert_eq!((rows.len(), matching), (0, 0));
    // A search reads the rows' trigram index, built with the table.
    let indexed: Option<String> = sqlx::query_scalar(
        "select i.indexdef from pg_indexes i join dataset_tables t on i.indexname = t.name || '_text'
         where t.sha256 = $1 and i.schemaname = 'dataset_rows'",
    )
    .bind(&sha)
    .fetch_optional(&app.pool)
    .await
    .expect("indexes");
    assert!(
        indexed.is_some_and(|def| def.contains("gin_trgm_ops")),
        "a search index"
    );

    // Statistics, measured at ingestion.
    let table = viewer::table(&app.pool, &sha)
        .await
        .expect("table")
        .expect("one");
    assert_eq!((table.status.as_str(), table.rows), ("ready", total));
    let temp = &table.stats[5];
    let temps: Vec<f64> = file.iter().filter_map(|row| number(row, 5)).collect();
    assert_eq!(temp.nulls, 1);
    let min = temps.iter().copied().fold(f64::MAX, f64::min);
    let max = temps.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(
        temp.min.as_deref().map(|m| m.parse::<f64>().expect("min")),
        Some(min)
    );
    assert_eq!(
        temp.max.as_deref().map(|m| m.parse::<f64>().expect("max")),
        Some(max)
    );
    let mean = temps.iter().sum::<f64>() / temps.len() as f64;
    assert!((temp.mean.expect("mean") - mean).abs() < 1e-9);
    let binned: i64 = temp.histogram.iter().map(|(_, n)| n).sum();
    assert_eq!(binned, total - 1, "every value in a bin");
    assert_eq!(temp.bins, Some(20));
    let origin = &table.stats[0];
    assert_eq!(
        origin.top,
        vec![
            ("JFK".to_owned(), 8_706),
            ("LGA".to_owned(), 8_706),
            ("EWR".to_owned(), 8_703)
        ]
    );
    let month = &table.stats[2];
    assert_eq!(month.bins, Some(12), "one bin per month");
    assert_eq!(month.histogram.len(), 12);
}

/// Filtered on `origin = JFK` and sorted by another column, every page both
/// ways: the matching rows in the order of sorting them (ties in file
/// order), descending the reverse but for the missing values, last in file
/// order. Without ranks for the pair, early pages walk the sort's index
/// (JFK is a third of the rows) and later ones sort the matches; wind_gust
/// is missing in most rows, so its descending pages run into them.
async fn check_jfk_sorted_by_another_column(pool: &PgPool, sha: &[u8], file: &[Vec<String>]) {
    let missing_last = |a: &Option<f64>, b: &Option<f64>| match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(b),
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
    };
    for (column, at) in [("wind_gust", 10usize), ("temp", 5)] {
        let mut ascending: Vec<(Option<f64>, i64)> = file
            .iter()
            .enumerate()
            .filter(|(_, row)| row[0] == "JFK")
            .map(|(i, row)| (number(row, at), i64::try_from(i + 1).expect("row")))
            .collect();
        ascending.sort_by(|a, b| missing_last(&a.0, &b.0).then(a.1.cmp(&b.1)));
        let mut descending: Vec<(Option<f64>, i64)> = ascending
            .iter()
            .filter(|r| r.0.is_some())
            .rev()
            .copied()
            .collect();
        descending.extend(ascending.iter().filter(|r| r.0.is_none()).copied());
        for page_number in [1usize, 2, 15, 16, 17, 29, 30, 31, 60, 87, 88] {
            let page_text = page_number.to_string();
            for (dir, expected) in [("asc", &ascending), ("desc", &descending)] {
                let (rows, matching) = view(
                    pool,
                    sha,
                    &[
                        ("col", "origin"),
                        ("eq", "JFK"),
                        ("sort", column),
                        ("dir", dir),
                        ("page", &page_text),
                    ],
                )
                .await;
                assert_eq!(matching, 8_706);
                let want: Vec<i64> = expected
                    .iter()
                    .skip((page_number - 1) * 100)
                    .take(100)
                    .map(|(_, n)| *n)
                    .collect();
                assert_eq!(
                    numbers(&rows),
                    want,
                    "JFK by {column} {dir}, page {page_number}"
                );
            }
        }
    }
}

/// Waits (up to 30 s) for the viewer table of `sha256` to be ready.
async fn wait_until_ready(pool: &PgPool, sha256: &[u8]) {
    for _ in 0..300 {
        let state = viewer::table(pool, sha256).await.expect("table");
        if state.is_some_and(|t| t.status == "ready") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the viewer table was not ready within 30 s");
}

/// A version of one file named `name` holding `bytes`, published and
/// loaded into the viewer; returns the file's digest.
async fn publish_file(pool: &PgPool, slug: &str, name: &str, bytes: &[u8]) -> [u8; 32] {
    let dir = std::env::temp_dir().join(format!("viewer-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    let facts = ingest::inspect(&path, name).expect("a readable file");
    store().put(&path, &facts.sha256).expect("stored");
    let file = NewFile {
        name: name.to_owned(),
        facts: facts.clone(),
        columns: None,
    };
    let dataset = NewDataset {
        meta: DatasetMeta {
            slug: slug.to_owned(),
            title: "Awkward text".into(),
            summary: "Cells that test the loader.".into(),
            industry: "cross-industry".into(),
            license_id: Some("CC0-1.0".into()),
            license_name: "CC0 1.0".into(),
            publisher: "Lab".into(),
            source_name: "Tests".into(),
            access: "open".into(),
            ..DatasetMeta::default()
        },
        ..NewDataset::default()
    };
    datasets::publish_new(pool, &dataset, std::slice::from_ref(&file), "First.")
        .await
        .expect("published")
        .expect("a new slug");
    // The portal's start-up task (loading files without a table) may have
    // claimed the file first: then it is waited for.
    if viewer::build(pool, &store(), &Tabular::of(&file))
        .await
        .expect("loaded")
        .is_none()
    {
        wait_until_ready(pool, &facts.sha256).await;
    }
    let table = viewer::table(pool, &facts.sha256)
        .await
        .expect("table")
        .expect("a table");
    assert_eq!(table.status, "ready");
    assert_eq!(u64::try_from(table.rows).ok(), facts.rows);
    let _ = std::fs::remove_dir_all(&dir);
    facts.sha256
}

#[sqlx::test(migrations = false)]
async fn awkward_text_and_json_lines_come_back_exactly(pool: PgPool) {
    let app = spawn_app(pool).await;
    let csv = "name,note,score\n\
               \"a,b\",\"he said \"\"hi\"\" \\ {x} NULL\",1\n\
               \"multi\nline\",\u{fc}n\u{ef}c\u{f8}d\u{e9}\t\u{1F600},NA\n\
               plain,\"\",-7\n";
    let sha = publish_file(&app.pool, "awkward-csv", "awkward.csv", csv.as_bytes()).await;
    let (rows, matching) = view(&app.pool, &sha, &[]).await;
    assert_eq!(matching, 3);
    let cells: Vec<Vec<Option<String>>> = rows.into_iter().map(|r| r.1).collect();
    let text = |s: &str| Some(s.to_owned());
    assert_eq!(
        cells,
        vec![
            vec![text("a,b"), text("he said \"hi\" \\ {x} NULL"), text("1")],
            vec![
                text("multi\nline"),
                text("\u{fc}n\u{ef}c\u{f8}d\u{e9}\t\u{1F600}"),
                None
            ],
            vec![text("plain"), None, text("-7")],
        ]
    );
    let (rows, _) = view(&app.pool, &sha, &[("q", "\\ {x}")]).await;
    assert_eq!(numbers(&rows), vec![1], "a search's characters are literal");
    let (rows, _) = view(&app.pool, &sha, &[("q", "%")]).await;
    assert!(rows.is_empty(), "% matches a percent sign, not everything");
    let (rows, _) = view(&app.pool, &sha, &[("q", "bhe")]).await;
    assert!(rows.is_empty(), "a match never spans two cells");
    let (rows, _) = view(&app.pool, &sha, &[("q", "b he")]).await;
    assert!(rows.is_empty(), "nor across a space between them");
    let (rows, _) = view(&app.pool, &sha, &[("q", "SAID \"HI")]).await;
    assert_eq!(numbers(&rows), vec![1], "in any case");

    let jsonl = concat!(
        r#"{"id": 1, "ok": true, "tags": ["a", "b"], "at": "2024-01-31"}"#,
        "\n\n",
        r#"{"id": 2, "ok": false, "price": 2.5, "at": null}"#,
        "\n",
        r#"{"id": 3, "ok": null, "nested": {"k": "v\"q"}}"#,
        "\n"
    );
    let sha = publish_file(&app.pool, "lines", "lines.jsonl", jsonl.as_bytes()).await;
    let kinds = kinds(&app.pool, &sha).await;
    assert_eq!(
        kinds,
        vec![
            ("id".to_owned(), ColumnKind::Integer),
            ("ok".to_owned(), ColumnKind::Boolean),
            ("tags".to_owned(), ColumnKind::String),
            ("at".to_owned(), ColumnKind::Date),
            ("price".to_owned(), ColumnKind::Number),
            ("nested".to_owned(), ColumnKind::String),
        ]
    );
    let (rows, _) = view(&app.pool, &sha, &[("sort", "ok"), ("dir", "desc")]).await;
    assert_eq!(numbers(&rows), vec![1, 2, 3], "true, false, then missing");
    assert_eq!(
        rows[0].1,
        vec![
            text("1"),
            text("true"),
            text(r#"["a","b"]"#),
            text("2024-01-31"),
            None,
            None
        ]
    );
    assert_eq!(rows[2].1[5], text(r#"{"k":"v\"q"}"#));
    let (rows, _) = view(&app.pool, &sha, &[("col", "ok"), ("eq", "no")]).await;
    assert_eq!(numbers(&rows), vec![2]);
}

#[sqlx::test(migrations = false)]
async fn a_load_that_fails_is_recorded_leaves_nothing_and_is_retried(pool: PgPool) {
    let app = spawn_app(pool).await;
    let dir = std::env::temp_dir().join(format!("viewer-fail-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("later.csv");
    let unique = uuid::Uuid::new_v4();
    std::fs::write(&path, format!("id,name\n1,{unique}\n2,second\n")).expect("write");
    let facts = ingest::inspect(&path, "later.csv").expect("readable");
    let file = Tabular {
        sha256: facts.sha256,
        format: facts.format,
        delimiter: facts.delimiter,
        encoding: facts.encoding.map(str::to_owned),
        columns: facts.columns.clone().expect("columns"),
    };
    // Not in the store: the load fails, says why, and leaves no rows.
    let failed = viewer::build(&app.pool, &store(), &file).await;
    assert!(failed.is_err());
    let (status, error): (String, Option<String>) =
        sqlx::query_as("select status, error from dataset_tables where sha256 = $1")
            .bind(facts.sha256.as_slice())
            .fetch_one(&app.pool)
            .await
            .expect("registered");
    assert_eq!(status, "failed");
    assert!(error.is_some_and(|e| e.contains("cannot be read")));
    let left: i64 = sqlx::query_scalar("select count(*) from dataset_table_loads")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(left, 0);
    // Once the file is there, start-up's pass loads it.
    store().put(&path, &facts.sha256).expect("stored");
    let new_file = NewFile {
        name: "later.csv".into(),
        facts: facts.clone(),
        columns: None,
    };
    let dataset = NewDataset {
        meta: DatasetMeta {
            slug: "later".into(),
            title: "Later".into(),
            summary: "Loaded on the second try.".into(),
            industry: "cross-industry".into(),
            license_name: "unknown — see source".into(),
            publisher: "Lab".into(),
            source_name: "Tests".into(),
            access: "open".into(),
            ..DatasetMeta::default()
        },
        ..NewDataset::default()
    };
    datasets::publish_new(&app.pool, &dataset, &[new_file], "First.")
        .await
        .expect("published");
    assert_eq!(
        viewer::build_missing(&app.pool, &store())
            .await
            .expect("pass"),
        1
    );
    let (rows, _) = view(&app.pool, &facts.sha256, &[("q", &unique.to_string())]).await;
    assert_eq!(numbers(&rows), vec![1]);
    assert_eq!(
        viewer::build_missing(&app.pool, &store())
            .await
            .expect("again"),
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let response = page(app, &app.client, path).await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

#[sqlx::test(migrations = false)]
async fn the_viewer_page_is_a_url_for_every_view_and_works_without_javascript(pool: PgPool) {
    let app = seeded(pool).await;
    let (status, dataset) = html(&app, "/datasets/nycflights13").await;
    assert_eq!(status, 200);
    assert!(
        dataset.contains(r#"href="/datasets/nycflights13/viewer?file=weather.csv""#),
        "each table links to the viewer"
    );

    let (status, body) = html(
        &app,
        "/datasets/nycflights13/viewer?file=weather.csv&sort=temp&dir=desc&page=2",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("Rows 101–200 of 26,115 rows"), "{body}");
    assert!(body.contains(r#"aria-sort="descending""#));
    assert!(
        body.contains(r#"href="/datasets/nycflights13/viewer?file=weather.csv&amp;sort=temp&amp;dir=desc&amp;page=3""#),
        "the next page keeps the sort"
    );
    assert!(body.contains("Page 2 of 262"));
    assert!(body.contains(r#"role="img" aria-label="Histogram of temp: 20 bins"#));
    assert!(
        body.contains(r#"href="/datasets/nycflights13/viewer?file=weather.csv&amp;col=origin&amp;eq=JFK&amp;sort=temp&amp;dir=desc""#),
        "a common value filters on itself"
    );
    // Other files are a link away; a version can be pinned.
    assert!(body.contains(r#"href="/datasets/nycflights13/viewer?file=airports.csv""#));
    let (status, pinned) = html(
        &app,
        "/datasets/nycflights13/v/1/viewer?file=planes.csv&page=34",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        pinned.contains("Rows 3,301–3,322 of 3,322 rows"),
        "{pinned}"
    );

    // A view that does not fit the file says why and shows its first page.
    let (status, body) = html(
        &app,
        "/datasets/nycflights13/viewer?file=weather.csv&col=temp&eq=hot",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("“temp” holds a number; “hot” is not one."),
        "{body}"
    );
    assert!(body.contains("Rows 1–100 of 26,115 rows"));
    let (status, _) = html(&app, "/datasets/nycflights13/viewer?file=nope.csv").await;
    assert_eq!(status, 404);
    let (status, _) = html(&app, "/datasets/nope/viewer").await;
    assert_eq!(status, 404);

    // A dataset behind access shows its first page only, whatever is asked.
    sqlx::query("update datasets set access = 'approval' where slug = 'warp-breaks'")
        .execute(&app.pool)
        .await
        .expect("gated");
    let (status, body) = html(
        &app,
        "/datasets/warp-breaks/viewer?sort=breaks&dir=desc&page=2",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("Rows 1–54 of 54 rows"), "{body}");
    assert!(!body.contains("aria-sort"));
    assert!(body.contains("first rows are shown here"));
}

const SEATTLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/datasets/seattle-weather");

#[sqlx::test(migrations = false)]
async fn a_parquet_file_is_typed_paged_and_sorted_like_its_csv(pool: PgPool) {
    let app = seeded(pool).await;
    let csv: Vec<Vec<String>> = std::fs::read_to_string(format!("{SEATTLE}/seattle-weather.csv"))
        .expect("seed csv")
        .lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect();
    let sha = sha256(&format!("{SEATTLE}/seattle-weather.parquet"));
    // Typed from its values: the date a date, numbers numbers.
    assert_eq!(
        kinds(&app.pool, &sha).await,
        [
            ("date".to_owned(), ColumnKind::Date),
            ("precipitation".to_owned(), ColumnKind::Number),
            ("temp_max".to_owned(), ColumnKind::Number),
            ("temp_min".to_owned(), ColumnKind::Number),
            ("wind".to_owned(), ColumnKind::Number),
            ("weather".to_owned(), ColumnKind::String),
        ]
    );
    let (rows, matching) = view(&app.pool, &sha, &[("page", "15")]).await;
    assert_eq!(matching, 1_461);
    assert_eq!(numbers(&rows), (1_401..=1_461).collect::<Vec<_>>());
    // Each row holds what the CSV's row holds (its dates as YYYY-MM-DD).
    for (number, cells) in &rows {
        let expected = &csv[usize::try_from(*number - 1).expect("row")];
        assert_eq!(
            cells[0].as_deref(),
            Some(expected[0].replace('/', "-").as_str())
        );
        assert_eq!(cells[5].as_deref(), Some(expected[5].as_str()));
        let temp: f64 = cells[2]
            .as_deref()
            .and_then(|t| t.parse().ok())
            .expect("a number");
        assert!((temp - expected[2].parse::<f64>().expect("csv number")).abs() < 1e-9);
    }
    // Sorted by the highest temperature, descending: the CSV's hottest day.
    let (rows, _) = view(&app.pool, &sha, &[("sort", "temp_max"), ("dir", "desc")]).await;
    let hottest = csv
        .iter()
        .map(|r| r[2].parse::<f64>().expect("number"))
        .fold(f64::MIN, f64::max);
    let top: f64 = rows[0].1[2]
        .as_deref()
        .and_then(|t| t.parse().ok())
        .expect("number");
    assert!((top - hottest).abs() < 1e-9);
    // Filtered on a value, as typed.
    let snowy = csv.iter().filter(|r| r[5] == "snow").count();
    let (_, matching) = view(&app.pool, &sha, &[("col", "weather"), ("eq", "snow")]).await;
    assert_eq!(usize::try_from(matching).expect("count"), snowy);
    // The dataset page links the Parquet file to the viewer.
    let html = page(&app, &app.client, "/datasets/seattle-weather")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("View rows of seattle-weather.parquet"),
        "{html}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_view_that_runs_too_long_is_stopped_and_said_so(pool: PgPool) {
    let app = seeded(pool).await;
    let sha = sha256(WEATHER);
    let mut params = ViewParams {
        q: "EWR".to_owned(),
        sort: "temp".to_owned(),
        ..ViewParams::default()
    };
    let view = View::parse(&params, &kinds(&app.pool, &sha).await).expect("a good view");
    // A search through every row cannot finish in a millisecond.
    let stopped = viewer::page_within(&app.pool, &sha, &view, "1ms")
        .await
        .expect_err("stopped");
    assert!(viewer::timed_out(&stopped), "{stopped}");
    // Within the portal's own time it finishes.
    params.q = "LGA".to_owned();
    let view = View::parse(&params, &kinds(&app.pool, &sha).await).expect("a good view");
    let page = viewer::page(&app.pool, &sha, &view).await.expect("a page");
    assert_eq!(page.matching, 8_706);
}
