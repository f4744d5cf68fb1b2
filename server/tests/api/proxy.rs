//! The inference proxy over HTTP, against the upstream simulator the portal
//! serves under `/simulator/v1`: every status, streaming and not, the usage
//! record and the ledger after each call.

use std::time::Duration;

use app::domain::credits::Credits;
use app::domain::tokenizer::TokenizerChoice;
use app::server::ledger::{self, Grant, Memo, Owner};
use app::server::tokenizer::load;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{create_user, database_url, page, signed_in, spawn_app, TestApp};

/// A developer with credits and an API key.
struct Caller {
    user: Uuid,
    account: Uuid,
    key_id: Uuid,
    key: String,
}

fn credits(n: i64) -> Credits {
    Credits::from_credits(n).expect("small")
}

async fn caller(app: &TestApp, grant: Credits) -> Caller {
    let user = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
         values ($1, $2, 'unused', 'Proxy Tester', 'developer', 'DE', now())",
    )
    .bind(user)
    .bind(format!("{user}@example.com"))
    .execute(&app.pool)
    .await
    .expect("user");
    let mut conn = app.pool.acquire().await.expect("conn");
    let account = ledger::account_for(&mut conn, Owner::User(user))
        .await
        .expect("account");
    drop(conn);
    if grant.is_positive() {
        ledger::grant(
            &app.pool,
            &Grant {
                account,
                amount: grant,
                expires_at: None,
                memo: Memo::default(),
            },
        )
        .await
        .expect("grant");
    }
    let (key_id, key) = new_key(app, user, account, None).await;
    Caller {
        user,
        account,
        key_id,
        key,
    }
}

async fn new_key(app: &TestApp, user: Uuid, account: Uuid, cap: Option<i64>) -> (Uuid, String) {
    let id = Uuid::now_v7();
    let public_id: String = id.simple().to_string()[20..32].to_owned();
    let key = format!("lp_{public_id}_{}", Uuid::new_v4().simple());
    sqlx::query(
        "insert into api_keys (id, user_id, account_id, name, public_id, secret_hash, spend_cap)
         values ($1, $2, $3, 'test', $4, $5, $6)",
    )
    .bind(id)
    .bind(user)
    .bind(account)
    .bind(&public_id)
    .bind(Sha256::digest(key.as_bytes()).to_vec())
    .bind(cap)
    .execute(&app.pool)
    .await
    .expect("key");
    (id, key)
}

/// A chat model on the simulator: `upstream` picks its behaviour.
async fn model(
    app: &TestApp,
    id: &str,
    upstream: &str,
    prices: Option<(i64, i64)>,
    timeout_ms: i32,
) {
    let provider: Uuid = sqlx::query_scalar(
        "insert into providers (id, name, base_url, timeout_ms)
         select $1, $2, base_url, $3 from providers where is_simulator returning id",
    )
    .bind(Uuid::now_v7())
    .bind(format!("sim-{id}"))
    .bind(timeout_ms)
    .fetch_one(&app.pool)
    .await
    .expect("provider");
    sqlx::query(
        "insert into models (id, public_id, provider_id, upstream_model, input_price, output_price, max_output_tokens)
         values ($1, $2, $3, $4, $5, $6, 1000)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(provider)
    .bind(upstream)
    .bind(prices.map(|p| p.0))
    .bind(prices.map(|p| p.1))
    .execute(&app.pool)
    .await
    .expect("model");
}

impl TestApp {
    async fn v1(&self, key: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/v1/{path}", self.address))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request")
    }
}

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("an OpenAI error body");
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(error["type"].is_string(), "{body}");
    assert!(error.get("param").is_some(), "{body}");
    (
        status,
        error["code"].as_str().unwrap_or_default().to_owned(),
    )
}

/// The account's balance once the proxy has returned its idle leases (a
/// couple of seconds after the last request), so that what is reserved is
/// only what requests still in flight hold.
async fn balance(app: &TestApp, account: Uuid) -> ledger::Balance {
    for _ in 0..100 {
        let leases: i64 = sqlx::query_scalar(
            "select count(*) from credit_holds where account_id = $1 and lease and status = 'open'",
        )
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .expect("leases");
        if leases == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ledger::balance(&app.pool, account).await.expect("balance")
}

async fn verify(app: &TestApp) {
    let violations = ledger::verify(&app.pool).await.expect("verify");
    assert!(violations.is_empty(), "{violations:?}");
}

/// (status, input, output, credits, streamed) of the usage records of a key.
async fn usage(app: &TestApp, key: Uuid) -> Vec<(i16, i32, i32, i64, bool)> {
    sqlx::query_as(
        "select status, input_tokens, output_tokens, credits, streamed from usage_records
         where key_id = $1 order by created_at",
    )
    .bind(key)
    .fetch_all(&app.pool)
    .await
    .expect("usage")
}

fn chat(model: &str, max_tokens: Option<u64>) -> Value {
    let mut body = json!({"model": model, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Tell me about the lab."},
    ]});
    if let Some(n) = max_tokens {
        body["max_tokens"] = json!(n);
    }
    body
}

/// 3 + (3 + 1 + 3) + (3 + 1 + 6): the simulator's and our count.
const PROMPT_TOKENS: u64 = 20;

