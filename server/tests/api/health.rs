//! `/healthz` and `/readyz`.

use crate::helpers::spawn_app;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn healthz_answers_ok(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
}

#[sqlx::test(migrations = false)]
async fn readyz_reports_a_reachable_database(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["database"], "ok");
}

#[sqlx::test(migrations = false)]
async fn readyz_fails_when_the_database_is_gone(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.pool.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
}

#[sqlx::test(migrations = false)]
async fn every_response_carries_a_request_id(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    let (a, b) = (
        id(&first).expect("request id"),
        id(&second).expect("request id"),
    );
    assert_ne!(a, b, "each request gets its own id");
}

#[sqlx::test(migrations = false)]
async fn start_up_applies_the_migrations(pool: PgPool) {
    let app = spawn_app(pool).await;
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
        .fetch_one(&app.pool)
        .await
        .expect("migrations table");
    assert_eq!(
        usize::try_from(applied).ok(),
        Some(lab_portal::db::MIGRATOR.iter().count())
    );
    let sessions: bool =
        sqlx::query_scalar("select to_regclass('tower_sessions.session') is not null")
            .fetch_one(&app.pool)
            .await
            .expect("query");
    assert!(sessions, "the session store's table exists");
}
