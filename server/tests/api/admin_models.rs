//! Providers and models in the admin console: every function refuses
//! visitors and developers; providers and priced models are added, edited,
//! disabled and listed; bad input gets one message per field; public ids
//! and provider names are unique; every change is audited in its own
//! transaction; the simulator keeps its server-managed settings; and a
//! provider's secret never appears anywhere, only its variable's name.

use crate::helpers::{carries_form_error, create_user, signed_in, spawn_app, TestApp};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const SOME_ID: &str = "00000000-0000-7000-8000-000000000000";

/// A variable no test process has.
const UNSET_VARIABLE: &str = "LAB_PORTAL_TEST_SURELY_UNSET_9Q7Z";

/// A valid provider form.
fn provider_form<'a>(
    name: &'a str,
    base_url: &'a str,
    secret_env: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("base_url", base_url),
        ("secret_env", secret_env),
        ("timeout_ms", "30000"),
    ]
}

/// A valid, priced chat model form on `provider`.
fn model_form<'a>(public_id: &'a str, provider: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("public_id", public_id),
        ("provider_id", provider),
        ("upstream_model", "acme-large-2"),
        ("kind", "chat"),
        ("input_price", "0.5"),
        ("output_price", "1.5"),
        ("context_window", "32000"),
        ("max_output_tokens", "4000"),
    ]
}

/// `form` with `field` set to `value`.
fn with<'a>(
    mut form: Vec<(&'a str, &'a str)>,
    field: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    for pair in &mut form {
        if pair.0 == field {
            pair.1 = value;
        }
    }
    form
}

/// Every model function of the admin console, with arguments it accepts.
fn endpoints() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut update_provider = provider_form("Sneaky", "https://sneaky.example", "");
    update_provider.push(("id", SOME_ID));
    let mut update_model = model_form("sneaky-model", SOME_ID);
    update_model.push(("id", SOME_ID));
    vec![
        ("admin_model_catalog", vec![]),
        (
            "admin_create_provider",
            provider_form("Sneaky", "https://sneaky.example", ""),
        ),
        ("admin_update_provider", update_provider),
        ("admin_create_model", model_form("sneaky-model", SOME_ID)),
        ("admin_update_model", update_model),
        (
            "admin_set_model_enabled",
            vec![("id", SOME_ID), ("enabled", "false")],
        ),
    ]
}

/// An admin and a browser signed in as them.
async fn admin(app: &TestApp) -> (Uuid, Client) {
    let id = create_user(app, "admin@lab.example", "admin").await;
    (id, signed_in(app, "admin@lab.example").await)
}

async fn post(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
    app.post_form_with(client, &format!("/api/{endpoint}"), form)
        .await
}

async fn ok_json(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    body
}

/// Calls `endpoint`, which must succeed.
async fn ok(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    ok_json(post(app, client, endpoint, form).await).await
}

/// The fields named by a 422 answer, in order.
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

/// The message of a 422 answer for `field`.
async fn field_message(response: Response, field: &str) -> String {
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422, "{body}");
    body["Validation"]
        .as_array()
        .expect("field errors")
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no message for {field}: {body}"))
        .to_owned()
}

/// `(actor, target_id, before, after)` of every audit record of `action`.
async fn audited(
    app: &TestApp,
    action: &str,
) -> Vec<(Option<Uuid>, String, Option<Value>, Option<Value>)> {
    sqlx::query_as(
        "select actor_id, target_id, before, after from audit_log where action = $1 order by id",
    )
    .bind(action)
    .fetch_all(&app.pool)
    .await
    .expect("audit log")
}

async fn audit_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log")
        .fetch_one(&app.pool)
        .await
        .expect("audit log")
}

async fn provider_id(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar("select id from providers where name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .expect("provider")
}

async fn model_id(app: &TestApp, public_id: &str) -> Uuid {
    sqlx::query_scalar("select id from models where public_id = $1")
        .bind(public_id)
        .fetch_one(&app.pool)
        .await
        .expect("model")
}

/// The simulator provider's id (registered at start-up, or made here when
/// the server does not register one).
async fn simulator(app: &TestApp) -> Uuid {
    sqlx::query(
        "insert into providers (id, name, base_url, timeout_ms, is_simulator)
         values ($1, 'simulator', 'http://127.0.0.1:9/simulator/v1', 30000, true)
         on conflict do nothing",
    )
    .bind(Uuid::now_v7())
    .execute(&app.pool)
    .await
    .expect("simulator");
    sqlx::query_scalar("select id from providers where is_simulator")
        .fetch_one(&app.pool)
        .await
        .expect("the simulator")
}

/// Loads a page as a browser does; it must answer 200.
async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    let response = client
        .get(format!("{}{path}", app.address))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("request failed");
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.expect("html")
}