#[sqlx::test(migrations = false)]
async fn a_chat_completion_is_charged_from_its_usage_and_recorded(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(10)).await;
    let response = app
        .v1(
            &who.key,
            "chat/completions",
            &chat("simulator-chat", Some(7)),
        )
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers.get("x-request-id").is_some());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["object"], "chat.completion");
    let content = body["choices"][0]["message"]["content"]
        .as_str()
        .expect("text");
    assert_eq!(content.split(' ').count(), 7);
    assert_eq!(body["usage"]["prompt_tokens"], PROMPT_TOKENS);
    assert_eq!(body["usage"]["completion_tokens"], 7);
    // 20 × 2 + 7 × 6 credits per million tokens = 82 micro-credits.
    assert_eq!(headers["x-credits-charged"], "0.000082");
    assert_eq!(headers["x-credits-remaining"], "9.999918");
    assert_eq!(
        balance(&app, who.account).await,
        ledger::Balance {
            available: 10_000_000 - 82,
            reserved: 0
        }
    );
    assert_eq!(usage(&app, who.key_id).await, vec![(200, 20, 7, 82, false)]);
    let spent: i64 = sqlx::query_scalar("select spent from api_keys where id = $1")
        .bind(who.key_id)
        .fetch_one(&app.pool)
        .await
        .expect("spent");
    assert_eq!(spent, 82);
    let _ = who.user;
    verify(&app).await;
}

#[sqlx::test(migrations = false)]
async fn the_reservation_covers_what_the_upstream_bills_for_schemas_and_choices(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(10)).await;
    // A response format's schema is part of the prompt the upstream bills,
    // and each of `n` choices is generated: a reservation of the messages'
    // text and one choice's output (what it was) charged a fraction.
    let properties: serde_json::Map<String, Value> = (0..40)
        .map(|i| {
            (
                format!("field_{i}"),
                json!({"type": "string", "description": "one of the answer's parts"}),
            )
        })
        .collect();
    let mut body = chat("simulator-chat", Some(1));
    body["n"] = json!(3);
    body["response_format"] = json!({"type": "json_schema", "json_schema": {
        "name": "answer", "schema": {"type": "object", "properties": properties}}});
    let response = app.v1(&who.key, "chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    let prompt = answer["usage"]["prompt_tokens"]
        .as_u64()
        .expect("prompt tokens");
    let completion = answer["usage"]["completion_tokens"]
        .as_u64()
        .expect("completion tokens");
    assert!(
        prompt > 10 * PROMPT_TOKENS,
        "the schema is billed: {prompt}"
    );
    assert_eq!(completion, 3);
    // Charged in full: the tokens at the model's prices (2 and 6 a token).
    let full = i64::try_from(prompt * 2 + completion * 6).expect("small");
    assert_eq!(
        usage(&app, who.key_id).await,
        vec![(200, i32::try_from(prompt).expect("small"), 3, full, false)]
    );
    verify(&app).await;
}

/// (credits, uncollected) of the usage records of a key.
async fn charged_and_uncollected(app: &TestApp, key: Uuid) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "select credits, uncollected from usage_records where key_id = $1 order by created_at",
    )
    .bind(key)
    .fetch_all(&app.pool)
    .await
    .expect("usage")
}

