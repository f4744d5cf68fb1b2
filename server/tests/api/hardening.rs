//! What a security probe found, each point fixed where it belongs: headers
//! on every response, caching of what is a caller's own, the `Host` a page
//! is asked for, sessions stored under hashed ids, a real redirect for
//! signed-out visitors.

use crate::helpers::{create_user, page, sign_in, signed_in, spawn_app, TestApp};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn every_response_carries_the_baseline_headers_the_api_included(pool: PgPool) {
    let app = spawn_app(pool).await;
    for path in ["/", "/v1/models", "/simulator/v1/models", "/pkg/missing.js"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            headers["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn what_a_signed_in_caller_gets_is_never_stored(pool: PgPool) {
    let app = spawn_app(pool).await;
    // A visitor's pages may be kept and revalidated.
    assert_eq!(app.get("/").await.headers()["cache-control"], "no-cache");
    create_user(&app, "dev@example.org", "developer").await;
    let browser = signed_in(&app, "dev@example.org").await;
    for (method, path) in [
        ("GET", "/dashboard"),
        ("GET", "/keys"),
        ("GET", "/credits"),
        ("GET", "/profile"),
        ("GET", "/"),
        ("POST", "/api/current_user"),
        ("POST", "/api/my_balance"),
        ("POST", "/api/list_api_keys"),
    ] {
        let url = format!("{}{path}", app.address);
        let request = if method == "GET" {
            browser.get(url).header("accept", "text/html")
        } else {
            browser.post(url).header("origin", &app.address)
        };
        let response = request.send().await.expect("answer");
        assert!(
            response.status().as_u16() < 400,
            "{path}: {}",
            response.status()
        );
        assert_eq!(
            response.headers()["cache-control"],
            "private, no-store",
            "{method} {path}"
        );
    }
    // The answer that sets the session cookie is the caller's too.
    let response = sign_in(&app, &app.new_browser(), "dev@example.org").await;
    assert!(response.headers().contains_key("set-cookie"));
    assert_eq!(response.headers()["cache-control"], "private, no-store");
}

#[sqlx::test(migrations = false)]
async fn a_page_asked_for_under_another_name_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let port = app.address.rsplit(':').next().expect("a port").to_owned();
    let rebound = format!("rebind.example:{port}");
    // DNS rebinding: the attacker's name points at the portal, and the
    // browser sends that name as Host and as the Origin of the page.
    let response = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("host", &rebound)
        .header("origin", format!("http://{rebound}"))
        .form(&[("email", "x@example.org"), ("password", "whatever")])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 421);
    let page = app
        .client
        .get(format!("{}/signin", app.address))
        .header("host", &rebound)
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 421);
    // Addresses and localhost are the portal's own.
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let page = app
            .client
            .get(format!("{}/signin", app.address))
            .header("host", &host)
            .send()
            .await
            .expect("answer");
        assert_eq!(page.status(), 200, "{host}");
    }
}

