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
pub(crate) async fn agent_on(app: &TestApp, slug: &str, model: &str) {
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
pub(crate) async fn stream(
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
pub(crate) fn events(body: &str) -> Vec<(String, Value)> {
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
    let id = conversations::start(&app.pool, user, "memo-sim", None)
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
    let id = conversations::start(&app.pool, user, "memo-nowhere", None)
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
    let id = conversations::start(&app.pool, user, "memo-nowhere", None)
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
    let id = conversations::start(&app.pool, user, "memo-slow", None)
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
    let id = conversations::start(&app.pool, user, "memo-plain", None)
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

/// Adds a message to conversation `id` as the playground would.
async fn say(app: &TestApp, id: Uuid, role: &'static str, content: &str) {
    let mut conn = app.pool.acquire().await.expect("conn");
    conversations::append(
        &mut conn,
        id,
        &conversations::NewMessage {
            role,
            content: content.to_owned(),
            status: "complete",
            credits: (role == "assistant").then_some(1_500),
            input_tokens: (role == "assistant").then_some(12),
            output_tokens: (role == "assistant").then_some(34),
            ..conversations::NewMessage::default()
        },
    )
    .await
    .expect("message");
}

/// Makes a share link of conversation `id` as the page's script does:
/// the link's token.
async fn share(
    app: &TestApp,
    browser: &reqwest::Client,
    id: Uuid,
    visibility: &str,
    expires: &str,
) -> String {
    let response = app
        .post_form_with(
            browser,
            "/api/share_conversation",
            &[
                ("id", &id.to_string()),
                ("visibility", visibility),
                ("expires", expires),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let created: Value = response.json().await.expect("json");
    let url = created["url"].as_str().expect("a url");
    url.rsplit_once("/shared/")
        .expect("a share url")
        .1
        .to_owned()
}

async fn shared_page(app: &TestApp, browser: &reqwest::Client, token: &str) -> String {
    crate::helpers::page(app, browser, &format!("/shared/{token}"))
        .await
        .text()
        .await
        .expect("html")
}

const GONE: &str = "it was revoked, has expired, or never existed";

/// The page's `<main>` as rendered (not the data it hydrates from).
fn main_of(html: &str) -> String {
    let start = html.find("<main").unwrap_or(0);
    let end = html.find("</main>").unwrap_or(html.len());
    html[start..end].to_owned()
}

#[sqlx::test(migrations = false)]
async fn a_share_link_shows_its_snapshot_to_whom_it_was_shared_until_revoked_or_expired(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    agent_on(&app, "memo-share", "simulator-chat").await;
    let (owner, user, _) = developer(&app, "owner@lab.test", 0).await;
    let (other, _, _) = developer(&app, "other@lab.test", 0).await;
    let id = conversations::start(&app.pool, user, "memo-share", None)
        .await
        .expect("start")
        .expect("published");
    say(&app, id, "user", "Summarise Acme's credit risk").await;
    say(
        &app,
        id,
        "assistant",
        "**Low risk.** <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))",
    )
    .await;

    let public = share(&app, &owner, id, "public", "never").await;
    let stored: i64 =
        sqlx::query_scalar("select count(*) from conversation_shares where token_hash = $1")
            .bind(conversations::token_hash(&public))
            .fetch_one(&app.pool)
            .await
            .expect("hash");
    assert_eq!(stored, 1, "only the token's hash is stored");
    // Later messages are not in the snapshot.
    say(&app, id, "user", "A later question nobody else sees").await;

    let visitor = app.new_browser();
    let html = main_of(&shared_page(&app, &visitor, &public).await);
    assert!(
        html.contains("Summarise Acme&#x27;s credit risk")
            || html.contains("Summarise Acme's credit risk"),
        "{html}"
    );
    assert!(
        html.contains("<strong>Low risk.</strong>"),
        "Markdown renders: {html}"
    );
    assert!(
        !html.contains("<script>alert(1)"),
        "model output is sanitized"
    );
    assert!(
        !html.contains("onerror") && !html.contains("javascript:alert"),
        "{html}"
    );
    assert!(
        !html.contains("A later question"),
        "a snapshot, not the live conversation"
    );
    assert!(html.contains("/agents/memo-share"), "with the agent's card");
    assert!(!html.contains(GONE));

    // Signed-in only, expiring: a visitor is asked to sign in, a signed-in
    // user reads it.
    let members = share(&app, &owner, id, "signed_in", "1").await;
    let html = shared_page(&app, &visitor, &members).await;
    assert!(html.contains("Sign in to read it"), "{html}");
    assert!(!html.contains("Low risk"));
    let html = shared_page(&app, &other, &members).await;
    assert!(html.contains("<strong>Low risk.</strong>"), "{html}");
    assert!(html.contains("A later question"), "made after the message");

    // The owner sees both links, never their tokens.
    let view = app
        .post_form_with(&owner, "/api/get_conversation", &[("id", &id.to_string())])
        .await
        .text()
        .await
        .expect("view");
    assert!(!view.contains(&public) && !view.contains(&members));
    let shares: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, visibility from conversation_shares where conversation_id = $1 order by created_at",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .expect("shares");
    assert_eq!(shares.len(), 2);

    // Someone else cannot revoke it; its owner can, and it is gone.
    let revoke = |browser: &reqwest::Client, share: Uuid| {
        let browser = browser.clone();
        let app = &app;
        async move {
            app.post_form_with(
                &browser,
                "/api/revoke_conversation_share",
                &[("id", &id.to_string()), ("share", &share.to_string())],
            )
            .await
            .status()
        }
    };
    assert_eq!(revoke(&other, shares[0].0).await, 404);
    assert!(!shared_page(&app, &visitor, &public).await.contains(GONE));
    assert!(revoke(&owner, shares[0].0).await.is_success());
    assert!(shared_page(&app, &visitor, &public).await.contains(GONE));

    // An expired link is gone too.
    sqlx::query(
        "update conversation_shares set expires_at = now() - interval '1 second' where id = $1",
    )
    .bind(shares[1].0)
    .execute(&app.pool)
    .await
    .expect("expired");
    assert!(shared_page(&app, &other, &members).await.contains(GONE));
    assert!(shared_page(&app, &other, "not-a-token")
        .await
        .contains(GONE));

    // Bad choices are field errors; someone else's conversation is not found.
    let bad = app
        .post_form_with(
            &owner,
            "/api/share_conversation",
            &[
                ("id", &id.to_string()),
                ("visibility", "everyone"),
                ("expires", "never"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let bad = app
        .post_form_with(
            &owner,
            "/api/share_conversation",
            &[
                ("id", &id.to_string()),
                ("visibility", "public"),
                ("expires", "9999"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let theirs = app
        .post_form_with(
            &other,
            "/api/share_conversation",
            &[
                ("id", &id.to_string()),
                ("visibility", "public"),
                ("expires", "never"),
            ],
        )
        .await;
    assert_eq!(theirs.status(), 404);
}

#[sqlx::test(migrations = false)]
async fn a_share_link_made_without_javascript_is_shown_once_on_the_conversation(pool: PgPool) {
    let app = spawn_app(pool).await;
    agent_on(&app, "memo-flash", "simulator-chat").await;
    let (owner, user, _) = developer(&app, "flash@lab.test", 0).await;
    let id = conversations::start(&app.pool, user, "memo-flash", None)
        .await
        .expect("start")
        .expect("published");
    say(&app, id, "user", "Hello").await;
    let conversation = format!("/playground/{id}");
    let response = owner
        .post(format!("{}/api/share_conversation", app.address))
        .header("origin", &app.address)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("referer", format!("{}{conversation}", app.address))
        .form(&[
            ("id", id.to_string().as_str()),
            ("visibility", "public"),
            ("expires", "7"),
        ])
        .send()
        .await
        .expect("post");
    assert!(response.status().is_redirection(), "{}", response.status());
    assert!(response.headers()["location"]
        .to_str()
        .expect("ascii")
        .starts_with(&conversation));
    let first = crate::helpers::page(&app, &owner, &conversation)
        .await
        .text()
        .await
        .expect("html");
    assert!(first.contains("Your share link"), "{first}");
    let token = first
        .split("/shared/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the link")
        .to_owned();
    assert!(shared_page(&app, &app.new_browser(), &token)
        .await
        .contains("Hello"));
    let again = crate::helpers::page(&app, &owner, &conversation)
        .await
        .text()
        .await
        .expect("html");
    assert!(!again.contains("Your share link"), "shown once");
    assert!(again.contains("Anyone with the link"), "listed");
}

#[sqlx::test(migrations = false)]
async fn a_conversation_exports_as_markdown_and_json_for_its_owner_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    agent_on(&app, "memo-export", "simulator-chat").await;
    let (owner, user, _) = developer(&app, "export@lab.test", 0).await;
    let (other, _, _) = developer(&app, "export-other@lab.test", 0).await;
    let id = conversations::start(&app.pool, user, "memo-export", None)
        .await
        .expect("start")
        .expect("published");
    say(&app, id, "user", "Delays at JFK in 2013?").await;
    say(
        &app,
        id,
        "assistant",
        "Mostly in **July**.\n\n```\ncode ``` inside\n```",
    )
    .await;

    let md = owner
        .get(format!("{}/playground/{id}/export.md", app.address))
        .send()
        .await
        .expect("md");
    assert_eq!(md.status(), 200);
    assert_eq!(md.headers()["content-type"], "text/markdown; charset=utf-8");
    assert_eq!(
        md.headers()["content-disposition"],
        "attachment; filename=\"delays-at-jfk-in-2013.md\""
    );
    let md = md.text().await.expect("text");
    assert!(md.starts_with("# Delays at JFK in 2013?\n"), "{md}");
    assert!(md.contains("\n## You\n\nDelays at JFK in 2013?\n"), "{md}");
    assert!(md.contains("Mostly in **July**."), "{md}");
    assert!(md.contains("12 tokens in, 34 out · 0.0015 credits"), "{md}");

    let json: Value = owner
        .get(format!("{}/playground/{id}/export.json", app.address))
        .send()
        .await
        .expect("json")
        .json()
        .await
        .expect("json body");
    assert_eq!(json["format"], "lab-portal-conversation/1");
    assert_eq!(json["agent"]["slug"], "memo-export");
    let messages = json["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1]["content"],
        "Mostly in **July**.\n\n```\ncode ``` inside\n```"
    );
    assert_eq!(messages[1]["credits_micros"], 1_500);
    assert_eq!(messages[1]["credits"], "0.0015");

    for path in ["export.md", "export.json"] {
        let theirs = other
            .get(format!("{}/playground/{id}/{path}", app.address))
            .send()
            .await
            .expect("other");
        assert_eq!(theirs.status(), 404);
        let anonymous = app
            .new_browser()
            .get(format!("{}/playground/{id}/{path}", app.address))
            .send()
            .await
            .expect("anonymous");
        assert_eq!(anonymous.status(), 401);
    }
}

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/datasets");
const ANALYST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/seed/agents/shipment-delay-analyst.json"
);

/// The starter catalog, and the shipment delay analyst (tools over
/// nycflights13) published on the simulator.
async fn analyst(app: &TestApp) {
    let store = app::server::datasets::storage::Store::new(
        std::env::temp_dir().join("lab-portal-test-datasets"),
    );
    app::server::datasets::seed::load(&app.pool, &store, std::path::Path::new(DATASETS))
        .await
        .expect("the starter catalog loads");
    let mut spec = parse_file(&std::fs::read_to_string(ANALYST).expect("file")).expect("agent");
    spec.model = "simulator-chat".to_owned();
    agents::import(&app.pool, &spec, "", true, None)
        .await
        .expect("published");
}

#[sqlx::test(migrations = false)]
async fn a_tool_call_runs_over_the_dataset_and_every_model_call_is_metered(pool: PgPool) {
    let app = spawn_app(pool).await;
    analyst(&app).await;
    let (browser, user, account) = developer(&app, "tools@lab.test", 5).await;
    let id = conversations::start(&app.pool, user, "shipment-delay-analyst", None)
        .await
        .expect("start")
        .expect("published");
    let ask = r#"Hours per origin: query_dataset {"dataset": "nycflights13", "file": "weather.csv", "group_by": ["origin"], "aggregates": [{"fn": "count"}, {"fn": "max", "column": "temp"}], "order_by": [{"column": "origin"}]}"#;
    let response = stream(&app, &browser, id, &[("action", "send"), ("content", ask)]).await;
    assert_eq!(response.status(), 200);
    let all = events(&response.text().await.expect("body"));
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.iter().filter(|n| **n == "start").count(),
        2,
        "two model calls: {names:?}"
    );
    let tool = &all
        .iter()
        .find(|(n, _)| n == "tool")
        .expect("a tool event")
        .1;
    assert_eq!(tool["name"], "query_dataset");
    let done = &all.last().expect("done").1;
    assert_eq!(done["status"], "complete", "{all:?}");

    // The call, its result and the answer are saved in order.
    let (_, messages) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("found");
    let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);
    let call = messages[1].tool_calls.as_ref().expect("the call").0.clone();
    assert_eq!(call[0]["function"]["name"], "query_dataset");
    assert_eq!(messages[2].tool_call_id.as_deref(), call[0]["id"].as_str());
    assert!(!messages[3].content.is_empty(), "the model answered");

    // The result is what counting the file gives.
    let result: Value = serde_json::from_str(&messages[2].content).expect("json");
    assert_eq!(
        result["columns"],
        serde_json::json!(["origin", "count", "max(temp)"])
    );
    let file =
        std::fs::read_to_string(format!("{DATASETS}/nycflights13/weather.csv")).expect("weather");
    let mut expected: Vec<(String, i64, f64)> = Vec::new();
    for line in file.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let temp: f64 = cells[5].parse().unwrap_or(f64::MIN);
        match expected.iter_mut().find(|(o, _, _)| o == cells[0]) {
            Some(row) => {
                row.1 += 1;
                row.2 = row.2.max(temp);
            }
            None => expected.push((cells[0].to_owned(), 1, temp)),
        }
    }
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let rows: Vec<(String, i64, f64)> = result["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_owned(),
                r[1].as_i64().unwrap_or(-1),
                r[2].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    assert_eq!(rows, expected);

    // Each model call has its usage record and was charged what its
    // message says; the total is what the account paid.
    let records = usage(&app, user).await;
    assert_eq!(records.len(), 2, "{records:?}");
    let agent = agent_id(&app, "shipment-delay-analyst").await;
    assert!(records
        .iter()
        .all(|r| r.0 == 200 && r.4 == Some(agent) && r.5 == Some(id)));
    let charged: i64 = records.iter().map(|r| r.3).sum();
    let saved: i64 = messages.iter().filter_map(|m| m.credits).sum();
    assert_eq!(charged, saved);
    let balance = settled_balance(&app, account).await;
    assert_eq!(balance.available, 5_000_000 - charged);
    assert!(ledger::verify(&app.pool).await.expect("verify").is_empty());

    // The page folds the call with its result.
    let html = crate::helpers::page(&app, &browser, &format!("/playground/{id}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Called query_dataset"), "{html}");
    assert!(html.contains("max(temp)"));
}

#[sqlx::test(migrations = false)]
async fn a_tool_loop_stops_after_its_last_step_and_bad_calls_are_told_to_the_model(pool: PgPool) {
    let app = spawn_app(pool).await;
    analyst(&app).await;
    let (browser, user, _) = developer(&app, "loop@lab.test", 5).await;
    let id = conversations::start(&app.pool, user, "shipment-delay-analyst", None)
        .await
        .expect("start")
        .expect("published");
    // The simulator calls the tool after every result while it is offered;
    // the arguments name a column that is not there and ask for SQL.
    let ask = r#"[[loop]] query_dataset {"dataset": "nycflights13", "columns": ["nope"]}"#;
    let response = stream(&app, &browser, id, &[("action", "send"), ("content", ask)]).await;
    let all = events(&response.text().await.expect("body"));
    assert_eq!(all.last().map(|(n, _)| n.as_str()), Some("done"), "{all:?}");
    let (_, messages) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("found");
    let calls = app::domain::agent_tools::MAX_STEPS - 1;
    assert_eq!(
        messages.iter().filter(|m| m.role == "tool").count(),
        calls,
        "one result per step but the last"
    );
    assert_eq!(usage(&app, user).await.len(), calls + 1);
    let last = messages.last().expect("an answer");
    assert_eq!(last.role, "assistant");
    assert!(last.tool_calls.is_none() && !last.content.is_empty());
    let result: Value = serde_json::from_str(&messages[2].content).expect("json");
    assert!(
        result["error"]
            .as_str()
            .is_some_and(|e| e.contains("no column `nope`") && e.contains("carrier")),
        "{result}"
    );

    // A dataset the agent does not link, and made-up arguments, are refused
    // in the result.
    let other = r#"query_dataset {"dataset": "pima-diabetes"}"#;
    let _ = stream(
        &app,
        &browser,
        id,
        &[("action", "send"), ("content", other)],
    )
    .await
    .text()
    .await;
    let sql = r#"query_dataset {"dataset": "nycflights13", "sql": "drop table users"}"#;
    let _ = stream(&app, &browser, id, &[("action", "send"), ("content", sql)])
        .await
        .text()
        .await;
    let (_, messages) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("found");
    let results: Vec<Value> = messages
        .iter()
        .filter(|m| m.role == "tool")
        .map(|m| serde_json::from_str(&m.content).expect("json"))
        .collect();
    let n = results.len();
    assert!(results[n - 2]["error"]
        .as_str()
        .is_some_and(|e| e.contains("not one of this agent's datasets")));
    assert!(results[n - 1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("unknown field")));
}

#[sqlx::test(migrations = false)]
async fn two_messages_sent_at_once_are_both_answered_and_kept(pool: PgPool) {
    let app = spawn_app(pool).await;
    agent_on(&app, "memo-twice", "simulator-chat").await;
    let (browser, user, _) = developer(&app, "twice@lab.test", 5).await;
    let id = conversations::start(&app.pool, user, "memo-twice", None)
        .await
        .expect("start")
        .expect("published");
    let (a, b) = tokio::join!(
        stream(
            &app,
            &browser,
            id,
            &[("action", "send"), ("content", "First question")]
        ),
        stream(
            &app,
            &browser,
            id,
            &[("action", "send"), ("content", "Second question")]
        ),
    );
    let (a, b) = (a.text().await.expect("a"), b.text().await.expect("b"));
    for body in [&a, &b] {
        assert_eq!(
            events(body).last().map(|(n, _)| n.clone()).as_deref(),
            Some("done"),
            "{body}"
        );
    }
    let (_, messages) = conversations::get(&app.pool, user, id)
        .await
        .expect("query")
        .expect("found");
    let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(
        roles.iter().filter(|r| **r == "user").count(),
        2,
        "{roles:?}"
    );
    assert_eq!(
        roles.iter().filter(|r| **r == "assistant").count(),
        2,
        "{roles:?}"
    );
    assert_eq!(usage(&app, user).await.len(), 2);
}
