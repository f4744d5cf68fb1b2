//! The playground's replies, metered like `/v1`: streamed and billed from
//! the upstream's usage, the usage record naming the agent and the
//! conversation; refused with 402 before any upstream call when the
//! balance or the user's own monthly cap cannot cover the reply; stopped
//! by the browser and billed for exactly what was generated; and answered
//! whole to a form posted without JavaScript.

use std::time::Duration;

use app::domain::agents::parse_file;
use app::domain::credits::Credits;
use app::server::ledger::{self, Grant, Memo, Owner};
use app::server::metering::count;
use app::server::services::{agents, conversations};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{create_user, signed_in, spawn_app, TestApp};

const AGENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/seed/agents/credit-memo-drafter.json"
);

/// A signed-in developer holding `credits`: their browser, id and account.
async fn developer(app: &TestApp, email: &str, credits: i64) -> (reqwest::Client, Uuid, Uuid) {
    let user = create_user(app, email, "developer").await;
    let mut conn = app.pool.acquire().await.expect("conn");
    let account = ledger::account_for(&mut conn, Owner::User(user))
        .await
        .expect("account");
    drop(conn);
    if credits > 0 {
        ledger::grant(
            &app.pool,
            &Grant {
                account,
                amount: Credits::from_credits(credits).expect("small"),
                expires_at: None,
                memo: Memo::default(),
            },
        )
        .await
        .expect("grant");
    }
    (signed_in(app, email).await, user, account)
}

/// The starter credit-memo agent, published, running `model`.
async fn agent_on(app: &TestApp, slug: &str, model: &str) {
    let mut spec = parse_file(&std::fs::read_to_string(AGENT).expect("file")).expect("agent");
    spec.slug = slug.to_owned();
    spec.model = model.to_owned();
    spec.parameters.max_tokens = 400;
    agents::import(&app.pool, &spec, "", true, None)
        .await
        .expect("published");
}

/// A chat model `id` on a provider at `base_url` (the simulator's, or any).
async fn model_at(app: &TestApp, id: &str, base_url: &str) {
    let provider: Uuid = sqlx::query_scalar(
        "insert into providers (id, name, base_url, timeout_ms) values ($1, $2, $3, 5000) returning id",
    )
    .bind(Uuid::now_v7())
    .bind(format!("provider-{id}"))
    .bind(base_url)
    .fetch_one(&app.pool)
    .await
    .expect("provider");
    sqlx::query(
        "insert into models (id, public_id, provider_id, upstream_model, input_price, output_price, max_output_tokens)
         values ($1, $2, $3, 'simulator-chat', 1000000, 1000000, 1000)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(provider)
    .execute(&app.pool)
    .await
    .expect("model");
}

/// Posts a message to conversation `id` as the page's script does.
async fn stream(
    app: &TestApp,
    client: &reqwest::Client,
    id: Uuid,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{}/playground/{id}/messages", app.address))
        .header("origin", &app.address)
        .header("accept", "text/event-stream")
        .form(form)
        .send()
        .await
        .expect("request")
}

/// The events of a whole stream: (name, data).
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let name = e
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("")
                .to_owned();
            let data = e
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(|d| serde_json::from_str(d).expect("JSON data"))
                .unwrap_or(Value::Null);
            (name, data)
        })
        .collect()
}

