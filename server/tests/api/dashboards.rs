//! The dashboards over HTTP: a developer's shows their own last 30 days by
//! model and their own keys; the platform dashboard (`/admin`) counts what
//! the test did — sign-ups, an approval, grants, spending by model through
//! `/v1`, an upstream error, the top organization and course, the goals —
//! and refuses developers.

use std::time::Duration;

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{
    create_course, create_institution, create_user, fund_course, open_course, page, posted_ok,
    set_institution_staff, signed_in, spawn_app, NewCourse, TestApp, PASSWORD,
};
use crate::keys::{create_key, developer, ok_json};

/// A usage record of the key `key`, `hours_ago` hours ago, as the ledger's
/// writer records one (its id a UUIDv7 of now, as the proxy's are).
async fn record(app: &TestApp, key: &str, model: &str, hours_ago: i32, credits: i64) {
    sqlx::query(
        "insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                    input_tokens, output_tokens, credits, latency_ms, status, created_at)
         select $1, k.id, k.user_id, k.account_id, $2, 'chat', false, 10, 5, $3, 100, 200,
                now() - make_interval(hours => $4)
         from api_keys k where k.id = $5::uuid",
    )
    .bind(Uuid::now_v7())
    .bind(model)
    .bind(credits)
    .bind(hours_ago)
    .bind(key)
    .execute(&app.pool)
    .await
    .expect("usage record");
}

fn id_of(created: &Value) -> String {
    created["id"].as_str().expect("id").to_owned()
}

/// The sum of every value of every series of a chart.
fn chart_sum(series: &Value) -> i64 {
    series
        .as_array()
        .expect("series")
        .iter()
        .flat_map(|s| s["values"].as_array().expect("values").iter())
        .map(|v| v.as_i64().expect("value"))
        .sum()
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item[field].as_str().expect("a name").to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn my_dashboard_charts_my_last_30_days_and_lists_my_keys_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev) = developer(&app, "dev@example.org").await;
    let (_, other) = developer(&app, "other@example.org").await;

    let empty = ok_json(app.post_form_with(&dev, "/api/my_dashboard", &[]).await).await;
    assert_eq!(empty["chart"]["days"].as_array().expect("days").len(), 30);
    assert_eq!(empty["chart"]["series"], json!([]));
    assert_eq!(empty["keys"], json!([]));
    assert_eq!(empty["key_count"], 0);
    let html = page(&app, &dev, "/dashboard")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("No API keys yet"), "{html}");
    assert_eq!(
        html.matches("Create an API key").count(),
        1,
        "one link of that name, in the keys section"
    );
    assert!(html.contains("No requests in the last 30 days"));

    let first = id_of(&create_key(&app, &dev, "first-key").await);
    let second = create_key(&app, &dev, "second-key").await;
    posted_ok(
        &app,
        &dev,
        "/api/revoke_api_key",
        &[("key_id", &id_of(&second))],
    )
    .await;
    let theirs = id_of(&create_key(&app, &other, "someone-elses-key").await);
    record(&app, &first, "lab-chat", 1, 1_000).await;
    record(&app, &first, "lab-chat", 50, 2_000).await;
    record(&app, &first, "lab-embed", 30, 500).await;
    record(&app, &first, "lab-chat", 40 * 24, 7).await; // past the chart
    record(&app, &theirs, "their-private-model", 1, 999).await;

    let d = ok_json(app.post_form_with(&dev, "/api/my_dashboard", &[]).await).await;
    assert_eq!(d["chart"]["metric"], "Credits");
    assert_eq!(
        names(&d["chart"]["series"], "name"),
        ["lab-chat", "lab-embed"],
        "mine only, the biggest first"
    );
    assert_eq!(chart_sum(&d["chart"]["series"]), 3_500);
    assert_eq!(
        names(&d["keys"], "name"),
        ["first-key", "second-key"],
        "mine only, the active ones first though the revoked one is newer"
    );
    assert_eq!(names(&d["keys"], "status"), ["Active", "Revoked"]);
    assert!(d["keys"][0]["prefix"]
        .as_str()
        .is_some_and(|p| p.starts_with("lp_")));
    assert_eq!(d["key_count"], 2);

    let html = page(&app, &dev, "/dashboard")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Credits per day by model, last 30 days"));
    assert!(html.contains("data-testid=\"usage-chart\""));
    assert!(html.contains("Show the numbers as a table"));
    assert!(html.contains("lab-chat") && html.contains("lab-embed"));
    assert!(html.contains("first-key") && html.contains("second-key"));
    assert!(html.contains(d["keys"][0]["prefix"].as_str().expect("prefix")));
    assert!(html.contains("Manage your keys"));
    assert!(
        !html.contains("their-private-model") && !html.contains("someone-elses-key"),
        "someone else's usage or key leaked"
    );
}