#[sqlx::test(migrations = false)]
async fn usage_past_the_reservation_is_charged_in_full_and_what_is_missing_is_uncollected(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    // An upstream that ignores `max_tokens`: 1 micro-credit a prompt token,
    // 100 an output token.
    model(
        &app,
        "sim-overshoot",
        "fault-overshoot",
        Some((1_000_000, 100_000_000)),
        5000,
    )
    .await;
    let call = |key: String| {
        let app = &app;
        async move {
            let response = app
                .v1(&key, "chat/completions", &chat("sim-overshoot", Some(1)))
                .await;
            assert_eq!(response.status(), 200);
            let charged = response.headers()["x-credits-charged"]
                .to_str()
                .expect("header")
                .to_owned();
            let body: Value = response.json().await.expect("json");
            let prompt = body["usage"]["prompt_tokens"].as_i64().expect("prompt");
            let completion = body["usage"]["completion_tokens"]
                .as_i64()
                .expect("completion");
            assert!(completion >= 12, "overshot max_tokens: {body}");
            (prompt + completion * 100, charged)
        }
    };

    // With credit to spare, the whole price is charged.
    let rich = caller(&app, credits(10)).await;
    let (price, charged) = call(rich.key.clone()).await;
    assert_eq!(
        charged,
        app::format::credits_plain(Credits::from_micros(price))
    );
    assert_eq!(
        charged_and_uncollected(&app, rich.key_id).await,
        vec![(price, 0)]
    );
    assert_eq!(
        balance(&app, rich.account).await.available,
        10_000_000 - price
    );

    // With less credit than the usage costs, the account pays all it has
    // and the rest is posted as uncollected, for admins to see.
    let poor = caller(&app, Credits::from_micros(500)).await;
    let (price, charged) = call(poor.key.clone()).await;
    assert_eq!(charged, "0.0005");
    assert_eq!(
        charged_and_uncollected(&app, poor.key_id).await,
        vec![(price, price - 500)]
    );
    assert_eq!(
        balance(&app, poor.account).await,
        ledger::Balance {
            available: 0,
            reserved: 0
        }
    );
    let uncollected: i64 = sqlx::query_scalar(
        "select available from credit_accounts where owner_kind = 'uncollected'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("uncollected account");
    assert_eq!(uncollected, price - 500);
    let spent: i64 = sqlx::query_scalar("select spent from api_keys where id = $1")
        .bind(poor.key_id)
        .fetch_one(&app.pool)
        .await
        .expect("spent");
    assert_eq!(spent, price, "the key's spending counts the whole price");
    verify(&app).await;

    // Admins see it on the overview and, request by request, on the
    // credits page.
    create_user(&app, "staff@lab.test", "admin").await;
    let admin = signed_in(&app, "staff@lab.test").await;
    let missing = Credits::from_micros(price - 500).to_string();
    let home = page(&app, &admin, "/admin")
        .await
        .text()
        .await
        .expect("html");
    assert!(home.contains("Uncollected credits") && home.contains(&missing));
    let listed = page(&app, &admin, "/admin/credits")
        .await
        .text()
        .await
        .expect("html");
    assert!(listed.contains(&format!("{}@example.com", poor.user)));
    assert!(listed.contains(&missing), "{listed}");
    assert!(!listed.contains(&format!("{}@example.com", rich.user)));
}

#[sqlx::test(migrations = false)]
async fn choices_beyond_the_cap_and_parts_other_than_text_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(10)).await;
    let mut many = chat("simulator-chat", Some(5));
    many["n"] = json!(9);
    let (status, _) = error_code(app.v1(&who.key, "chat/completions", &many).await).await;
    assert_eq!(status, 400);
    let image = json!({"model": "simulator-chat", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]});
    let response = app.v1(&who.key, "chat/completions", &image).await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["param"], "messages", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("text only")),
        "{body}"
    );
    // Refused before any charge; recorded as refusals.
    let records = usage(&app, who.key_id).await;
    assert!(
        records.iter().all(|r| r.0 == 400 && r.3 == 0),
        "{records:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn every_refusal_has_its_status_and_an_openai_error_body(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(1)).await;
    model(&app, "unpriced", "simulator-chat", None, 5000).await;
    model(
        &app,
        "pricey",
        "simulator-chat",
        Some((1_000_000_000_000, 1_000_000_000_000)),
        5000,
    )
    .await;
    model(&app, "sim-disabled", "simulator-chat", Some((1, 1)), 5000).await;
    sqlx::query("update models set enabled = false where public_id = 'sim-disabled'")
        .execute(&app.pool)
        .await
        .expect("disable");

    // 401: no key, a malformed key, an unknown key.
    let anonymous = app
        .client
        .post(format!("{}/v1/chat/completions", app.address))
        .json(&chat("simulator-chat", None))
        .send()
        .await
        .expect("request");
    assert_eq!(
        error_code(anonymous).await,
        (401, "invalid_api_key".to_owned())
    );
    for key in [
        "nonsense",
        "lp_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ] {
        let response = app
            .v1(key, "chat/completions", &chat("simulator-chat", None))
            .await;
        assert_eq!(error_code(response).await.0, 401);
    }
    // 400: invalid JSON, no messages, a bad max_tokens.
    let broken = app
        .client
        .post(format!("{}/v1/chat/completions", app.address))
        .bearer_auth(&who.key)
        .header("content-type", "application/json")
        .body("{\"model\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(error_code(broken).await.0, 400);
    let response = app
        .v1(
            &who.key,
            "chat/completions",
            &json!({"model": "simulator-chat"}),
        )
        .await;
    assert_eq!(error_code(response).await.0, 400);
    let response = app
        .v1(
            &who.key,
            "chat/completions",
            &chat("simulator-chat", Some(0)),
        )
        .await;
    assert_eq!(error_code(response).await.0, 400);
    // 404: an unknown model; 403: unpriced or disabled (never billed as zero).
    let response = app
        .v1(&who.key, "chat/completions", &chat("no-such-model", None))
        .await;
    assert_eq!(
        error_code(response).await,
        (404, "model_not_found".to_owned())
    );
    for id in ["unpriced", "sim-disabled"] {
        let response = app.v1(&who.key, "chat/completions", &chat(id, None)).await;
        assert_eq!(
            error_code(response).await,
            (403, "model_not_available".to_owned())
        );
    }
    // 402: at one credit per token, one credit is not enough.
    let response = app
        .v1(&who.key, "chat/completions", &chat("pricey", Some(10)))
        .await;
    assert_eq!(
        error_code(response).await,
        (402, "insufficient_credits".to_owned())
    );
    // /v1/models lists only what can be served.
    let listed: Value = app
        .client
        .get(format!("{}/v1/models", app.address))
        .bearer_auth(&who.key)
        .send()
        .await
        .expect("models")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"simulator-chat") && ids.contains(&"pricey"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"unpriced") && !ids.contains(&"sim-disabled"),
        "{ids:?}"
    );
    // Nothing was charged for any refusal, and each one that came with a
    // valid key is in the caller's usage with its status and the model as
    // asked (none for the unreadable body), so a caller can find it.
    assert_eq!(balance(&app, who.account).await.available, 1_000_000);
    let refused: Vec<(i16, String, i64, i32, i32)> = sqlx::query_as(
        "select status, model, credits, input_tokens, output_tokens from usage_records
         where key_id = $1 order by created_at, status",
    )
    .bind(who.key_id)
    .fetch_all(&app.pool)
    .await
    .expect("usage");
    let seen: Vec<(i16, &str)> = refused.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(
        seen,
        [
            (400, ""),
            (400, "simulator-chat"),
            (400, "simulator-chat"),
            (404, "no-such-model"),
            (403, "unpriced"),
            (403, "sim-disabled"),
            (402, "pricey"),
        ]
    );
    assert!(refused.iter().all(|r| r.2 == 0 && r.3 == 0 && r.4 == 0));
    verify(&app).await;
}

