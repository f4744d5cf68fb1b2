//! The admin console: every server function refuses visitors and
//! developers, users are listed, changed and suspended with audit records,
//! applications are decided, and the pages render for admins only.

use crate::helpers::{carries_form_error, page as get, spawn_app, TestApp};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";

/// Every admin server function, with arguments it accepts.
const ADMIN_ENDPOINTS: &[(&str, &[(&str, &str)])] = &[
    ("admin_overview", &[]),
    ("admin_list_users", &[("q", "a"), ("page", "1")]),
    (
        "admin_get_user",
        &[("id", "00000000-0000-7000-8000-000000000000")],
    ),
    (
        "admin_change_role",
        &[
            ("user_id", "00000000-0000-7000-8000-000000000000"),
            ("role", "admin"),
        ],
    ),
    (
        "admin_suspend_user",
        &[("user_id", "00000000-0000-7000-8000-000000000000")],
    ),
    (
        "admin_reactivate_user",
        &[("user_id", "00000000-0000-7000-8000-000000000000")],
    ),
    ("admin_list_applications", &[("status", "pending")]),
    (
        "admin_approve_application",
        &[
            ("application_id", "00000000-0000-7000-8000-000000000000"),
            ("note", ""),
        ],
    ),
    (
        "admin_reject_application",
        &[
            ("application_id", "00000000-0000-7000-8000-000000000000"),
            ("note", "No."),
        ],
    ),
    ("admin_list_outbox", &[]),
    ("admin_list_audit", &[("action", "user.suspend")]),
];

/// One argon2 hash of [`PASSWORD`], shared by every account the tests make.
async fn password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        let password =
            app::domain::password::Password::parse(PASSWORD.into(), &[]).expect("a valid password");
        app::server::password::hash(password).await.expect("hash")
    })
    .await
    .clone()
}

/// A verified, active account with `role`, made directly in the database.
async fn create_user(app: &TestApp, email: &str, name: &str, role: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, platform_role, email_verified_at)
         values ($1, $2, $3, $4, 'developer', 'DE', $5, now())",
    )
    .bind(id)
    .bind(email)
    .bind(password_hash().await)
    .bind(name)
    .bind(role)
    .execute(&app.pool)
    .await
    .expect("insert user");
    id
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Posts a form as the portal's own pages (or their scripts) do.
async fn post(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
    client
        .post(format!("{}{path}", app.address))
        .header("origin", &app.address)
        .form(form)
        .send()
        .await
        .expect("request failed")
}

