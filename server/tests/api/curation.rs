//! Curation over HTTP, as Lab staff do it: a dataset created (every field
//! checked), files uploaded into its draft (streamed, digested, parsed; a
//! malformed, oversized or badly named file refused with its reason and
//! nothing kept), the draft previewed by staff only, published, a next
//! version started from it, versions unpublished and published again, the
//! dataset featured, every step audited.

use app::server::datasets::storage::Store;
use reqwest::{Client, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::helpers::{create_user, page, signed_in, spawn_app, FormPart, TestApp, UPLOAD_LIMIT};

/// A dataset form that passes every check, for `slug`.
fn dataset_form(slug: &str) -> Vec<(&'static str, String)> {
    vec![
        ("slug", slug.to_owned()),
        ("title", "Wind farm output".to_owned()),
        (
            "summary",
            "Hourly output of a wind farm, for forecasting.".to_owned(),
        ),
        ("industry", "energy".to_owned()),
        ("tasks[forecasting]", "on".to_owned()),
        ("tasks[regression]", "on".to_owned()),
        ("license_id", "CC-BY-4.0".to_owned()),
        (
            "license_name",
            "Creative Commons Attribution 4.0".to_owned(),
        ),
        (
            "license_url",
            "https://creativecommons.org/licenses/by/4.0/".to_owned(),
        ),
        ("languages", "en".to_owned()),
        ("tags", "wind, turbines".to_owned()),
        ("publisher", "AI Innovation Lab".to_owned()),
        ("source_name", "A test of the curation console".to_owned()),
        ("access", "open".to_owned()),
    ]
}

async fn post(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, String)]) -> Response {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form_with(client, &format!("/api/{endpoint}"), &form)
        .await
}

/// Calls `endpoint`, which must succeed.
async fn ok(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, String)]) {
    let response = post(app, client, endpoint, form).await;
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    assert!(status < 400, "{endpoint}: {status} {body}");
}

