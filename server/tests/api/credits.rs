//! Credits over HTTP: starter credits on approval, the balance a developer sees.

use crate::helpers::{spawn_app, TestApp};
use serde_json::Value;
use sqlx::PgPool;

async fn apply(app: &TestApp, client: &reqwest::Client) -> String {
    let form = [
        ("building", "A triage assistant for logistics exceptions."),
        ("industry", "logistics"),
        ("expected_usage", "prototype"),
    ];
    let r = app
        .post_form_with(client, "/api/submit_application", &form)
        .await;
    assert_eq!(r.status(), 200);
    sqlx::query_scalar::<_, uuid::Uuid>(
        "select id from applications order by created_at desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("application")
    .to_string()
}

#[sqlx::test(migrations = false)]
async fn approval_grants_starter_credits_once_and_the_dashboard_shows_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("dev@example.org").await;
    let empty: Value = app
        .post_form("/api/my_balance", &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(empty["available"], 0);
    let application = apply(&app, &app.client).await;

    let admin = app.new_browser();
    app.post_form_with(
        &admin,
        "/api/sign_up",
        &[
            ("email", "boss@example.org"),
            ("password", crate::helpers::PASSWORD),
            ("display_name", "Boss"),
            ("account_kind", "other"),
            ("organization", ""),
            ("country", "DE"),
        ],
    )
    .await;
    let token = app.emailed_token("boss@example.org", "/verify-email").await;
    app.post_form_with(&admin, "/api/verify_email", &[("token", &token)])
        .await;
    sqlx::query("update users set platform_role = 'admin' where email = 'boss@example.org'")
        .execute(&app.pool)
        .await
        .expect("promote");
    app.post_form_with(
        &admin,
        "/api/sign_in",
        &[
            ("email", "boss@example.org"),
            ("password", crate::helpers::PASSWORD),
        ],
    )
    .await;

    let approve = [
        ("application_id", application.as_str()),
        ("note", "Welcome aboard"),
    ];
    let approved = app
        .post_form_with(&admin, "/api/admin_approve_application", &approve)
        .await;
    assert_eq!(
        approved.status(),
        200,
        "{}",
        approved.text().await.unwrap_or_default()
    );
    let again = app
        .post_form_with(&admin, "/api/admin_approve_application", &approve)
        .await;
    assert_eq!(again.status(), 409, "an application is decided once");

    let balance: Value = app
        .post_form("/api/my_balance", &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(balance["available"], 100_000_000, "100 starter credits");
    assert_eq!(
        balance["expiring"].as_array().expect("list").len(),
        1,
        "they expire"
    );
    let grants: i64 = sqlx::query_scalar("select count(*) from ledger_transactions where kind = 'grant' and idempotency_key like 'starter:%'")
        .fetch_one(&app.pool)
        .await
        .expect("n");
    assert_eq!(grants, 1);
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'credits.grant'")
            .fetch_one(&app.pool)
            .await
            .expect("n");
    assert_eq!(audited, 1);
    let email: String = sqlx::query_scalar("select body_text from outbox where recipient = 'dev@example.org' and subject like '%approved%'")
        .fetch_one(&app.pool)
        .await
        .expect("email");
    assert!(email.contains("100 starter credits"), "{email}");

    let html = crate::helpers::page(&app, &app.client, "/dashboard")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("credits available"), "balance card");
    assert!(
        html.contains(">100.00<") || html.contains("100.00<!"),
        "shows 100 credits"
    );
    assert!(html.contains("Approved"));
    let violations = app::server::ledger::verify(&app.pool)
        .await
        .expect("verify");
    assert!(violations.is_empty(), "{violations:?}");
}

#[sqlx::test(migrations = false)]
async fn the_history_page_and_csv_export_show_the_users_movements_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    let anonymous = app
        .client
        .get(format!("{}/credits/history.csv", app.address))
        .send()
        .await
        .expect("csv");
    assert_eq!(anonymous.status(), 401);
    app.signed_in_developer("hist@example.org").await;
    let user: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'hist@example.org'")
            .fetch_one(&app.pool)
            .await
            .expect("user");
    let mut conn = app.pool.acquire().await.expect("conn");
    let account =
        app::server::ledger::account_for(&mut conn, app::server::ledger::Owner::User(user))
            .await
            .expect("account");
    drop(conn);
    let grant = app::server::ledger::Grant {
        account,
        amount: app::domain::credits::Credits::from_micros(2_500_000),
        expires_at: None,
        memo: app::server::ledger::Memo {
            memo: Some("Hackathon, \"spring\"".into()),
            ..Default::default()
        },
    };
    app::server::ledger::grant(&app.pool, &grant)
        .await
        .expect("grant");

    let page: Value = app
        .post_form("/api/my_credit_statement", &[("page", "1")])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["total"], 1);
    assert_eq!(
        page["items"][0]["what"],
        "Credit granted: Hackathon, \"spring\""
    );
    assert_eq!(page["items"][0]["change"], 2_500_000);
    assert_eq!(page["items"][0]["balance"], 2_500_000);

    let csv = app
        .client
        .get(format!("{}/credits/history.csv", app.address))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.expect("body");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "time_utc,transaction_id,kind,available_change,reserved_change,details"
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains(",grant,2.5,0,\"Hackathon, \"\"spring\"\"\""),
        "{}",
        lines[1]
    );

    let html = app
        .client
        .get(format!("{}/credits", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("Credit history") && html.contains("+2.5"),
        "history table"
    );
}

/// Many balance reads at once, more than the pool has connections: each
/// takes one connection at a time, so none waits on another (a request
/// holding one while asking for a second starved the pool).
#[sqlx::test(migrations = false)]
async fn many_balance_reads_at_once_all_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    crate::helpers::create_user(&app, "busy@example.org", "developer").await;
    let browser = crate::helpers::signed_in(&app, "busy@example.org").await;
    let calls = (0..24).map(|_| {
        browser
            .post(format!("{}/api/my_balance", app.address))
            .header("origin", &app.address)
            .timeout(std::time::Duration::from_secs(10))
            .send()
    });
    let answers = futures_util::future::join_all(calls).await;
    let statuses: Vec<u16> = answers
        .into_iter()
        .map(|a| a.map(|r| r.status().as_u16()).unwrap_or(0))
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}