#[sqlx::test(migrations = false)]
async fn revoked_keys_and_suspended_owners_are_refused_within_seconds(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(1)).await;
    let ok = app
        .v1(
            &who.key,
            "chat/completions",
            &chat("simulator-chat", Some(2)),
        )
        .await;
    assert_eq!(ok.status(), 200);
    sqlx::query("update users set status = 'suspended' where id = $1")
        .bind(who.user)
        .execute(&app.pool)
        .await
        .expect("suspend");
    let mut status = 200;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let response = app
            .v1(
                &who.key,
                "chat/completions",
                &chat("simulator-chat", Some(2)),
            )
            .await;
        status = response.status().as_u16();
        if status != 200 {
            assert_eq!(
                error_code(response).await,
                (403, "account_suspended".to_owned())
            );
            break;
        }
    }
    assert_eq!(status, 403, "suspension never took effect");
    sqlx::query("update users set status = 'active' where id = $1")
        .bind(who.user)
        .execute(&app.pool)
        .await
        .expect("reactivate");
    sqlx::query("update api_keys set revoked_at = now() where id = $1")
        .bind(who.key_id)
        .execute(&app.pool)
        .await
        .expect("revoke");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let response = app
        .v1(
            &who.key,
            "chat/completions",
            &chat("simulator-chat", Some(2)),
        )
        .await;
    assert_eq!(
        error_code(response).await,
        (401, "invalid_api_key".to_owned())
    );
}

#[sqlx::test(migrations = false)]
async fn upstream_failures_release_the_hold_and_map_to_502_and_504(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    model(
        &app,
        "sim-fail",
        "fault-error",
        Some((1_000_000, 1_000_000)),
        5000,
    )
    .await;
    model(
        &app,
        "sim-slow",
        "fault-timeout",
        Some((1_000_000, 1_000_000)),
        300,
    )
    .await;
    model(
        &app,
        "sim-drop",
        "fault-drop",
        Some((1_000_000, 1_000_000)),
        5000,
    )
    .await;
    for (id, status) in [("sim-fail", 502), ("sim-slow", 504), ("sim-drop", 502)] {
        let response = app
            .v1(&who.key, "chat/completions", &chat(id, Some(5)))
            .await;
        assert_eq!(error_code(response).await.0, status, "{id}");
    }
    assert_eq!(
        balance(&app, who.account).await,
        ledger::Balance {
            available: 5_000_000,
            reserved: 0
        }
    );
    let statuses: Vec<i16> = usage(&app, who.key_id).await.iter().map(|u| u.0).collect();
    assert_eq!(statuses, vec![502, 504, 502]);
    assert!(usage(&app, who.key_id).await.iter().all(|u| u.3 == 0));
    verify(&app).await;
}

#[sqlx::test(migrations = false)]
async fn without_upstream_usage_the_proxy_counts_tokens_itself(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    model(
        &app,
        "sim-nousage",
        "fault-nousage",
        Some((1_000_000, 1_000_000)),
        5000,
    )
    .await;
    let response = app
        .v1(&who.key, "chat/completions", &chat("sim-nousage", Some(9)))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    // The upstream sent no usage: the answer carries what we billed.
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29})
    );
    // 20 prompt + 9 output tokens at 1 credit per million each.
    assert_eq!(usage(&app, who.key_id).await, vec![(200, 20, 9, 29, false)]);
    assert_eq!(
        counted_by(&app, who.key_id).await,
        vec![Some("heuristic".to_owned())]
    );
    verify(&app).await;
}

/// Who counted the tokens of each usage record of a key (`None`: the upstream).
async fn counted_by(app: &TestApp, key: Uuid) -> Vec<Option<String>> {
    sqlx::query_scalar("select counted_by from usage_records where key_id = $1 order by created_at")
        .bind(key)
        .fetch_all(&app.pool)
        .await
        .expect("usage")
}

/// The chunks of an SSE body before `[DONE]`, which must end it.
fn stream_chunks(body: &str) -> Vec<Value> {
    let events = sse_events(body);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{body}");
    events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).expect("chunk"))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn answers_carry_the_model_id_the_client_asked_for(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    model(&app, "lab-alias", "upstream-name", Some((1, 1)), 5000).await;
    let response = app
        .v1(&who.key, "chat/completions", &chat("lab-alias", Some(3)))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["model"], "lab-alias");
    let mut request = chat("lab-alias", Some(3));
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});
    let response = app.v1(&who.key, "chat/completions", &request).await;
    let chunks = stream_chunks(&response.text().await.expect("body"));
    assert!(chunks.len() > 3);
    assert!(
        chunks.iter().all(|c| c["model"] == "lab-alias"),
        "{chunks:?}"
    );
    let response = app
        .v1(
            &who.key,
            "embeddings",
            &json!({"model": "simulator-embed", "input": "hello"}),
        )
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["model"], "simulator-embed");
}

