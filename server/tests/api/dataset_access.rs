//! Access beyond "open", over HTTP: a terms dataset's files once its current
//! terms are accepted (the acceptance recorded with its version, time and
//! address; asked again when the terms change); an approval dataset's files
//! once Lab staff approve a request whose answers the form checked, with
//! each decision emailed and audited, and a revocation that closes the door
//! again. Browser and API key alike; the viewer shows the first page only to
//! those without access.

use app::server::datasets::{seed, storage::Store};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{create_user, page, signed_in, spawn_app, TestApp};
use crate::keys::{create_key, ok_json};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/datasets");

async fn seeded(pool: PgPool) -> TestApp {
    let app = spawn_app(pool).await;
    seed::load(
        &app.pool,
        &Store::new(std::env::temp_dir().join("lab-portal-test-datasets")),
        std::path::Path::new(SEED),
    )
    .await
    .expect("the starter catalog loads");
    app
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    page(app, client, path).await.text().await.expect("html")
}

#[sqlx::test(migrations = false)]
async fn a_terms_dataset_opens_once_its_current_terms_are_accepted(pool: PgPool) {
    let app = seeded(pool).await;
    let file = format!(
        "{}/datasets/pima-diabetes/v/1/files/pima-train.csv",
        app.address
    );
    let user = create_user(&app, "reader@example.com", "developer").await;
    let browser = signed_in(&app, "reader@example.com").await;
    let (status, body) = get(&browser, &file).await;
    assert_eq!(status, 403);
    assert!(body.contains("Accept this dataset's terms"), "{body}");
    let page_html = html(&app, &browser, "/datasets/pima-diabetes").await;
    assert!(page_html.contains("Make no attempt to identify any person"));
    assert!(page_html.contains("Accept the terms"));
    // The viewer: the first page only, before.
    let viewer = html(&app, &browser, "/datasets/pima-diabetes/viewer?sort=age").await;
    assert!(viewer.contains("first rows are shown here") && !viewer.contains("aria-sort"));

    // Accepting terms that changed since the page was read is refused.
    let stale = app
        .post_form_with(
            &browser,
            "/api/accept_dataset_terms",
            &[("slug", "pima-diabetes"), ("version", "2")],
        )
        .await;
    assert_eq!(stale.status(), 409);
    let accepted = app
        .post_form_with(
            &browser,
            "/api/accept_dataset_terms",
            &[("slug", "pima-diabetes"), ("version", "1")],
        )
        .await;
    assert_eq!(accepted.status(), 200);
    let (version, addr): (i32, String) = sqlx::query_as(
        "select terms_version, host(client_addr) from dataset_terms_acceptances where user_id = $1",
    )
    .bind(user)
    .fetch_one(&app.pool)
    .await
    .expect("recorded");
    assert_eq!((version, addr.as_str()), (1, "127.0.0.1"));
    let (status, body) = get(&browser, &file).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("npreg,"));
    let key = create_key(&app, &browser, "script").await["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let scripted = reqwest::Client::new()
        .get(&file)
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_eq!(scripted.status(), 200);
    let viewer = html(&app, &browser, "/datasets/pima-diabetes/viewer?sort=age").await;
    assert!(
        viewer.contains(r#"aria-sort="ascending""#),
        "the whole viewer now"
    );
    assert!(html(&app, &browser, "/datasets/pima-diabetes")
        .await
        .contains("You accepted these terms on"));

    // New terms: asked again, by browser and by script alike.
    sqlx::query("update datasets set terms = terms || ' Results are shared with the Lab.' where slug = 'pima-diabetes'")
        .execute(&app.pool)
        .await
        .expect("terms changed");
    assert_eq!(get(&browser, &file).await.0, 403);
    let scripted = reqwest::Client::new()
        .get(&file)
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_eq!(scripted.status(), 403);
    assert!(html(&app, &browser, "/datasets/pima-diabetes")
        .await
        .contains("The terms changed since you accepted version 1"));
    let again = app
        .post_form_with(
            &browser,
            "/api/accept_dataset_terms",
            &[("slug", "pima-diabetes"), ("version", "2")],
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(get(&browser, &file).await.0, 200);

    // Anonymous visitors are asked to sign in, not shown a form.
    let anonymous = html(&app, &app.client, "/datasets/pima-diabetes").await;
    assert!(
        anonymous.contains("Sign in to accept them") && !anonymous.contains("Accept the terms")
    );
}

fn answers<'a>(purpose: &'a str, country: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", "tech-stock-prices"),
        ("answers[purpose]", purpose),
        ("answers[sector]", "University or school"),
        ("answers[country]", country),
        ("answers[no_trading]", "yes"),
    ]
}

/// The emails sent to `to`, newest first: (subject, body).
async fn mail(app: &TestApp, to: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "select subject, body_text from outbox where recipient = $1 order by created_at desc",
    )
    .bind(to)
    .fetch_all(&app.pool)
    .await
    .expect("outbox")
}

