//! Sign-up, verification, sign-in, sessions, throttling, password reset and
//! profile changes, over HTTP against the real router.

use crate::helpers::{carries_form_error, form_error_cookie, spawn_app, TestApp, PASSWORD};
use serde_json::Value;
use sqlx::PgPool;

async fn my_application(app: &TestApp, client: &reqwest::Client) -> u16 {
    app.post_form_with(client, "/api/my_application", &[])
        .await
        .status()
        .as_u16()
}

#[sqlx::test(migrations = false)]
async fn sign_up_creates_an_unverified_account_and_emails_a_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.sign_up("Ada@Example.org", PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["location"], "/signup/check-email");
    let (hash, verified): (String, bool) =
        sqlx::query_as("select password_hash, email_verified_at is not null from users where email = 'Ada@Example.org'")
            .fetch_one(&app.pool)
            .await
            .expect("user");
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!verified);
    let token = app.emailed_token("ada@example.org", "/verify-email").await;
    assert!(token.len() >= 40);
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from email_tokens where token_hash = sha256($1::bytea)",
    )
    .bind(token.as_bytes())
    .fetch_one(&app.pool)
    .await
    .expect("count");
    assert_eq!(stored, 1, "only the hash of the token is stored");
}

#[sqlx::test(migrations = false)]
async fn sign_up_reports_every_invalid_field(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .post_form(
            "/api/sign_up",
            &[
                ("email", "not-an-email"),
                ("password", "short"),
                ("display_name", ""),
                ("account_kind", "business"),
                ("organization", ""),
                ("country", "XX"),
            ],
        )
        .await;
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["Validation"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for field in [
        "email",
        "password",
        "display_name",
        "organization",
        "country",
    ] {
        assert!(fields.contains(&field), "{field} missing from {body}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_common_password_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, body) =
        TestApp::error_of(app.sign_up("a@example.org", "password1234").await).await;
    assert_eq!(status, 422);
    assert_eq!(body["Validation"][0]["field"], "password");
}

#[sqlx::test(migrations = false)]
async fn signing_up_twice_with_one_address_reveals_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = app.sign_up("same@example.org", PASSWORD).await;
    let second = app.sign_up("SAME@example.org", PASSWORD).await;
    assert_eq!(first.status(), second.status());
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(users, 1);
    let notice: i64 =
        sqlx::query_scalar("select count(*) from outbox where subject like 'You already have%'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(notice, 1, "the owner is told by email");
}

#[sqlx::test(migrations = false)]
async fn an_unverified_account_cannot_sign_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("new@example.org", PASSWORD).await;
    let response = app
        .post_form(
            "/api/sign_in",
            &[("email", "new@example.org"), ("password", PASSWORD)],
        )
        .await;
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 403);
    assert!(body["Refused"]
        .as_str()
        .expect("message")
        .contains("verify your email"));
}

#[sqlx::test(migrations = false)]
async fn a_verified_account_signs_in_and_out(pool: PgPool) {
    let app = spawn_app(pool).await;
    assert_eq!(my_application(&app, &app.client).await, 401);
    app.signed_in_developer("dev@example.org").await;
    assert_eq!(my_application(&app, &app.client).await, 200);
    let me: Value = app
        .post_form("/api/current_user", &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "dev@example.org");
    assert_eq!(me["is_admin"], false);

    let out = app.post_form("/api/sign_out", &[]).await;
    assert_eq!(out.status(), 200);
    assert_eq!(my_application(&app, &app.client).await, 401);
    let ended: i64 = sqlx::query_scalar("select count(*) from logins where ended_at is not null")
        .fetch_one(&app.pool)
        .await
        .expect("n");
    assert_eq!(ended, 1);
}

#[sqlx::test(migrations = false)]
async fn the_session_id_changes_at_sign_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("fix@example.org", PASSWORD).await;
    let token = app.emailed_token("fix@example.org", "/verify-email").await;
    app.post_form("/api/verify_email", &[("token", &token)])
        .await;
    // A failed attempt creates no session; a successful one sets a fresh cookie.
    let response = app
        .post_form(
            "/api/sign_in",
            &[("email", "fix@example.org"), ("password", PASSWORD)],
        )
        .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("lab_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http locally: {cookie}");
}

