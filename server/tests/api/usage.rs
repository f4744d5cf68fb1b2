//! Usage over HTTP: the request log lists the caller's own usage records
//! only, newest first, paged and filtered; the chart sums the last 30 days
//! by model; the page renders both, or empty states.

use crate::helpers::page;
use crate::helpers::{spawn_app, TestApp};
use crate::keys::{create_key, developer, ok_json};
use reqwest::Client;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// One usage record for `key`, `hours_ago` hours ago.
#[derive(Clone, Copy)]
struct Record<'a> {
    key: &'a str,
    model: &'a str,
    hours_ago: i32,
    status: i16,
    input: i32,
    output: i32,
    credits: i64,
}

async fn insert(app: &TestApp, r: Record<'_>) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                    input_tokens, output_tokens, credits, latency_ms, status, created_at)
         select $1, k.id, k.user_id, k.account_id, $2, 'chat', false, $3, $4, $5, 250, $6,
                now() - make_interval(hours => $7)
         from api_keys k where k.id = $8::uuid",
    )
    .bind(id)
    .bind(r.model)
    .bind(r.input)
    .bind(r.output)
    .bind(r.credits)
    .bind(r.status)
    .bind(r.hours_ago)
    .bind(r.key)
    .execute(&app.pool)
    .await
    .expect("usage record");
    id
}