#[sqlx::test(migrations = false)]
async fn an_approval_dataset_opens_when_staff_approve_and_closes_when_they_revoke(pool: PgPool) {
    let app = seeded(pool).await;
    let file = format!(
        "{}/datasets/tech-stock-prices/v/1/files/stocks.csv",
        app.address
    );
    create_user(&app, "analyst@example.com", "developer").await;
    create_user(&app, "staff@example.com", "admin").await;
    let browser = signed_in(&app, "analyst@example.com").await;
    let admin = signed_in(&app, "staff@example.com").await;
    let (status, body) = get(&browser, &file).await;
    assert_eq!(status, 403);
    assert!(body.contains("approved access request"), "{body}");
    let form = html(&app, &browser, "/datasets/tech-stock-prices").await;
    assert!(
        form.contains("What will you use these prices for?") && form.contains("Ask for access")
    );

    // The form's answers are checked, each error naming its field.
    let bad = app
        .post_form_with(
            &browser,
            "/api/request_dataset_access",
            &[("slug", "tech-stock-prices"), ("answers[country]", "XX")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let errors: Value = bad.json().await.expect("json");
    let text = errors.to_string();
    for field in [
        "answers[purpose]",
        "answers[sector]",
        "answers[country]",
        "answers[no_trading]",
    ] {
        assert!(text.contains(field), "{field}: {text}");
    }
    let sent = app
        .post_form_with(
            &browser,
            "/api/request_dataset_access",
            &answers("A course on forecasting", "sg"),
        )
        .await;
    assert_eq!(sent.status(), 200);
    let twice = app
        .post_form_with(
            &browser,
            "/api/request_dataset_access",
            &answers("Again", "sg"),
        )
        .await;
    assert_eq!(twice.status(), 409);
    assert_eq!(get(&browser, &file).await.0, 403, "pending is not approved");
    assert!(html(&app, &browser, "/datasets/tech-stock-prices")
        .await
        .contains("your request is waiting for review"));

    // Staff see it with the answers labelled, and must give a reason to
    // reject.
    let queue = ok_json(
        app.post_form_with(&admin, "/api/admin_list_dataset_access", &[])
            .await,
    )
    .await;
    let request = &queue["items"][0];
    assert_eq!(request["slug"], "tech-stock-prices");
    assert_eq!(
        request["answers"][0],
        serde_json::json!([
            "What will you use these prices for?",
            "A course on forecasting"
        ])
    );
    assert_eq!(request["answers"][2], serde_json::json!(["Country", "SG"]));
    let id = request["id"].as_str().expect("id").to_owned();
    let no_reason = app
        .post_form_with(
            &admin,
            "/api/admin_decide_dataset_access",
            &[("request_id", &id), ("decision", "reject"), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status(), 422);
    let refused = app
        .post_form_with(
            &browser,
            "/api/admin_decide_dataset_access",
            &[("request_id", &id), ("decision", "approve")],
        )
        .await;
    assert_eq!(refused.status(), 403, "a developer cannot decide");
    let approved = app
        .post_form_with(
            &admin,
            "/api/admin_decide_dataset_access",
            &[("request_id", &id), ("decision", "approve")],
        )
        .await;
    assert_eq!(approved.status(), 200);
    let again = app
        .post_form_with(
            &admin,
            "/api/admin_decide_dataset_access",
            &[("request_id", &id), ("decision", "approve")],
        )
        .await;
    assert_eq!(again.status(), 409, "decided once");
    let emails = mail(&app, "analyst@example.com").await;
    assert!(emails[0].0.contains("is approved"), "{emails:?}");
    assert!(emails[0].1.contains("/datasets/tech-stock-prices"));
    let (status, body) = get(&browser, &file).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("symbol,"));
    let key = create_key(&app, &browser, "script").await["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let by_key = |key: String| {
        let file = file.clone();
        async move {
            reqwest::Client::new()
                .get(&file)
                .bearer_auth(key)
                .send()
                .await
                .expect("request")
                .status()
        }
    };
    assert_eq!(by_key(key.clone()).await, 200);

    // Revoked: closed again, told why, and free to ask again.
    let revoked = app
        .post_form_with(
            &admin,
            "/api/admin_decide_dataset_access",
            &[
                ("request_id", &id),
                ("decision", "revoke"),
                ("reason", "The source asked us to stop sharing it."),
            ],
        )
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(get(&browser, &file).await.0, 403);
    assert_eq!(by_key(key).await, 403);
    let emails = mail(&app, "analyst@example.com").await;
    assert!(emails[0].0.contains("was withdrawn"));
    assert!(emails[0]
        .1
        .contains("Reason: The source asked us to stop sharing it."));
    let page_html = html(&app, &browser, "/datasets/tech-stock-prices").await;
    assert!(
        page_html.contains("Your access was withdrawn") && page_html.contains("Ask for access")
    );

    // A second request, rejected with a reason.
    let sent = app
        .post_form_with(
            &browser,
            "/api/request_dataset_access",
            &answers("Backtesting a strategy", "DE"),
        )
        .await;
    assert_eq!(sent.status(), 200);
    let queue = ok_json(
        app.post_form_with(
            &admin,
            "/api/admin_list_dataset_access",
            &[("status", "pending"), ("dataset", "tech-stock-prices")],
        )
        .await,
    )
    .await;
    let second = queue["items"][0]["id"].as_str().expect("id").to_owned();
    assert_ne!(second, id);
    let rejected = app
        .post_form_with(
            &admin,
            "/api/admin_decide_dataset_access",
            &[
                ("request_id", &second),
                ("decision", "reject"),
                ("reason", "Trading uses are outside the Lab's terms."),
            ],
        )
        .await;
    assert_eq!(rejected.status(), 200);
    assert!(mail(&app, "analyst@example.com").await[0]
        .1
        .contains("Reason: Trading uses are outside the Lab's terms."));
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where target_type = 'dataset_access_request' order by created_at",
    )
    .fetch_all(&app.pool)
    .await
    .expect("audit");
    assert_eq!(
        actions,
        [
            "dataset_access.approve",
            "dataset_access.revoke",
            "dataset_access.reject"
        ]
    );
    let revoked_tab = ok_json(
        app.post_form_with(
            &admin,
            "/api/admin_list_dataset_access",
            &[("status", "revoked")],
        )
        .await,
    )
    .await;
    assert_eq!(revoked_tab["total"], 1);
    let admin_page = html(&app, &admin, "/admin/datasets/access?status=rejected").await;
    assert!(admin_page.contains("Trading uses are outside the Lab"));
}
