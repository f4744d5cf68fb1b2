//! Credits in the admin console: every function refuses visitors and
//! developers; grants are made once however often a form is sent; bad input
//! gets field errors; adjustments never go below zero; bulk files are
//! previewed, applied once and reported row by row; everything is audited
//! and the ledger stays consistent.

use crate::helpers::{carries_form_error, create_user, signed_in, spawn_app, FormPart, TestApp};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const NO_KEY: &str = "00000000-0000-7000-8000-000000000000";

/// Every credit function of the admin console, with arguments it accepts.
const ENDPOINTS: &[(&str, &[(&str, &str)])] = &[
    ("admin_credit_account", &[("email", "dev@example.org")]),
    ("admin_uncollected_usage", &[]),
    (
        "admin_grant_credits",
        &[
            ("email", "dev@example.org"),
            ("amount", "10"),
            ("expiry", ""),
            ("reason", "test"),
            ("idempotency_key", NO_KEY),
        ],
    ),
    (
        "admin_adjust_credits",
        &[
            ("email", "dev@example.org"),
            ("amount", "10"),
            ("reason", "test"),
            ("idempotency_key", NO_KEY),
        ],
    ),
    ("admin_bulk_grant", &[("draft", NO_KEY)]),
    ("admin_apply_bulk_grant", &[("draft", NO_KEY)]),
];

/// An admin, a developer `dev@example.org`, and a browser signed in as the admin.
async fn admin_and_developer(app: &TestApp) -> (Uuid, Uuid, Client) {
    let admin = create_user(app, "admin@lab.example", "admin").await;
    let dev = create_user(app, "dev@example.org", "developer").await;
    (admin, dev, signed_in(app, "admin@lab.example").await)
}

async fn ok_json(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    body
}

/// The fields named by a 422 answer.
async fn invalid_fields(response: Response) -> Vec<String> {
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422, "{body}");
    body["Validation"]
        .as_array()
        .expect("field errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

/// The available balance of `user`, in micro-credits (0 without an account).
async fn available(app: &TestApp, user: Uuid) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "select available from credit_accounts where owner_kind = 'user' and owner_id = $1",
    )
    .bind(user)
    .fetch_optional(&app.pool)
    .await
    .expect("balance")
    .unwrap_or(0)
}

async fn audited(app: &TestApp, action: &str) -> Vec<(Option<Uuid>, Option<Value>, Option<Value>)> {
    sqlx::query_as("select actor_id, before, after from audit_log where action = $1 order by id")
        .bind(action)
        .fetch_all(&app.pool)
        .await
        .expect("audit log")
}

async fn ledger_is_consistent(app: &TestApp) {
    let violations = app::server::ledger::verify(&app.pool)
        .await
        .expect("verify");
    assert!(violations.is_empty(), "{violations:?}");
}

/// The form key of the admin credits page for `email`.
async fn form_key(app: &TestApp, admin: &Client, email: &str) -> String {
    let account = ok_json(
        app.post_form_with(admin, "/api/admin_credit_account", &[("email", email)])
            .await,
    )
    .await;
    account["form_key"].as_str().expect("form key").to_owned()
}

#[sqlx::test(migrations = false)]
async fn every_credit_function_refuses_visitors_and_developers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let dev = create_user(&app, "dev@example.org", "developer").await;
    let visitor = app.new_browser();
    let developer = signed_in(&app, "dev@example.org").await;
    for (endpoint, form) in ENDPOINTS {
        let path = format!("/api/{endpoint}");
        let answer = TestApp::error_of(app.post_form_with(&visitor, &path, form).await).await;
        assert_eq!(
            answer,
            (401, json!("Unauthorized")),
            "{endpoint} for a visitor"
        );
        let answer = TestApp::error_of(app.post_form_with(&developer, &path, form).await).await;
        assert_eq!(
            answer,
            (403, json!("Forbidden")),
            "{endpoint} for a developer"
        );
    }
    // The bulk upload takes a multipart form.
    let csv = b"email,amount,expiry,reason\ndev@example.org,1,,x\n";
    let upload = file_form(csv);
    for (client, who, status, error) in [
        (&visitor, "a visitor", 401, json!("Unauthorized")),
        (&developer, "a developer", 403, json!("Forbidden")),
    ] {
        let response = app
            .post_multipart_with(client, "/api/admin_upload_bulk_grant", &upload, false)
            .await;
        let answer = TestApp::error_of(response).await;
        assert_eq!(answer, (status, error), "the upload for {who}");
        // Without JavaScript: refused before the upload is read; a visitor
        // is sent to sign in (and back to the form), a developer told no.
        let response = app
            .post_multipart_with(client, "/api/admin_upload_bulk_grant", &upload, true)
            .await;
        if status == 401 {
            assert_eq!(response.status(), 303, "{who}");
            assert_eq!(
                response.headers()["location"],
                "/signin?next=/admin/credits/bulk",
                "{who}"
            );
        } else {
            assert_eq!(response.status(), 403, "{who}");
        }
    }
    let (status, html) = html_page(&app, &developer, "/admin/credits/bulk").await;
    assert_eq!(status, 403, "{html}");
    assert!(!html.contains("type=\"file\""), "{html}");
    assert_eq!(drafts_kept(&app).await, 0);
    assert_eq!(available(&app, dev).await, 0);
    let audits: i64 = sqlx::query_scalar("select count(*) from audit_log")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(audits, 0);
}

