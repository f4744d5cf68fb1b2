//! The dataset catalog over HTTP, loaded with the starter catalog the
//! repository ships: search (words, typos) with facet counts, the dataset
//! page (card sanitized, JSON-LD, files, versions), Croissant, downloads
//! with ranges for a signed-in browser or an API key, and published
//! versions that cannot change.

use app::domain::dataset_forms::DatasetMeta;
use app::server::datasets::{seed, storage::Store};
use app::server::services::datasets::{self, NewDataset};
use reqwest::header;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::helpers::{create_user, page, signed_in, spawn_app, TestApp};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/datasets");

fn store() -> Store {
    Store::new(std::env::temp_dir().join("lab-portal-test-datasets"))
}

async fn seeded(pool: PgPool) -> TestApp {
    let app = spawn_app(pool).await;
    let added = seed::load(&app.pool, &store(), std::path::Path::new(SEED))
        .await
        .expect("the starter catalog loads");
    assert_eq!(added, 8);
    app
}

async fn catalog(app: &TestApp, query: &str) -> String {
    page(app, &app.client, &format!("/datasets{query}"))
        .await
        .text()
        .await
        .expect("html")
}

/// The slugs of the datasets a catalog page lists, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("<h2 class=\"dataset-card-title\"><a href=\"/datasets/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[sqlx::test(migrations = false)]
async fn the_starter_catalog_has_real_data_for_every_industry(pool: PgPool) {
    let app = seeded(pool).await;
    let industries: Vec<String> =
        sqlx::query_scalar("select distinct industry from datasets order by industry")
            .fetch_all(&app.pool)
            .await
            .expect("industries");
    assert_eq!(
        industries,
        [
            "cross-industry",
            "energy",
            "finance",
            "healthcare",
            "logistics",
            "manufacturing",
            "retail"
        ]
    );
    // Loading again adds nothing.
    assert_eq!(
        seed::load(&app.pool, &store(), std::path::Path::new(SEED))
            .await
            .expect("again"),
        0
    );
    // Columns are typed at ingestion, with the package's descriptions.
    let columns: Value = sqlx::query_scalar(
        "select f.columns from dataset_files f join dataset_versions v on v.id = f.version_id
         join datasets d on d.id = v.dataset_id where d.slug = 'nycflights13' and f.name = 'weather.csv'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("columns");
    let kind = |name: &str| {
        columns
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == name))
            .map(|c| (c["type"].clone(), c["description"].clone()))
    };
    assert_eq!(kind("hour").map(|k| k.0), Some(Value::from("integer")));
    assert_eq!(kind("temp").map(|k| k.0), Some(Value::from("number")));
    assert_eq!(
        kind("time_hour").map(|k| k.0),
        Some(Value::from("datetime"))
    );
    assert_eq!(
        kind("origin").map(|k| k.1),
        Some(Value::from("Weather station (EWR, JFK or LGA)"))
    );
}