#[sqlx::test(migrations = false)]
async fn each_answer_has_its_own_id_and_the_time_it_was_made(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    let started = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = app
            .v1(
                &who.key,
                "chat/completions",
                &chat("simulator-chat", Some(3)),
            )
            .await;
        let body: Value = response.json().await.expect("json");
        let created = body["created"].as_i64().expect("created");
        assert!((started - 5..=started + 60).contains(&created), "{body}");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    let mut request = chat("simulator-chat", Some(3));
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});
    let response = app.v1(&who.key, "chat/completions", &request).await;
    let chunks = stream_chunks(&response.text().await.expect("body"));
    let stream_id = chunks[0]["id"].as_str().expect("id").to_owned();
    assert!(
        chunks.iter().all(|c| c["id"] == stream_id.as_str()),
        "{chunks:?}"
    );
    assert!(chunks
        .iter()
        .all(|c| c["created"].as_i64() >= Some(started - 5)));
    ids.push(stream_id);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "the same prompt, three requests, three ids");
}

#[sqlx::test(migrations = false)]
async fn a_stream_whose_upstream_sends_no_usage_ends_with_our_usage_chunk(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    // Like llama.cpp's server: usage when not streaming, none in streams, and
    // a chat template that adds 24 prompt tokens we cannot see.
    model(
        &app,
        "llama",
        "template-stream-nousage",
        Some((1_000_000, 1_000_000)),
        5000,
    )
    .await;
    let mut streamed = chat("llama", Some(5));
    streamed["stream"] = json!(true);
    streamed["stream_options"] = json!({"include_usage": true});
    let last_usage = |chunks: &[Value]| {
        let last = chunks.last().expect("a chunk").clone();
        assert_eq!(last["choices"], json!([]), "{last}");
        assert_eq!(last["model"], "llama");
        assert!(last["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("chatcmpl-")));
        last["usage"].clone()
    };

    // Before the upstream has ever reported a prompt, we count only the text.
    let response = app.v1(&who.key, "chat/completions", &streamed).await;
    let chunks = stream_chunks(&response.text().await.expect("body"));
    assert_eq!(
        last_usage(&chunks),
        json!({"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25})
    );
    // A non-streamed answer reports the template's overhead; it is learned ...
    let response = app
        .v1(&who.key, "chat/completions", &chat("llama", Some(5)))
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["usage"]["prompt_tokens"], 20 + 24);
    // ... so the same prompt streamed is now counted as the upstream counts it.
    let response = app.v1(&who.key, "chat/completions", &streamed).await;
    let chunks = stream_chunks(&response.text().await.expect("body"));
    assert_eq!(
        last_usage(&chunks),
        json!({"prompt_tokens": 44, "completion_tokens": 5, "total_tokens": 49})
    );
    assert_eq!(
        usage(&app, who.key_id).await,
        vec![
            (200, 20, 5, 25, true),
            (200, 44, 5, 49, false),
            (200, 44, 5, 49, true)
        ]
    );
    assert_eq!(
        counted_by(&app, who.key_id).await,
        vec![
            Some("heuristic".to_owned()),
            None,
            Some("heuristic".to_owned())
        ]
    );
    // Not asked for, no usage chunk is made up.
    streamed["stream_options"] = json!(null);
    let response = app.v1(&who.key, "chat/completions", &streamed).await;
    let chunks = stream_chunks(&response.text().await.expect("body"));
    assert!(chunks
        .iter()
        .all(|c| c.get("usage").is_none_or(Value::is_null)));
    verify(&app).await;
}

/// The `data:` payloads of an SSE body.
fn sse_events(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

#[sqlx::test(migrations = false)]
async fn streams_pass_chunks_through_and_are_billed_from_the_usage_chunk(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    let mut request = chat("simulator-chat", Some(6));
    request["stream"] = json!(true);
    let response = app.v1(&who.key, "chat/completions", &request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = sse_events(&response.text().await.expect("body"));
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).expect("chunk"))
        .collect();
    // The client did not ask for usage: the usage chunk is not passed on.
    assert!(chunks
        .iter()
        .all(|c| c.get("usage").is_none_or(Value::is_null)));
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text.split(' ').count(), 6);
    assert_eq!(usage(&app, who.key_id).await, vec![(200, 20, 6, 76, true)]);

    // Asked for, it is passed on.
    request["stream_options"] = json!({"include_usage": true});
    let response = app.v1(&who.key, "chat/completions", &request).await;
    let events = sse_events(&response.text().await.expect("body"));
    let usage_chunk: Value = serde_json::from_str(&events[events.len() - 2]).expect("usage chunk");
    assert_eq!(usage_chunk["usage"]["completion_tokens"], 6);
    assert_eq!(
        balance(&app, who.account).await.available,
        5_000_000 - 2 * 76
    );
    verify(&app).await;
}

#[sqlx::test(migrations = false)]
async fn a_client_that_disconnects_mid_stream_pays_for_what_was_generated(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    // A slow upstream: 50 ms per token, 400 tokens asked.
    let slow = crate::helpers::spawn_simulator(50).await;
    model(
        &app,
        "slowstream",
        "simulator-chat",
        Some((1_000_000, 1_000_000)),
        5000,
    )
    .await;
    sqlx::query("update providers set base_url = $1 where name = 'sim-slowstream'")
        .bind(&slow)
        .execute(&app.pool)
        .await
        .expect("point at the slow simulator");
    let mut request = chat("slowstream", Some(400));
    request["stream"] = json!(true);
    request["messages"] =
        json!([{"role": "user", "content": "A long answer, please, about everything."}]);
    let mut response = app.v1(&who.key, "chat/completions", &request).await;
    assert_eq!(response.status(), 200);
    let mut received = 0;
    while received < 5 {
        let chunk = response.chunk().await.expect("chunk").expect("more");
        received += String::from_utf8_lossy(&chunk)
            .matches("\"content\"")
            .count();
    }
    drop(response);
    // The relay notices, stops the upstream and settles what it generated.
    let mut rows = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        rows = usage(&app, who.key_id).await;
        if !rows.is_empty() {
            break;
        }
    }
    let [(status, _, output, charged, true)] = rows[..] else {
        panic!("one streamed usage record, got {rows:?}");
    };
    assert_eq!(status, 499);
    assert!((4..100).contains(&output), "billed {output} tokens");
    assert!(charged > 0);
    assert_eq!(balance(&app, who.account).await.reserved, 0);
    verify(&app).await;
}

#[sqlx::test(migrations = false)]
async fn embeddings_are_metered_on_input_tokens(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    let response = app
        .v1(
            &who.key,
            "embeddings",
            &json!({"model": "simulator-embed", "input": ["hello world", "the lab portal"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["usage"]["prompt_tokens"], 5);
    // 5 tokens at 0.1 credit per million, rounded up to 1 micro-credit.
    assert_eq!(usage(&app, who.key_id).await, vec![(200, 5, 0, 1, false)]);
    let response = app
        .v1(
            &who.key,
            "embeddings",
            &json!({"model": "simulator-embed", "input": 42}),
        )
        .await;
    assert_eq!(error_code(response).await.0, 400);
    let response = app
        .v1(
            &who.key,
            "embeddings",
            &json!({"model": "simulator-chat", "input": "x"}),
        )
        .await;
    assert_eq!(error_code(response).await.0, 400);
    verify(&app).await;
}

#[sqlx::test(migrations = false)]
async fn rate_limits_answer_429_with_retry_after(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    sqlx::query("update api_keys set rpm_limit = 2 where id = $1")
        .bind(who.key_id)
        .execute(&app.pool)
        .await
        .expect("limit");
    for _ in 0..2 {
        let response = app
            .v1(
                &who.key,
                "chat/completions",
                &chat("simulator-chat", Some(1)),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let response = app
        .v1(
            &who.key,
            "chat/completions",
            &chat("simulator-chat", Some(1)),
        )
        .await;
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(
        error_code(response).await,
        (429, "rate_limit_exceeded".to_owned())
    );
    // Refusals for rate stay cheap: not written to the usage records.
    let statuses: Vec<i16> = usage(&app, who.key_id).await.iter().map(|r| r.0).collect();
    assert_eq!(statuses, [200, 200]);
}

#[sqlx::test(migrations = false)]
async fn a_keys_spend_cap_holds_under_concurrency(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(100)).await;
    // A cap of 10 credits; each request holds and is charged 1 credit.
    model(
        &app,
        "onecredit",
        "simulator-chat",
        Some((0, 200_000_000_000)),
        5000,
    )
    .await;
    let (capped, key) = new_key(&app, who.user, who.account, Some(10_000_000)).await;
    let statuses = concurrent(&app, &key, "onecredit", 40).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == 402).count(), 30);
    let (spent, held): (i64, i64) =
        sqlx::query_as("select spent, held from api_keys where id = $1")
            .bind(capped)
            .fetch_one(&app.pool)
            .await
            .expect("key");
    assert_eq!((spent, held), (10_000_000, 0));
    verify(&app).await;
}

async fn concurrent(app: &TestApp, key: &str, model: &str, n: usize) -> Vec<u16> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (client, url, key) = (
                app.client.clone(),
                format!("{}/v1/chat/completions", app.address),
                key.to_owned(),
            );
            let body = chat(model, Some(5));
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(key)
                    .json(&body)
                    .send()
                    .await
                    .expect("request")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    statuses
}

#[sqlx::test(migrations = false)]
async fn two_hundred_concurrent_requests_with_credit_for_fifty_serve_exactly_fifty(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(50)).await;
    // No input price; 5 output tokens cost exactly 1 credit.
    model(
        &app,
        "onecredit",
        "simulator-chat",
        Some((0, 200_000_000_000)),
        5000,
    )
    .await;
    let statuses = concurrent(&app, &who.key, "onecredit", 200).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 50);
    assert_eq!(statuses.iter().filter(|s| **s == 402).count(), 150);
    assert_eq!(
        balance(&app, who.account).await,
        ledger::Balance {
            available: 0,
            reserved: 0
        }
    );
    // Every request is in the usage: 50 charged, 150 refused for credit at
    // no charge.
    let records = usage(&app, who.key_id).await;
    let served: Vec<_> = records.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(served.len(), 50);
    assert!(served.iter().all(|r| r.3 == 1_000_000));
    let refused: Vec<_> = records.iter().filter(|r| r.0 == 402).collect();
    assert_eq!(refused.len(), 150);
    assert!(refused.iter().all(|r| r.3 == 0));
    verify(&app).await;
}