#[sqlx::test(migrations = false)]
async fn a_grant_sent_twice_with_the_same_key_is_made_and_audited_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, dev, admin) = admin_and_developer(&app).await;
    let key = form_key(&app, &admin, "DEV@example.org").await;
    let expiry = (time::OffsetDateTime::now_utc().date() + time::Duration::days(10)).to_string();
    let form = [
        ("email", "Dev@Example.org"),
        ("amount", "12.345678"),
        ("expiry", expiry.as_str()),
        ("reason", "  Hackathon prize "),
        ("idempotency_key", key.as_str()),
    ];
    let first = ok_json(
        app.post_form_with(&admin, "/api/admin_grant_credits", &form)
            .await,
    )
    .await;
    assert_eq!(first, json!({ "applied": true }));
    let second = ok_json(
        app.post_form_with(&admin, "/api/admin_grant_credits", &form)
            .await,
    )
    .await;
    assert_eq!(second, json!({ "applied": false }), "the same form again");
    assert_eq!(available(&app, dev).await, 12_345_678);

    let grants = audited(&app, "credits.grant").await;
    assert_eq!(grants.len(), 1, "{grants:?}");
    let (actor, before, after) = &grants[0];
    assert_eq!((*actor, before), (Some(admin_id), &None));
    let after = after.as_ref().expect("after");
    assert_eq!(after["amount_micros"], 12_345_678);
    assert_eq!(after["reason"], "Hackathon prize");
    assert_eq!(after["email"], "dev@example.org");
    assert!(
        after["expires_at"]
            .as_str()
            .expect("expiry")
            .ends_with("T00:00:00Z"),
        "the end of the day, UTC: {after}"
    );

    // Sent several times at once (a double click without JavaScript).
    let key = form_key(&app, &admin, "dev@example.org").await;
    let racing = [
        ("email", "dev@example.org"),
        ("amount", "1"),
        ("reason", "Raced"),
        ("idempotency_key", key.as_str()),
    ];
    let send = || app.post_form_with(&admin, "/api/admin_grant_credits", &racing);
    let (a, b, c) = tokio::join!(send(), send(), send());
    for response in [a, b, c] {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(available(&app, dev).await, 13_345_678);
    assert_eq!(audited(&app, "credits.grant").await.len(), 2);

    // A fresh page is a fresh form: it grants again.
    let key = form_key(&app, &admin, "dev@example.org").await;
    let again = [
        ("email", "dev@example.org"),
        ("amount", "1"),
        ("reason", "Second prize"),
        ("idempotency_key", key.as_str()),
    ];
    ok_json(
        app.post_form_with(&admin, "/api/admin_grant_credits", &again)
            .await,
    )
    .await;
    assert_eq!(available(&app, dev).await, 14_345_678);

    let account = ok_json(
        app.post_form_with(
            &admin,
            "/api/admin_credit_account",
            &[("email", "dev@example.org"), ("kind", "grant")],
        )
        .await,
    )
    .await;
    assert_eq!(account["available"], 14_345_678);
    assert_eq!(account["expiring_soon"], 12_345_678, "within 30 days");
    assert_eq!(account["history"]["total"], 3);
    assert_eq!(account["history"]["items"][0]["memo"], "Second prize");
    let none = ok_json(
        app.post_form_with(
            &admin,
            "/api/admin_credit_account",
            &[("email", "dev@example.org"), ("kind", "adjustment")],
        )
        .await,
    )
    .await;
    assert_eq!(none["history"]["total"], 0);
    let (status, _) = TestApp::error_of(
        app.post_form_with(
            &admin,
            "/api/admin_credit_account",
            &[("email", "nobody@example.org")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    ledger_is_consistent(&app).await;
}

#[sqlx::test(migrations = false)]
async fn bad_grant_forms_get_field_errors_and_grant_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev, admin) = admin_and_developer(&app).await;
    let key = Uuid::new_v4().to_string();
    let grant =
        |amount: &'static str, expiry: &'static str, reason: &'static str, email: &'static str| {
            [
                ("email", email),
                ("amount", amount),
                ("expiry", expiry),
                ("reason", reason),
                ("idempotency_key", NO_KEY),
            ]
        };
    let cases = [
        (grant("ten", "", "x", "dev@example.org"), "amount"),
        (grant("1.0000001", "", "x", "dev@example.org"), "amount"),
        (grant("-5", "", "x", "dev@example.org"), "amount"),
        (grant("0", "", "x", "dev@example.org"), "amount"),
        (grant("5", "2020-01-01", "x", "dev@example.org"), "expiry"),
        (grant("5", "31/12/2099", "x", "dev@example.org"), "expiry"),
        (grant("5", "", "   ", "dev@example.org"), "reason"),
        (grant("5", "", "x", "nobody@example.org"), "email"),
    ];
    for (mut form, field) in cases {
        form[4].1 = key.as_str();
        let fields = invalid_fields(
            app.post_form_with(&admin, "/api/admin_grant_credits", &form)
                .await,
        )
        .await;
        assert_eq!(fields, [field], "{form:?}");
    }
    let all_wrong = grant("abc", "yesterday", "", "dev@example.org");
    let fields = invalid_fields(
        app.post_form_with(&admin, "/api/admin_grant_credits", &all_wrong)
            .await,
    )
    .await;
    assert_eq!(fields, ["amount", "expiry", "reason"]);
    let mut tampered = grant("5", "", "x", "dev@example.org");
    tampered[4].1 = "not-a-key";
    let (status, _) = TestApp::error_of(
        app.post_form_with(&admin, "/api/admin_grant_credits", &tampered)
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(available(&app, dev).await, 0);
    assert!(audited(&app, "credits.grant").await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn adjustments_are_audited_with_balances_and_never_go_below_zero(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, dev, admin) = admin_and_developer(&app).await;
    let adjust = |amount: &'static str, key: String| {
        let (app, admin) = (&app, &admin);
        async move {
            let form = [
                ("email", "dev@example.org"),
                ("amount", amount),
                ("reason", "Correction"),
                ("idempotency_key", key.as_str()),
            ];
            app.post_form_with(admin, "/api/admin_adjust_credits", &form)
                .await
        }
    };
    let key = form_key(&app, &admin, "dev@example.org").await;
    assert_eq!(
        ok_json(adjust("20", key.clone()).await).await,
        json!({ "applied": true })
    );
    assert_eq!(
        ok_json(adjust("20", key).await).await,
        json!({ "applied": false })
    );
    assert_eq!(available(&app, dev).await, 20_000_000);

    let fields = invalid_fields(adjust("-20.000001", Uuid::new_v4().to_string()).await).await;
    assert_eq!(fields, ["amount"], "below zero is refused");
    let fields = invalid_fields(adjust("0", Uuid::new_v4().to_string()).await).await;
    assert_eq!(fields, ["amount"]);
    assert_eq!(available(&app, dev).await, 20_000_000);

    ok_json(adjust("-7.5", Uuid::new_v4().to_string()).await).await;
    assert_eq!(available(&app, dev).await, 12_500_000);
    let records = audited(&app, "credits.adjust").await;
    assert_eq!(records.len(), 2, "{records:?}");
    let (actor, before, after) = &records[1];
    assert_eq!(*actor, Some(admin_id));
    assert_eq!(
        before.as_ref().expect("before")["available_micros"],
        20_000_000
    );
    let after = after.as_ref().expect("after");
    assert_eq!(after["available_micros"], 12_500_000);
    assert_eq!(after["amount_micros"], -7_500_000);
    assert_eq!(after["reason"], "Correction");
    ledger_is_consistent(&app).await;
}

const BULK: &str = "email,amount,expiry,reason\r\n\
    dev@example.org,10,,Hackathon\r\n\
    \"ANA@example.org\",\"1,000.5\",2099-12-31,\"Prize, \"\"first\"\"\"\r\n\
    nobody@example.org,5,,Hackathon\r\n\
    dev@example.org,ten,,Hackathon\r\n\
    dev@example.org,3,2020-01-01,Hackathon\r\n\
    dev@example.org,3,2099-13-01,Hackathon\r\n\
    ana@example.org,2,,\r\n\
    dev@example.org,10,,Hackathon\r\n";

fn statuses(report: &Value) -> Vec<(i64, String)> {
    report["rows"]["items"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().expect("line"),
                r["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

/// The bulk grant form with `content` as the chosen file.
fn file_form(content: &[u8]) -> [FormPart<'_>; 2] {
    [
        FormPart {
            name: "file",
            file_name: Some("grants.csv"),
            content,
        },
        FormPart {
            name: "csv",
            file_name: None,
            content: b"",
        },
    ]
}

/// The bulk grant form with `text` pasted and no file chosen (a browser
/// sends an empty, nameless file part then).
fn pasted_form(text: &str) -> [FormPart<'_>; 2] {
    [
        FormPart {
            name: "file",
            file_name: Some(""),
            content: b"",
        },
        FormPart {
            name: "csv",
            file_name: None,
            content: text.as_bytes(),
        },
    ]
}

/// Uploads a bulk form as the hydrated page's client would; the draft's id.
async fn upload(app: &TestApp, admin: &Client, parts: &[FormPart<'_>]) -> String {
    let response = app
        .post_multipart_with(admin, "/api/admin_upload_bulk_grant", parts, false)
        .await;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = ok_json(response).await;
    let draft = body["draft"].as_str().expect("draft id").to_owned();
    assert_eq!(
        location.as_deref(),
        Some(format!("/admin/credits/bulk?draft={draft}").as_str()),
        "the client is told to go to the preview"
    );
    draft
}

/// The preview of a draft (or, with `run`, a run's report) as JSON.
async fn bulk_report(app: &TestApp, admin: &Client, draft: &str, run: &str) -> Value {
    ok_json(
        app.post_form_with(
            admin,
            "/api/admin_bulk_grant",
            &[("draft", draft), ("run", run)],
        )
        .await,
    )
    .await
}

async fn apply(app: &TestApp, admin: &Client, draft: &str) -> Value {
    ok_json(
        app.post_form_with(admin, "/api/admin_apply_bulk_grant", &[("draft", draft)])
            .await,
    )
    .await
}

async fn drafts_kept(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from bulk_grant_drafts")
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

/// The `Location` of a redirect, relative to the app.
fn location(app: &TestApp, response: &Response) -> String {
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a location");
    location
        .strip_prefix(&app.address)
        .unwrap_or(location)
        .to_owned()
}

async fn html_page(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let response = client
        .get(format!("{}{path}", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

#[sqlx::test(migrations = false)]
async fn a_bulk_preview_reports_every_rows_problem_and_grants_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev, admin) = admin_and_developer(&app).await;
    let ana = create_user(&app, "ana@example.org", "developer").await;
    let draft = upload(&app, &admin, &file_form(BULK.as_bytes())).await;
    let report = bulk_report(&app, &admin, &draft, "").await;
    assert_eq!(report["applied"], false);
    assert_eq!(report["draft"], draft.as_str());
    assert_eq!(report["file_name"], "grants.csv");
    assert_eq!(report["by"], "admin@lab.example");
    let expected: Vec<(i64, String)> = [
        (2, "ready"),
        (3, "ready"),
        (4, "invalid"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "invalid"),
        (8, "invalid"),
        (9, "invalid"),
    ]
    .into_iter()
    .map(|(l, s)| (l, s.to_owned()))
    .collect();
    assert_eq!(statuses(&report), expected);
    let messages: Vec<&str> = report["rows"]["items"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["message"].as_str())
        .collect();
    assert_eq!(messages[0], "No user has this email.");
    assert_eq!(messages[5], "Duplicate of line 2.");
    assert_eq!(messages.len(), 6, "every skipped row says why");
    assert_eq!(report["rows"]["items"][1]["reason"], "Prize, \"first\"");
    assert_eq!(report["total_micros"], 1_010_500_000);
    assert_eq!(
        (available(&app, dev).await, available(&app, ana).await),
        (0, 0)
    );
    assert!(audited(&app, "credits.grant").await.is_empty());
    assert!(audited(&app, "credits.bulk_grant").await.is_empty());

    // The same text pasted instead of uploaded is the same file.
    let pasted = upload(&app, &admin, &pasted_form(BULK)).await;
    let again = bulk_report(&app, &admin, &pasted, "").await;
    assert_eq!(again["file_hash"], report["file_hash"]);
    assert_eq!(again["file_name"], Value::Null);
    assert_eq!(drafts_kept(&app).await, 2);

    // Whole-file problems are refused at upload, on the field used.
    let mut big = "email,amount,expiry,reason\n".to_owned();
    for n in 0..5_001 {
        big.push_str(&format!("u{n}@example.org,1,,x\n"));
    }
    let oversize = format!("email,amount,expiry,reason\n{}", "x".repeat(1024 * 1024));
    let cases: [(&[u8], &str); 6] = [
        (
            b"dev@example.org,1,,x\n",
            "The first row must be the header",
        ),
        (b"email,amount,expiry,reason\n", "no rows"),
        (b"email,amount,expiry,reason\n\"open,1,,x\n", "never closed"),
        (b"email,amount\xff,expiry,reason\n", "not UTF-8"),
        (big.as_bytes(), "at most 5000"),
        (oversize.as_bytes(), "larger than 1 MiB"),
    ];
    for (content, message) in cases {
        let response = app
            .post_multipart_with(
                &admin,
                "/api/admin_upload_bulk_grant",
                &file_form(content),
                false,
            )
            .await;
        let (status, body) = TestApp::error_of(response).await;
        assert_eq!(status, 422, "{message}: {body}");
        assert_eq!(body["Validation"][0]["field"], "file", "{message}: {body}");
        assert!(body.to_string().contains(message), "{message}: {body}");
    }
    for (parts, field, message) in [
        (pasted_form(""), "file", "Choose a CSV file"),
        (pasted_form(&oversize), "csv", "larger than 1 MiB"),
        (pasted_form("email,amount\n1,2\n"), "csv", "header"),
    ] {
        let response = app
            .post_multipart_with(&admin, "/api/admin_upload_bulk_grant", &parts, false)
            .await;
        let (status, body) = TestApp::error_of(response).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["Validation"][0]["field"], field, "{body}");
        assert!(body.to_string().contains(message), "{body}");
    }
    let both = [
        FormPart {
            name: "file",
            file_name: Some("grants.csv"),
            content: BULK.as_bytes(),
        },
        FormPart {
            name: "csv",
            file_name: None,
            content: BULK.as_bytes(),
        },
    ];
    let fields = invalid_fields(
        app.post_multipart_with(&admin, "/api/admin_upload_bulk_grant", &both, false)
            .await,
    )
    .await;
    assert_eq!(fields, ["file"], "a file and pasted text at once");

    // A body that is not multipart is turned away before it is read.
    let response = app
        .post_form_with(&admin, "/api/admin_upload_bulk_grant", &[("csv", BULK)])
        .await;
    assert_eq!(response.status(), 415);
    assert_eq!(drafts_kept(&app).await, 2, "nothing more was kept");

    // Ids that name nothing.
    for (draft, run) in [(NO_KEY, ""), ("not-an-id", ""), ("", NO_KEY)] {
        let (status, _) = TestApp::error_of(
            app.post_form_with(
                &admin,
                "/api/admin_bulk_grant",
                &[("draft", draft), ("run", run)],
            )
            .await,
        )
        .await;
        assert_eq!(status, 404, "{draft} {run}");
    }
    let (status, _) = TestApp::error_of(
        app.post_form_with(&admin, "/api/admin_apply_bulk_grant", &[("draft", NO_KEY)])
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let empty = bulk_report(&app, &admin, "", "").await;
    assert_eq!(
        empty,
        Value::Null,
        "no draft: the page shows the upload form"
    );
}

#[sqlx::test(migrations = false)]
async fn a_bulk_file_is_granted_once_however_often_it_is_uploaded_and_applied(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, dev, admin) = admin_and_developer(&app).await;
    let ana = create_user(&app, "ana@example.org", "developer").await;
    let draft = upload(&app, &admin, &file_form(BULK.as_bytes())).await;
    let applied = apply(&app, &admin, &draft).await;
    assert_eq!(applied["applied"], true);
    assert_eq!(applied["draft"], draft.as_str());
    let run = applied["run"].as_str().expect("run id").to_owned();
    let states = statuses(&applied);
    assert_eq!(
        &states[..2],
        [(2, "granted".to_owned()), (3, "granted".to_owned())]
    );
    assert!(
        states[2..].iter().all(|(_, s)| s == "invalid"),
        "{states:?}"
    );
    assert_eq!(applied["total_micros"], 1_010_500_000);
    assert_eq!(available(&app, dev).await, 10_000_000);
    assert_eq!(available(&app, ana).await, 1_000_500_000);
    // The report is kept: the same again from its link.
    assert_eq!(bulk_report(&app, &admin, "", &run).await, applied);

    // Applying the same preview again grants nothing new.
    let twice = apply(&app, &admin, &draft).await;
    assert_eq!(statuses(&twice)[0].1, "already_granted");
    // Nor does uploading the same file again, pasted with other line endings.
    let again_text = BULK.replace("\r\n", "\n");
    let second = upload(&app, &admin, &pasted_form(&again_text)).await;
    assert_ne!(second, draft);
    let preview = bulk_report(&app, &admin, &second, "").await;
    assert_eq!(
        &statuses(&preview)[..2],
        [
            (2, "already_granted".to_owned()),
            (3, "already_granted".to_owned())
        ]
    );
    assert_eq!(preview["total_micros"], 0);
    let again = apply(&app, &admin, &second).await;
    let states = statuses(&again);
    assert_eq!(
        &states[..2],
        [
            (2, "already_granted".to_owned()),
            (3, "already_granted".to_owned())
        ]
    );
    assert_eq!(again["total_micros"], 0);
    assert_eq!(available(&app, dev).await, 10_000_000);
    assert_eq!(available(&app, ana).await, 1_000_500_000);
    // The first run's report still says what it did.
    assert_eq!(bulk_report(&app, &admin, "", &run).await, applied);

    let grants = audited(&app, "credits.grant").await;
    assert_eq!(grants.len(), 2, "one per granted row");
    let runs = audited(&app, "credits.bulk_grant").await;
    assert_eq!(runs.len(), 3, "one per run");
    let (actor, _, first) = &runs[0];
    assert_eq!(*actor, Some(admin_id));
    let first = first.as_ref().expect("after");
    assert_eq!(
        (
            &first["rows"],
            &first["granted"],
            &first["already_granted"],
            &first["skipped"]
        ),
        (&json!(8), &json!(2), &json!(0), &json!(6))
    );
    assert_eq!(first["total_micros"], 1_010_500_000);
    assert_eq!(first["file_hash"], applied["file_hash"]);
    assert_eq!(first["file_name"], "grants.csv");
    assert_eq!(first["draft_id"], draft.as_str());
    assert_eq!(first["run_id"], run.as_str());
    for (_, _, later) in &runs[1..] {
        let later = later.as_ref().expect("after");
        assert_eq!(
            (&later["granted"], &later["already_granted"]),
            (&json!(0), &json!(2))
        );
    }
    let keys: Vec<String> = sqlx::query_scalar(
        "select idempotency_key from ledger_transactions where idempotency_key like 'bulk:%' order by 1",
    )
    .fetch_all(&app.pool)
    .await
    .expect("keys");
    let hash = applied["file_hash"].as_str().expect("hash");
    assert_eq!(keys, [format!("bulk:{hash}:2"), format!("bulk:{hash}:3")]);
    ledger_is_consistent(&app).await;
}

#[sqlx::test(migrations = false)]
async fn without_javascript_a_bulk_file_is_uploaded_previewed_applied_and_reported(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev, admin) = admin_and_developer(&app).await;
    let ana = create_user(&app, "ana@example.org", "developer").await;
    let (status, form) = html_page(&app, &admin, "/admin/credits/bulk").await;
    assert_eq!(status, 200);
    for part in [
        "enctype=\"multipart/form-data\"",
        "action=\"/api/admin_upload_bulk_grant\"",
        "type=\"file\"",
        "accept=\".csv,text/csv\"",
        "<label for=\"bulk-file\">",
        "<label for=\"csv\">",
    ] {
        assert!(form.contains(part), "{part} in {form}");
    }

    // A broken file comes back to the form, the error next to the field.
    let broken = app
        .post_multipart_with(
            &admin,
            "/api/admin_upload_bulk_grant",
            &file_form(b"name,amount\nada,1\n"),
            true,
        )
        .await;
    let back = location(&app, &broken);
    assert!(
        back == "/admin/credits/bulk" && carries_form_error(&broken),
        "{back}"
    );
    let (status, html) = html_page(&app, &admin, &back).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(
            "The first row must be the header email,amount,expiry,reason (organization instead of email"
        ),
        "{html}"
    );
    assert!(
        html.contains("aria-describedby=\"bulk-file-hint bulk-file-error\"")
            && html.contains("id=\"bulk-file-error\"")
            && html.contains("aria-invalid=\"true\""),
        "{html}"
    );
    // So does a file over the size limit.
    let oversize = format!("email,amount,expiry,reason\n{}", "x".repeat(1024 * 1024));
    let refused = app
        .post_multipart_with(
            &admin,
            "/api/admin_upload_bulk_grant",
            &file_form(oversize.as_bytes()),
            true,
        )
        .await;
    let (_, html) = html_page(&app, &admin, &location(&app, &refused)).await;
    assert!(
        html.contains("The file is larger than 1 MiB. Split it into smaller files."),
        "{html}"
    );
    assert_eq!(drafts_kept(&app).await, 0);

    // A good one goes to its preview: every row, each error beside its row.
    let uploaded = app
        .post_multipart_with(
            &admin,
            "/api/admin_upload_bulk_grant",
            &file_form(BULK.as_bytes()),
            true,
        )
        .await;
    let preview = location(&app, &uploaded);
    let draft = preview
        .strip_prefix("/admin/credits/bulk?draft=")
        .expect("the preview's address")
        .to_owned();
    let (status, html) = html_page(&app, &admin, &preview).await;
    assert_eq!(status, 200);
    for part in [
        ">Preview</h2>",
        "2 rows ready (1,010.5 credits), 0 already granted, 6 with errors. Nothing has been granted yet.",
        "<caption id=\"rows-caption\">Rows of grants.csv</caption>",
        "No user has this email.",
        "Duplicate of line 2.",
        "Grant 2 rows",
        "action=\"/api/admin_apply_bulk_grant\"",
        &format!("name=\"draft\" value=\"{draft}\""),
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert_eq!(available(&app, dev).await, 0, "a preview grants nothing");

    // Applying it goes to the run's report.
    let applied = admin
        .post(format!("{}/api/admin_apply_bulk_grant", app.address))
        .header("origin", &app.address)
        .header("referer", format!("{}{preview}", app.address))
        .header("accept", "text/html")
        .form(&[("draft", draft.as_str())])
        .send()
        .await
        .expect("post");
    let report = location(&app, &applied);
    assert!(report.starts_with("/admin/credits/bulk?run="), "{report}");
    let (status, html) = html_page(&app, &admin, &report).await;
    assert_eq!(status, 200);
    for part in [
        ">Result</h2>",
        "2 rows granted (1,010.5 credits), 0 already granted before, 6 skipped.",
        "Granted",
        "No user has this email.",
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert!(!html.contains("Grant 2 rows"), "{html}");
    assert_eq!(available(&app, dev).await, 10_000_000);
    assert_eq!(available(&app, ana).await, 1_000_500_000);

    // The preview again: nothing left to grant, so no apply form.
    let (_, html) = html_page(&app, &admin, &preview).await;
    assert!(
        html.contains("0 rows ready (0 credits), 2 already granted, 6 with errors."),
        "{html}"
    );
    assert!(!html.contains("admin_apply_bulk_grant"), "{html}");

    // An address naming nothing is a 404 page that leads back to the form.
    let (status, html) =
        html_page(&app, &admin, &format!("/admin/credits/bulk?draft={NO_KEY}")).await;
    assert_eq!(status, 404);
    assert!(html.contains("Upload the file again."), "{html}");
}

#[sqlx::test(migrations = false)]
async fn the_credit_pages_render_for_admins_and_forms_work_without_javascript(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev, admin) = admin_and_developer(&app).await;
    let page = |path: &'static str| {
        let admin = admin.clone();
        let url = format!("{}{path}", app.address);
        async move {
            admin
                .get(url)
                .header("accept", "text/html")
                .send()
                .await
                .expect("page")
        }
    };
    let lookup = page("/admin/credits?email=dev%40example.org").await;
    assert_eq!(lookup.status(), 200);
    let html = lookup.text().await.expect("html");
    assert!(
        html.contains("Grant credits") && html.contains("Adjust balance"),
        "{html}"
    );
    let marker = "name=\"idempotency_key\" value=\"";
    let start = html.find(marker).expect("a key in the form") + marker.len();
    let key = &html[start..start + 36];
    assert!(Uuid::parse_str(key).is_ok(), "{key}");
    let bulk = page("/admin/credits/bulk").await;
    assert_eq!(bulk.status(), 200);
    assert!(bulk.text().await.expect("html").contains("Preview"));
    let user = page("/admin/credits?email=nobody%40example.org").await;
    assert_eq!(user.status(), 404);

    // A browser without JavaScript posts the form and follows the redirect.
    let form = [
        ("email", "dev@example.org"),
        ("amount", "5"),
        ("expiry", ""),
        ("reason", "No-JS grant"),
        ("idempotency_key", key),
    ];
    for _ in 0..2 {
        let response = admin
            .post(format!("{}/api/admin_grant_credits", app.address))
            .header("origin", &app.address)
            .header(
                "referer",
                format!("{}/admin/credits?email=dev%40example.org", app.address),
            )
            .header("accept", "text/html")
            .form(&form)
            .send()
            .await
            .expect("post");
        assert!(response.status().is_redirection(), "{}", response.status());
    }
    assert_eq!(available(&app, dev).await, 5_000_000, "granted once");
}

/// A file of 250 grants to `dev@example.org` (lines 2 to 251, the reason
/// of line `l` being "Row `l` of the file"), where lines 7, 130 and 251
/// name nobody.
fn long_file() -> String {
    let mut csv = "email,amount,expiry,reason\n".to_owned();
    for line in 2..=251 {
        let email = if [7, 130, 251].contains(&line) {
            "nobody@example.org"
        } else {
            "dev@example.org"
        };
        csv.push_str(&format!("{email},1,,Row {line} of the file\n"));
    }
    csv
}

const LONG_FILE_PROBLEMS: [i64; 3] = [7, 130, 251];

/// Page `page` of the rows `show` lists of a preview (or, with `run`, a
/// run's report) as JSON.
async fn bulk_page(
    app: &TestApp,
    admin: &Client,
    (draft, run): (&str, &str),
    page: &str,
    show: &str,
) -> Value {
    // Like the page's links, an empty parameter is left out.
    let form: Vec<(&str, &str)> = [
        ("draft", draft),
        ("run", run),
        ("page", page),
        ("show", show),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect();
    ok_json(
        app.post_form_with(admin, "/api/admin_bulk_grant", &form)
            .await,
    )
    .await
}

fn lines(report: &Value) -> Vec<i64> {
    statuses(report).into_iter().map(|(line, _)| line).collect()
}

/// `(total, page, per_page)` of a report's page of rows.
fn position(report: &Value) -> (i64, i64, i64) {
    let rows = &report["rows"];
    let number = |name: &str| rows[name].as_i64().expect(name);
    (number("total"), number("page"), number("per_page"))
}

#[sqlx::test(migrations = false)]
async fn a_long_bulk_file_is_previewed_and_reported_a_page_at_a_time(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev, admin) = admin_and_developer(&app).await;
    let draft = upload(&app, &admin, &file_form(long_file().as_bytes())).await;
    let preview = |page: &'static str, show: &'static str| {
        let (app, admin, draft) = (&app, &admin, draft.clone());
        async move { bulk_page(app, admin, (&draft, ""), page, show).await }
    };

    // Pages of 100 rows; the counts always cover the whole file.
    let whole = json!({"ready": 247, "invalid": 3, "granted": 0, "already_granted": 0});
    let first = preview("", "").await;
    assert_eq!(first["counts"], whole);
    assert_eq!(first["total_micros"], 247_000_000);
    assert_eq!(position(&first), (250, 1, 100));
    assert_eq!(lines(&first), (2..=101).collect::<Vec<_>>());
    assert_eq!(first, bulk_report(&app, &admin, &draft, "").await);
    let second = preview("2", "all").await;
    assert_eq!(second["counts"], whole);
    assert_eq!(position(&second), (250, 2, 100));
    assert_eq!(lines(&second), (102..=201).collect::<Vec<_>>());
    let last = preview("3", "").await;
    assert_eq!(lines(&last), (202..=251).collect::<Vec<_>>());
    // Like every admin list: past the last page is empty, below the first is the first.
    let beyond = preview("4", "").await;
    assert_eq!((position(&beyond), lines(&beyond)), ((250, 4, 100), vec![]));
    assert_eq!(beyond["counts"], whole);
    assert_eq!(lines(&preview("-3", "").await), lines(&first));

    // Only the rows with problems, still counting the whole file.
    let problems = preview("", "problems").await;
    assert_eq!(problems["show"], "problems");
    assert_eq!(problems["counts"], whole);
    assert_eq!(position(&problems), (3, 1, 100));
    assert_eq!(
        statuses(&problems),
        LONG_FILE_PROBLEMS.map(|l| (l, "invalid".to_owned()))
    );
    assert!(lines(&preview("2", "problems").await).is_empty());

    // A malformed page or filter sent to the function is refused with a
    // message for people (the page's own links never send one: it reads a
    // malformed `?page=` as the first page).
    for bad in [("page", "two"), ("show", "bad")] {
        let (_, body) = TestApp::error_of(
            app.post_form_with(
                &admin,
                "/api/admin_bulk_grant",
                &[("draft", draft.as_str()), bad],
            )
            .await,
        )
        .await;
        assert_eq!(
            body,
            json!({"InvalidRequest": "The form was incomplete or malformed. Please try again."}),
            "{bad:?}"
        );
    }

    // The run's report: the same pages, read from the stored run.
    let applied = apply(&app, &admin, &draft).await;
    assert_eq!(available(&app, dev).await, 247_000_000);
    let run = applied["run"].as_str().expect("run id").to_owned();
    let done = json!({"ready": 0, "invalid": 3, "granted": 247, "already_granted": 0});
    assert_eq!(applied["counts"], done);
    assert_eq!(position(&applied), (250, 1, 100));
    assert_eq!(lines(&applied), (2..=101).collect::<Vec<_>>());
    assert_eq!(bulk_report(&app, &admin, "", &run).await, applied);
    let report = |page: &'static str, show: &'static str| {
        let (app, admin, run) = (&app, &admin, run.clone());
        async move { bulk_page(app, admin, ("", &run), page, show).await }
    };
    let second = report("2", "").await;
    assert_eq!(second["counts"], done);
    assert_eq!(position(&second), (250, 2, 100));
    assert_eq!(lines(&second), (102..=201).collect::<Vec<_>>());
    assert!(statuses(&second)
        .iter()
        .all(|(l, s)| (s == "granted") != LONG_FILE_PROBLEMS.contains(l)));
    assert_eq!(
        lines(&report("3", "").await),
        (202..=251).collect::<Vec<_>>()
    );
    assert!(lines(&report("4", "").await).is_empty());
    let skipped = report("", "problems").await;
    assert_eq!(position(&skipped), (3, 1, 100));
    assert_eq!(skipped["counts"], done);
    assert_eq!(
        statuses(&skipped),
        LONG_FILE_PROBLEMS.map(|l| (l, "invalid".to_owned()))
    );
    assert!(lines(&report("2", "problems").await).is_empty());
}

#[sqlx::test(migrations = false)]
async fn without_javascript_a_long_bulk_file_is_read_page_by_page_with_links(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, _, admin) = admin_and_developer(&app).await;
    let draft = upload(&app, &admin, &file_form(long_file().as_bytes())).await;
    let preview = format!("/admin/credits/bulk?draft={draft}");

    let (status, html) = html_page(&app, &admin, &format!("{preview}&page=2")).await;
    assert_eq!(status, 200);
    for part in [
        "247 rows ready (247 credits), 0 already granted, 3 with errors. Nothing has been granted yet.",
        "<nav aria-label=\"Pages\" class=\"pager\">",
        "Showing 101–200 of 250",
        "aria-current=\"page\" class=\"pager-summary\">Page 2 of 3</span>",
        &format!("rel=\"prev\" href=\"{preview}\" class=\"button\">Previous</a>"),
        &format!("rel=\"next\" href=\"{preview}&amp;page=3\" class=\"button\">Next</a>"),
        &format!("href=\"{preview}&amp;show=problems\">With errors (3)</a>"),
        ">Row 201 of the file<",
        // The form applies the whole file, whichever page is shown.
        "Grant 247 rows",
        &format!("name=\"draft\" value=\"{draft}\""),
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert!(
        html.contains(&format!(
            "href=\"{preview}\" aria-current=\"page\">All rows (250)</a>"
        )),
        "{html}"
    );
    for absent in [">Row 101 of the file<", ">Row 202 of the file<"] {
        assert!(!html.contains(absent), "{absent} in {html}");
    }

    // Only the rows with errors: one page, the whole file still counted.
    let (status, html) = html_page(&app, &admin, &format!("{preview}&show=problems")).await;
    assert_eq!(status, 200);
    for part in [
        "247 rows ready (247 credits), 0 already granted, 3 with errors.",
        "aria-current=\"page\">With errors (3)</a>",
        "aria-current=\"page\" class=\"pager-summary\">Page 1 of 1</span>",
        ">Row 7 of the file<",
        ">Row 130 of the file<",
        ">Row 251 of the file<",
        "Grant 247 rows",
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert!(!html.contains(">Row 8 of the file<"), "{html}");
    assert!(!html.contains("rel=\"next\""), "{html}");

    // A page past the end says so and leads back to the last page; a
    // malformed one is the first.
    let (status, html) = html_page(&app, &admin, &format!("{preview}&page=9")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Nothing on page 9 of 250 results."), "{html}");
    assert!(!html.contains("Page 9 of"), "{html}");
    assert!(
        html.contains(&format!("rel=\"prev\" href=\"{preview}&amp;page=3\"")),
        "{html}"
    );
    let (status, html) = html_page(&app, &admin, &format!("{preview}&page=abc")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Page 1 of 3</span>"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn without_javascript_a_refused_grant_comes_back_with_what_was_typed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, _, admin) = admin_and_developer(&app).await;
    let page = "/admin/credits?email=dev%40example.org";
    let refused = admin
        .post(format!("{}/api/admin_grant_credits", app.address))
        .header("origin", &app.address)
        .header("referer", format!("{}{page}", app.address))
        .header("accept", "text/html")
        .form(&[
            ("email", "dev@example.org"),
            ("amount", "12.5.5"),
            ("expiry", "2031-02-03"),
            ("reason", "Hackathon prize"),
            ("idempotency_key", &Uuid::now_v7().to_string()),
        ])
        .send()
        .await
        .expect("post");
    let back = location(&app, &refused);
    assert!(back.starts_with(page), "{back}");

    let (status, html) = html_page(&app, &admin, &back).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"value="12.5.5""#), "{html}");
    assert!(html.contains(r#"value="2031-02-03""#));
    assert!(html.contains(r#"value="Hackathon prize""#));
    assert!(html.contains(r#"aria-invalid="true""#));

    // Another user's page does not take them.
    create_user(&app, "other@example.org", "developer").await;
    let (_, other) = html_page(&app, &admin, "/admin/credits?email=other%40example.org").await;
    assert!(!other.contains("Hackathon prize"));
    let (_, again) = html_page(&app, &admin, page).await;
    assert!(!again.contains("Hackathon prize"));
}

/// The organization `slug`, owned by a new developer: its team and a
/// browser signed in as its owner.
async fn organization(app: &TestApp, slug: &str, owner: &str) -> (Uuid, Client) {
    let (_, client) = crate::organizations::person(app, owner).await;
    let team = crate::organizations::create_org(app, &client, slug, "UTC").await;
    (team, client)
}

/// The available credit of the organization `team`'s pool (0 without one).
async fn pool_available(app: &TestApp, team: Uuid) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "select available from credit_accounts where owner_kind = 'organization' and owner_id = $1",
    )
    .bind(team)
    .fetch_optional(&app.pool)
    .await
    .expect("balance")
    .unwrap_or(0)
}

/// The `credits.grant` entries of the organization's own audit trail, as
/// its owner reads them.
async fn org_grants(app: &TestApp, owner: &Client, slug: &str) -> Vec<Value> {
    let trail = ok_json(
        app.post_form_with(owner, "/api/org_audit", &[("slug", slug)])
            .await,
    )
    .await;
    trail["entries"]["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "credits.grant")
        .cloned()
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_bulk_file_grants_to_organizations_by_slug_once_alongside_users_by_email(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev, admin) = admin_and_developer(&app).await;
    let (acme, acme_owner) = organization(&app, "acme-labs", "owner@acme.test").await;
    let (globex, globex_owner) = organization(&app, "globex", "owner@globex.test").await;
    let mixed = "organization,amount,expiry,reason\n\
        acme-labs,100,,Pilot\n\
        dev@example.org,10,,Hackathon\n\
        no-such-org,5,,Pilot\n\
        globex,2.5,2099-12-31,Pilot\n\
        acme-labs,100,,Pilot\n";

    // Previewed: an unknown slug is the row's problem; nothing is granted.
    let draft = upload(&app, &admin, &file_form(mixed.as_bytes())).await;
    let preview = bulk_report(&app, &admin, &draft, "").await;
    let expected: Vec<(i64, String)> = [
        (2, "ready"),
        (3, "ready"),
        (4, "invalid"),
        (5, "ready"),
        (6, "invalid"),
    ]
    .into_iter()
    .map(|(l, s)| (l, s.to_owned()))
    .collect();
    assert_eq!(statuses(&preview), expected);
    let items = preview["rows"]["items"].as_array().expect("rows");
    assert_eq!(items[2]["message"], "No organization has this slug.");
    assert_eq!(items[4]["message"], "Duplicate of line 2.");
    assert_eq!(preview["total_micros"], 112_500_000);
    assert_eq!(
        (pool_available(&app, acme).await, available(&app, dev).await),
        (0, 0)
    );
    assert!(org_grants(&app, &acme_owner, "acme-labs").await.is_empty());

    // Applied: each pool and the user get theirs, and each organization's
    // trail shows its grant.
    let applied = apply(&app, &admin, &draft).await;
    let expected: Vec<(i64, String)> = [
        (2, "granted"),
        (3, "granted"),
        (4, "invalid"),
        (5, "granted"),
        (6, "invalid"),
    ]
    .into_iter()
    .map(|(l, s)| (l, s.to_owned()))
    .collect();
    assert_eq!(statuses(&applied), expected);
    assert_eq!(applied["total_micros"], 112_500_000);
    assert_eq!(pool_available(&app, acme).await, 100_000_000);
    assert_eq!(pool_available(&app, globex).await, 2_500_000);
    assert_eq!(available(&app, dev).await, 10_000_000);
    let acme_grants = org_grants(&app, &acme_owner, "acme-labs").await;
    assert_eq!(acme_grants.len(), 1, "{acme_grants:?}");
    let details = acme_grants[0]["details"].as_str().expect("details");
    assert!(details.contains("100000000"), "{details}");
    assert!(details.contains("Pilot"), "{details}");
    assert!(
        acme_grants[0]["actor"]
            .as_str()
            .is_some_and(|a| a.contains("admin@lab.example")),
        "{acme_grants:?}"
    );
    assert_eq!(
        org_grants(&app, &globex_owner, "globex").await.len(),
        1,
        "globex's own grant in its own trail"
    );
    assert_eq!(audited(&app, "credits.grant").await.len(), 3);

    // The same file again, applied or uploaded anew, grants nothing twice.
    let twice = apply(&app, &admin, &draft).await;
    let expected: Vec<(i64, String)> = [
        (2, "already_granted"),
        (3, "already_granted"),
        (4, "invalid"),
        (5, "already_granted"),
        (6, "invalid"),
    ]
    .into_iter()
    .map(|(l, s)| (l, s.to_owned()))
    .collect();
    assert_eq!(statuses(&twice), expected);
    assert_eq!(twice["total_micros"], 0);
    let again = upload(&app, &admin, &pasted_form(mixed)).await;
    let preview = bulk_report(&app, &admin, &again, "").await;
    assert_eq!(statuses(&preview), expected);
    assert_eq!(statuses(&apply(&app, &admin, &again).await), expected);
    assert_eq!(pool_available(&app, acme).await, 100_000_000);
    assert_eq!(pool_available(&app, globex).await, 2_500_000);
    assert_eq!(available(&app, dev).await, 10_000_000);
    assert_eq!(org_grants(&app, &acme_owner, "acme-labs").await.len(), 1);
    assert_eq!(audited(&app, "credits.grant").await.len(), 3);

    // The recipient column may be named email, organization or recipient.
    for (n, column) in ["email", "recipient"].into_iter().enumerate() {
        let text = format!(
            "{column},amount,reason\nacme-labs,1,Top-up {n}\ndev@example.org,1,Top-up {n}\n"
        );
        let draft = upload(&app, &admin, &pasted_form(&text)).await;
        let applied = apply(&app, &admin, &draft).await;
        assert_eq!(
            statuses(&applied),
            [(2, "granted".to_owned()), (3, "granted".to_owned())],
            "{column}"
        );
    }
    assert_eq!(pool_available(&app, acme).await, 102_000_000);
    assert_eq!(available(&app, dev).await, 12_000_000);
    assert_eq!(org_grants(&app, &acme_owner, "acme-labs").await.len(), 3);
    ledger_is_consistent(&app).await;
}