/// An entry of the catalog's `list` (providers or models) whose `key` is `value`.
fn entry<'a>(catalog: &'a Value, list: &str, key: &str, value: &str) -> &'a Value {
    catalog[list]
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e[key] == value)
        .unwrap_or_else(|| panic!("no {list} with {key} {value}: {catalog}"))
}

#[sqlx::test(migrations = false)]
async fn every_model_function_refuses_visitors_and_developers(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "dev@example.org", "developer").await;
    let provider = plain_provider(&app).await;
    let model = Uuid::now_v7();
    sqlx::query(
        "insert into models (id, public_id, provider_id, upstream_model) values ($1, 'kept-model-q7', $2, 'up')",
    )
    .bind(model)
    .bind(provider)
    .execute(&app.pool)
    .await
    .expect("model");
    let (provider, model) = (provider.to_string(), model.to_string());
    let visitor = app.new_browser();
    let developer = signed_in(&app, "dev@example.org").await;
    let before = audit_count(&app).await;
    for (endpoint, form) in endpoints() {
        // Aimed at real rows, so a missing check would change something.
        let form: Vec<(&str, &str)> = form
            .into_iter()
            .map(|(k, v)| match (k, v) {
                ("id", _) if endpoint.contains("provider") => (k, provider.as_str()),
                ("id", _) => (k, model.as_str()),
                ("provider_id", _) => (k, provider.as_str()),
                other => other,
            })
            .collect();
        let (status, body) = TestApp::error_of(post(&app, &visitor, endpoint, &form).await).await;
        assert_eq!(
            (status, &body),
            (401, &json!("Unauthorized")),
            "{endpoint} for a visitor"
        );
        let (status, body) = TestApp::error_of(post(&app, &developer, endpoint, &form).await).await;
        assert_eq!(
            (status, &body),
            (403, &json!("Forbidden")),
            "{endpoint} for a developer"
        );
    }
    let sneaky: i64 = sqlx::query_scalar(
        "select (select count(*) from providers where name = 'Sneaky')
              + (select count(*) from models where public_id = 'sneaky-model' or not enabled)",
    )
    .fetch_one(&app.pool)
    .await
    .expect("count");
    assert_eq!(sneaky, 0, "nothing changed");
    assert_eq!(audit_count(&app).await, before);

    for path in [
        "/admin/models".to_owned(),
        "/admin/models/new".to_owned(),
        "/admin/models/providers/new".to_owned(),
        format!("/admin/models/providers/{provider}"),
        format!("/admin/models/{model}"),
    ] {
        let response = developer
            .get(format!("{}{path}", app.address))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 403, "{path}");
        let html = response.text().await.expect("html");
        assert!(
            html.contains("Not allowed") && !html.contains("kept-model-q7"),
            "{path}"
        );
    }
}

/// A provider "Acme", made directly in the database.
async fn plain_provider(app: &TestApp) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into providers (id, name, base_url) values ($1, 'Acme', 'https://api.acme.example/v1')",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .expect("provider");
    id
}