/// The Python interpreter with the official `openai` package
/// (`scripts/install-tools.sh` makes it; `LAB_PORTAL_OPENAI_PYTHON` overrides).
fn openai_python() -> String {
    std::env::var("LAB_PORTAL_OPENAI_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/../target/openai-venv/bin/python",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

#[sqlx::test(migrations = false)]
async fn the_official_openai_client_works_unchanged_but_for_base_url_and_key(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    let python = openai_python();
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run scripts/install-tools.sh"
    );
    let output = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/openai/client_check.py"
        ))
        .arg(format!("{}/v1", app.address))
        .arg(&who.key)
        .output()
        .await
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Two chats and one embedding call, charged; the unknown model the
    // client was refused for, recorded at no charge.
    let records = usage(&app, who.key_id).await;
    assert_eq!(records.len(), 4, "{records:?}");
    assert_eq!(records.iter().filter(|r| r.0 == 200 && r.3 > 0).count(), 3);
    assert_eq!(records.iter().filter(|r| r.0 == 404 && r.3 == 0).count(), 1);
    verify(&app).await;
}

/// `lab-portal serve` as a child process on the test's database; returns
/// it and its origin once it listens.
async fn serve(database_url: &str) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lab-portal"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("LAB_PORTAL_LISTEN", "127.0.0.1:0")
        .env("LAB_PORTAL_LOG", "warn")
        .arg("serve")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the portal");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let origin = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the portal starts within a minute")
            .expect("read")
            .expect("the portal printed its address");
        if let Some(at) = line.find("running at ") {
            break line[at + "running at ".len()..].trim().to_owned();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, origin)
}