/// `YYYY-MM-DD` (UTC) of `days` days ago.
fn day(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() - time::Duration::days(days);
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

async fn usage(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> Value {
    ok_json(app.post_form_with(client, "/api/my_usage", form).await).await
}

fn ids(page: &Value) -> Vec<String> {
    page["requests"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A developer with two keys and 62 requests, and another developer with 5.
struct World {
    dev: Client,
    first_key: String,
    second_key: String,
    others_key: String,
    /// The developer's record ids, newest first.
    mine: Vec<String>,
    /// The other developer's record ids.
    theirs: Vec<String>,
}

async fn world(app: &TestApp) -> World {
    let (_, dev) = developer(app, "dev@example.org").await;
    let (_, other) = developer(app, "other@example.org").await;
    let first = create_key(app, &dev, "first").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let second = create_key(app, &dev, "second").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let others_key = create_key(app, &other, "theirs").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut mine = Vec::new();
    for i in 0..60 {
        let id = insert(
            app,
            Record {
                key: if i % 2 == 0 { &first } else { &second },
                model: if i % 3 == 0 { "lab-embed" } else { "lab-chat" },
                hours_ago: i,
                status: if i % 5 == 0 { 500 } else { 200 },
                input: 100 + i,
                output: 10,
                credits: 1_000 * i64::from(i + 1),
            },
        )
        .await;
        mine.push(id.to_string());
    }
    for hours_ago in [10 * 24, 45 * 24] {
        let id = insert(
            app,
            Record {
                key: &first,
                model: "lab-chat",
                hours_ago,
                status: 200,
                input: 1,
                output: 1,
                credits: 7,
            },
        )
        .await;
        mine.push(id.to_string());
    }
    let mut theirs = Vec::new();
    for i in 0..5 {
        let id = insert(
            app,
            Record {
                key: &others_key,
                model: "their-private-model",
                hours_ago: i,
                status: 200,
                input: 5,
                output: 5,
                credits: 99,
            },
        )
        .await;
        theirs.push(id.to_string());
    }
    World {
        dev,
        first_key: first,
        second_key: second,
        others_key,
        mine,
        theirs,
    }
}

#[sqlx::test(migrations = false)]
async fn the_log_lists_only_my_requests_newest_first_in_pages(pool: PgPool) {
    let app = spawn_app(pool).await;
    let w = world(&app).await;

    let first = usage(&app, &w.dev, &[]).await;
    assert_eq!(first["requests"]["total"], 62);
    assert_eq!(first["requests"]["per_page"], 50);
    assert_eq!(ids(&first), w.mine[..50].to_vec(), "newest first");
    let second = usage(&app, &w.dev, &[("page", "2")]).await;
    assert_eq!(ids(&second), w.mine[50..].to_vec());
    let beyond = usage(&app, &w.dev, &[("page", "3")]).await;
    assert!(ids(&beyond).is_empty());
    assert_eq!(beyond["requests"]["total"], 62);
    for id in ids(&first).iter().chain(&ids(&second)) {
        assert!(!w.theirs.contains(id), "someone else's request listed");
    }

    let row = &first["requests"]["items"][0];
    assert_eq!(row["model"], "lab-embed");
    assert_eq!(row["key_name"], "first");
    assert_eq!(row["input_tokens"], 100);
    assert_eq!(row["output_tokens"], 10);
    assert_eq!(row["credits"], 1_000);
    assert_eq!(row["latency_ms"], 250);
    assert_eq!(row["status"], 500);
    assert!(row["key_prefix"]
        .as_str()
        .expect("prefix")
        .starts_with("lp_"));

    // Totals cover every page.
    let credits: i64 = (1..=60).map(|i| 1_000 * i).sum::<i64>() + 14;
    assert_eq!(first["credits"], credits);
    assert_eq!(first["input_tokens"], (100..160).sum::<i64>() + 2);
    assert_eq!(first["output_tokens"], 600 + 2);

    // The other developer sees only theirs.
    let other = crate::keys::signed_in(&app, "other@example.org").await;
    let theirs = usage(&app, &other, &[]).await;
    assert_eq!(theirs["requests"]["total"], 5);
    let mut listed = ids(&theirs);
    listed.sort();
    let mut expected = w.theirs.clone();
    expected.sort();
    assert_eq!(listed, expected);
}

#[sqlx::test(migrations = false)]
async fn the_log_filters_by_model_key_status_and_days(pool: PgPool) {
    let app = spawn_app(pool).await;
    let w = world(&app).await;
    let total = |page: &Value| page["requests"]["total"].as_i64().expect("total");

    let embed = usage(&app, &w.dev, &[("model", "lab-embed")]).await;
    assert_eq!(total(&embed), 20);
    assert!(embed["requests"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|r| r["model"] == "lab-embed"));

    let second = usage(&app, &w.dev, &[("key", &w.second_key)]).await;
    assert_eq!(total(&second), 30);
    assert!(second["requests"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|r| r["key_name"] == "second"));
    let first = usage(&app, &w.dev, &[("key", &w.first_key)]).await;
    assert_eq!(total(&first), 32);

    let failed = usage(&app, &w.dev, &[("status", "error")]).await;
    assert_eq!(total(&failed), 12);
    assert!(failed["requests"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|r| r["status"].as_i64().expect("status") >= 400));
    let ok = usage(&app, &w.dev, &[("status", "ok")]).await;
    assert_eq!(total(&ok), 50);

    let days = usage(&app, &w.dev, &[("from", &day(12)), ("to", &day(8))]).await;
    assert_eq!(total(&days), 1, "only the request of 10 days ago");
    assert_eq!(ids(&days), vec![w.mine[60].clone()]);
    let since = usage(&app, &w.dev, &[("from", &day(30))]).await;
    assert_eq!(total(&since), 61, "all but the request of 45 days ago");

    let combined = usage(
        &app,
        &w.dev,
        &[
            ("model", "lab-chat"),
            ("key", &w.second_key),
            ("status", "error"),
        ],
    )
    .await;
    // Odd i (second key), not a multiple of 3 (chat), a multiple of 5 (error).
    let expected = (0..60)
        .filter(|i| i % 2 == 1 && i % 3 != 0 && i % 5 == 0)
        .count();
    assert_eq!(usize::try_from(total(&combined)).ok(), Some(expected));

    // Someone else's key, or model, matches nothing of mine.
    let stolen = usage(&app, &w.dev, &[("key", &w.others_key)]).await;
    assert_eq!(total(&stolen), 0);
    let their_model = usage(&app, &w.dev, &[("model", "their-private-model")]).await;
    assert_eq!(total(&their_model), 0);

    // Malformed filters get one message each.
    let response = app
        .post_form_with(
            &w.dev,
            "/api/my_usage",
            &[
                ("key", "abc"),
                ("status", "maybe"),
                ("from", "yesterday"),
                ("to", "2026-02-30"),
            ],
        )
        .await;
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422, "{body}");
    let mut fields: Vec<&str> = body["Validation"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    fields.sort();
    assert_eq!(fields, ["from", "key", "status", "to"]);
    let response = app
        .post_form_with(
            &w.dev,
            "/api/my_usage",
            &[("from", &day(1)), ("to", &day(3))],
        )
        .await;
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(body["Validation"][0]["field"], "to");

    // The filter choices: my models and my keys only.
    let filters = ok_json(
        app.post_form_with(&w.dev, "/api/my_usage_filters", &[])
            .await,
    )
    .await;
    assert_eq!(
        filters["models"],
        serde_json::json!(["lab-chat", "lab-embed"])
    );
    let keys: Vec<&str> = filters["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["id"].as_str().expect("id"))
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys.contains(&w.first_key.as_str()) && keys.contains(&w.second_key.as_str()));
}

#[sqlx::test(migrations = false)]
async fn the_chart_sums_my_last_30_days_by_model(pool: PgPool) {
    let app = spawn_app(pool).await;
    let w = world(&app).await;

    let chart = ok_json(app.post_form_with(&w.dev, "/api/my_usage_chart", &[]).await).await;
    assert_eq!(chart["metric"], "Credits");
    let days = chart["days"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    assert_eq!(days[29], day(0).as_str());
    assert_eq!(days[0], day(29).as_str());
    let series = chart["series"].as_array().expect("series");
    let names: Vec<&str> = series
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["lab-chat", "lab-embed"], "biggest first, mine only");
    let sum = |metric_series: &[Value]| -> i64 {
        metric_series
            .iter()
            .flat_map(|s| s["values"].as_array().expect("values").iter())
            .map(|v| v.as_i64().expect("value"))
            .sum()
    };
    let expected: i64 = sqlx::query_scalar(
        "select sum(u.credits)::bigint from usage_records u join users on users.id = u.user_id
         where users.email = 'dev@example.org'
           and u.created_at >= ((now() at time zone 'UTC')::date - 29)::timestamp at time zone 'UTC'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("sum");
    assert_eq!(sum(series), expected);
    assert_eq!(
        expected,
        (1..=60).map(|i| 1_000 * i).sum::<i64>() + 7,
        "the 45-day-old request is left out"
    );

    let requests = ok_json(
        app.post_form_with(&w.dev, "/api/my_usage_chart", &[("metric", "requests")])
            .await,
    )
    .await;
    assert_eq!(requests["metric"], "Requests");
    assert_eq!(sum(requests["series"].as_array().expect("series")), 61);
}

#[sqlx::test(migrations = false)]
async fn the_usage_page_renders_the_chart_the_log_and_empty_states(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, fresh) = developer(&app, "fresh@example.org").await;
    let empty = page(&app, &fresh, "/usage").await;
    assert_eq!(empty.status(), 200);
    let empty = empty.text().await.expect("html");
    assert!(empty.contains("No requests in the last 30 days"));
    assert!(empty.contains("No requests yet"));
    assert!(!empty.contains("<svg class=\"chart\""));

    let w = world(&app).await;
    let html = page(&app, &w.dev, "/usage").await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.expect("html");
    assert!(
        html.contains("role=\"img\""),
        "the chart is an image with a title"
    );
    assert!(html.contains("Credits per day by model, last 30 days"));
    assert!(html.contains("chart-legend"));
    assert!(html.contains("<title>"), "every bar has a title");
    assert!(html.contains("Show the numbers as a table"));
    assert!(html.contains("lab-embed") && html.contains("lab-chat"));
    assert!(
        !html.contains("their-private-model"),
        "someone else's usage leaked"
    );
    assert!(html.contains("62 requests"));
    assert!(html.contains("Showing 1–50 of 62"));
    assert!(
        html.contains("href=\"/usage?page=2\""),
        "a link to the next page"
    );
    for id in &w.mine[..50] {
        assert!(html.contains(id.as_str()), "row {id} listed");
    }
    assert!(
        !html.contains(w.mine[50].as_str()),
        "the next page's rows are not"
    );

    let filtered = page(
        &app,
        &w.dev,
        "/usage?model=lab-embed&status=error&metric=tokens",
    )
    .await
    .text()
    .await
    .expect("html");
    assert!(filtered.contains("Tokens per day by model, last 30 days"));
    // i multiple of 3 and of 5 among 0..60: 0, 15, 30, 45.
    assert!(filtered.contains("4 requests"), "{filtered}");
    assert!(filtered.contains("<option value=\"lab-embed\" selected"));

    let none = page(&app, &w.dev, "/usage?model=nothing-like-this")
        .await
        .text()
        .await
        .expect("html");
    assert!(none.contains("No matching requests"));

    let invalid = page(&app, &w.dev, "/usage?from=yesterday")
        .await
        .text()
        .await
        .expect("html");
    assert!(invalid.contains("Enter the date as YYYY-MM-DD."));
    assert!(invalid.contains("aria-invalid=\"true\""));
}

#[sqlx::test(migrations = false)]
async fn a_refused_request_is_listed_with_its_reason(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev) = developer(&app, "dev@example.org").await;
    let created = create_key(&app, &dev, "laptop").await;
    let secret = created["key"].as_str().expect("key");
    let call = |body: &'static str| {
        app.client
            .post(format!("{}/v1/chat/completions", app.address))
            .bearer_auth(secret)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let unknown =
        call(r#"{"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}"#)
            .await
            .expect("request");
    assert_eq!(unknown.status(), 404);
    let unreadable = call("{\"model\": ").await.expect("request");
    assert_eq!(unreadable.status(), 400);

    let html = page(&app, &dev, "/usage").await.text().await.expect("html");
    assert!(html.contains("2 requests"), "{html}");
    assert!(html.contains("<code>no-such-model</code>"));
    assert!(html.contains("Error 404") && html.contains("unknown model"));
    assert!(html.contains("unreadable request"));
    assert!(html.contains("Error 400") && html.contains("request not valid"));
    let failed = usage(&app, &dev, &[("status", "error")]).await;
    assert_eq!(failed["requests"]["total"], 2);
    // The unreadable request's empty model name is not offered as a filter.
    let filters = ok_json(app.post_form_with(&dev, "/api/my_usage_filters", &[]).await).await;
    assert_eq!(filters["models"], serde_json::json!(["no-such-model"]));
}
