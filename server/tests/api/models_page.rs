//! The public models and pricing page (`/models`) and its list
//! (`/api/list_models`): only served models (enabled, priced both ways),
//! their prices as the page formats them, this portal's base URL, and the
//! empty state when nothing is served. No sign-in needed.

use app::domain::credits::Credits;
use app::format;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{create_user, signed_in, spawn_app, TestApp};

/// `(public id, kind, input price, output price, enabled)`.
type NewModel<'a> = (&'a str, &'a str, Option<i64>, Option<i64>, bool);

/// Adds a provider and, on it, `models` with a 128,000-token context and
/// 8,192 output tokens.
async fn add_models(app: &TestApp, models: &[NewModel<'_>]) {
    let provider = Uuid::now_v7();
    sqlx::query(
        "insert into providers (id, name, base_url) values ($1, 'Upstream', 'http://127.0.0.1:9')",
    )
    .bind(provider)
    .execute(&app.pool)
    .await
    .expect("provider");
    for (id, kind, input, output, enabled) in models {
        sqlx::query(
            "insert into models (id, public_id, provider_id, upstream_model, kind, input_price,
                                 output_price, context_window, max_output_tokens, enabled)
             values ($1, $2, $3, 'up', $4, $5, $6, 128000, 8192, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(provider)
        .bind(kind)
        .bind(input)
        .bind(output)
        .bind(enabled)
        .execute(&app.pool)
        .await
        .expect("model");
    }
}

/// The price list, as anyone may ask for it.
async fn price_list(app: &TestApp) -> Value {
    let response = app.post_form("/api/list_models", &[]).await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    body
}

/// `/models` for a visitor who is not signed in.
async fn models_page(app: &TestApp) -> String {
    let response = app.get("/models").await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("html")
}

/// The HTML of the table row whose header is model `id`.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<code>{id}</code>"))
        .unwrap_or_else(|| panic!("no row for {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").expect("the row's end")]
}

/// A price as the page shows it: credits per million tokens.
fn shown(micros: i64) -> String {
    format::credits(Credits::from_micros(micros))
}

#[sqlx::test(migrations = false)]
async fn only_served_models_are_listed_with_their_prices_for_anyone(pool: PgPool) {
    let app = spawn_app(pool).await;
    add_models(
        &app,
        &[
            ("lab-chat", "chat", Some(1_250_000), Some(3_500_000), true),
            ("lab-embed", "embedding", Some(20_000), Some(0), true),
            ("lab-unpriced", "chat", None, Some(1_000_000), true),
            ("lab-half-priced", "chat", Some(1_000_000), None, true),
            (
                "lab-disabled",
                "chat",
                Some(1_000_000),
                Some(1_000_000),
                false,
            ),
        ],
    )
    .await;

    let list = price_list(&app).await;
    assert_eq!(list["base_url"], format!("{}/v1", app.address));
    let ids: Vec<(&str, &str)> = list["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| {
            (
                m["id"].as_str().expect("id"),
                m["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    // The simulator's models are registered at start-up, priced and enabled.
    assert_eq!(
        ids,
        [
            ("lab-chat", "chat"),
            ("simulator-chat", "chat"),
            ("simulator-chat-slow", "chat"),
            ("lab-embed", "embedding"),
            ("simulator-embed", "embedding"),
        ],
        "chat first, then by id; never unpriced or disabled models"
    );
    let chat = &list["models"][0];
    assert_eq!(chat["input_price"], 1_250_000);
    assert_eq!(chat["output_price"], 3_500_000);
    assert_eq!(chat["context_window"], 128_000);
    assert_eq!(chat["max_output_tokens"], 8_192);
    assert!(chat.get("provider").is_none() && chat.get("upstream_model").is_none());

    let html = models_page(&app).await;
    assert!(html.contains("<title>Models and pricing · Lab Portal</title>"));
    assert!(html.contains("Chat models") && html.contains("Embedding models"));
    assert!(
        html.contains(&format!("{}/v1", app.address)),
        "the base URL"
    );
    assert!(html.contains(&format!("curl {}/v1/chat/completions", app.address)));
    for hidden in ["lab-unpriced", "lab-half-priced", "lab-disabled"] {
        assert!(!html.contains(hidden), "{hidden} is shown");
    }
    assert_eq!(shown(1_250_000), "1.25");
    assert_eq!(shown(3_500_000), "3.5");
    let chat_row = row(&html, "lab-chat");
    for cell in [
        shown(1_250_000),
        shown(3_500_000),
        "128,000".into(),
        "8,192".into(),
    ] {
        assert!(
            chat_row.contains(&format!(">{cell}<")),
            "{cell} in {chat_row}"
        );
    }
    let embed_row = row(&html, "lab-embed");
    assert!(
        embed_row.contains(&format!(">{}<", shown(20_000))),
        "{embed_row}"
    );
    // The worked example prices lab-chat as /v1 would: 0.00125 + 0.00175.
    assert!(html.contains(
        "1,000 input tokens and 500 output tokens costs 0.00125 + 0.00175 = 0.003 credits"
    ));
    assert!(html.contains("1,000,000 micro-credits"));
}

#[sqlx::test(migrations = false)]
async fn with_nothing_served_the_page_says_so_and_still_names_the_api(pool: PgPool) {
    let app = spawn_app(pool).await;
    add_models(&app, &[("lab-unpriced", "chat", None, None, true)]).await;
    sqlx::query("update models set enabled = false where public_id like 'simulator-%'")
        .execute(&app.pool)
        .await
        .expect("disable the simulator's models");

    let list = price_list(&app).await;
    assert_eq!(list["models"], Value::Array(vec![]));
    assert_eq!(list["example"], Value::Null);
    let html = models_page(&app).await;
    assert!(html.contains("No models are available yet"));
    assert!(!html.contains("<table") && !html.contains("lab-unpriced"));
    assert!(
        html.contains(&format!("{}/v1", app.address)),
        "the base URL"
    );
}

#[sqlx::test(migrations = false)]
async fn the_header_and_the_keys_quick_start_link_to_the_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let home = app.get("/").await.text().await.expect("html");
    assert!(
        home.contains(r#"href="/models""#),
        "the header, for visitors"
    );
    create_user(&app, "dev@example.org", "developer").await;
    let dev = signed_in(&app, "dev@example.org").await;
    let keys = dev
        .get(format!("{}/keys", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("keys page");
    assert_eq!(keys.status(), 200);
    let keys = keys.text().await.expect("html");
    assert!(
        keys.contains("Prices, context windows and output limits of every model"),
        "the quick start's link"
    );
    assert!(keys.contains(r#"href="/models""#), "the quick start's link");
    // Signed in, the header offers the developer's own pages; the price
    // list is one click away from the dashboard.
    let dashboard = dev
        .get(format!("{}/dashboard", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("html");
    assert!(
        dashboard.contains(r#"href="/models""#),
        "the dashboard's link"
    );
}