/// A call to `/v1/<path>` with `key`; its status.
async fn v1(app: &TestApp, key: &str, path: &str, body: Value) -> u16 {
    let response = Client::new()
        .post(format!("{}/v1/{path}", app.address))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let _ = response.bytes().await;
    status
}

fn chat(model: &str) -> Value {
    json!({"model": model, "max_tokens": 5, "messages": [{"role": "user", "content": "Hello there."}]})
}

/// A model whose upstream answers every request with an error.
async fn failing_model(app: &TestApp) {
    let provider: Uuid = sqlx::query_scalar(
        "insert into providers (id, name, base_url, timeout_ms)
         select $1, 'Failing upstream', base_url, 5000 from providers where is_simulator returning id",
    )
    .bind(Uuid::now_v7())
    .fetch_one(&app.pool)
    .await
    .expect("provider");
    sqlx::query(
        "insert into models (id, public_id, provider_id, upstream_model, input_price, output_price)
         values ($1, 'sim-fail', $2, 'fault-error', 1000000, 1000000)",
    )
    .bind(Uuid::now_v7())
    .bind(provider)
    .execute(&app.pool)
    .await
    .expect("model");
}

/// Waits until the proxy has returned every lease: their charges are then
/// posted to the ledger (what "spent" reads).
async fn leases_returned(app: &TestApp) {
    for _ in 0..150 {
        let open: i64 =
            sqlx::query_scalar("select count(*) from credit_holds where lease and status = 'open'")
                .fetch_one(&app.pool)
                .await
                .expect("leases");
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("leases still open after 15 s");
}

fn series_sum(list: &Value, name: &str) -> i64 {
    list.as_array()
        .expect("series")
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| chart_sum(&json!([s])))
        .unwrap_or_else(|| panic!("no series {name}: {list}"))
}

fn goal(overview: &Value, label: &str) -> (i64, i64) {
    let goal = overview["goals"]
        .as_array()
        .expect("goals")
        .iter()
        .find(|g| g["label"] == label)
        .unwrap_or_else(|| panic!("no goal {label}"));
    (
        goal["actual"].as_i64().expect("actual"),
        goal["target"].as_i64().expect("target"),
    )
}

fn model<'a>(overview: &'a Value, id: &str) -> &'a Value {
    overview["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["model"] == id)
        .unwrap_or_else(|| panic!("no model {id}: {}", overview["models"]))
}