#[sqlx::test(migrations = false)]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("known@example.org").await;
    let browser = app.new_browser();
    let wrong = app
        .post_form_with(
            &browser,
            "/api/sign_in",
            &[
                ("email", "known@example.org"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    let unknown = app
        .post_form_with(
            &browser,
            "/api/sign_in",
            &[
                ("email", "nobody@example.org"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    let (a, b) = (
        TestApp::error_of(wrong).await,
        TestApp::error_of(unknown).await,
    );
    assert_eq!(a, b);
    assert_eq!(a.0, 401);
    assert_eq!(a.1, Value::String("BadCredentials".into()));
}

#[sqlx::test(migrations = false)]
async fn repeated_failures_lock_the_account_with_a_clear_message(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("victim@example.org").await;
    let attacker = app.new_browser();
    for _ in 0..5 {
        let r = app
            .post_form_with(
                &attacker,
                "/api/sign_in",
                &[
                    ("email", "victim@example.org"),
                    ("password", "guess guess guess"),
                ],
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    let locked = app
        .post_form_with(
            &attacker,
            "/api/sign_in",
            &[("email", "victim@example.org"), ("password", PASSWORD)],
        )
        .await;
    let (status, body) = TestApp::error_of(locked).await;
    assert_eq!(status, 429, "even the right password waits: {body}");
    assert!(body["RateLimited"]["message"]
        .as_str()
        .expect("message")
        .contains("try again in"));
}

#[sqlx::test(migrations = false)]
async fn a_suspended_users_session_stops_working_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("sus@example.org").await;
    assert_eq!(my_application(&app, &app.client).await, 200);
    sqlx::query("update users set status = 'suspended' where email = 'sus@example.org'")
        .execute(&app.pool)
        .await
        .expect("suspend");
    assert_eq!(my_application(&app, &app.client).await, 401);
    let again = app
        .post_form(
            "/api/sign_in",
            &[("email", "sus@example.org"), ("password", PASSWORD)],
        )
        .await;
    let (status, body) = TestApp::error_of(again).await;
    assert_eq!(status, 403);
    assert!(body["Refused"]
        .as_str()
        .expect("message")
        .contains("suspended"));
}

#[sqlx::test(migrations = false)]
async fn a_verification_link_works_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("once@example.org", PASSWORD).await;
    let token = app.emailed_token("once@example.org", "/verify-email").await;
    let first = app
        .post_form("/api/verify_email", &[("token", &token)])
        .await;
    assert_eq!(first.headers()["location"], "/signin?verified=1");
    let (status, body) = TestApp::error_of(
        app.post_form("/api/verify_email", &[("token", &token)])
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["InvalidRequest"], "This link has already been used.");
}

#[sqlx::test(migrations = false)]
async fn an_expired_verification_link_is_refused_and_a_new_one_can_be_sent(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("late@example.org", PASSWORD).await;
    let token = app.emailed_token("late@example.org", "/verify-email").await;
    sqlx::query("update email_tokens set created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour'")
        .execute(&app.pool)
        .await
        .expect("age");
    let (_, body) = TestApp::error_of(
        app.post_form("/api/verify_email", &[("token", &token)])
            .await,
    )
    .await;
    assert!(body["InvalidRequest"]
        .as_str()
        .expect("message")
        .contains("expired"));
    let resend = app
        .post_form("/api/resend_verification", &[("email", "late@example.org")])
        .await;
    assert_eq!(resend.status(), 200);
    let fresh = app.emailed_token("late@example.org", "/verify-email").await;
    assert_ne!(fresh, token);
    // A second request within the cooldown sends nothing more.
    app.post_form("/api/resend_verification", &[("email", "late@example.org")])
        .await;
    let sent: i64 =
        sqlx::query_scalar("select count(*) from outbox where recipient = 'late@example.org'")
            .fetch_one(&app.pool)
            .await
            .expect("n");
    assert_eq!(sent, 2);
    assert_eq!(
        app.post_form("/api/verify_email", &[("token", &fresh)])
            .await
            .status(),
        200
    );
}

#[sqlx::test(migrations = false)]
async fn password_reset_changes_the_password_and_ends_every_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("reset@example.org").await;
    let other = app.new_browser();
    let r = app
        .post_form_with(
            &other,
            "/api/forgot_password",
            &[("email", "reset@example.org")],
        )
        .await;
    assert_eq!(r.headers()["location"], "/forgot-password?sent=1");
    let unknown = app
        .post_form_with(
            &other,
            "/api/forgot_password",
            &[("email", "nobody@example.org")],
        )
        .await;
    assert_eq!(
        unknown.headers()["location"],
        "/forgot-password?sent=1",
        "same answer for unknown addresses"
    );
    let token = app
        .emailed_token("reset@example.org", "/reset-password")
        .await;
    let new_password = "a completely different passphrase";
    let done = app
        .post_form_with(
            &other,
            "/api/reset_password",
            &[("token", &token), ("password", new_password)],
        )
        .await;
    assert_eq!(done.headers()["location"], "/signin?reset=1");
    assert_eq!(
        my_application(&app, &app.client).await,
        401,
        "the old session ended"
    );
    let (status, _) = TestApp::error_of(
        app.post_form(
            "/api/sign_in",
            &[("email", "reset@example.org"), ("password", PASSWORD)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 401);
    let ok = app
        .post_form(
            "/api/sign_in",
            &[("email", "reset@example.org"), ("password", new_password)],
        )
        .await;
    assert_eq!(ok.status(), 200);
    let reused = app
        .post_form(
            "/api/reset_password",
            &[
                ("token", &token),
                ("password", "yet another long passphrase"),
            ],
        )
        .await;
    assert_eq!(reused.status(), 422);
}

#[sqlx::test(migrations = false)]
async fn changing_the_password_keeps_this_session_and_ends_the_others(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("change@example.org").await;
    let laptop = app.new_browser();
    app.post_form_with(
        &laptop,
        "/api/sign_in",
        &[("email", "change@example.org"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(my_application(&app, &laptop).await, 200);

    let wrong = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", "not my password"),
                ("new_password", "brand new passphrase here"),
            ],
        )
        .await;
    let (status, body) = TestApp::error_of(wrong).await;
    assert_eq!(status, 422);
    assert_eq!(body["Validation"][0]["field"], "current_password");

    let ok = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "brand new passphrase here"),
            ],
        )
        .await;
    assert_eq!(ok.headers()["location"], "/profile?password_changed=1");
    assert_eq!(
        my_application(&app, &app.client).await,
        200,
        "this session stays"
    );
    assert_eq!(
        my_application(&app, &laptop).await,
        401,
        "the other session ended"
    );
}

#[sqlx::test(migrations = false)]
async fn changing_the_email_takes_effect_once_the_new_address_is_verified(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("old@example.org").await;
    let r = app
        .post_form(
            "/api/change_email",
            &[("email", "new@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.headers()["location"], "/profile?email_sent=1");
    let me: Value = app
        .post_form("/api/current_user", &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "old@example.org", "unchanged until verified");
    let token = app.emailed_token("new@example.org", "/verify-email").await;
    app.post_form("/api/verify_email", &[("token", &token)])
        .await;
    let me: Value = app
        .post_form("/api/current_user", &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "new@example.org");
    let told: i64 = sqlx::query_scalar("select count(*) from outbox where recipient = 'old@example.org' and subject like '%changing%'")
        .fetch_one(&app.pool)
        .await
        .expect("n");
    assert_eq!(told, 1);
}

#[sqlx::test(migrations = false)]
async fn onboarding_applications_are_one_at_a_time(pool: PgPool) {
    let app = spawn_app(pool).await;
    let anonymous = app
        .post_form(
            "/api/submit_application",
            &[
                ("building", "x"),
                ("industry", "finance"),
                ("expected_usage", "prototype"),
            ],
        )
        .await;
    assert_eq!(anonymous.status(), 401);
    app.signed_in_developer("apply@example.org").await;
    let form = [
        (
            "building",
            "A reconciliation assistant for small accounting firms.",
        ),
        ("industry", "finance"),
        ("expected_usage", "prototype"),
    ];
    let first = app.post_form("/api/submit_application", &form).await;
    assert_eq!(first.headers()["location"], "/dashboard?applied=1");
    let mine: Value = app
        .post_form("/api/my_application", &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["status"], "pending");
    assert_eq!(mine["industry"], "Finance");
    let (status, _) =
        TestApp::error_of(app.post_form("/api/submit_application", &form).await).await;
    assert_eq!(status, 409);
}

#[sqlx::test(migrations = false)]
async fn cross_site_posts_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let form = [("email", "a@example.org"), ("password", PASSWORD)];
    let evil = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(evil.status(), 403);
    let no_origin = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(no_origin.status(), 403);
    let cross_site = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("origin", &app.address)
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(cross_site.status(), 403);
    let referer = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("referer", format!("{}/signin", app.address))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(referer.status(), 401, "a same-origin Referer is enough");
}

#[sqlx::test(migrations = false)]
async fn pages_send_a_content_security_policy_with_the_scripts_nonce(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let html = response.text().await.expect("body");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("nonce in CSP");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
}

#[sqlx::test(migrations = false)]
async fn signed_in_pages_send_visitors_to_sign_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/dashboard").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/signin?next=/dashboard");
    // Whatever the client accepts: a page is never answered as data.
    let bare = app
        .client
        .get(format!("{}/dashboard", app.address))
        .send()
        .await
        .expect("answer");
    assert_eq!(bare.status(), 303);
    assert_eq!(bare.headers()["location"], "/signin?next=/dashboard");
    app.signed_in_developer("dash@example.org").await;
    let page = app.get("/dashboard").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Welcome, Ada Tester"));
    assert!(html.contains("Start your application"));
}

#[sqlx::test(migrations = false)]
async fn idle_and_old_sessions_end(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.signed_in_developer("idle@example.org").await;
    assert_eq!(my_application(&app, &app.client).await, 200);
    sqlx::query("update logins set last_seen_at = now() - interval '121 minutes'")
        .execute(&app.pool)
        .await
        .expect("idle");
    assert_eq!(
        my_application(&app, &app.client).await,
        401,
        "idle for longer than 120 minutes"
    );

    let other = app.new_browser();
    app.post_form_with(
        &other,
        "/api/sign_in",
        &[("email", "idle@example.org"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(my_application(&app, &other).await, 200);
    sqlx::query(
        "update logins set created_at = now() - interval '169 hours' where ended_at is null",
    )
    .execute(&app.pool)
    .await
    .expect("age");
    assert_eq!(
        my_application(&app, &other).await,
        401,
        "older than 168 hours"
    );
}

#[sqlx::test(migrations = false)]
async fn a_call_with_missing_or_malformed_fields_is_the_callers_error(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, error) = TestApp::error_of(
        app.post_form("/api/sign_in", &[("email", "someone@example.org")])
            .await,
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(error.get("InvalidRequest").is_some(), "{error}");

    let garbage = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("origin", &app.address)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%")
        .send()
        .await
        .expect("request failed");
    assert_eq!(garbage.status(), 422);

    let unknown = app.post_form("/api/no_such_function", &[]).await;
    assert_eq!(unknown.status(), 404);
}

/// Where a no-JavaScript form post was sent back to, from the page `from`,
/// and the error it carries there.
async fn sent_back(app: &TestApp, from: &str, form: &[(&str, &str)]) -> (String, String) {
    let response = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("origin", &app.address)
        .header("referer", from)
        .header("accept", "text/html,application/xhtml+xml")
        .form(form)
        .send()
        .await
        .expect("request failed");
    assert_eq!(response.status(), 302);
    assert!(carries_form_error(&response));
    let error = form_error_cookie(&response).expect("the error");
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a location")
        .to_owned();
    (location, error)
}

#[sqlx::test(migrations = false)]
async fn without_javascript_a_second_failed_post_shows_its_own_error(pool: PgPool) {
    let app = spawn_app(pool).await;
    let page = format!("{}/sign-in", app.address);
    let wrong = [
        ("email", "nobody@example.org"),
        ("password", "not the password"),
    ];
    let incomplete = [("email", "nobody@example.org")];
    let err = |error: &str| {
        error
            .split('&')
            .filter(|pair| pair.starts_with("__err="))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };

    let (first, first_error) = sent_back(&app, &page, &wrong).await;
    assert_eq!(first, page, "the address stays the form's own");
    assert_eq!(err(&first_error).len(), 1, "{first_error}");
    let (_, second) = sent_back(&app, &first, &incomplete).await;
    let (_, alone) = sent_back(&app, &page, &incomplete).await;
    assert_eq!(err(&second), err(&alone), "{second}");
    assert_ne!(err(&second), err(&first_error));
    assert_eq!(second.matches("__path=").count(), 1, "{second}");
}

#[sqlx::test(migrations = false)]
async fn without_javascript_a_failed_sign_up_comes_back_filled_in_but_for_the_password(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let page = format!("{}/signup", app.address);
    let response = app
        .client
        .post(format!("{}/api/sign_up", app.address))
        .header("origin", &app.address)
        .header("referer", &page)
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[
            ("email", "kept@example.org"),
            ("password", "too short"),
            ("display_name", "Grace Kept"),
            ("account_kind", "business"),
            ("organization", "Kept & Co"),
            ("country", "FR"),
        ])
        .send()
        .await
        .expect("request failed");
    assert_eq!(response.status(), 302);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lab_form="))
        .expect("the fields kept")
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("back to the form")
        .to_owned();

    let html = app
        .client
        .get(&location)
        .header("accept", "text/html")
        .send()
        .await
        .expect("request failed");
    let clears = html
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("lab_form=;") && v.contains("Max-Age=0"));
    assert!(clears, "the page clears the kept fields");
    let html = html.text().await.expect("html");
    assert!(html.contains(r#"value="kept@example.org""#), "{html}");
    assert!(html.contains(r#"value="Grace Kept""#));
    assert!(html.contains(r#"value="Kept &amp; Co""#));
    assert!(html.contains(r#"<option value="business" selected"#));
    assert!(html.contains(r#"<option value="FR" selected"#));
    assert!(!html.contains("too short"));
    assert!(html.contains("Use at least 12 characters."));

    // Shown once: the next visit starts empty.
    let again = app.get("/signup").await.text().await.expect("html");
    assert!(!again.contains("kept@example.org"));
}

/// Signs `app.client` up as a business named `company`, verifies the
/// address through the emailed link and signs in.
async fn signed_in_business(app: &TestApp, email: &str, company: &str) {
    signed_in_as(app, email, "business", company).await;
}

/// Signs `app.client` up as an account of `kind` from `organization`,
/// verifies the address through the emailed link and signs in.
async fn signed_in_as(app: &TestApp, email: &str, kind: &str, organization: &str) {
    let response = app
        .post_form(
            "/api/sign_up",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("display_name", "Grace Founder"),
                ("account_kind", kind),
                ("organization", organization),
                ("country", "DE"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let token = app.emailed_token(email, "/verify-email").await;
    assert_eq!(
        app.post_form("/api/verify_email", &[("token", &token)])
            .await
            .status(),
        200
    );
    let response = app
        .post_form("/api/sign_in", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), 200);
}

/// Sends an onboarding application from `client`; its id.
async fn apply_from(app: &TestApp, client: &reqwest::Client, email: &str) -> String {
    let response = app
        .post_form_with(
            client,
            "/api/submit_application",
            &[
                (
                    "building",
                    "A reconciliation assistant for our finance team.",
                ),
                ("industry", "finance"),
                ("expected_usage", "prototype"),
            ],
        )
        .await;
    assert_eq!(response.headers()["location"], "/dashboard?applied=1");
    let id: uuid::Uuid = sqlx::query_scalar(
        "select a.id from applications a join users u on u.id = a.user_id where u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .expect("the application");
    id.to_string()
}

async fn my_application_of(app: &TestApp, client: &reqwest::Client) -> Value {
    let response = app.post_form_with(client, "/api/my_application", &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn dashboard(app: &TestApp, client: &reqwest::Client) -> String {
    let response = crate::helpers::page(app, client, "/dashboard").await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("html")
}

#[sqlx::test(migrations = false)]
async fn an_approved_business_application_offers_to_create_the_companys_organization(pool: PgPool) {
    let app = spawn_app(pool).await;
    signed_in_business(&app, "grace@acme.test", "Acme Labs").await;
    let business = apply_from(&app, &app.client, "grace@acme.test").await;
    let mine = my_application_of(&app, &app.client).await;
    assert_eq!(mine["status"], "pending");
    assert_eq!(mine["business"], "Acme Labs");
    let offer = r#"data-testid="org-offer""#;
    assert!(
        !dashboard(&app, &app.client).await.contains(offer),
        "no offer before the application is approved"
    );

    // A developer's application names no company, approved or not.
    crate::helpers::create_user(&app, "dev@example.org", "developer").await;
    let dev = crate::helpers::signed_in(&app, "dev@example.org").await;
    let developer = apply_from(&app, &dev, "dev@example.org").await;
    assert_eq!(my_application_of(&app, &dev).await["business"], Value::Null);

    crate::helpers::create_user(&app, "admin@lab.example", "admin").await;
    let admin = crate::helpers::signed_in(&app, "admin@lab.example").await;
    for application in [&business, &developer] {
        let response = app
            .post_form_with(
                &admin,
                "/api/admin_approve_application",
                &[("application_id", application), ("note", "")],
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let mine = my_application_of(&app, &app.client).await;
    assert_eq!(mine["status"], "approved");
    assert_eq!(mine["business"], "Acme Labs");
    let html = dashboard(&app, &app.client).await;
    assert!(html.contains(offer), "{html}");
    assert!(html.contains(r#"href="/orgs?name=Acme+Labs""#), "{html}");
    assert!(
        html.contains("Create Acme Labs&#x27;s organization")
            || html.contains("Create Acme Labs's organization"),
        "{html}"
    );
    assert!(!dashboard(&app, &dev).await.contains(offer));

    // The link fills in the company's name and a slug made from it.
    let form = crate::helpers::page(&app, &app.client, "/orgs?name=Acme+Labs")
        .await
        .text()
        .await
        .expect("html");
    assert!(form.contains(r#"value="Acme Labs""#), "{form}");
    assert!(form.contains(r#"value="acme-labs""#), "{form}");

    // Once the organization is created, the dashboard lists it instead.
    let created = app
        .post_form(
            "/api/create_organization",
            &[
                ("name", "Acme Labs"),
                ("slug", "acme-labs"),
                ("website", ""),
                ("country", "DE"),
                ("industry", "finance"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(created.status(), 200);
    let html = dashboard(&app, &app.client).await;
    assert!(!html.contains(offer), "{html}");
    assert!(html.contains("/orgs/acme-labs"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn an_approved_academic_application_sets_up_its_institution_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    signed_in_as(
        &app,
        "prof@uni-example.edu",
        "academic",
        "Example University",
    )
    .await;
    let application = apply_from(&app, &app.client, "prof@uni-example.edu").await;
    let offer = r#"data-testid="institution-offer""#;
    let form = [
        ("name", "Example University"),
        ("slug", "example-u"),
        ("country", "SG"),
        ("website", ""),
        ("time_zone", "Asia/Singapore"),
    ];
    // Not before the application is approved.
    assert!(!dashboard(&app, &app.client).await.contains(offer));
    let early = app.post_form("/api/create_own_institution", &form).await;
    assert_eq!(early.status(), 409);

    // Nor for a developer whose application was approved.
    crate::helpers::create_user(&app, "dev@example.org", "developer").await;
    let dev = crate::helpers::signed_in(&app, "dev@example.org").await;
    let developer = apply_from(&app, &dev, "dev@example.org").await;
    crate::helpers::create_user(&app, "admin@lab.example", "admin").await;
    let admin = crate::helpers::signed_in(&app, "admin@lab.example").await;
    for id in [&application, &developer] {
        let approved = app
            .post_form_with(
                &admin,
                "/api/admin_approve_application",
                &[("application_id", id), ("note", "")],
            )
            .await;
        assert_eq!(approved.status(), 200);
    }
    assert_eq!(
        my_application_of(&app, &app.client).await["academic"],
        serde_json::json!({"university": "Example University", "country": "DE", "domain": "uni-example.edu"})
    );
    let html = dashboard(&app, &app.client).await;
    assert!(html.contains(offer), "{html}");
    assert!(html.contains("Set up Example University"), "{html}");
    assert!(!dashboard(&app, &dev).await.contains(offer));
    let refused = app
        .post_form_with(&dev, "/api/create_own_institution", &form)
        .await;
    assert_eq!(refused.status(), 409);

    // Set up: its admin is the applicant, its domain theirs, the
    // application recorded; and the offer is gone.
    let created = app.post_form("/api/create_own_institution", &form).await;
    assert_eq!(created.status(), 200);
    let (role, domain, from): (String, String, uuid::Uuid) = sqlx::query_as(
        "select m.role, d.domain, i.application_id
         from teams t join institutions i on i.team_id = t.id
         join team_members m on m.team_id = t.id join users u on u.id = m.user_id
         join team_domains d on d.team_id = t.id
         where t.slug = 'example-u' and u.email = 'prof@uni-example.edu'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the institution");
    assert_eq!(
        (role.as_str(), domain.as_str()),
        ("admin", "uni-example.edu")
    );
    assert_eq!(from.to_string(), application);
    let page = crate::helpers::page(&app, &app.client, "/institutions/example-u").await;
    assert_eq!(page.status(), 200);
    assert!(!dashboard(&app, &app.client).await.contains(offer));
    let mut second = form;
    second[1] = ("slug", "example-u-2");
    let again = app.post_form("/api/create_own_institution", &second).await;
    assert_eq!(again.status(), 409, "one institution per application");
}