/// The 422 answer's field errors: `(field, message)`.
async fn field_errors(response: Response) -> Vec<(String, String)> {
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422, "{body}");
    body["Validation"]
        .as_array()
        .expect("field errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("field").to_owned(),
                e["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

/// Uploads `content` as `name` into `slug`'s draft.
async fn upload(
    app: &TestApp,
    client: &Client,
    slug: &str,
    name: &str,
    content: &[u8],
) -> Response {
    app.post_multipart_with(
        client,
        "/api/admin_upload_dataset_file",
        &[
            FormPart {
                name: "slug",
                file_name: None,
                content: slug.as_bytes(),
            },
            FormPart {
                name: "file",
                file_name: Some(name),
                content,
            },
        ],
        false,
    )
    .await
}

/// The draft's files: `(name, format, rows, column count)`.
async fn draft_files(
    app: &TestApp,
    client: &Client,
    slug: &str,
) -> Vec<(String, String, Option<i64>, usize)> {
    let response = post(
        app,
        client,
        "admin_get_curated_dataset",
        &[("slug", slug.to_owned())],
    )
    .await;
    let body: Value = response.json().await.expect("json");
    body["draft"]["files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap_or_default().to_owned(),
                        f["format"].as_str().unwrap_or_default().to_owned(),
                        f["rows"].as_i64(),
                        usize::try_from(f["columns"].as_u64().unwrap_or(0)).unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn store() -> Store {
    Store::new(std::env::temp_dir().join("lab-portal-test-datasets"))
}

fn digest(content: &[u8]) -> [u8; 32] {
    Sha256::digest(content).into()
}

/// The audit log's actions about dataset `slug`, oldest first.
async fn audited(app: &TestApp, slug: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_log where target_type = 'dataset' and target_id = $1 order by id",
    )
    .bind(slug)
    .fetch_all(&app.pool)
    .await
    .expect("audit")
}

#[sqlx::test(migrations = false)]
async fn staff_create_upload_preview_and_publish_a_dataset(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "curator@example.com", "admin").await;
    let admin = signed_in(&app, "curator@example.com").await;

    // Every field is checked, each problem under its field.
    let mut bad = dataset_form("Wind Farm");
    bad.retain(|(k, _)| *k != "publisher");
    bad.push(("industry", "mining".to_owned()));
    bad.retain(|(k, v)| !(*k == "industry" && v == "energy"));
    bad.push(("access", "approval".to_owned()));
    bad.retain(|(k, v)| !(*k == "access" && v == "open"));
    let fields: Vec<String> = field_errors(post(&app, &admin, "admin_create_dataset", &bad).await)
        .await
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["slug", "industry", "publisher", "request_fields"]);

    ok(
        &app,
        &admin,
        "admin_create_dataset",
        &dataset_form("wind-farm"),
    )
    .await;
    // A slug is one dataset's.
    let taken = field_errors(
        post(
            &app,
            &admin,
            "admin_create_dataset",
            &dataset_form("wind-farm"),
        )
        .await,
    )
    .await;
    assert_eq!(taken[0].0, "slug");
    // Not in the catalog while nothing is published; staff see its draft.
    let visitor = app.new_browser();
    assert_eq!(
        page(&app, &visitor, "/datasets/wind-farm").await.status(),
        404
    );
    let catalog: Value = visitor
        .get(format!("{}/api/v1/datasets?q=wind", app.address))
        .send()
        .await
        .expect("catalog")
        .json()
        .await
        .expect("json");
    assert_eq!(catalog["total"], 0, "{catalog}");

    // A ragged row is refused, naming it, and nothing is kept.
    let ragged = b"hour,output_mw\n2024-01-01T00:00,12.5\n2024-01-01T01:00,13.1,extra\n";
    let errors = field_errors(upload(&app, &admin, "wind-farm", "output.csv", ragged).await).await;
    assert_eq!(errors[0].0, "file");
    assert!(errors[0].1.contains("row 3 has 3 fields"), "{errors:?}");
    assert!(!store().path(&digest(ragged)).exists());
    // So are a file past the limit, an empty one, a name that cannot be a
    // file's name, and bad JSON Lines.
    let large = vec![b'a'; usize::try_from(UPLOAD_LIMIT).expect("limit") + 1];
    let errors = field_errors(upload(&app, &admin, "wind-farm", "big.bin", &large).await).await;
    assert!(
        errors[0].1.contains("larger than the upload limit"),
        "{errors:?}"
    );
    assert!(!store().path(&digest(&large)).exists());
    let errors = field_errors(upload(&app, &admin, "wind-farm", "empty.csv", b"").await).await;
    assert!(errors[0].1.contains("is empty"), "{errors:?}");
    let errors =
        field_errors(upload(&app, &admin, "wind-farm", "my data!.csv", b"a\n1\n").await).await;
    assert!(errors[0].1.contains("Rename"), "{errors:?}");
    let broken = b"{\"hour\": 1}\n{\"hour\": \n";
    let errors = field_errors(upload(&app, &admin, "wind-farm", "hours.jsonl", broken).await).await;
    assert!(errors[0].1.contains("line 2"), "{errors:?}");
    assert!(draft_files(&app, &admin, "wind-farm").await.is_empty());

    // A good file is digested, typed and kept.
    let csv = b"day;output_mw;turbines\n2024-01-01;12.5;40\n2024-01-02;13.1;40\n2024-01-03;;39\n";
    let response = upload(&app, &admin, "wind-farm", "output.csv", csv).await;
    assert!(
        response.status().as_u16() < 400,
        "{}",
        response.text().await.unwrap_or_default()
    );
    assert!(store().path(&digest(csv)).exists());
    assert_eq!(
        draft_files(&app, &admin, "wind-farm").await,
        [("output.csv".to_owned(), "CSV".to_owned(), Some(3), 3)]
    );
    let columns: Value =
        sqlx::query_scalar("select columns from dataset_files where name = 'output.csv'")
            .fetch_one(&app.pool)
            .await
            .expect("columns");
    let kinds: Vec<&str> = columns
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["date", "number", "integer"]);

    // Staff preview the draft as users will see it; nobody else can.
    let preview = page(&app, &admin, "/datasets/wind-farm/v/1").await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.expect("html");
    assert!(html.contains("Preview of draft version 1"), "{html}");
    assert!(html.contains("output.csv"));
    create_user(&app, "dev@example.com", "developer").await;
    let developer = signed_in(&app, "dev@example.com").await;
    assert_eq!(
        page(&app, &developer, "/datasets/wind-farm/v/1")
            .await
            .status(),
        404
    );
    let draft_file = format!("{}/datasets/wind-farm/v/1/files/output.csv", app.address);
    assert_eq!(
        developer
            .get(&draft_file)
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    let staff_copy = admin.get(&draft_file).send().await.expect("get");
    assert_eq!(staff_copy.status(), 200);
    assert_eq!(staff_copy.bytes().await.expect("bytes").as_ref(), csv);

    // Publishing needs a changelog line.
    let publish = [("slug", "wind-farm".to_owned()), ("number", "1".to_owned())];
    let errors =
        field_errors(post(&app, &admin, "admin_publish_dataset_version", &publish).await).await;
    assert_eq!(errors[0].0, "changelog");
    ok(
        &app,
        &admin,
        "admin_save_dataset_draft",
        &[
            ("slug", "wind-farm".to_owned()),
            ("changelog", "First release.".to_owned()),
            ("card", "# Wind farm output\n\nHourly output.".to_owned()),
        ],
    )
    .await;
    ok(&app, &admin, "admin_publish_dataset_version", &publish).await;
    let public = page(&app, &developer, "/datasets/wind-farm").await;
    assert_eq!(public.status(), 200);
    let html = public.text().await.expect("html");
    assert!(html.contains("Hourly output.") && !html.contains("Preview of draft"));
    let response = developer.get(&draft_file).send().await.expect("get");
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), csv);
    // Staff previews were not counted; the developer's download was.
    let downloads: i64 =
        sqlx::query_scalar("select downloads from datasets where slug = 'wind-farm'")
            .fetch_one(&app.pool)
            .await
            .expect("downloads");
    assert_eq!(downloads, 1);

    // A published version is frozen: there is no draft to add to.
    let response = upload(&app, &admin, "wind-farm", "more.csv", b"a\n1\n").await;
    assert_eq!(response.status(), 409);

    assert_eq!(
        audited(&app, "wind-farm").await,
        [
            "dataset.create",
            "dataset_file.add",
            "dataset_version.edit",
            "dataset_version.publish"
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn a_next_version_starts_from_the_last_and_versions_can_be_withdrawn(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "curator@example.com", "admin").await;
    let admin = signed_in(&app, "curator@example.com").await;
    let slug = || ("slug", "tides".to_owned());
    let mut form = dataset_form("tides");
    form.push(("title", "Tides".to_owned()));
    form.retain(|(k, v)| !(*k == "title" && v == "Wind farm output"));
    ok(&app, &admin, "admin_create_dataset", &form).await;
    let first = b"station,height_m\nbrest,4.2\nroscoff,5.1\n";
    assert!(upload(&app, &admin, "tides", "heights.csv", first)
        .await
        .status()
        .is_success());
    let notes = b"Station notes for the tides test.\n";
    assert!(upload(&app, &admin, "tides", "NOTES.txt", notes)
        .await
        .status()
        .is_success());
    ok(
        &app,
        &admin,
        "admin_save_dataset_draft",
        &[
            slug(),
            ("changelog", "First.".to_owned()),
            ("card", "Version one.".to_owned()),
        ],
    )
    .await;
    ok(
        &app,
        &admin,
        "admin_publish_dataset_version",
        &[slug(), ("number", "1".to_owned())],
    )
    .await;

    // The next draft holds version 1's files and card.
    ok(&app, &admin, "admin_start_dataset_version", &[slug()]).await;
    let response = post(&app, &admin, "admin_start_dataset_version", &[slug()]).await;
    assert_eq!(response.status(), 409, "one draft at a time");
    let names: Vec<String> = draft_files(&app, &admin, "tides")
        .await
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(names, ["NOTES.txt", "heights.csv"]);
    // One file replaced, one removed.
    let second = b"station,height_m\nbrest,4.3\nroscoff,5.1\nsaint-malo,12.0\n";
    assert!(upload(&app, &admin, "tides", "heights.csv", second)
        .await
        .status()
        .is_success());
    ok(
        &app,
        &admin,
        "admin_remove_dataset_file",
        &[slug(), ("name", "NOTES.txt".to_owned())],
    )
    .await;
    assert_eq!(
        draft_files(&app, &admin, "tides").await,
        [("heights.csv".to_owned(), "CSV".to_owned(), Some(3), 2)]
    );
    ok(
        &app,
        &admin,
        "admin_save_dataset_draft",
        &[
            slug(),
            ("changelog", "Saint-Malo added.".to_owned()),
            ("card", "Version two.".to_owned()),
        ],
    )
    .await;
    ok(
        &app,
        &admin,
        "admin_publish_dataset_version",
        &[slug(), ("number", "2".to_owned())],
    )
    .await;

    let visitor = app.new_browser();
    let latest: Value = visitor
        .get(format!("{}/api/v1/datasets/tides", app.address))
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!(latest["latest_version"], 2, "{latest}");
    // Version 1 is what it was, at its own address.
    let html = page(&app, &visitor, "/datasets/tides/v/1")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Version one.") && html.contains("NOTES.txt"));
    let developer = {
        create_user(&app, "dev@example.com", "developer").await;
        signed_in(&app, "dev@example.com").await
    };
    let old = developer
        .get(format!(
            "{}/datasets/tides/v/1/files/heights.csv",
            app.address
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(old.bytes().await.expect("bytes").as_ref(), first);

    // Version 2 withdrawn: the catalog falls back to version 1, and 2's
    // page and files are gone until it is published again.
    ok(
        &app,
        &admin,
        "admin_unpublish_dataset_version",
        &[slug(), ("number", "2".to_owned())],
    )
    .await;
    let row: (Option<i32>, Option<i64>) =
        sqlx::query_as("select latest_version, row_count from datasets where slug = 'tides'")
            .fetch_one(&app.pool)
            .await
            .expect("row");
    assert_eq!(row, (Some(1), Some(2)));
    assert_eq!(
        page(&app, &visitor, "/datasets/tides/v/2").await.status(),
        404
    );
    let gone = developer
        .get(format!(
            "{}/datasets/tides/v/2/files/heights.csv",
            app.address
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(gone.status(), 404);
    ok(
        &app,
        &admin,
        "admin_publish_dataset_version",
        &[slug(), ("number", "2".to_owned())],
    )
    .await;
    assert_eq!(
        page(&app, &visitor, "/datasets/tides/v/2").await.status(),
        200
    );
    // Every version withdrawn: out of the catalog.
    for n in ["2", "1"] {
        ok(
            &app,
            &admin,
            "admin_unpublish_dataset_version",
            &[slug(), ("number", n.to_owned())],
        )
        .await;
    }
    assert_eq!(page(&app, &visitor, "/datasets/tides").await.status(), 404);
    let response = post(
        &app,
        &admin,
        "admin_unpublish_dataset_version",
        &[slug(), ("number", "1".to_owned())],
    )
    .await;
    assert_eq!(response.status(), 409);

    // The database holds a published version's files whatever the code does.
    let frozen = sqlx::query(
        "delete from dataset_files where version_id = (select v.id from dataset_versions v
           join datasets d on d.id = v.dataset_id where d.slug = 'tides' and v.number = 1)",
    )
    .execute(&app.pool)
    .await;
    assert!(frozen.is_err());

    assert_eq!(
        audited(&app, "tides").await,
        [
            "dataset.create",
            "dataset_file.add",
            "dataset_file.add",
            "dataset_version.edit",
            "dataset_version.publish",
            "dataset_version.create",
            "dataset_file.add",
            "dataset_file.remove",
            "dataset_version.edit",
            "dataset_version.publish",
            "dataset_version.unpublish",
            "dataset_version.publish",
            "dataset_version.unpublish",
            "dataset_version.unpublish",
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn staff_edit_the_description_and_feature_a_dataset(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "curator@example.com", "admin").await;
    let admin = signed_in(&app, "curator@example.com").await;
    ok(&app, &admin, "admin_create_dataset", &dataset_form("grid")).await;
    let mut form = dataset_form("grid");
    form.retain(|(k, _)| *k != "access");
    form.push(("access", "terms".to_owned()));
    let errors = field_errors(post(&app, &admin, "admin_update_dataset", &form).await).await;
    assert_eq!(errors[0].0, "terms");
    form.push(("terms", "Cite the source.".to_owned()));
    ok(&app, &admin, "admin_update_dataset", &form).await;
    let (access, terms, version): (String, String, i32) =
        sqlx::query_as("select access, terms, terms_version from datasets where slug = 'grid'")
            .fetch_one(&app.pool)
            .await
            .expect("row");
    assert_eq!(
        (access.as_str(), terms.as_str()),
        ("terms", "Cite the source.")
    );
    assert!(version >= 1);
    let before: Value = sqlx::query_scalar(
        "select before from audit_log where action = 'dataset.update' and target_id = 'grid'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("audited");
    assert_eq!(before["access"], "open");

    ok(
        &app,
        &admin,
        "admin_set_dataset_featured",
        &[("slug", "grid".to_owned()), ("featured", "true".to_owned())],
    )
    .await;
    let featured: bool = sqlx::query_scalar("select featured from datasets where slug = 'grid'")
        .fetch_one(&app.pool)
        .await
        .expect("featured");
    assert!(featured);
    // The console lists it, published or not.
    let list: Value = post(
        &app,
        &admin,
        "admin_list_curated_datasets",
        &[("q", "gri".to_owned())],
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["draft"], 1);
    assert_eq!(list["items"][0]["latest"], Value::Null);
    assert_eq!(
        audited(&app, "grid").await,
        ["dataset.create", "dataset.update", "dataset.feature"]
    );
    // The console's pages render for staff.
    for path in [
        "/admin/datasets",
        "/admin/datasets/new",
        "/admin/datasets/grid",
    ] {
        let response = page(&app, &admin, path).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    let html = page(&app, &admin, "/admin/datasets/grid")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("Draft: version 1") && html.contains("Cite the source."),
        "{html}"
    );
    assert_eq!(
        page(&app, &admin, "/admin/datasets/no-such").await.status(),
        404
    );
}

/// A `.zip` of `entries` (name, content), deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(content).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

async fn import(
    app: &TestApp,
    client: &Client,
    industry: &str,
    name: &str,
    content: &[u8],
) -> Response {
    app.post_multipart_with(
        client,
        "/api/admin_import_data_package",
        &[
            FormPart {
                name: "industry",
                file_name: None,
                content: industry.as_bytes(),
            },
            FormPart {
                name: "file",
                file_name: Some(name),
                content,
            },
        ],
        false,
    )
    .await
}

const PACKAGE: &str = r#"{
  "name": "port_calls",
  "title": "Port calls",
  "description": "Ships calling at a port, one row per call. Collected for a test.",
  "licenses": [{"name": "ODC-PDDL-1.0", "title": "Open Data Commons Public Domain Dedication and License",
                "path": "https://opendatacommons.org/licenses/pddl/1-0/"}],
  "sources": [{"title": "A harbour master's log", "path": "https://example.org/harbour"}],
  "keywords": ["shipping", "ports"],
  "resources": [
    {"name": "calls", "path": "data/calls.csv",
     "schema": {"fields": [{"name": "ship", "type": "string", "description": "The ship's name"},
                           {"name": "tonnage", "type": "integer", "description": "Gross tonnage"}]}}
  ]
}"#;

#[sqlx::test(migrations = false)]
async fn a_frictionless_package_is_imported_as_a_draft(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "curator@example.com", "admin").await;
    let admin = signed_in(&app, "curator@example.com").await;
    // Content of its own, so that no earlier run stored it.
    let calls = format!(
        "ship,tonnage\nAurora,31000\nBorealis,45210\nRun {},1\n",
        uuid::Uuid::new_v4().simple()
    );
    let calls = calls.as_bytes();

    // What is wrong with a package is said, and nothing is kept.
    let not_zip = import(&app, &admin, "logistics", "calls.zip", b"not a zip at all").await;
    let errors = field_errors(not_zip).await;
    assert!(errors[0].1.contains("not a .zip archive"), "{errors:?}");
    let missing = zip_of(&[("package/datapackage.json", PACKAGE.as_bytes())]);
    let errors = field_errors(import(&app, &admin, "logistics", "calls.zip", &missing).await).await;
    assert!(
        errors[0].1.contains("data/calls.csv is not in the archive"),
        "{errors:?}"
    );
    let ragged = zip_of(&[
        ("package/datapackage.json", PACKAGE.as_bytes()),
        ("package/data/calls.csv", b"ship,tonnage\nAurora,31000,9\n"),
    ]);
    let errors = field_errors(import(&app, &admin, "logistics", "calls.zip", &ragged).await).await;
    assert!(
        errors[0].1.contains("calls.csv: row 2 has 3 fields"),
        "{errors:?}"
    );
    let escaping = PACKAGE.replace("data/calls.csv", "../calls.csv");
    let sneaky = zip_of(&[("datapackage.json", escaping.as_bytes())]);
    let errors = field_errors(import(&app, &admin, "logistics", "calls.zip", &sneaky).await).await;
    assert!(
        errors[0].1.contains("only files inside the package"),
        "{errors:?}"
    );
    let errors = field_errors(
        import(
            &app,
            &admin,
            "",
            "calls.zip",
            &zip_of(&[
                ("package/datapackage.json", PACKAGE.as_bytes()),
                ("package/data/calls.csv", calls),
            ]),
        )
        .await,
    )
    .await;
    assert!(errors[0].1.contains("industry"), "{errors:?}");
    let count: i64 = sqlx::query_scalar("select count(*) from datasets")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(count, 0);
    assert!(!store().path(&digest(calls)).exists());

    // A good package: metadata, license, source, card, files and their
    // columns' descriptions, as a draft to preview and publish.
    let good = zip_of(&[
        ("package/datapackage.json", PACKAGE.as_bytes()),
        ("package/README.md", b"# Port calls\n\nEvery call, logged."),
        ("package/data/calls.csv", calls),
    ]);
    let response = import(&app, &admin, "logistics", "port-calls.zip", &good).await;
    assert!(
        response.status().as_u16() < 400,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let row: (String, String, Option<String>, String, String, Option<i32>, Vec<String>) = sqlx::query_as(
        "select title, industry, license_id, source_name, card, latest_version, tags from datasets where slug = 'port-calls'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("imported");
    assert_eq!(row.0, "Port calls");
    assert_eq!(row.1, "logistics");
    assert_eq!(row.2.as_deref(), Some("ODC-PDDL-1.0"));
    assert_eq!(row.3, "A harbour master's log");
    assert!(row.4.contains("Every call, logged."));
    assert_eq!(row.5, None, "a draft until published");
    assert_eq!(row.6, ["shipping", "ports"]);
    assert_eq!(
        draft_files(&app, &admin, "port-calls").await,
        [("calls.csv".to_owned(), "CSV".to_owned(), Some(3), 2)]
    );
    let columns: Value =
        sqlx::query_scalar("select columns from dataset_files where name = 'calls.csv'")
            .fetch_one(&app.pool)
            .await
            .expect("columns");
    assert_eq!(columns[1]["description"], "Gross tonnage");
    assert_eq!(columns[1]["type"], "integer");
    assert!(store().path(&digest(calls)).exists());
    // Importing it again finds the slug taken.
    let errors =
        field_errors(import(&app, &admin, "logistics", "port-calls.zip", &good).await).await;
    assert!(errors[0].1.contains("port-calls"), "{errors:?}");
    assert_eq!(audited(&app, "port-calls").await, ["dataset.import"]);
}

#[sqlx::test(migrations = false)]
async fn a_parquet_upload_is_read_and_a_broken_one_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "curator@example.com", "admin").await;
    let admin = signed_in(&app, "curator@example.com").await;
    ok(
        &app,
        &admin,
        "admin_create_dataset",
        &dataset_form("seattle-days"),
    )
    .await;
    let parquet = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seed/datasets/seattle-weather/seattle-weather.parquet"
    ))
    .expect("seed parquet");
    // Cut short, it is not a Parquet file.
    let cut = &parquet[..parquet.len() / 2];
    let errors =
        field_errors(upload(&app, &admin, "seattle-days", "days.parquet", cut).await).await;
    assert!(
        errors[0].1.contains("days.parquet: is not a Parquet file"),
        "{errors:?}"
    );
    assert!(!store().path(&digest(cut)).exists());
    let response = upload(&app, &admin, "seattle-days", "days.parquet", &parquet).await;
    assert!(response.status().is_success());
    assert_eq!(
        draft_files(&app, &admin, "seattle-days").await,
        [(
            "days.parquet".to_owned(),
            "Parquet".to_owned(),
            Some(1_461),
            6
        )]
    );
}