#[sqlx::test(migrations = false)]
async fn killing_the_server_mid_load_loses_no_charge_and_the_ledger_verifies(pool: PgPool) {
    let url = database_url(&pool);
    let (mut portal, origin) = serve(&url).await;
    let app = TestApp {
        address: origin.clone(),
        client: reqwest::Client::new(),
        pool: pool.clone(),
    };
    let who = caller(&app, credits(1000)).await;
    model(
        &app,
        "crash",
        "simulator-chat",
        Some((1_000_000_000, 1_000_000_000)),
        5000,
    )
    .await;

    // 16 clients call in a loop; the portal is killed (SIGKILL) mid-load.
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (client, url, key) = (
                app.client.clone(),
                format!("{origin}/v1/chat/completions"),
                who.key.clone(),
            );
            tokio::spawn(async move {
                let mut served = Vec::new();
                loop {
                    let sent = client
                        .post(&url)
                        .bearer_auth(&key)
                        .json(&chat("crash", Some(8)))
                        .send()
                        .await;
                    let Ok(response) = sent else { break };
                    if response.status() != 200 {
                        panic!("unexpected status {}", response.status());
                    }
                    let id: Uuid = response.headers()["x-request-id"]
                        .to_str()
                        .expect("ascii")
                        .parse()
                        .expect("a uuid");
                    let charged = response.headers()["x-credits-charged"]
                        .to_str()
                        .expect("ascii")
                        .to_owned();
                    // Served means the whole answer arrived.
                    if response.bytes().await.is_err() {
                        break;
                    }
                    served.push((id, charged));
                }
                served
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    portal.start_kill().expect("kill");
    portal.wait().await.expect("killed");
    let mut served = Vec::new();
    for task in tasks {
        served.extend(task.await.expect("task"));
    }
    assert!(
        served.len() >= 16,
        "too little load before the kill: {}",
        served.len()
    );

    // Restart on the same database: it comes up, and the ledger verifies.
    let (_portal, _) = serve(&url).await;
    let verify = tokio::process::Command::new(env!("CARGO_BIN_EXE_lab-portal"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &url)
        .env("LAB_PORTAL_LOG", "warn")
        .args(["ledger", "verify"])
        .output()
        .await
        .expect("ledger verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // Every served request has its usage record and its charge.
    for (id, charged) in &served {
        let row: Option<(i64, bool)> = sqlx::query_as(
            "select u.credits, h.lease from usage_records u join credit_holds h on h.id = u.hold_id where u.id = $1",
        )
        .bind(id)
        .fetch_optional(&pool)
        .await
        .expect("query");
        let (credits, leased) =
            row.unwrap_or_else(|| panic!("served request {id} was not charged"));
        assert!(leased);
        assert!(credits > 0);
        assert_eq!(
            *charged,
            format!("0.{credits:06}").trim_end_matches('0'),
            "the header told the client what the ledger charged"
        );
    }
    // Each lease was charged exactly its requests' usage: nothing served
    // forgotten, nothing unserved charged (the dead process's lease too).
    let mismatched: Vec<(Uuid, i64, i64)> = sqlx::query_as(
        "select h.id, h.charged, coalesce(sum(u.credits), 0)::bigint from credit_holds h
         left join usage_records u on u.hold_id = h.id
         where h.account_id = $1 and h.lease group by h.id having h.charged <> coalesce(sum(u.credits), 0)",
    )
    .bind(who.account)
    .fetch_all(&pool)
    .await
    .expect("leases");
    assert!(mismatched.is_empty(), "{mismatched:?}");
    // Credit is only ever charged, held or available: nothing lost.
    let (charged, held, unposted): (i64, i64, i64) = sqlx::query_as(
        "select coalesce(sum(charged), 0)::bigint,
                coalesce(sum(amount - charged) filter (where status = 'open'), 0)::bigint,
                coalesce(sum(charged - posted) filter (where status = 'open'), 0)::bigint
         from credit_holds where account_id = $1",
    )
    .bind(who.account)
    .fetch_one(&pool)
    .await
    .expect("holds");
    // The dead process's lease stays open until it expires; its charges not
    // yet in the ledger still count as reserved.
    let balance = ledger::balance(&pool, who.account).await.expect("balance");
    assert_eq!(balance.reserved, held + unposted);
    assert_eq!(balance.available + held + charged, 1_000_000_000);
}

#[sqlx::test(migrations = false)]
async fn a_request_dropped_by_its_client_frees_its_reservation_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    // Credit for exactly one request's reservation: 5 output tokens, 1 credit.
    let who = caller(&app, credits(1)).await;
    let price = Some((0, 200_000_000_000));
    model(&app, "hangs", "fault-timeout", price, 60_000).await;
    model(&app, "answers", "simulator-chat", price, 60_000).await;
    // The upstream never answers; the client gives up and hangs up.
    let dropped = app
        .client
        .post(format!("{}/v1/chat/completions", app.address))
        .bearer_auth(&who.key)
        .json(&chat("hangs", Some(5)))
        .timeout(Duration::from_millis(700))
        .send()
        .await;
    assert!(dropped.is_err(), "the hanging request answered");
    // Its reservation is free again well before the upstream's timeout:
    // the whole balance can be reserved by the next request.
    let mut status = 0;
    for _ in 0..20 {
        status = app
            .v1(&who.key, "chat/completions", &chat("answers", Some(5)))
            .await
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "the dropped request still held the credit");
    assert_eq!(usage(&app, who.key_id).await.len(), 1);
    verify(&app).await;
}

/// The text of a stream's content deltas.
fn streamed_text(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_model_with_a_tokenizer_is_counted_as_its_upstream_counts(pool: PgPool) {
    let app = spawn_app(pool).await;
    let who = caller(&app, credits(5)).await;
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../app/tests/fixtures/tokenizers"
    );
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{fixtures}/tiny-chatml/expected.json"))
            .expect("expected.json"),
    )
    .expect("json");
    // Streams without usage, like llama.cpp's server; counted with the
    // model's tokenizer.json and chat template (tools included). And an
    // upstream with no usage at all, counted with an OpenAI encoding. (Both
    // made before the first call: the model list is cached for seconds.)
    model(&app, "chatml", "stream-nousage", Some((1, 1)), 5000).await;
    model(&app, "gpt-like", "fault-nousage", Some((1, 1)), 5000).await;
    sqlx::query(
        "update models set tokenizer = case public_id when 'chatml' then 'hf:tiny-chatml'
                                                      else 'tiktoken:cl100k_base' end
         where public_id in ('chatml', 'gpt-like')",
    )
    .execute(&app.pool)
    .await
    .expect("tokenizers");
    let choice = TokenizerChoice::HuggingFace("tiny-chatml".to_owned());
    let tokenizer = load(std::path::Path::new(fixtures), &choice).expect("tokenizer");
    for case in expected["chats"].as_array().expect("chats") {
        let mut request = json!({"model": "chatml", "messages": case["messages"],
            "max_tokens": 5, "stream": true, "stream_options": {"include_usage": true}});
        if let Some(tools) = case.get("tools") {
            request["tools"] = tools.clone();
        }
        let response = app.v1(&who.key, "chat/completions", &request).await;
        // A part other than text (the fixture has an image) is refused: its
        // cost is not bounded by its bytes (the tokenizer's own tests still
        // count it).
        if case["messages"].to_string().contains(r#""image_url""#) {
            assert_eq!(response.status(), 400);
            continue;
        }
        assert_eq!(response.status(), 200);
        let chunks = stream_chunks(&response.text().await.expect("body"));
        let usage = &chunks.last().expect("usage chunk")["usage"];
        assert_eq!(
            usage["prompt_tokens"], case["tokens"],
            "{}",
            case["rendered"]
        );
        let text = streamed_text(&chunks);
        assert!(!text.is_empty());
        assert_eq!(usage["completion_tokens"], tokenizer.count_text(&text));
    }
    // Every request served was counted by the model's tokenizer; the one
    // refused (the image) was counted by nothing.
    let by = counted_by(&app, who.key_id).await;
    assert_eq!(by.iter().filter(|by| by.is_none()).count(), 1, "{by:?}");
    assert!(
        by.iter().flatten().all(|by| by == "hf:tiny-chatml"),
        "{by:?}"
    );

    // OpenAI's encodings: the cookbook's example is 129 tokens in cl100k_base.
    let request = json!({"model": "gpt-like", "max_tokens": 5, "messages": [
        {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
        {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
        {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
        {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
        {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
        {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."},
    ]});
    let response = app.v1(&who.key, "chat/completions", &request).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["usage"]["prompt_tokens"], 129);
    assert_eq!(
        counted_by(&app, who.key_id)
            .await
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("tiktoken:cl100k_base")
    );
    verify(&app).await;
}