#[sqlx::test(migrations = false)]
async fn the_session_table_never_holds_a_session_id(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "dev@example.org", "developer").await;
    let response = sign_in(&app, &app.new_browser(), "dev@example.org").await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let id = cookie
        .strip_prefix("lab_session=")
        .and_then(|rest| rest.split(';').next())
        .expect("the session cookie");
    let stored: Vec<(String, Vec<u8>)> =
        sqlx::query_as("select id, data from tower_sessions.session")
            .fetch_all(&app.pool)
            .await
            .expect("sessions");
    assert_eq!(stored.len(), 1);
    let (stored_id, data) = &stored[0];
    assert_ne!(stored_id, id);
    let raw: tower_sessions::session::Id = id.parse().expect("a session id");
    for needle in [
        id.as_bytes().to_vec(),
        raw.0.to_le_bytes().to_vec(),
        raw.0.to_be_bytes().to_vec(),
    ] {
        let named = data.windows(needle.len()).any(|w| w == needle.as_slice());
        assert!(!named, "the stored record holds the session id");
    }
    // The cookie still opens the session.
    let page = app
        .client
        .get(format!("{}/dashboard", app.address))
        .header("cookie", format!("lab_session={id}"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    // The stored id opens nothing.
    let page = app
        .client
        .get(format!("{}/dashboard", app.address))
        .header("cookie", format!("lab_session={stored_id}"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 303);
}

#[sqlx::test(migrations = false)]
async fn a_nul_byte_in_a_search_or_an_email_is_a_field_error_never_a_500(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "staff@lab.example", "admin").await;
    let admin = signed_in(&app, "staff@lab.example").await;
    for (path, field) in [
        ("/api/admin_list_users", "q"),
        ("/api/admin_list_outbox", "q"),
        ("/api/admin_list_audit", "action"),
        ("/api/admin_credit_account", "email"),
        ("/api/my_usage", "model"),
    ] {
        let response = app.post_form_with(&admin, path, &[(field, "ada\0")]).await;
        let (status, body) = TestApp::error_of(response).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["Validation"][0]["field"], field, "{path}: {body}");
    }
    let response = app
        .post_form(
            "/api/sign_in",
            &[
                ("email", "ada\0@example.org"),
                ("password", "anything at all"),
            ],
        )
        .await;
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(
        (status, &body["Validation"][0]["field"]),
        (422, &json!("email"))
    );
    // The pages reading those filters from their address show the error.
    for path in [
        "/admin/users?q=%00",
        "/admin/outbox?q=%00",
        "/admin/audit?action=%00",
        "/admin/credits?email=%00",
        "/usage?model=%00",
    ] {
        let page = page(&app, &admin, path).await;
        assert!(page.status().as_u16() < 500, "{path}: {}", page.status());
        let html = page.text().await.expect("html");
        assert!(html.contains("control characters"), "{path}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_huge_page_number_is_the_last_page_there_can_be_never_a_500(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "staff@lab.example", "admin").await;
    let admin = signed_in(&app, "staff@lab.example").await;
    let huge = "400000000000000000";
    for path in [
        "/api/my_credit_statement",
        "/api/my_usage",
        "/api/admin_list_users",
        "/api/admin_list_outbox",
        "/api/admin_list_audit",
        "/api/admin_list_applications",
    ] {
        let response = app.post_form_with(&admin, path, &[("page", huge)]).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    for path in [
        "/credits",
        "/usage",
        "/admin/users",
        "/admin/audit",
        "/admin/outbox",
    ] {
        let page = page(&app, &admin, &format!("{path}?page={huge}")).await;
        assert_eq!(page.status(), 200, "{path}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_password_reset_is_answered_before_any_work_that_depends_on_the_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "ada@example.org", "developer").await;
    // While nothing can be written to the outbox, the answer still comes:
    // it does not wait for the token and the email, which only an existing
    // account gets (their time would tell that the account exists).
    let mut lock = app.pool.begin().await.expect("a transaction");
    sqlx::query("lock table outbox in access exclusive mode")
        .execute(&mut *lock)
        .await
        .expect("locked");
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.post_form("/api/forgot_password", &[("email", "ada@example.org")]),
    )
    .await
    .expect("answered while the outbox is locked");
    assert_eq!(answer.headers()["location"], "/forgot-password?sent=1");
    lock.rollback().await.expect("unlocked");
    let token = app
        .emailed_token("ada@example.org", "/reset-password")
        .await;
    assert!(!token.is_empty());
}

#[sqlx::test(migrations = false)]
async fn guessing_the_current_password_behind_a_session_is_throttled_as_sign_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "ada@example.org", "developer").await;
    let browser = signed_in(&app, "ada@example.org").await;
    let attempt = |current: &'static str| {
        let app = &app;
        let browser = &browser;
        async move {
            let response = app
                .post_form_with(
                    browser,
                    "/api/change_password",
                    &[
                        ("current_password", current),
                        ("new_password", "Granite orchard lantern 5150"),
                    ],
                )
                .await;
            TestApp::error_of(response).await.0
        }
    };
    for _ in 0..5 {
        assert_eq!(attempt("not my password at all").await, 422);
    }
    // Locked now: even the right password waits.
    assert_eq!(attempt(crate::helpers::PASSWORD).await, 429);
}

#[sqlx::test(migrations = false)]
async fn changing_to_an_address_someone_has_answers_as_any_and_tells_its_owner(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "ada@example.org", "developer").await;
    create_user(&app, "grace@example.org", "developer").await;
    let ada = signed_in(&app, "ada@example.org").await;
    let mut answers = Vec::new();
    for address in ["fresh@example.org", "grace@example.org"] {
        let response = app
            .post_form_with(
                &ada,
                "/api/change_email",
                &[("email", address), ("password", crate::helpers::PASSWORD)],
            )
            .await;
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        answers.push((status, body));
    }
    assert_eq!(
        answers[0], answers[1],
        "the answer tells whether the address is taken"
    );
    assert_eq!(answers[0].0, 200);
    let to_grace: Vec<(String, String)> = sqlx::query_as(
        "select subject, body_text from outbox where recipient = 'grace@example.org'",
    )
    .fetch_all(&app.pool)
    .await
    .expect("outbox");
    assert_eq!(to_grace.len(), 1, "{to_grace:?}");
    assert!(to_grace[0].0.contains("use your address"), "{to_grace:?}");
    assert!(
        !to_grace[0].1.contains("token="),
        "no link that could never work"
    );
    // Ada's own address hears of both attempts.
    let to_ada: i64 = sqlx::query_scalar(
        "select count(*) from outbox where recipient = 'ada@example.org' and subject like '%changing%'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("outbox");
    assert_eq!(to_ada, 2);
}

#[sqlx::test(migrations = false)]
async fn an_error_written_into_a_link_is_never_shown(pool: PgPool) {
    let app = spawn_app(pool).await;
    // A real error of the sign-in form, as its failed plain post keeps it.
    let failed = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("origin", &app.address)
        .header("referer", format!("{}/signin", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[
            ("email", "nobody@example.org"),
            ("password", "not the password"),
        ])
        .send()
        .await
        .expect("answer");
    let error = crate::helpers::form_error_cookie(&failed).expect("the kept error");
    // The same parameters in a link someone else sends: no error shown, and
    // the page's script takes them out of the address before hydrating.
    let forged = page(
        &app,
        &app.new_browser(),
        &format!("/signin?next=%2Fkeys&{error}"),
    )
    .await
    .text()
    .await
    .expect("html");
    assert!(!forged.contains("The email or password is incorrect."));
    assert!(!forged.contains("__err"), "the forged error is echoed");
    assert!(
        forged.contains(r#"location.pathname + "?next=%2Fkeys" + location.hash"#),
        "the address is cleaned before hydration"
    );
}

#[sqlx::test(migrations = false)]
async fn the_keys_page_says_why_keys_of_an_account_without_credit_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "ada@example.org", "developer").await;
    let ada = signed_in(&app, "ada@example.org").await;
    let keys_page = |browser: &reqwest::Client| {
        let app = &app;
        let browser = browser.clone();
        async move {
            page(app, &browser, "/keys")
                .await
                .text()
                .await
                .expect("html")
        }
    };
    assert!(keys_page(&ada)
        .await
        .contains("This account has no credits yet."));
    let form = [
        ("building", "A support assistant for our helpdesk."),
        ("industry", "retail"),
        ("expected_usage", "prototype"),
    ];
    let sent = app
        .post_form_with(&ada, "/api/submit_application", &form)
        .await;
    assert_eq!(sent.status(), 200);
    let pending = keys_page(&ada).await;
    assert!(
        pending.contains("Your application is under review."),
        "{pending}"
    );
    // With credit, nothing to explain.
    create_user(&app, "staff@lab.example", "admin").await;
    let staff = signed_in(&app, "staff@lab.example").await;
    let granted = app
        .post_form_with(
            &staff,
            "/api/admin_grant_credits",
            &[
                ("email", "ada@example.org"),
                ("amount", "5"),
                ("reason", "A test grant"),
                ("expiry", ""),
                ("idempotency_key", "6f1d2c1e-6a0b-4f5e-9a57-1a2b3c4d5e6f"),
            ],
        )
        .await;
    assert_eq!(
        granted.status(),
        200,
        "{}",
        granted.text().await.unwrap_or_default()
    );
    let funded = keys_page(&ada).await;
    assert!(!funded.contains("under review") && !funded.contains("no credits"));
}

/// A request body that sends one chunk and then never ends: only a server
/// that answers without reading the body answers at all.
fn endless_body() -> reqwest::Body {
    use futures_util::StreamExt as _;
    let first = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"--x\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail,amount\r\n"))
    });
    reqwest::Body::wrap_stream(first.chain(futures_util::stream::pending()))
}