#[sqlx::test(migrations = false)]
async fn an_admin_adds_a_provider_and_a_priced_model_and_the_list_shows_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;

    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form(" Acme AI ", "HTTPS://api.acme.example/v1/", "ACME_API_KEY"),
    )
    .await;
    let provider = provider_id(&app, "Acme AI").await;
    let stored: (String, Option<String>, i32, bool) = sqlx::query_as(
        "select base_url, secret_env, timeout_ms, is_simulator from providers where id = $1",
    )
    .bind(provider)
    .fetch_one(&app.pool)
    .await
    .expect("provider");
    assert_eq!(
        stored,
        (
            "https://api.acme.example/v1".to_owned(),
            Some("ACME_API_KEY".to_owned()),
            30_000,
            false
        )
    );
    let created = audited(&app, "provider.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0, Some(admin_id));
    assert_eq!(created[0].1, provider.to_string());
    assert_eq!(created[0].2, None);
    assert_eq!(
        created[0].3,
        Some(json!({
            "name": "Acme AI",
            "base_url": "https://api.acme.example/v1",
            "secret_env": "ACME_API_KEY",
            "timeout_ms": 30000,
            "is_simulator": false,
        }))
    );

    let provider = provider.to_string();
    ok(
        &app,
        &admin,
        "admin_create_model",
        &model_form("acme/large:v2", &provider),
    )
    .await;
    let model = model_id(&app, "acme/large:v2").await;
    let stored: (Option<i64>, Option<i64>, i32, i32, bool, String) = sqlx::query_as(
        "select input_price, output_price, context_window, max_output_tokens, enabled, kind from models where id = $1",
    )
    .bind(model)
    .fetch_one(&app.pool)
    .await
    .expect("model");
    assert_eq!(
        stored,
        (
            Some(500_000),
            Some(1_500_000),
            32_000,
            4_000,
            true,
            "chat".to_owned()
        ),
        "prices in micro-credits per million tokens"
    );
    let created = audited(&app, "model.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        (created[0].0, created[0].1.as_str()),
        (Some(admin_id), model.to_string().as_str())
    );
    let after = created[0].3.as_ref().expect("after");
    assert_eq!(after["provider"], "Acme AI");
    assert_eq!(after["input_price_micros"], 500_000);
    assert_eq!(after["enabled"], true);

    let catalog = ok(&app, &admin, "admin_model_catalog", &[]).await;
    let listed = entry(&catalog, "providers", "name", "Acme AI");
    assert_eq!(listed["models"], 1);
    assert_eq!(listed["is_simulator"], false);
    let listed = entry(&catalog, "models", "public_id", "acme/large:v2");
    assert_eq!(listed["provider_name"], "Acme AI");
    assert_eq!(
        (&listed["input_price"], &listed["output_price"]),
        (&json!(500_000), &json!(1_500_000))
    );
    assert_eq!(listed["enabled"], true);

    let html = page(&app, &admin, "/admin/models").await;
    for text in [
        "Acme AI",
        "https://api.acme.example/v1",
        "ACME_API_KEY",
        "acme/large:v2",
        "acme-large-2",
        ">32,000 / 4,000<",
        ">0.5 / 1.5<",
        r#"href="/admin/models""#,
    ] {
        assert!(html.contains(text), "the list shows {text}: {html}");
    }
    let html = page(&app, &admin, &format!("/admin/models/{model}")).await;
    assert!(html.contains(r#"value="acme/large:v2""#), "{html}");
    assert!(html.contains(r#"value="0.5""#), "{html}");
    let html = page(&app, &admin, &format!("/admin/models/providers/{provider}")).await;
    assert!(html.contains(r#"value="Acme AI""#), "{html}");
}

#[sqlx::test(migrations = false)]
async fn bad_input_gets_a_message_on_each_field_and_changes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    let audits = audit_count(&app).await;

    let bad_provider = [
        ("name", " "),
        ("base_url", "ftp://files.example"),
        ("secret_env", "sk-live-123"),
        ("timeout_ms", "99"),
    ];
    assert_eq!(
        invalid_fields(post(&app, &admin, "admin_create_provider", &bad_provider).await).await,
        ["name", "base_url", "secret_env", "timeout_ms"]
    );
    for (field, value) in [
        ("name", "x".repeat(61)),
        ("name", "SIMULATOR".to_owned()),
        ("base_url", "https://".to_owned()),
        ("base_url", format!("https://a.example/{}", "p".repeat(490))),
        ("secret_env", "9LIVES".to_owned()),
        ("timeout_ms", "600001".to_owned()),
        ("timeout_ms", "fast".to_owned()),
    ] {
        let form = with(
            provider_form("Acme", "https://api.acme.example", ""),
            field,
            &value,
        );
        assert_eq!(
            invalid_fields(post(&app, &admin, "admin_create_provider", &form).await).await,
            [field],
            "{field} = {value}"
        );
    }

    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Acme", "https://api.acme.example", ""),
    )
    .await;
    let message = field_message(
        post(
            &app,
            &admin,
            "admin_create_provider",
            &provider_form("ACME", "https://other.example", ""),
        )
        .await,
        "name",
    )
    .await;
    assert!(message.contains("already"), "{message}");
    let provider = provider_id(&app, "Acme").await.to_string();

    let bad_model = [
        ("public_id", "-starts-badly"),
        ("provider_id", "not-a-provider"),
        ("upstream_model", ""),
        ("kind", "image"),
        ("input_price", "-1"),
        ("output_price", "0.0000001"),
        ("context_window", "0"),
        ("max_output_tokens", "many"),
    ];
    assert_eq!(
        invalid_fields(post(&app, &admin, "admin_create_model", &bad_model).await).await,
        [
            "public_id",
            "provider_id",
            "upstream_model",
            "kind",
            "input_price",
            "output_price",
            "context_window",
            "max_output_tokens"
        ]
    );
    let unknown = Uuid::now_v7().to_string();
    for (field, form) in [
        ("provider_id", model_form("m1", &unknown)),
        (
            "max_output_tokens",
            with(model_form("m1", &provider), "max_output_tokens", "32001"),
        ),
        (
            "public_id",
            with(model_form("m1", &provider), "public_id", "has space"),
        ),
        (
            "context_window",
            with(model_form("m1", &provider), "context_window", "3000000000"),
        ),
    ] {
        assert_eq!(
            invalid_fields(post(&app, &admin, "admin_create_model", &form).await).await,
            [field],
            "{form:?}"
        );
    }

    let models: i64 = sqlx::query_scalar("select count(*) from models where public_id = 'm1'")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(models, 0);
    let providers: i64 =
        sqlx::query_scalar("select count(*) from providers where not is_simulator")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(providers, 1, "only the valid provider");
    assert_eq!(
        audit_count(&app).await,
        audits + 1,
        "only the valid provider is audited"
    );

    // Unknown rows are 404s, not validation errors.
    let mut form = model_form("m1", &provider);
    form.push(("id", &unknown));
    let (status, _) =
        TestApp::error_of(post(&app, &admin, "admin_update_model", &form).await).await;
    assert_eq!(status, 404);
    let (status, _) = TestApp::error_of(
        post(
            &app,
            &admin,
            "admin_set_model_enabled",
            &[("id", &unknown), ("enabled", "false")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    let mut form = provider_form("Other", "https://other.example", "");
    form.push(("id", &unknown));
    let (status, _) =
        TestApp::error_of(post(&app, &admin, "admin_update_provider", &form).await).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn public_ids_and_provider_names_are_unique(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Acme", "https://api.acme.example", ""),
    )
    .await;
    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Beta", "https://api.beta.example", ""),
    )
    .await;
    let provider = provider_id(&app, "Acme").await.to_string();
    ok(
        &app,
        &admin,
        "admin_create_model",
        &model_form("shared-id", &provider),
    )
    .await;
    ok(
        &app,
        &admin,
        "admin_create_model",
        &model_form("other-id", &provider),
    )
    .await;

    let message = field_message(
        post(
            &app,
            &admin,
            "admin_create_model",
            &model_form("shared-id", &provider),
        )
        .await,
        "public_id",
    )
    .await;
    assert!(message.contains("already"), "{message}");
    let other = model_id(&app, "other-id").await.to_string();
    let mut rename = model_form("shared-id", &provider);
    rename.push(("id", &other));
    assert_eq!(
        invalid_fields(post(&app, &admin, "admin_update_model", &rename).await).await,
        ["public_id"]
    );
    let count: i64 =
        sqlx::query_scalar("select count(*) from models where public_id = 'shared-id'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(count, 1);

    let beta = provider_id(&app, "Beta").await.to_string();
    let mut rename = provider_form("acme", "https://api.beta.example", "");
    rename.push(("id", &beta));
    assert_eq!(
        invalid_fields(post(&app, &admin, "admin_update_provider", &rename).await).await,
        ["name"]
    );
    // A provider may keep its own name in another case.
    let acme = provider_id(&app, "Acme").await.to_string();
    let mut recase = provider_form("ACME", "https://api.acme.example", "");
    recase.push(("id", &acme));
    ok(&app, &admin, "admin_update_provider", &recase).await;
    assert_eq!(provider_id(&app, "ACME").await.to_string(), acme);
}

#[sqlx::test(migrations = false)]
async fn edits_are_audited_with_before_and_after_and_saving_unchanged_records_nothing(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Acme", "https://api.acme.example", "ACME_KEY"),
    )
    .await;
    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Beta", "https://api.beta.example", ""),
    )
    .await;
    let (acme, beta) = (
        provider_id(&app, "Acme").await.to_string(),
        provider_id(&app, "Beta").await.to_string(),
    );
    ok(
        &app,
        &admin,
        "admin_create_model",
        &model_form("acme-chat", &acme),
    )
    .await;
    let model = model_id(&app, "acme-chat").await.to_string();

    let mut edit = vec![
        ("id", acme.as_str()),
        ("name", "Acme Cloud"),
        ("base_url", "https://eu.acme.example/v1"),
        ("secret_env", ""),
        ("timeout_ms", "120000"),
    ];
    ok(&app, &admin, "admin_update_provider", &edit).await;
    let updates = audited(&app, "provider.update").await;
    assert_eq!(updates.len(), 1);
    let (actor, target, before, after) = &updates[0];
    assert_eq!((*actor, target.as_str()), (Some(admin_id), acme.as_str()));
    let (before, after) = (
        before.as_ref().expect("before"),
        after.as_ref().expect("after"),
    );
    assert_eq!(
        (
            &before["name"],
            &before["secret_env"],
            &before["timeout_ms"]
        ),
        (&json!("Acme"), &json!("ACME_KEY"), &json!(30000))
    );
    assert_eq!(
        (
            &after["name"],
            &after["base_url"],
            &after["secret_env"],
            &after["timeout_ms"]
        ),
        (
            &json!("Acme Cloud"),
            &json!("https://eu.acme.example/v1"),
            &Value::Null,
            &json!(120000)
        )
    );
    // The same form again changes nothing and records nothing.
    edit[1].1 = " Acme Cloud ";
    ok(&app, &admin, "admin_update_provider", &edit).await;
    assert_eq!(audited(&app, "provider.update").await.len(), 1);

    // Moved to another provider, made unpriced, turned into an embedding model.
    let mut edit = with(
        with(
            with(model_form("acme-embed", &beta), "output_price", ""),
            "kind",
            "embedding",
        ),
        "max_output_tokens",
        "1",
    );
    edit.push(("id", &model));
    ok(&app, &admin, "admin_update_model", &edit).await;
    let stored: (String, Uuid, String, Option<i64>, Option<i64>, i32, bool) = sqlx::query_as(
        "select public_id, provider_id, kind, input_price, output_price, max_output_tokens, enabled
         from models where id = $1::uuid",
    )
    .bind(&model)
    .fetch_one(&app.pool)
    .await
    .expect("model");
    assert_eq!(
        stored,
        (
            "acme-embed".to_owned(),
            beta.parse().expect("uuid"),
            "embedding".to_owned(),
            Some(500_000),
            None,
            1,
            true
        )
    );
    let updates = audited(&app, "model.update").await;
    assert_eq!(updates.len(), 1);
    let (actor, target, before, after) = &updates[0];
    assert_eq!((*actor, target.as_str()), (Some(admin_id), model.as_str()));
    let (before, after) = (
        before.as_ref().expect("before"),
        after.as_ref().expect("after"),
    );
    assert_eq!(
        (
            &before["public_id"],
            &before["provider"],
            &before["output_price_micros"]
        ),
        (&json!("acme-chat"), &json!("Acme Cloud"), &json!(1_500_000))
    );
    assert_eq!(
        (
            &after["public_id"],
            &after["provider"],
            &after["output_price_micros"]
        ),
        (&json!("acme-embed"), &json!("Beta"), &Value::Null)
    );
    ok(&app, &admin, "admin_update_model", &edit).await;
    assert_eq!(
        audited(&app, "model.update").await.len(),
        1,
        "nothing changed"
    );

    // The list warns that the unpriced model is not served.
    let catalog = ok(&app, &admin, "admin_model_catalog", &[]).await;
    let listed = entry(&catalog, "models", "public_id", "acme-embed");
    assert_eq!(listed["output_price"], Value::Null);
    let html = page(&app, &admin, "/admin/models").await;
    assert!(html.contains("Unpriced — not served"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn disabling_and_enabling_a_model_is_audited_and_listed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Acme", "https://api.acme.example", ""),
    )
    .await;
    let provider = provider_id(&app, "Acme").await.to_string();
    ok(
        &app,
        &admin,
        "admin_create_model",
        &model_form("acme-chat", &provider),
    )
    .await;
    let model = model_id(&app, "acme-chat").await;
    let id = model.to_string();
    let is_enabled = || async {
        sqlx::query_scalar::<_, bool>("select enabled from models where id = $1")
            .bind(model)
            .fetch_one(&app.pool)
            .await
            .expect("model")
    };

    ok(
        &app,
        &admin,
        "admin_set_model_enabled",
        &[("id", &id), ("enabled", "false")],
    )
    .await;
    assert!(!is_enabled().await);
    let catalog = ok(&app, &admin, "admin_model_catalog", &[]).await;
    assert_eq!(
        entry(&catalog, "models", "public_id", "acme-chat")["enabled"],
        false
    );
    let html = page(&app, &admin, "/admin/models").await;
    assert!(
        html.contains(">Disabled<") && html.contains(">Enable<"),
        "{html}"
    );
    // Disabling a disabled model records nothing.
    ok(
        &app,
        &admin,
        "admin_set_model_enabled",
        &[("id", &id), ("enabled", "false")],
    )
    .await;
    ok(
        &app,
        &admin,
        "admin_set_model_enabled",
        &[("id", &id), ("enabled", "true")],
    )
    .await;
    assert!(is_enabled().await);

    let disabled = audited(&app, "model.disable").await;
    let enabled = audited(&app, "model.enable").await;
    assert_eq!((disabled.len(), enabled.len()), (1, 1));
    assert_eq!(
        (disabled[0].0, disabled[0].1.as_str()),
        (Some(admin_id), id.as_str())
    );
    assert_eq!(
        (&disabled[0].2, &disabled[0].3),
        (
            &Some(json!({ "public_id": "acme-chat", "enabled": true })),
            &Some(json!({ "public_id": "acme-chat", "enabled": false }))
        )
    );
    assert_eq!(
        enabled[0].3,
        Some(json!({ "public_id": "acme-chat", "enabled": true }))
    );
    // Editing a disabled model keeps it disabled, and editing never enables.
    ok(
        &app,
        &admin,
        "admin_set_model_enabled",
        &[("id", &id), ("enabled", "false")],
    )
    .await;
    let mut edit = with(model_form("acme-chat", &provider), "input_price", "0.75");
    edit.push(("id", &id));
    ok(&app, &admin, "admin_update_model", &edit).await;
    let stored: (bool, Option<i64>) =
        sqlx::query_as("select enabled, input_price from models where id = $1")
            .bind(model)
            .fetch_one(&app.pool)
            .await
            .expect("model");
    assert_eq!(stored, (false, Some(750_000)));
}

#[sqlx::test(migrations = false)]
async fn the_simulator_is_labelled_and_only_its_timeout_can_change(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    let simulator = simulator(&app).await;
    let (name, base_url): (String, String) =
        sqlx::query_as("select name, base_url from providers where id = $1")
            .bind(simulator)
            .fetch_one(&app.pool)
            .await
            .expect("simulator");
    let id = simulator.to_string();
    ok(
        &app,
        &admin,
        "admin_create_model",
        &model_form("sim-test", &id),
    )
    .await;

    let edit = [
        ("id", id.as_str()),
        ("name", "Hijacked"),
        ("base_url", "https://evil.example"),
        ("secret_env", "STOLEN"),
        ("timeout_ms", "5000"),
    ];
    ok(&app, &admin, "admin_update_provider", &edit).await;
    let stored: (String, String, Option<String>, i32, bool) = sqlx::query_as(
        "select name, base_url, secret_env, timeout_ms, is_simulator from providers where id = $1",
    )
    .bind(simulator)
    .fetch_one(&app.pool)
    .await
    .expect("simulator");
    assert_eq!(stored, (name.clone(), base_url.clone(), None, 5000, true));
    let updates = audited(&app, "provider.update").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].0, Some(admin_id));
    assert_eq!(updates[0].3.as_ref().expect("after")["timeout_ms"], 5000);
    // Its timeout is still checked.
    let only_timeout = [("id", id.as_str()), ("timeout_ms", "50")];
    assert_eq!(
        invalid_fields(post(&app, &admin, "admin_update_provider", &only_timeout).await).await,
        ["timeout_ms"]
    );

    let catalog = ok(&app, &admin, "admin_model_catalog", &[]).await;
    assert_eq!(
        catalog["providers"][0]["is_simulator"], true,
        "the simulator comes first"
    );
    assert_eq!(
        entry(&catalog, "models", "public_id", "sim-test")["provider_is_simulator"],
        true
    );
    let html = page(&app, &admin, "/admin/models").await;
    let badges = html.matches(">Simulator</span>").count();
    assert!(badges >= 2, "on the provider and on its model: {html}");
    let html = page(&app, &admin, &format!("/admin/models/providers/{id}")).await;
    assert!(
        html.contains("managed by the server") && html.contains(">Simulator</span>"),
        "{html}"
    );
    assert!(
        !html.contains(r#"name="base_url""#) && html.contains(r#"name="timeout_ms""#),
        "only the timeout is a field: {html}"
    );
    assert!(html.contains(&base_url), "{html}");
    let html = page(&app, &admin, "/admin/models/new").await;
    assert!(html.contains(&format!("{name} (Simulator)")), "{html}");
}

#[sqlx::test(migrations = false)]
async fn a_secret_is_never_shown_only_its_variable_name_and_whether_it_is_set(pool: PgPool) {
    // PATH is set in every test process (and this test only reads it), so
    // its value stands in for a secret the server can see.
    let secret = std::env::var("PATH").expect("PATH is set");
    assert!(std::env::var_os(UNSET_VARIABLE).is_none());
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Keyed", "https://keyed.example", "PATH"),
    )
    .await;
    ok(
        &app,
        &admin,
        "admin_create_provider",
        &provider_form("Unkeyed", "https://unkeyed.example", UNSET_VARIABLE),
    )
    .await;
    let keyed = provider_id(&app, "Keyed").await.to_string();
    let unkeyed = provider_id(&app, "Unkeyed").await.to_string();

    let response = post(&app, &admin, "admin_model_catalog", &[]).await;
    let text = response.text().await.expect("body");
    assert!(!text.contains(&secret), "the catalog never holds the value");
    let catalog: Value = serde_json::from_str(&text).expect("json");
    let listed = entry(&catalog, "providers", "name", "Keyed");
    assert_eq!(
        (&listed["secret_env"], &listed["secret_set"]),
        (&json!("PATH"), &json!(true))
    );
    let listed = entry(&catalog, "providers", "name", "Unkeyed");
    assert_eq!(
        (&listed["secret_env"], &listed["secret_set"]),
        (&json!(UNSET_VARIABLE), &json!(false))
    );

    let html = page(&app, &admin, "/admin/models").await;
    assert!(!html.contains(&secret), "the list never shows the value");
    assert!(html.contains("<code>PATH</code>"), "{html}");
    assert!(
        html.contains(&format!("<code>{UNSET_VARIABLE}</code>")),
        "{html}"
    );
    let row = |name: &str| -> String {
        let start = html.find(&format!(">{name}</a>")).expect("row");
        let end = html[start..].find("</tr>").expect("row end") + start;
        html[start..end].to_owned()
    };
    assert!(row("Keyed").contains(">Yes</span>"), "{}", row("Keyed"));
    assert!(row("Unkeyed").contains(">No</span>"), "{}", row("Unkeyed"));

    for (path, expected) in [
        (format!("/admin/models/providers/{keyed}"), "PATH is set"),
        (format!("/admin/models/providers/{unkeyed}"), "is not set"),
    ] {
        let html = page(&app, &admin, &path).await;
        assert!(!html.contains(&secret), "{path} never shows the value");
        assert!(html.contains(expected), "{path}: {html}");
    }
    let audit: Vec<String> = sqlx::query_scalar("select coalesce(after::text, '') from audit_log")
        .fetch_all(&app.pool)
        .await
        .expect("audit");
    assert!(audit.iter().all(|a| !a.contains(&secret)));
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from providers where position($1 in providers::text) > 0",
    )
    .bind(&secret)
    .fetch_one(&app.pool)
    .await
    .expect("providers");
    assert_eq!(stored, 0, "never stored");
}

#[sqlx::test(migrations = false)]
async fn pages_show_empty_states_and_404s(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    // Whatever the server registered at start-up (the simulator) goes.
    sqlx::query("delete from models")
        .execute(&app.pool)
        .await
        .expect("models");
    sqlx::query("delete from providers")
        .execute(&app.pool)
        .await
        .expect("providers");

    let html = page(&app, &admin, "/admin/models").await;
    assert!(
        html.contains("No providers yet") && html.contains("No models yet"),
        "{html}"
    );
    assert!(html.contains(r#"href="/admin/models/providers/new""#));
    let html = page(&app, &admin, "/admin/models/new").await;
    assert!(html.contains("Add a provider first"), "{html}");
    let html = page(&app, &admin, "/admin/models/providers/new").await;
    for field in ["name", "base_url", "secret_env", "timeout_ms"] {
        assert!(
            html.contains(&format!(r#"<label for="{field}""#)),
            "{field} is labelled: {html}"
        );
        assert!(
            html.contains(&format!(r#"aria-describedby="{field}-hint""#)),
            "{field} has its hint: {html}"
        );
    }

    for path in [
        format!("/admin/models/{}", Uuid::now_v7()),
        format!("/admin/models/providers/{}", Uuid::now_v7()),
        "/admin/models/not-an-id".to_owned(),
    ] {
        let response = admin
            .get(format!("{}{path}", app.address))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[sqlx::test(migrations = false)]
async fn forms_work_without_javascript(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    let from = "/admin/models/providers/new";
    let post_html = |form: Vec<(&'static str, &'static str)>| {
        admin
            .post(format!("{}/api/admin_create_provider", app.address))
            .header("origin", &app.address)
            .header("referer", format!("{}{from}", app.address))
            .header("accept", "text/html,application/xhtml+xml")
            .form(&form)
            .send()
    };

    let response = post_html(provider_form("Acme", "https://api.acme.example", ""))
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "/admin/models?done=provider-created"
    );
    let html = page(&app, &admin, "/admin/models?done=provider-created").await;
    assert!(html.contains("The provider is added."), "{html}");

    // A failed post comes back to the form, its error next to the field.
    let response = post_html(provider_form("Acme", "https://api.acme.example", ""))
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
    let back = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(carries_form_error(&response), "{back}");
    let html = page(&app, &admin, back.trim_start_matches(&app.address)).await;
    assert!(html.contains(r#"id="name-error""#), "{html}");
    assert!(
        html.contains("Another provider already has this name."),
        "{html}"
    );
    assert!(
        html.contains(r#"aria-describedby="name-hint name-error""#),
        "{html}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_model_counts_with_the_tokenizer_an_admin_chose_from_those_on_the_server(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    let provider = plain_provider(&app).await.to_string();
    // The catalog offers the built-in tokenizers and each folder on the
    // server (the tests' tokenizers directory holds one).
    let catalog = ok(&app, &admin, "admin_model_catalog", &[]).await;
    let offered: Vec<&str> = catalog["tokenizers"]
        .as_array()
        .expect("tokenizers")
        .iter()
        .filter_map(|t| t[0].as_str())
        .collect();
    assert_eq!(
        offered,
        [
            "heuristic",
            "tiktoken:cl100k_base",
            "tiktoken:o200k_base",
            "hf:tiny-chatml"
        ]
    );
    let form = with(model_form("counted", &provider), "upstream_model", "x");
    let mut chosen = form.clone();
    chosen.push(("tokenizer", "hf:tiny-chatml"));
    ok(&app, &admin, "admin_create_model", &chosen).await;
    let catalog = ok(&app, &admin, "admin_model_catalog", &[]).await;
    assert_eq!(
        entry(&catalog, "models", "public_id", "counted")["tokenizer"],
        "hf:tiny-chatml"
    );
    let created = audited(&app, "model.create").await;
    assert_eq!(
        created[0].3.as_ref().expect("after")["tokenizer"],
        "hf:tiny-chatml"
    );
    let edit_page = page(
        &app,
        &admin,
        &format!("/admin/models/{}", model_id(&app, "counted").await),
    )
    .await;
    assert!(
        edit_page.contains(r#"<option value="hf:tiny-chatml" selected"#),
        "{edit_page}"
    );

    // A folder that is not on this server, or no tokenizer at all, is refused.
    let mut missing = form.clone();
    missing[0].1 = "other";
    missing.push(("tokenizer", "hf:not-here"));
    let message = field_message(
        post(&app, &admin, "admin_create_model", &missing).await,
        "tokenizer",
    )
    .await;
    assert!(message.contains("not on the server"), "{message}");
    let mut bad = form;
    bad[0].1 = "other";
    bad.push(("tokenizer", "hf:../etc"));
    assert_eq!(
        invalid_fields(post(&app, &admin, "admin_create_model", &bad).await).await,
        ["tokenizer"]
    );
}