#[sqlx::test(migrations = false)]
async fn search_finds_words_and_typos_and_facets_count_what_each_choice_gives(pool: PgPool) {
    let app = seeded(pool).await;
    let all = catalog(&app, "").await;
    assert_eq!(listed(&all).len(), 8, "{all}");
    assert!(all.contains("8 datasets"));
    // Featured first without a search.
    let featured: Vec<String> = sqlx::query_scalar("select slug from datasets where featured")
        .fetch_all(&app.pool)
        .await
        .expect("featured");
    let first: Vec<String> = listed(&all).into_iter().take(featured.len()).collect();
    assert!(
        first.iter().all(|slug| featured.contains(slug)),
        "{first:?}"
    );

    let electricity = listed(&catalog(&app, "?q=electricity").await);
    assert_eq!(electricity.len(), 2, "{electricity:?}");
    assert!(electricity.contains(&"iowa-electricity".to_owned()));
    assert_eq!(
        listed(&catalog(&app, "?q=fligths").await)
            .first()
            .map(String::as_str),
        Some("nycflights13"),
        "a typo still finds it"
    );
    assert_eq!(
        listed(&catalog(&app, "?q=diabetes").await),
        ["pima-diabetes"]
    );

    // One industry chosen: the industry facet still counts the others.
    let energy = catalog(&app, "?industry=energy").await;
    assert_eq!(listed(&energy).len(), 2);
    assert!(energy.contains("aria-current=\"true\""));
    assert!(
        energy.contains(r#"<span>Retail</span><span class="facet-count">1</span>"#),
        "{energy}"
    );
    // Unknown values are dropped, and a NUL byte is a field error.
    assert_eq!(
        listed(&catalog(&app, "?industry=astrology&page=99999999999").await).len(),
        0
    );
    let response = page(&app, &app.client, "/datasets?q=a%00b").await;
    assert_eq!(response.status(), 422);
    // Ordered by downloads.
    sqlx::query("update datasets set downloads = 7 where slug = 'warp-breaks'")
        .execute(&app.pool)
        .await
        .expect("downloads");
    assert_eq!(
        listed(&catalog(&app, "?sort=downloads").await)
            .first()
            .map(String::as_str),
        Some("warp-breaks")
    );
}

#[sqlx::test(migrations = false)]
async fn a_dataset_page_has_its_card_files_versions_and_json_ld(pool: PgPool) {
    let app = seeded(pool).await;
    let html = page(&app, &app.client, "/datasets/warp-breaks")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("<h1>Breaks in yarn during weaving"), "{html}");
    assert_eq!(html.matches("<h1").count(), 1, "the card's title is an h2");
    assert!(
        html.contains("<td><code>breaks</code></td>"),
        "the card's table renders"
    );
    assert!(
        html.contains("warpbreaks.csv")
            && html.contains("/datasets/warp-breaks/v/1/files/warpbreaks.csv")
    );
    let sha = hex(&Sha256::digest(
        std::fs::read(format!("{SEED}/warp-breaks/warpbreaks.csv")).expect("seed file"),
    ));
    assert!(html.contains(&sha), "the checksum is shown");
    assert!(html.contains("application/ld+json") && html.contains(r#""@type":"Dataset""#));
    assert!(html.contains("Version 1"));
    let old = page(&app, &app.client, "/datasets/warp-breaks/v/1").await;
    assert_eq!(old.status(), 200);
    let missing = page(&app, &app.client, "/datasets/warp-breaks/v/2").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        page(&app, &app.client, "/datasets/no-such").await.status(),
        404
    );
}

#[sqlx::test(migrations = false)]
async fn a_card_with_scripts_handlers_and_javascript_links_renders_inert(pool: PgPool) {
    let app = spawn_app(pool).await;
    let dataset = NewDataset {
        meta: DatasetMeta {
            slug: "hostile".into(),
            title: "Hostile card".into(),
            summary: "A card that tries everything.".into(),
            industry: "retail".into(),
            license_name: "unknown — see source".into(),
            publisher: "Tester".into(),
            source_name: "Nowhere".into(),
            access: "open".into(),
            ..DatasetMeta::default()
        },
        card: "# Hi\n\n<script>alert('card')</script>\n\n<img src=\"x\" onerror=\"alert('img')\">\n\n[x](javascript:alert('link'))\n\n![t](https://evil.example/t.png)".into(),
        ..NewDataset::default()
    };
    datasets::publish_new(&app.pool, &dataset, &[], "first")
        .await
        .expect("publish")
        .expect("new");
    let html = page(&app, &app.client, "/datasets/hostile")
        .await
        .text()
        .await
        .expect("html");
    for bad in [
        "alert('card')",
        "onerror=\"",
        "<img src=x onerror",
        "javascript:alert",
        "evil.example",
    ] {
        let at = html.find(bad);
        assert!(
            at.is_none(),
            "{bad} in the page: {}",
            at.map(|i| &html[i.saturating_sub(300)..(i + 100).min(html.len())])
                .unwrap_or_default()
        );
    }
    assert!(html.contains("unknown — see source"));
}

#[sqlx::test(migrations = false)]
async fn croissant_describes_each_file_and_its_typed_columns(pool: PgPool) {
    let app = seeded(pool).await;
    let response = app
        .client
        .get(format!(
            "{}/datasets/pima-diabetes/croissant.json",
            app.address
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/ld+json"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["conformsTo"], "http://mlcommons.org/croissant/1.0");
    assert_eq!(body["@context"]["cr"], "http://mlcommons.org/croissant/");
    let files = body["distribution"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| f["@type"] == "cr:FileObject"
        && f["sha256"].as_str().is_some_and(|s| s.len() == 64)
        && f["contentUrl"]
            .as_str()
            .is_some_and(|u| u.contains("/files/"))));
    let sets = body["recordSet"].as_array().expect("record sets");
    let fields = sets[0]["field"].as_array().expect("fields");
    let glu = fields.iter().find(|f| f["name"] == "glu").expect("glu");
    assert_eq!(glu["dataType"], "sc:Integer");
    assert_eq!(glu["source"]["extract"]["column"], "glu");
    let bmi = fields.iter().find(|f| f["name"] == "bmi").expect("bmi");
    assert_eq!(bmi["dataType"], "sc:Float");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[sqlx::test(migrations = false)]
async fn downloads_need_an_account_answer_ranges_and_count_whole_files(pool: PgPool) {
    let app = seeded(pool).await;
    let path = "/datasets/warp-breaks/v/1/files/warpbreaks.csv";
    let url = format!("{}{path}", app.address);
    let file = std::fs::read(format!("{SEED}/warp-breaks/warpbreaks.csv")).expect("seed file");
    let len = file.len();
    // Anonymous: refused, and the file is not described.
    let anonymous = app.client.get(&url).send().await.expect("request");
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()[header::WWW_AUTHENTICATE], "Bearer");

    create_user(&app, "reader@example.com", "developer").await;
    let browser = signed_in(&app, "reader@example.com").await;
    let whole = browser.get(&url).send().await.expect("request");
    assert_eq!(whole.status(), 200);
    let etag = whole.headers()[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    assert_eq!(etag, format!("\"{}\"", hex(&Sha256::digest(&file))));
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(
        whole.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"warpbreaks.csv\""
    );
    assert!(whole.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(whole.bytes().await.expect("body").as_ref(), file.as_slice());

    let ranged = |range: String| {
        let browser = browser.clone();
        let url = url.clone();
        async move {
            browser
                .get(&url)
                .header(header::RANGE, range)
                .send()
                .await
                .expect("request")
        }
    };
    let first = ranged("bytes=0-0".into()).await;
    assert_eq!(first.status(), 206);
    assert_eq!(
        first.headers()[header::CONTENT_RANGE],
        format!("bytes 0-0/{len}")
    );
    assert_eq!(first.bytes().await.expect("body").as_ref(), &file[..1]);
    let last = ranged(format!("bytes={}-{}", len - 1, len - 1)).await;
    assert_eq!(last.status(), 206);
    assert_eq!(last.bytes().await.expect("body").as_ref(), &file[len - 1..]);
    let suffix = ranged("bytes=-10".into()).await;
    assert_eq!(
        suffix.headers()[header::CONTENT_RANGE],
        format!("bytes {}-{}/{len}", len - 10, len - 1)
    );
    assert_eq!(
        suffix.bytes().await.expect("body").as_ref(),
        &file[len - 10..]
    );
    let several = ranged("bytes=0-1,4-5".into()).await;
    assert_eq!(several.status(), 200, "several ranges: the whole file");
    assert_eq!(several.bytes().await.expect("body").len(), len);
    let beyond = ranged(format!("bytes={len}-")).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()[header::CONTENT_RANGE],
        format!("bytes */{len}")
    );
    let stale = browser
        .get(&url)
        .header(header::RANGE, "bytes=0-0")
        .header(header::IF_RANGE, "\"another\"")
        .send()
        .await
        .expect("request");
    assert_eq!(
        stale.status(),
        200,
        "a range of another representation is not answered"
    );
    let _ = stale.bytes().await;

    // By script, with an API key.
    let created = crate::keys::create_key(&app, &browser, "downloads").await;
    let key = created["key"].as_str().expect("the key").to_owned();
    let scripted = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_eq!(scripted.status(), 200);
    assert_eq!(
        scripted.bytes().await.expect("body").as_ref(),
        file.as_slice()
    );
    let forged = reqwest::Client::new()
        .get(&url)
        .bearer_auth(format!("{}x", &key[..key.len() - 1]))
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), 401);

    // Whole files, the last byte and the ranges that reached the end count;
    // the first byte does not.
    let downloads: i64 =
        sqlx::query_scalar("select downloads from datasets where slug = 'warp-breaks'")
            .fetch_one(&app.pool)
            .await
            .expect("downloads");
    assert_eq!(
        downloads, 6,
        "whole, last byte, suffix, several, stale, scripted"
    );
    let missing = browser
        .get(format!(
            "{}/datasets/warp-breaks/v/1/files/nope.csv",
            app.address
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
}

#[sqlx::test(migrations = false)]
async fn a_published_version_never_changes(pool: PgPool) {
    let app = seeded(pool).await;
    let changed = sqlx::query(
        "update dataset_versions set card = 'rewritten' where dataset_id = (select id from datasets where slug = 'warp-breaks')",
    )
    .execute(&app.pool)
    .await;
    assert!(changed.is_err(), "a published card is frozen");
    let added = sqlx::query(
        "insert into dataset_files (id, version_id, name, format, bytes, sha256)
         select gen_random_uuid(), v.id, 'extra.csv', 'csv', 1, sha256('x')
         from dataset_versions v join datasets d on d.id = v.dataset_id where d.slug = 'warp-breaks'",
    )
    .execute(&app.pool)
    .await;
    assert!(added.is_err(), "a published version takes no new file");
    let removed = sqlx::query(
        "delete from dataset_files where version_id in (select v.id from dataset_versions v
         join datasets d on d.id = v.dataset_id where d.slug = 'warp-breaks')",
    )
    .execute(&app.pool)
    .await;
    assert!(removed.is_err(), "nor loses one");
    // Its download count may still grow.
    sqlx::query("update dataset_versions set downloads = downloads + 1")
        .execute(&app.pool)
        .await
        .expect("downloads grow");
}

#[sqlx::test(migrations = false)]
async fn scripts_search_and_read_datasets_as_json(pool: PgPool) {
    let app = seeded(pool).await;
    let get = |path: &str| {
        let url = format!("{}{path}", app.address);
        async move { reqwest::get(url).await.expect("request") }
    };
    let found = get("/api/v1/datasets?q=electricity&sort=newest").await;
    assert_eq!(found.status(), 200);
    let body: Value = found.json().await.expect("json");
    assert_eq!(body["total"], 2);
    assert_eq!(body["pages"], 1);
    let slugs: Vec<&str> = body["datasets"]
        .as_array()
        .expect("datasets")
        .iter()
        .filter_map(|d| d["slug"].as_str())
        .collect();
    assert!(slugs.contains(&"iowa-electricity"), "{body}");
    assert!(body["facets"]["industry"]
        .as_array()
        .is_some_and(|v| v.iter().any(|f| f["value"] == "energy" && f["count"] == 2)));

    let one: Value = get("/api/v1/datasets/nycflights13")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one["license"]["id"], "CC0-1.0");
    assert_eq!(one["latest_version"], 1);
    let files = one["files"].as_array().expect("files");
    assert_eq!(files.len(), 4);
    assert!(files
        .iter()
        .all(|f| f["sha256"].as_str().is_some_and(|s| s.len() == 64)
            && f["download_url"]
                .as_str()
                .is_some_and(|u| u.contains("/v/1/files/"))));

    let missing = get("/api/v1/datasets/no-such").await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["error"]["status"], 404);
    let bad = get("/api/v1/datasets?q=a%00b").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.json::<Value>().await.expect("json")["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("control characters")));
}

/// `GET /api/v1/datasets{query}` as JSON.
async fn api_catalog(app: &TestApp, query: &str) -> Value {
    app.client
        .get(format!("{}/api/v1/datasets{query}", app.address))
        .send()
        .await
        .expect("catalog")
        .json()
        .await
        .expect("json")
}

/// The unfiltered catalog's count for each value of `facet`.
fn facet_counts(catalog: &Value, facet: &str) -> Vec<(String, i64)> {
    catalog["facets"][facet]
        .as_array()
        .map(|values| {
            values
                .iter()
                .map(|v| {
                    (
                        v["value"].as_str().unwrap_or_default().to_owned(),
                        v["count"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[sqlx::test(migrations = false)]
async fn the_whole_catalogs_counts_follow_every_change_and_typos_are_corrected(pool: PgPool) {
    let app = seeded(pool).await;
    let whole = api_catalog(&app, "").await;
    assert_eq!(whole["total"], 8, "{whole}");
    // Each count of the whole catalog (kept by a trigger) is what choosing
    // that value finds (counted afresh).
    for facet in ["industry", "task", "license", "format", "size", "access"] {
        let counts = facet_counts(&whole, facet);
        assert!(!counts.is_empty(), "{facet}");
        for (value, count) in counts {
            let chosen = api_catalog(&app, &format!("?{facet}={value}")).await;
            assert_eq!(chosen["total"], count, "{facet}={value}");
        }
    }
    let access: i64 = facet_counts(&whole, "access").iter().map(|(_, c)| c).sum();
    assert_eq!(access, 8);

    // A dataset leaving the catalog leaves its counts; a download changes
    // the order by downloads but no count.
    sqlx::query("update datasets set latest_version = null where slug = 'warp-breaks'")
        .execute(&app.pool)
        .await
        .expect("unlisted");
    sqlx::query("update datasets set downloads = 42 where slug = 'yogurt-brand-choice'")
        .execute(&app.pool)
        .await
        .expect("downloads");
    let whole = api_catalog(&app, "?sort=downloads").await;
    assert_eq!(whole["total"], 7);
    assert_eq!(whole["datasets"][0]["slug"], "yogurt-brand-choice");
    assert!(
        !facet_counts(&whole, "industry")
            .iter()
            .any(|(v, _)| v == "manufacturing"),
        "{whole}"
    );
    let slugs = |catalog: &Value| -> Vec<String> {
        catalog["datasets"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|d| d["slug"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(!slugs(&whole).contains(&"warp-breaks".to_owned()));
    // Newest first, then by slug.
    let newest = slugs(&api_catalog(&app, "?sort=newest").await);
    let expected: Vec<String> = sqlx::query_scalar(
        "select slug from datasets where latest_version is not null order by published_at desc, slug",
    )
    .fetch_all(&app.pool)
    .await
    .expect("order");
    assert_eq!(newest, expected);

    // Words the catalog does not know are read as its closest words.
    assert_eq!(
        slugs(&api_catalog(&app, "?q=seatle+wether").await)
            .first()
            .map(String::as_str),
        Some("seattle-weather")
    );
    assert_eq!(api_catalog(&app, "?q=zzqxv").await["total"], 0);
}

#[sqlx::test(migrations = false)]
async fn a_filters_facet_counts_are_what_choosing_each_value_finds(pool: PgPool) {
    let app = seeded(pool).await;
    // Counted from `dataset_facet_profiles` (no words); each count must be
    // the total that choosing the value finds (counted over the datasets).
    async fn check(app: &TestApp, chosen: &[(&str, &str)]) {
        let query = |pairs: &[(&str, &str)]| -> String {
            let parts: Vec<String> = pairs.iter().map(|(f, v)| format!("{f}={v}")).collect();
            format!("?{}", parts.join("&"))
        };
        let filtered = api_catalog(app, &query(chosen)).await;
        let mut values = 0;
        for facet in ["industry", "task", "license", "format", "size", "access"] {
            for (value, count) in facet_counts(&filtered, facet) {
                let mut with: Vec<(&str, &str)> = chosen
                    .iter()
                    .copied()
                    .filter(|(f, _)| *f != facet)
                    .collect();
                with.push((facet, &value));
                let found = api_catalog(app, &query(&with)).await;
                assert_eq!(found["total"], count, "{:?} then {facet}={value}", chosen);
                values += 1;
            }
        }
        assert!(values > 6, "{filtered}");
    }
    check(&app, &[("industry", "energy")]).await;
    check(&app, &[("format", "csv"), ("access", "open")]).await;
    let task: String =
        sqlx::query_scalar("select tasks[1] from datasets where slug = 'nycflights13'")
            .fetch_one(&app.pool)
            .await
            .expect("a task");
    check(&app, &[("industry", "logistics"), ("task", &task)]).await;

    // A dataset changing industry moves its count.
    let energy = api_catalog(&app, "?format=csv").await;
    let before = facet_counts(&energy, "industry");
    sqlx::query("update datasets set industry = 'energy' where slug = 'warp-breaks'")
        .execute(&app.pool)
        .await
        .expect("moved");
    let after = facet_counts(&api_catalog(&app, "?format=csv").await, "industry");
    assert_ne!(before, after);
    check(&app, &[("format", "csv")]).await;
    check(&app, &[("industry", "energy"), ("format", "csv")]).await;
}