#[sqlx::test(migrations = false)]
async fn a_caller_who_may_not_upload_is_refused_before_the_body_is_read(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "dev@example.org", "developer").await;
    let developer = signed_in(&app, "dev@example.org").await;
    for (browser, expected) in [(app.new_browser(), 401), (developer, 403)] {
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            browser
                .post(format!("{}/api/admin_upload_bulk_grant", app.address))
                .header("origin", &app.address)
                .header("content-type", "multipart/form-data; boundary=x")
                .body(endless_body())
                .send(),
        )
        .await
        .expect("answered without waiting for the body")
        .expect("an answer");
        assert_eq!(answer.status().as_u16(), expected);
    }
    // Without JavaScript, a signed-out post goes to sign in, then back.
    let answer = app
        .new_browser()
        .post(format!("{}/api/create_api_key", app.address))
        .header("origin", &app.address)
        .header("referer", format!("{}/keys", app.address))
        .header("accept", "text/html")
        .form(&[("name", "ci")])
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/signin?next=/keys");
}

#[sqlx::test(migrations = false)]
async fn a_single_use_link_is_never_kept_where_admins_or_the_log_read_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let signed_up = app
        .sign_up("ada@example.org", crate::helpers::PASSWORD)
        .await;
    assert_eq!(signed_up.status(), 200);
    let (kept, secret): (String, Option<String>) = sqlx::query_as(
        "select body_text, secret_body_text from outbox where recipient = 'ada@example.org'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the verification email");
    assert!(!kept.contains("token="), "{kept}");
    assert!(kept.contains(app::server::emails::LINK_NOT_KEPT));
    assert!(secret.is_some_and(|body| body.contains("/verify-email?token=")));
    // Sent (here: marked sent as the mailer does), the link is forgotten.
    let mut conn = app.pool.acquire().await.expect("connection");
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from outbox where recipient = 'ada@example.org'")
            .fetch_one(&mut *conn)
            .await
            .expect("id");
    app::server::services::outbox::mark_sent(&mut conn, id)
        .await
        .expect("sent");
    let secret: Option<String> =
        sqlx::query_scalar("select secret_body_text from outbox where id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .expect("row");
    assert_eq!(secret, None);
    // An unsent one forgets it once no link in it can work any more (a
    // portal without SMTP, whose admins read fresh links, after an hour).
    for age in ["2 hours", "25 hours"] {
        sqlx::query(
            "insert into outbox (id, recipient, subject, body_text, secret_body_text, created_at)
             values ($1, 'old@example.org', 'Old', 'kept', 'Open /reset-password?token=old', now() - $2::interval)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(age)
        .execute(&app.pool)
        .await
        .expect("an old email");
    }
    let forgotten = app::server::services::outbox::forget_secrets(&app.pool)
        .await
        .expect("forgotten");
    let expected = if app::server::services::outbox::sends_no_email() {
        2
    } else {
        1
    };
    assert_eq!(forgotten, expected);
}