/// (status, input, output, credits, agent, conversation) of the user's
/// usage records, oldest first.
async fn usage(app: &TestApp, user: Uuid) -> Vec<(i16, i32, i32, i64, Option<Uuid>, Option<Uuid>)> {
    sqlx::query_as(
        "select status, input_tokens, output_tokens, credits, agent_id, conversation_id
         from usage_records where user_id = $1 order by created_at, id",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .expect("usage")
}

/// The account's balance once no lease is open (leases return to the
/// account a couple of seconds after the last request).
async fn settled_balance(app: &TestApp, account: Uuid) -> ledger::Balance {
    for _ in 0..100 {
        let open: i64 = sqlx::query_scalar(
            "select count(*) from credit_holds where account_id = $1 and lease and status = 'open'",
        )
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .expect("leases");
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ledger::balance(&app.pool, account).await.expect("balance")
}

async fn agent_id(app: &TestApp, slug: &str) -> Uuid {
    sqlx::query_scalar("select id from agents where slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .expect("agent")
}

#[sqlx::test(migrations = false)]
async fn a_reply_streams_and_is_charged_what_its_usage_record_and_message_say(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (browser, user, account) = developer(&app, "chat@lab.test", 5).await;
    agent_on(&app, "memo-sim", "simulator-chat").await;
    let id = conversations::start(&app.pool, user, "memo-sim")
        .await
        .expect("start")
        .expect("a published agent");

    let response = stream(
        &app,
        &browser,
        id,
        &[("action", "send"), ("content", "Draft a memo for Acme.")],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let all = events(&response.text().await.expect("body"));
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"start"));
    assert_eq!(names.last(), Some(&"done"));
    let streamed: String = all
        .iter()
        .filter(|(n, _)| n == "delta")
        .filter_map(|(_, d)| d["text"].as_str())
        .collect();
    assert!(!streamed.is_empty());
    let done = &all.last().expect("done").1;
    assert_eq!(done["status"], "complete");

    // One usage record, for this agent and conversation, and the reply
    // saved with the same tokens and credits.
    let rows = usage(&app, user).await;
    let agent = agent_id(&app, "memo-sim").await;
    let [(200, input, output, credits, Some(a), Some(c))] = rows[..] else {
        panic!("one usage record, got {rows:?}");
    };
    assert_eq!((a, c), (agent, id));
    assert!(input > 0 && output > 0);
    assert_eq!(done["input_tokens"], input);
    assert_eq!(done["output_tokens"], output);
    let (_, messages) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("the conversation");
    let reply = messages.last().expect("a reply");
    assert_eq!(reply.role, "assistant");
    assert_eq!(reply.content, streamed);
    assert_eq!(
        (reply.input_tokens, reply.output_tokens, reply.credits),
        (Some(input), Some(output), Some(credits))
    );
    // The conversation is named after its first message.
    let (conversation, _) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("found");
    assert_eq!(conversation.title, "Draft a memo for Acme.");
    assert_eq!(conversation.credits, credits);
    // Charged exactly that.
    let balance = settled_balance(&app, account).await;
    assert_eq!(balance.available, 5_000_000 - credits);
    assert_eq!(balance.reserved, 0);
    assert!(ledger::verify(&app.pool).await.expect("verify").is_empty());

    // Regenerate replaces the reply; edit replaces the message and reply.
    let again = stream(&app, &browser, id, &[("action", "regenerate")]).await;
    assert_eq!(again.status(), 200);
    let _ = again.text().await;
    let edited = stream(
        &app,
        &browser,
        id,
        &[("action", "edit"), ("content", "Shorter, please.")],
    )
    .await;
    let _ = edited.text().await;
    let (_, messages) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("found");
    let roles: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| {
            (
                m.role.as_str(),
                if m.role == "user" {
                    m.content.as_str()
                } else {
                    ""
                },
            )
        })
        .collect();
    assert_eq!(roles, [("user", "Shorter, please."), ("assistant", "")]);
    assert_eq!(usage(&app, user).await.len(), 3, "every call is billed");
}

#[sqlx::test(migrations = false)]
async fn a_reply_the_balance_or_cap_cannot_cover_is_refused_before_any_upstream_call(pool: PgPool) {
    let app = spawn_app(pool).await;
    // An upstream that is not there: a call to it would be a 502, not 402.
    model_at(&app, "nowhere", "http://127.0.0.1:9/v1").await;
    agent_on(&app, "memo-nowhere", "nowhere").await;
    let (broke, user, _) = developer(&app, "broke@lab.test", 0).await;
    let id = conversations::start(&app.pool, user, "memo-nowhere")
        .await
        .expect("start")
        .expect("published");
    let response = stream(&app, &broke, id, &[("content", "Hello")]).await;
    assert_eq!(response.status(), 402);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "credits");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Not enough credits")));
    let rows = usage(&app, user).await;
    assert_eq!(rows.len(), 1, "the refusal is in the user's usage");
    assert_eq!((rows[0].0, rows[0].3), (402, 0));

    // Without JavaScript: back to the conversation, told why.
    let plain = broke
        .post(format!("{}/playground/{id}/messages", app.address))
        .header("origin", &app.address)
        .form(&[("content", "Hello")])
        .send()
        .await
        .expect("request");
    assert_eq!(plain.status(), 303);
    assert_eq!(
        plain.headers()["location"],
        format!("/playground/{id}?notice=credits").as_str()
    );

    // A personal cap below one reply's most: refused though credit is there.
    let (capped, user, _) = developer(&app, "capped@lab.test", 5).await;
    conversations::set_cap(&app.pool, user, Some(1))
        .await
        .expect("cap");
    let id = conversations::start(&app.pool, user, "memo-nowhere")
        .await
        .expect("start")
        .expect("published");
    let response = stream(&app, &capped, id, &[("content", "Hello")]).await;
    assert_eq!(response.status(), 402);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "cap");

    // Someone else's conversation does not exist for them.
    let (other, _, _) = developer(&app, "other@lab.test", 5).await;
    let response = stream(&app, &other, id, &[("content", "Hello")]).await;
    assert_eq!(response.status(), 404);
    // Nor for an anonymous visitor, nor from another site.
    let response = app
        .new_browser()
        .post(format!("{}/playground/{id}/messages", app.address))
        .header("origin", &app.address)
        .header("accept", "text/event-stream")
        .form(&[("content", "Hello")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
}

#[sqlx::test(migrations = false)]
async fn a_stopped_reply_is_billed_for_exactly_what_was_generated(pool: PgPool) {
    let app = spawn_app(pool).await;
    // 40 ms a token: stopped after a few.
    let slow = crate::helpers::spawn_simulator(40).await;
    model_at(&app, "slow", &slow).await;
    agent_on(&app, "memo-slow", "slow").await;
    let (browser, user, account) = developer(&app, "stop@lab.test", 5).await;
    let id = conversations::start(&app.pool, user, "memo-slow")
        .await
        .expect("start")
        .expect("published");
    let mut response = stream(&app, &browser, id, &[("content", "A long memo, please.")]).await;
    assert_eq!(response.status(), 200);
    let mut seen = String::new();
    while seen.matches("event: delta").count() < 5 {
        let chunk = response.chunk().await.expect("chunk").expect("more");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(response);
    let mut rows = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        rows = usage(&app, user).await;
        if !rows.is_empty() {
            break;
        }
    }
    let [(499, _, output, credits, Some(_), Some(c))] = rows[..] else {
        panic!("one stopped usage record, got {rows:?}");
    };
    assert_eq!(c, id);
    assert!((5..200).contains(&output), "billed {output} tokens");
    // The reply kept is what was generated, and its tokens are what was billed.
    let mut reply = None;
    for _ in 0..50 {
        let (_, messages) = conversations::get(&app.pool, user, id)
            .await
            .expect("query")
            .expect("found");
        reply = messages.into_iter().find(|m| m.role == "assistant");
        if reply.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reply = reply.expect("the stopped reply is kept");
    assert_eq!(reply.status, "stopped");
    assert_eq!(
        i64::try_from(count::count(&reply.content)).expect("small"),
        i64::from(output),
        "billed tokens are the kept text's"
    );
    assert_eq!(reply.credits, Some(credits));
    let balance = settled_balance(&app, account).await;
    assert_eq!(balance.available, 5_000_000 - credits);
    assert_eq!(balance.reserved, 0);
    assert!(ledger::verify(&app.pool).await.expect("verify").is_empty());
}

#[sqlx::test(migrations = false)]
async fn a_message_posted_without_javascript_gets_its_whole_reply(pool: PgPool) {
    let app = spawn_app(pool).await;
    agent_on(&app, "memo-plain", "simulator-chat").await;
    let (browser, user, _) = developer(&app, "plain@lab.test", 5).await;
    let id = conversations::start(&app.pool, user, "memo-plain")
        .await
        .expect("start")
        .expect("published");
    let response = browser
        .post(format!("{}/playground/{id}/messages", app.address))
        .header("origin", &app.address)
        .form(&[("action", "send"), ("content", "Hello there")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/playground/{id}").as_str()
    );
    let (_, messages) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("found");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].status, "complete");
    assert!(!messages[1].content.is_empty());
}