/// A developer with an approved application (100 starter credits).
async fn approved(app: &TestApp, admin: &Client, email: &str) -> Client {
    create_user(app, email, "developer").await;
    let browser = signed_in(app, email).await;
    submit_application(app, &browser).await;
    let id: Uuid = sqlx::query_scalar(
        "select a.id from applications a join users u on u.id = a.user_id where u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .expect("application");
    posted_ok(
        app,
        admin,
        "/api/admin_approve_application",
        &[("application_id", &id.to_string()), ("note", "")],
    )
    .await;
    browser
}

async fn submit_application(app: &TestApp, browser: &Client) {
    let form = [
        ("building", "A support assistant for our helpdesk."),
        ("industry", "retail"),
        ("expected_usage", "prototype"),
    ];
    posted_ok(app, browser, "/api/submit_application", &form).await;
}

#[sqlx::test(migrations = false)]
async fn the_platform_dashboard_counts_what_happened_and_refuses_developers(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "staff@lab.example", "admin").await;
    let admin = signed_in(&app, "staff@lab.example").await;
    failing_model(&app).await;
    let before = ok_json(app.post_form_with(&admin, "/api/admin_overview", &[]).await).await;

    // Five sign-ups: one through the form, four made here.
    assert_eq!(app.sign_up("new@example.org", PASSWORD).await.status(), 200);
    // One approval (100 starter credits) and one application left waiting.
    let payer = approved(&app, &admin, "payer@example.org").await;
    create_user(&app, "waiting@example.org", "developer").await;
    submit_application(&app, &signed_in(&app, "waiting@example.org").await).await;
    // A grant of 50 to the payer, 200 to a university and 20 to an
    // organization.
    let form_key = posted_ok(
        &app,
        &admin,
        "/api/admin_credit_account",
        &[("email", "payer@example.org")],
    )
    .await["form_key"]
        .as_str()
        .expect("form key")
        .to_owned();
    posted_ok(
        &app,
        &admin,
        "/api/admin_grant_credits",
        &[
            ("email", "payer@example.org"),
            ("amount", "50"),
            ("expiry", ""),
            ("reason", "Hackathon"),
            ("idempotency_key", &form_key),
        ],
    )
    .await;
    create_institution(&app, &admin, "uni", "uni.edu", "200").await;
    crate::organizations::create_org(&app, &payer, "acme", "UTC").await;
    posted_ok(
        &app,
        &admin,
        "/api/admin_grant_org_credits",
        &[
            ("slug", "acme"),
            ("amount", "20"),
            ("expiry", ""),
            ("reason", "Pilot"),
            ("idempotency_key", &Uuid::now_v7().to_string()),
        ],
    )
    .await;
    // A course with a student spending their allocation.
    create_user(&app, "prof@uni.edu", "developer").await;
    set_institution_staff(&app, &admin, "uni", "prof@uni.edu", "coordinator").await;
    let prof = signed_in(&app, "prof@uni.edu").await;
    let course = create_course(
        &app,
        &prof,
        &NewCourse {
            institution: "uni",
            course_code: "ML101",
            allocation: "5",
            max_students: "10",
            require_institution_email: false,
        },
    )
    .await;
    fund_course(&app, &prof, &course, "50").await;
    let code = open_course(&app, &prof, &course).await;
    create_user(&app, "student@example.org", "developer").await;
    let student = signed_in(&app, "student@example.org").await;
    posted_ok(&app, &student, "/api/join_course", &[("code", &code)]).await;

    // Spending by model: the payer's own key, the organization's and the
    // course's; one request the upstream fails.
    let personal = create_key(&app, &payer, "personal").await["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let billed_to_org = ok_json(
        app.post_form_with(
            &payer,
            "/api/create_api_key",
            &[("name", "acme"), ("bill_to", "acme")],
        )
        .await,
    )
    .await["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let course_key = ok_json(
        app.post_form_with(
            &student,
            "/api/create_api_key",
            &[("name", "course"), ("bill_to", &format!("course:{course}"))],
        )
        .await,
    )
    .await["key"]
        .as_str()
        .expect("key")
        .to_owned();
    for _ in 0..2 {
        assert_eq!(
            v1(&app, &personal, "chat/completions", chat("simulator-chat")).await,
            200
        );
    }
    let embedding = json!({"model": "simulator-embed", "input": "Hello there."});
    assert_eq!(v1(&app, &personal, "embeddings", embedding).await, 200);
    assert_eq!(
        v1(&app, &personal, "chat/completions", chat("sim-fail")).await,
        502
    );
    assert_eq!(
        v1(
            &app,
            &billed_to_org,
            "chat/completions",
            chat("simulator-chat")
        )
        .await,
        200
    );
    assert_eq!(
        v1(
            &app,
            &course_key,
            "chat/completions",
            chat("simulator-chat")
        )
        .await,
        200
    );
    leases_returned(&app).await;

    let after = ok_json(app.post_form_with(&admin, "/api/admin_overview", &[]).await).await;
    let delta = |field: &str| {
        after[field].as_i64().expect("a count") - before[field].as_i64().expect("a count")
    };
    let series_delta = |chart: &str, name: &str| {
        series_sum(&after[chart], name) - series_sum(&before[chart], name)
    };
    assert_eq!(delta("users"), 5);
    assert_eq!(series_delta("people", "Sign-ups"), 5);
    assert_eq!(series_delta("people", "Approvals"), 1);
    assert_eq!(delta("pending_applications"), 1);
    assert_eq!(delta("pending_access_requests"), 0);
    assert_eq!(after["days"].as_array().expect("days").len(), 30);

    let micros = |credits: i64| credits * 1_000_000;
    assert_eq!(
        series_delta("credits", "Granted"),
        micros(100 + 50 + 200 + 20)
    );
    let charged: i64 =
        sqlx::query_scalar("select coalesce(sum(credits), 0)::bigint from usage_records")
            .fetch_one(&app.pool)
            .await
            .expect("charged");
    assert!(charged > 0);
    assert_eq!(series_delta("credits", "Spent"), charged);
    assert_eq!(series_delta("credits", "Expired"), 0);

    // Requests, tokens and errors by model and provider.
    let simulator: String = sqlx::query_scalar(
        "select p.name from providers p join models m on m.provider_id = p.id
         where m.public_id = 'simulator-chat'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the simulator's provider");
    let chat_model = model(&after, "simulator-chat");
    assert_eq!(chat_model["provider"], simulator.as_str());
    assert_eq!(chat_model["requests"], 4);
    assert_eq!(chat_model["errors"], 0);
    let (input, output): (i64, i64) = sqlx::query_as(
        "select sum(input_tokens)::bigint, sum(output_tokens)::bigint from usage_records
         where model = 'simulator-chat'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("tokens");
    assert_eq!(chat_model["input_tokens"], input);
    assert_eq!(chat_model["output_tokens"], output);
    assert_eq!(model(&after, "simulator-embed")["requests"], 1);
    let failing = model(&after, "sim-fail");
    assert_eq!(failing["provider"], "Failing upstream");
    assert_eq!(
        (failing["requests"].as_i64(), failing["errors"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(failing["credits"], 0);
    let requests_chart = &after["requests"];
    assert_eq!(requests_chart["metric"], "Requests");
    assert_eq!(chart_sum(&requests_chart["series"]), 6);

    // The top organization and course: what their pools and students paid.
    let org_paid: i64 = sqlx::query_scalar(
        "select u.credits from usage_records u join credit_accounts a on a.id = u.account_id
         where a.owner_kind = 'organization'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the organization's request");
    assert_eq!(
        after["top_organizations"],
        json!([{"slug": "acme", "name": "Acme Labs", "parent": null, "requests": 1, "credits": org_paid}])
    );
    let courses = after["top_courses"].as_array().expect("courses");
    assert_eq!(courses.len(), 1, "{courses:?}");
    assert_eq!(courses[0]["slug"], course.as_str());
    assert_eq!(courses[0]["parent"], "University uni");
    assert_eq!(courses[0]["requests"], 1);

    // Goals against the actuals.
    let goal_delta = |label: &str| goal(&after, label).0 - goal(&before, label).0;
    assert_eq!(goal_delta("Businesses"), 1);
    assert_eq!(goal_delta("Developers"), 5);
    assert_eq!(goal_delta("Universities"), 1);
    assert_eq!(goal(&after, "Businesses").1, 5_000);
    assert_eq!(goal(&after, "Developers").1, 100_000);
    assert_eq!(goal(&after, "Universities").1, 120);
    assert_eq!(after["support"]["open"], 0);

    let html = page(&app, &admin, "/admin").await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.expect("html");
    for text in [
        "Pending applications",
        "Goals",
        "<progress",
        "Sign-ups and approvals per day, last 30 days",
        "Credits granted, spent and expired per day, last 30 days",
        "Requests per day by model, last 30 days",
        "Show the numbers as a table",
        "data-testid=\"models-table\"",
        "sim-fail",
        "Failing upstream",
        "Acme Labs",
        "Course ML101",
        "Support queue",
    ] {
        assert!(html.contains(text), "/admin shows {text}");
    }

    // Developers and visitors get nothing.
    let (_, dev) = developer(&app, "dev@example.org").await;
    let refused = app.post_form_with(&dev, "/api/admin_overview", &[]).await;
    assert_eq!(refused.status(), 403);
    let refused = page(&app, &dev, "/admin").await;
    assert_eq!(refused.status(), 403);
    let html = refused.text().await.expect("html");
    assert!(html.contains("Not allowed") && !html.contains("Acme Labs"));
    let visitor = app.new_browser();
    assert_eq!(
        app.post_form_with(&visitor, "/api/admin_overview", &[])
            .await
            .status(),
        401
    );
    let redirected = page(&app, &visitor, "/admin").await;
    assert_eq!(redirected.status(), 303);
    assert_eq!(redirected.headers()["location"], "/signin?next=/admin");
}

/// `(model, requests, input tokens, credits)` per model used over the
/// platform dashboard's 30 days, sorted.
async fn platform_usage(app: &TestApp, admin: &Client) -> Vec<(String, i64, i64, i64)> {
    let overview = ok_json(app.post_form_with(admin, "/api/admin_overview", &[]).await).await;
    let mut models: Vec<(String, i64, i64, i64)> = overview["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter(|m| m["requests"].as_i64() != Some(0))
        .map(|m| {
            (
                m["model"].as_str().expect("model").to_owned(),
                m["requests"].as_i64().expect("requests"),
                m["input_tokens"].as_i64().expect("tokens"),
                m["credits"].as_i64().expect("credits"),
            )
        })
        .collect();
    models.sort();
    models
}

#[sqlx::test(migrations = false)]
async fn days_that_are_over_are_rolled_up_once_and_the_dashboard_reads_the_same(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "staff@lab.example", "admin").await;
    let admin = signed_in(&app, "staff@lab.example").await;
    let (_, dev) = developer(&app, "dev@example.org").await;
    let key = id_of(&create_key(&app, &dev, "key").await);
    // Records of today, of yesterday, of last week and of before the
    // dashboard's 30 days; as if none had been rolled up yet.
    for (model, hours_ago, credits) in [
        ("lab-chat", 0, 1_000),
        ("lab-chat", 26, 2_000),
        ("lab-chat", 7 * 24, 300),
        ("lab-embed", 7 * 24, 40),
        ("lab-embed", 10 * 24, 5),
        ("lab-chat", 40 * 24, 7),
    ] {
        record(&app, &key, model, hours_ago, credits).await;
    }
    sqlx::query("update platform_usage_rolled set through = (now() at time zone 'UTC')::date - 60")
        .execute(&app.pool)
        .await
        .expect("nothing rolled up");
    let live = platform_usage(&app, &admin).await;
    assert_eq!(
        live,
        [
            ("lab-chat".to_owned(), 3, 30, 3_300),
            ("lab-embed".to_owned(), 2, 20, 45),
        ]
    );

    // The round rolls every day up to the day before yesterday or
    // yesterday (an hour into today), once.
    let rolled = app::server::services::overview::roll_up_usage(&app.pool)
        .await
        .expect("roll up");
    assert!((58..=59).contains(&rolled), "{rolled}");
    let again = app::server::services::overview::roll_up_usage(&app.pool)
        .await
        .expect("roll up");
    assert_eq!(again, 0);
    let days: Vec<(String, i64, i64)> = sqlx::query_as(
        "select model, requests, credits from platform_usage_daily
         where day >= (now() at time zone 'UTC')::date - 60 order by day, model",
    )
    .fetch_all(&app.pool)
    .await
    .expect("rollup");
    assert!(
        days.contains(&("lab-chat".to_owned(), 1, 7)),
        "the day 40 days ago: {days:?}"
    );
    assert!(days.contains(&("lab-embed".to_owned(), 1, 40)), "{days:?}");
    assert!(
        !days.iter().any(|(_, _, credits)| *credits == 1_000),
        "today is not over: {days:?}"
    );
    // The dashboard reads the same numbers, now mostly from the rollup.
    assert_eq!(platform_usage(&app, &admin).await, live);
    // A request recorded now still counts at once.
    record(&app, &key, "lab-chat", 0, 10).await;
    assert_eq!(
        platform_usage(&app, &admin).await[0],
        ("lab-chat".to_owned(), 4, 40, 3_310)
    );
}