/// Posts a form as a browser without JavaScript does: HTML accepted, and the
/// page it was on as the Referer.
async fn post_html(
    app: &TestApp,
    client: &Client,
    path: &str,
    from: &str,
    form: &[(&str, &str)],
) -> Response {
    client
        .post(format!("{}{path}", app.address))
        .header("origin", &app.address)
        .header("referer", format!("{}{from}", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .form(form)
        .send()
        .await
        .expect("request failed")
}

/// A browser signed in as `email` through the real sign-in function.
async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = browser();
    let response = post(
        app,
        &client,
        "/api/sign_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    client
}

/// An admin account and a browser signed in as it.
async fn admin(app: &TestApp) -> (Uuid, Client) {
    let id = create_user(app, "admin@lab.example", "Grace Admin", "admin").await;
    (id, signed_in(app, "admin@lab.example").await)
}

/// The JSON answer of a server function call that must succeed.
async fn ok_json(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    body
}

/// The status and JSON error of a server function call.
async fn error_of(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("json error"))
}

/// Sends an onboarding application as the signed-in `client`.
async fn apply(app: &TestApp, client: &Client) -> Uuid {
    let form = [
        ("building", "A support assistant for our helpdesk."),
        ("industry", "retail"),
        ("expected_usage", "prototype"),
    ];
    assert_eq!(
        post(app, client, "/api/submit_application", &form)
            .await
            .status(),
        200
    );
    sqlx::query_scalar("select id from applications order by created_at desc limit 1")
        .fetch_one(&app.pool)
        .await
        .expect("application")
}

#[derive(Debug, sqlx::FromRow)]
struct AuditRecord {
    actor_id: Option<Uuid>,
    action: String,
    target_type: String,
    target_id: String,
    before: Option<Value>,
    after: Option<Value>,
    client_addr: Option<String>,
}

async fn audit_records(app: &TestApp) -> Vec<AuditRecord> {
    sqlx::query_as(
        "select actor_id, action, target_type, target_id, before, after, host(client_addr) as client_addr
         from audit_log order by id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("audit log")
}

fn emails(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["email"].as_str().expect("email"))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn every_admin_function_refuses_visitors_and_developers(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "dev@example.org", "Dev", "developer").await;
    let visitor = browser();
    let developer = signed_in(&app, "dev@example.org").await;
    for (endpoint, form) in ADMIN_ENDPOINTS {
        let path = format!("/api/{endpoint}");
        let (status, body) = error_of(post(&app, &visitor, &path, form).await).await;
        assert_eq!(
            (status, &body),
            (401, &json!("Unauthorized")),
            "{endpoint} for a visitor"
        );
        let (status, body) = error_of(post(&app, &developer, &path, form).await).await;
        assert_eq!(
            (status, &body),
            (403, &json!("Forbidden")),
            "{endpoint} for a developer"
        );
    }
    let role: String =
        sqlx::query_scalar("select platform_role from users where email = 'dev@example.org'")
            .fetch_one(&app.pool)
            .await
            .expect("role");
    assert_eq!(role, "developer");
    assert!(audit_records(&app).await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn admins_list_users_with_search_and_pages(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    for n in 1..=30 {
        create_user(
            &app,
            &format!("member{n:02}@example.org"),
            &format!("Member {n:02}"),
            "developer",
        )
        .await;
    }
    create_user(&app, "zoe@example.net", "Zoë 100%_ Off", "developer").await;

    let first = ok_json(post(&app, &admin, "/api/admin_list_users", &[]).await).await;
    assert_eq!(
        (first["total"].as_i64(), first["page"].as_i64()),
        (Some(32), Some(1))
    );
    assert_eq!(emails(&first).len(), 25);
    assert_eq!(emails(&first)[0], "zoe@example.net", "newest first");
    let second = ok_json(post(&app, &admin, "/api/admin_list_users", &[("page", "2")]).await).await;
    assert_eq!(emails(&second).len(), 7);
    assert_eq!(emails(&second).last(), Some(&"admin@lab.example"));
    let beyond = ok_json(post(&app, &admin, "/api/admin_list_users", &[("page", "9")]).await).await;
    assert!(emails(&beyond).is_empty());
    assert_eq!(beyond["total"].as_i64(), Some(32));

    let by_name =
        ok_json(post(&app, &admin, "/api/admin_list_users", &[("q", "MEMBER 1")]).await).await;
    assert_eq!(
        by_name["total"].as_i64(),
        Some(10),
        "Member 10 to Member 19"
    );
    let by_email = ok_json(
        post(
            &app,
            &admin,
            "/api/admin_list_users",
            &[("q", " Example.NET ")],
        )
        .await,
    )
    .await;
    assert_eq!(emails(&by_email), ["zoe@example.net"]);
    let user = &by_email["items"][0];
    assert_eq!(
        (
            &user["display_name"],
            &user["role"],
            &user["status"],
            &user["verified"]
        ),
        (
            &json!("Zoë 100%_ Off"),
            &json!("developer"),
            &json!("active"),
            &json!(true)
        )
    );
    for wildcard in ["%", "_", "%_"] {
        let found =
            ok_json(post(&app, &admin, "/api/admin_list_users", &[("q", wildcard)]).await).await;
        assert_eq!(
            emails(&found),
            ["zoe@example.net"],
            "{wildcard} is a plain character"
        );
    }
    let none = ok_json(post(&app, &admin, "/api/admin_list_users", &[("q", "nobody")]).await).await;
    assert_eq!(none["total"].as_i64(), Some(0));
}

#[sqlx::test(migrations = false)]
async fn a_role_change_is_audited_with_the_actor_and_before_and_after(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    let dev = create_user(&app, "dev@example.org", "Dev", "developer").await;
    let dev_id = dev.to_string();

    let response = post(
        &app,
        &admin,
        "/api/admin_change_role",
        &[("user_id", &dev_id), ("role", "admin")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let role: String = sqlx::query_scalar("select platform_role from users where id = $1")
        .bind(dev)
        .fetch_one(&app.pool)
        .await
        .expect("role");
    assert_eq!(role, "admin");
    let records = audit_records(&app).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record.actor_id, Some(admin_id));
    assert_eq!(
        (record.action.as_str(), record.target_type.as_str()),
        ("user.role_change", "user")
    );
    assert_eq!(record.target_id, dev_id);
    assert_eq!(record.before, Some(json!({ "role": "developer" })));
    assert_eq!(record.after, Some(json!({ "role": "admin" })));
    assert_eq!(record.client_addr.as_deref(), Some("127.0.0.1"));

    // The same role again changes nothing and records nothing.
    post(
        &app,
        &admin,
        "/api/admin_change_role",
        &[("user_id", &dev_id), ("role", "admin")],
    )
    .await;
    assert_eq!(audit_records(&app).await.len(), 1);
    let (status, body) = error_of(
        post(
            &app,
            &admin,
            "/api/admin_change_role",
            &[("user_id", &dev_id), ("role", "root")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["Validation"][0]["field"], "role");

    let log = ok_json(
        post(
            &app,
            &admin,
            "/api/admin_list_audit",
            &[("action", "user.role_change")],
        )
        .await,
    )
    .await;
    assert_eq!(log["entries"]["total"].as_i64(), Some(1));
    let entry = &log["entries"]["items"][0];
    assert_eq!(entry["actor_email"], "admin@lab.example");
    assert_eq!(entry["before"], json!([["role", "developer"]]));
    assert_eq!(log["actions"], json!(["user.role_change"]));
}

#[sqlx::test(migrations = false)]
async fn suspending_a_user_ends_their_sessions_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    let dev = create_user(&app, "dev@example.org", "Dev", "developer").await;
    let dev_id = dev.to_string();
    let laptop = signed_in(&app, "dev@example.org").await;
    let phone = signed_in(&app, "dev@example.org").await;
    for session in [&laptop, &phone] {
        assert_eq!(
            post(&app, session, "/api/my_application", &[])
                .await
                .status(),
            200
        );
    }

    let response = post(
        &app,
        &admin,
        "/api/admin_suspend_user",
        &[("user_id", &dev_id)],
    )
    .await;
    assert_eq!(response.status(), 200);

    for session in [&laptop, &phone] {
        assert_eq!(
            post(&app, session, "/api/my_application", &[])
                .await
                .status(),
            401
        );
    }
    let open: i64 =
        sqlx::query_scalar("select count(*) from logins where user_id = $1 and ended_at is null")
            .bind(dev)
            .fetch_one(&app.pool)
            .await
            .expect("logins");
    assert_eq!(open, 0);
    let again = post(
        &app,
        &browser(),
        "/api/sign_in",
        &[("email", "dev@example.org"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(again.status(), 403, "a suspended user cannot sign in");
    let records = audit_records(&app).await;
    let record = records.last().expect("an audit record");
    assert_eq!(
        (record.action.as_str(), record.actor_id),
        ("user.suspend", Some(admin_id))
    );
    assert_eq!(
        (record.target_type.as_str(), record.target_id.as_str()),
        ("user", dev_id.as_str())
    );
    assert_eq!(record.before, Some(json!({ "status": "active" })));
    assert_eq!(
        record.after,
        Some(json!({ "status": "suspended", "logins_ended": 2 }))
    );

    let response = post(
        &app,
        &admin,
        "/api/admin_reactivate_user",
        &[("user_id", &dev_id)],
    )
    .await;
    assert_eq!(response.status(), 200);
    let records = audit_records(&app).await;
    let record = records.last().expect("an audit record");
    assert_eq!(record.action, "user.reactivate");
    assert_eq!(record.before, Some(json!({ "status": "suspended" })));
    assert_eq!(record.after, Some(json!({ "status": "active" })));
    signed_in(&app, "dev@example.org").await;
}

#[sqlx::test(migrations = false)]
async fn admins_cannot_suspend_themselves_or_change_their_own_role(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    let me = admin_id.to_string();

    let (status, body) =
        error_of(post(&app, &admin, "/api/admin_suspend_user", &[("user_id", &me)]).await).await;
    assert_eq!(status, 403);
    assert!(
        body["Refused"]
            .as_str()
            .expect("message")
            .contains("your own account"),
        "{body}"
    );
    let (status, body) = error_of(
        post(
            &app,
            &admin,
            "/api/admin_change_role",
            &[("user_id", &me), ("role", "developer")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["Refused"]
            .as_str()
            .expect("message")
            .contains("your own role"),
        "{body}"
    );

    let (role, state): (String, String) =
        sqlx::query_as("select platform_role, status from users where id = $1")
            .bind(admin_id)
            .fetch_one(&app.pool)
            .await
            .expect("admin");
    assert_eq!((role.as_str(), state.as_str()), ("admin", "active"));
    assert!(audit_records(&app).await.is_empty());
    assert_eq!(
        post(&app, &admin, "/api/admin_overview", &[])
            .await
            .status(),
        200
    );

    let unknown = Uuid::now_v7().to_string();
    let (status, _) = error_of(
        post(
            &app,
            &admin,
            "/api/admin_suspend_user",
            &[("user_id", &unknown)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn approving_and_rejecting_applications_emails_the_applicants(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    create_user(&app, "ada@example.org", "Ada", "developer").await;
    create_user(&app, "bob@example.org", "Bob", "developer").await;
    let ada = apply(&app, &signed_in(&app, "ada@example.org").await)
        .await
        .to_string();
    let bob = apply(&app, &signed_in(&app, "bob@example.org").await)
        .await
        .to_string();

    let queue = ok_json(post(&app, &admin, "/api/admin_list_applications", &[]).await).await;
    assert_eq!(queue["total"].as_i64(), Some(2));
    assert_eq!(
        queue["items"][0]["user_email"], "ada@example.org",
        "oldest first"
    );
    assert_eq!(queue["items"][0]["industry"], "Retail");
    let overview = ok_json(post(&app, &admin, "/api/admin_overview", &[]).await).await;
    assert_eq!(overview["pending_applications"].as_i64(), Some(2));

    let no_reason = [("application_id", bob.as_str()), ("note", "  ")];
    let (status, body) =
        error_of(post(&app, &admin, "/api/admin_reject_application", &no_reason).await).await;
    assert_eq!(status, 422);
    assert!(
        body["Validation"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["field"] == "note"),
        "{body}"
    );

    let approve = [
        ("application_id", ada.as_str()),
        ("note", "Welcome aboard!"),
    ];
    assert_eq!(
        post(&app, &admin, "/api/admin_approve_application", &approve)
            .await
            .status(),
        200
    );
    let reject = [
        ("application_id", bob.as_str()),
        ("note", "Please tell us more."),
    ];
    assert_eq!(
        post(&app, &admin, "/api/admin_reject_application", &reject)
            .await
            .status(),
        200
    );
    let (status, _) =
        error_of(post(&app, &admin, "/api/admin_approve_application", &approve).await).await;
    assert_eq!(status, 409, "decided already");

    let mail = ok_json(post(&app, &admin, "/api/admin_list_outbox", &[("q", "ada@")]).await).await;
    assert_eq!(mail["total"].as_i64(), Some(1));
    assert_eq!(
        mail["items"][0]["subject"],
        "Your Lab Portal application is approved"
    );
    assert!(mail["items"][0]["body"]
        .as_str()
        .expect("body")
        .contains("Welcome aboard!"));
    assert_eq!(mail["items"][0]["state"], "pending");
    let mail = ok_json(post(&app, &admin, "/api/admin_list_outbox", &[("q", "BOB@")]).await).await;
    assert!(mail["items"][0]["body"]
        .as_str()
        .expect("body")
        .contains("Please tell us more."));

    for (status, count) in [("pending", 0), ("approved", 1), ("rejected", 1)] {
        let list = ok_json(
            post(
                &app,
                &admin,
                "/api/admin_list_applications",
                &[("status", status)],
            )
            .await,
        )
        .await;
        assert_eq!(list["total"].as_i64(), Some(count), "{status}");
    }
    let actions: Vec<(String, Option<Uuid>)> = audit_records(&app)
        .await
        .into_iter()
        .filter(|r| r.target_type == "application")
        .map(|r| (r.action, r.actor_id))
        .collect();
    assert_eq!(
        actions,
        [
            ("application.approve".to_owned(), Some(admin_id)),
            ("application.reject".to_owned(), Some(admin_id))
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn admin_pages_render_for_admins_and_refuse_developers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (admin_id, admin) = admin(&app).await;
    let dev = create_user(&app, "dev@example.org", "Dev Person", "developer").await;
    apply(&app, &signed_in(&app, "dev@example.org").await).await;
    sqlx::query("insert into outbox (id, recipient, subject, body_text) values ($1, 'dev@example.org', 'Verify', $2)")
        .bind(Uuid::now_v7())
        .bind("Open http://localhost/verify-email?token=abc123 to verify.")
        .execute(&app.pool)
        .await
        .expect("email");

    let pages = [
        ("/admin".to_owned(), "Pending applications"),
        ("/admin/users".to_owned(), "dev@example.org"),
        ("/admin/users?q=dev".to_owned(), "Dev Person"),
        ("/admin/users?q=nobody".to_owned(), "No users found"),
        (format!("/admin/users/{dev}"), "Dev Person"),
        (
            format!("/admin/users/{admin_id}"),
            "This is your own account",
        ),
        (
            "/admin/applications".to_owned(),
            "A support assistant for our helpdesk.",
        ),
        (
            "/admin/applications?status=approved".to_owned(),
            "No approved applications",
        ),
        (
            "/admin/outbox".to_owned(),
            "http://localhost/verify-email?token=abc123",
        ),
        ("/admin/audit".to_owned(), "Nothing has been recorded yet."),
    ];
    for (path, text) in &pages {
        let response = get(&app, &admin, path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.expect("html");
        assert!(html.contains(text), "{path} shows {text}: {html}");
        assert!(
            html.contains(r#"aria-label="Admin""#),
            "{path} has the admin navigation"
        );
    }
    let missing = get(&app, &admin, &format!("/admin/users/{}", Uuid::now_v7())).await;
    assert_eq!(missing.status(), 404);

    let developer = signed_in(&app, "dev@example.org").await;
    for (path, _) in &pages {
        let response = get(&app, &developer, path).await;
        assert_eq!(response.status(), 403, "{path}");
        let html = response.text().await.expect("html");
        assert!(
            html.contains("Not allowed") && !html.contains("admin@lab.example"),
            "{path}"
        );
    }
    let visitor = get(&app, &browser(), "/admin/users").await;
    assert_eq!(visitor.status(), 303);
    assert_eq!(visitor.headers()["location"], "/signin?next=/admin/users");
}

#[sqlx::test(migrations = false)]
async fn actions_work_without_javascript(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, admin) = admin(&app).await;
    let dev = create_user(&app, "dev@example.org", "Dev", "developer").await;
    let application = apply(&app, &signed_in(&app, "dev@example.org").await)
        .await
        .to_string();
    let user_page = format!("/admin/users/{dev}");

    let form = [("user_id", dev.to_string()), ("role", "admin".to_owned())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = post_html(&app, &admin, "/api/admin_change_role", &user_page, &form).await;
    assert_eq!(response.status(), 302);
    let back = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(back, format!("{user_page}?done=role"));
    let html = get(&app, &admin, &back).await.text().await.expect("html");
    assert!(html.contains("The role is changed."));

    // A failed post comes back to the page it came from, its error in a cookie,
    // shown next to the field of the application it is about.
    let queue = "/admin/applications?status=pending";
    let reject = [("application_id", application.as_str()), ("note", "")];
    let response = post_html(
        &app,
        &admin,
        "/api/admin_reject_application",
        queue,
        &reject,
    )
    .await;
    assert_eq!(response.status(), 302);
    let back = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(carries_form_error(&response), "{back}");
    assert!(back.ends_with(queue), "{back}");
    let page = get(&app, &admin, back.trim_start_matches(&app.address)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!(r#"id="reject-note-{application}-error""#)),
        "{html}"
    );
    assert!(html.contains("Give the applicant a reason for the rejection."));

    let approve = [("application_id", application.as_str()), ("note", "")];
    let response = post_html(
        &app,
        &admin,
        "/api/admin_approve_application",
        queue,
        &approve,
    )
    .await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "/admin/applications?status=pending&done=approved"
    );
}
