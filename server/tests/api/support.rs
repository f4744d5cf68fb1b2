//! Support requests over HTTP: opening one with its context, the thread
//! between the requester and Lab staff, internal notes (which never reach
//! the requester by page, API, email or notification), attachments,
//! statuses, ratings, assignment and its emails, priorities and the
//! first-response target, credit granted from a request, canned replies,
//! the staff queue, and the audit log of every staff action.

use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{
    carries_form_error, create_user, form_error_cookie, multipart_body, page, posted_ok, signed_in,
    spawn_app, FormPart, TestApp,
};

/// The Lab's staff member and a developer, each with a signed-in browser.
struct Desk {
    app: TestApp,
    admin_id: Uuid,
    admin: Client,
    dev_id: Uuid,
    dev: Client,
}

const ADMIN: &str = "staff@lab.example";
const DEV: &str = "dev@example.org";

async fn desk(pool: PgPool) -> Desk {
    let app = spawn_app(pool).await;
    let admin_id = create_user(&app, ADMIN, "admin").await;
    let dev_id = create_user(&app, DEV, "developer").await;
    let admin = signed_in(&app, ADMIN).await;
    let dev = signed_in(&app, DEV).await;
    Desk {
        app,
        admin_id,
        admin,
        dev_id,
        dev,
    }
}

/// Posts the new-request form from `client`: its text `fields` and
/// `files` (name, content) in the field `file`.
async fn open_request(
    app: &TestApp,
    client: &Client,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Response {
    let parts = parts(fields, files);
    app.post_multipart_with(client, "/api/open_support_request", &parts, false)
        .await
}

fn parts<'a>(fields: &[(&'a str, &'a str)], files: &[(&'a str, &'a [u8])]) -> Vec<FormPart<'a>> {
    fields
        .iter()
        .map(|(name, value)| FormPart {
            name,
            file_name: None,
            content: value.as_bytes(),
        })
        .chain(files.iter().map(|(file_name, content)| FormPart {
            name: "file",
            file_name: Some(file_name),
            content,
        }))
        .collect()
}

/// Opens a request about the API with `subject` from `client`; its number.
async fn opened(app: &TestApp, client: &Client, subject: &str) -> i64 {
    opened_in(app, client, "api", subject).await
}

async fn opened_in(app: &TestApp, client: &Client, category: &str, subject: &str) -> i64 {
    let fields = [
        ("category", category),
        ("subject", subject),
        (
            "body",
            "My calls to the chat endpoint fail since this morning.",
        ),
        ("from", ""),
    ];
    let response = open_request(app, client, &fields, &[]).await;
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "opening {subject:?}: {body}");
    body.parse().expect("the request's number")
}

/// The requester's reply on `number`.
async fn reply(app: &TestApp, client: &Client, number: i64, body: &str) -> Response {
    let number = number.to_string();
    let fields = [("number", number.as_str()), ("body", body)];
    app.post_multipart_with(
        client,
        "/api/reply_support_request",
        &parts(&fields, &[]),
        false,
    )
    .await
}

/// Staff's reply on `number`, leaving it in `status` (empty: the default).
async fn staff_reply(app: &TestApp, client: &Client, number: i64, body: &str) -> Response {
    staff_reply_with(app, client, number, body, "", &[]).await
}

async fn staff_reply_with(
    app: &TestApp,
    client: &Client,
    number: i64,
    body: &str,
    status: &str,
    files: &[(&str, &[u8])],
) -> Response {
    let number = number.to_string();
    let fields = [
        ("number", number.as_str()),
        ("body", body),
        ("status", status),
    ];
    app.post_multipart_with(
        client,
        "/api/admin_reply_support_request",
        &parts(&fields, files),
        false,
    )
    .await
}

async fn ok(response: Response) -> Value {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// The answer's status and JSON error.
async fn refused(response: Response) -> (u16, Value) {
    TestApp::error_of(response).await
}

/// The fields named by a 422 answer.
async fn invalid_fields(response: Response) -> Vec<String> {
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422, "{body}");
    body["Validation"]
        .as_array()
        .expect("field errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

/// The request as its requester gets it from the API.
async fn requester_view(app: &TestApp, client: &Client, number: i64) -> Value {
    let number = number.to_string();
    posted_ok(
        app,
        client,
        "/api/get_support_request",
        &[("number", number.as_str())],
    )
    .await
}

/// The request as staff get it, with `canned` filled in when it names one.
async fn staff_view(app: &TestApp, admin: &Client, number: i64, canned: &str) -> Value {
    let number = number.to_string();
    posted_ok(
        app,
        admin,
        "/api/admin_get_support_request",
        &[("number", number.as_str()), ("canned", canned)],
    )
    .await
}

async fn html(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let response = page(app, client, path).await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

/// `(status, first_response_at is set, resolved_at is set)` of `number`.
async fn state_of(app: &TestApp, number: i64) -> (String, bool, bool) {
    sqlx::query_as(
        "select status, first_response_at is not null, resolved_at is not null
         from support_requests where number = $1",
    )
    .bind(number)
    .fetch_one(&app.pool)
    .await
    .expect("the request")
}

/// Every email queued: `(recipient, subject, body)`, oldest first.
async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "select recipient, subject, body_text || coalesce(secret_body_text, '') from outbox
         order by created_at, id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("the outbox")
}

async fn emails_to(app: &TestApp, recipient: &str) -> Vec<(String, String)> {
    outbox(app)
        .await
        .into_iter()
        .filter(|(to, _, _)| to.eq_ignore_ascii_case(recipient))
        .map(|(_, subject, body)| (subject, body))
        .collect()
}

/// `user`'s support notifications: `(title, body, link, in_app)`.
async fn support_notifications(app: &TestApp, user: Uuid) -> Vec<(String, String, String, bool)> {
    sqlx::query_as(
        "select title, body, link, in_app from notifications
         where user_id = $1 and kind = 'support_reply' order by created_at, id",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .expect("notifications")
}

/// The audit rows of `action`: `(actor, target_type, target_id, after)`.
async fn audited(
    app: &TestApp,
    action: &str,
) -> Vec<(Option<Uuid>, String, String, Option<Value>)> {
    sqlx::query_as(
        "select actor_id, target_type, target_id, after from audit_log
         where action = $1 order by id",
    )
    .bind(action)
    .fetch_all(&app.pool)
    .await
    .expect("audit log")
}

async fn request_id(app: &TestApp, number: i64) -> Uuid {
    sqlx::query_scalar("select id from support_requests where number = $1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .expect("the request")
}

/// The available balance of `user`, in micro-credits.
async fn available(app: &TestApp, user: Uuid) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "select available from credit_accounts where owner_kind = 'user' and owner_id = $1",
    )
    .bind(user)
    .fetch_optional(&app.pool)
    .await
    .expect("balance")
    .unwrap_or(0)
}

/// Staff grant `amount` credits to `email` from the credits console.
async fn grant_credits(app: &TestApp, admin: &Client, email: &str, amount: &str) {
    let key = Uuid::now_v7().to_string();
    let form = [
        ("email", email),
        ("amount", amount),
        ("expiry", ""),
        ("reason", "Starter credits"),
        ("idempotency_key", key.as_str()),
    ];
    posted_ok(app, admin, "/api/admin_grant_credits", &form).await;
}

/// Tables (in any schema) holding `text` anywhere in a row.
async fn tables_containing(app: &TestApp, text: &str) -> Vec<String> {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "select table_schema::text, table_name::text from information_schema.tables
         where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&app.pool)
    .await
    .expect("tables");
    assert!(tables.len() > 10, "{tables:?}");
    let mut found = Vec::new();
    for (schema, table) in tables {
        let hit: bool = sqlx::query_scalar(&format!(
            "select exists (select 1 from \"{schema}\".\"{table}\" t
                            where t::text like '%' || $1 || '%')"
        ))
        .bind(text)
        .fetch_one(&app.pool)
        .await
        .expect("search");
        if hit {
            found.push(format!("{schema}.{table}"));
        }
    }
    found
}

/// A multipart post as a browser without JavaScript sends it from the page
/// `from` (a path of the portal).
async fn plain_multipart(
    app: &TestApp,
    client: &Client,
    path: &str,
    parts: &[FormPart<'_>],
    from: &str,
) -> Response {
    let (content_type, body) = multipart_body(parts);
    client
        .post(format!("{}{path}", app.address))
        .header("origin", &app.address)
        .header("content-type", content_type)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("referer", format!("{}{from}", app.address))
        .body(body)
        .send()
        .await
        .expect("request failed")
}

fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[sqlx::test(migrations = false)]
async fn an_internal_note_never_reaches_the_requester_by_page_api_email_or_notification(
    pool: PgPool,
) {
    let Desk {
        app,
        admin_id,
        admin,
        dev,
        ..
    } = desk(pool).await;
    let number = opened(&app, &dev, "Streaming stops after a minute").await;
    let n = number.to_string();
    const MARKER: &str = "NOTEMARKER-7f3a9c-requester-is-a-reseller";
    let note = format!("Checked the logs. {MARKER}");
    posted_ok(
        &app,
        &admin,
        "/api/admin_add_support_note",
        &[("number", n.as_str()), ("body", note.as_str())],
    )
    .await;
    // Everything that writes to the requester happens after the note.
    ok(staff_reply(
        &app,
        &admin,
        number,
        "We are looking into the stream timeouts.",
    )
    .await)
    .await;
    ok(reply(&app, &dev, number, "Thanks, it still happens.").await).await;
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_status",
        &[("number", n.as_str()), ("status", "resolved")],
    )
    .await;
    let key = Uuid::now_v7().to_string();
    let grant = [
        ("number", n.as_str()),
        ("amount", "3"),
        ("expiry", ""),
        ("reason", "Stream timeouts"),
        ("idempotency_key", key.as_str()),
    ];
    posted_ok(&app, &admin, "/api/admin_grant_support_credits", &grant).await;

    // Staff see it, marked as a note, by page and by API.
    let staff = staff_view(&app, &admin, number, "").await;
    let notes: Vec<&Value> = staff["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|entry| entry.get("Note"))
        .collect();
    assert_eq!(notes.len(), 1, "{staff}");
    assert!(
        notes[0]["html"].as_str().expect("html").contains(MARKER),
        "{staff}"
    );
    assert_eq!(notes[0]["author"], format!("User {ADMIN}"));
    let (status, admin_page) = html(&app, &admin, &format!("/admin/support/{number}")).await;
    assert_eq!(status, 200, "{admin_page}");
    assert!(admin_page.contains(MARKER), "{admin_page}");
    assert!(admin_page.contains("Internal note · staff only"));

    // The requester does not: by page, by API, in their list.
    let (status, requester_page) = html(&app, &dev, &format!("/support/{number}")).await;
    assert_eq!(status, 200, "{requester_page}");
    assert!(
        requester_page.contains("We are looking into the stream timeouts."),
        "the page shows the thread: {requester_page}"
    );
    assert!(!requester_page.contains(MARKER), "{requester_page}");
    assert!(!requester_page.contains("Internal note"));
    let view = requester_view(&app, &dev, number).await;
    assert_eq!(
        view["messages"].as_array().expect("messages").len(),
        4,
        "the request, staff's reply, the requester's, the grant: {view}"
    );
    assert!(!view.to_string().contains(MARKER), "{view}");
    let list = posted_ok(&app, &dev, "/api/my_support_requests", &[]).await;
    assert!(!list.to_string().contains(MARKER), "{list}");

    // Nor by email (to anyone), nor by notification.
    let emails = outbox(&app).await;
    assert!(
        emails.iter().any(|(to, _, _)| to == DEV),
        "the requester was emailed about the reply: {emails:?}"
    );
    for (to, subject, body) in &emails {
        assert!(
            !subject.contains(MARKER) && !body.contains(MARKER),
            "an email to {to} holds the note: {subject} {body}"
        );
    }
    let notifications: Vec<String> =
        sqlx::query_scalar("select title || ' ' || body || ' ' || link from notifications")
            .fetch_all(&app.pool)
            .await
            .expect("notifications");
    assert!(notifications.len() >= 3, "{notifications:?}");
    assert!(
        notifications.iter().all(|n| !n.contains(MARKER)),
        "{notifications:?}"
    );
    // The note's text is kept in one place only (audited without it).
    assert_eq!(
        tables_containing(&app, MARKER).await,
        vec!["public.support_notes".to_owned()]
    );
    let noted = audited(&app, "support.note").await;
    assert_eq!(noted.len(), 1, "{noted:?}");
    assert_eq!(noted[0].0, Some(admin_id));
}

#[sqlx::test(migrations = false)]
async fn opening_a_request_attaches_the_balance_teams_failed_requests_and_page(pool: PgPool) {
    let Desk {
        app,
        admin,
        dev_id,
        dev,
        ..
    } = desk(pool).await;
    grant_credits(&app, &admin, DEV, "25").await;
    let org = [
        ("name", "Acme Robotics"),
        ("slug", "acme-robotics"),
        ("website", ""),
        ("country", "SG"),
        ("industry", "finance"),
        ("time_zone", "Asia/Singapore"),
    ];
    posted_ok(&app, &dev, "/api/create_organization", &org).await;
    // Requests as the ledger's writer records them: two failed, one not.
    let account: Uuid = sqlx::query_scalar(
        "select id from credit_accounts where owner_kind = 'user' and owner_id = $1",
    )
    .bind(dev_id)
    .fetch_one(&app.pool)
    .await
    .expect("account");
    let (limited, broken, fine) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for (id, status, minutes_ago) in [(limited, 429_i16, 3), (broken, 500, 2), (fine, 200, 1)] {
        sqlx::query(
            "insert into usage_records (id, user_id, account_id, model, endpoint, status, created_at)
             values ($1, $2, $3, 'small', 'chat', $4, now() - make_interval(mins => $5))",
        )
        .bind(id)
        .bind(dev_id)
        .bind(account)
        .bind(status)
        .bind(minutes_ago)
        .execute(&app.pool)
        .await
        .expect("usage record");
    }

    // The form says what will be sent, the page it came from included.
    let (status, form) = html(&app, &dev, "/support/new?from=/usage?page=2").await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("<code>/usage?page=2</code>"), "{form}");
    let fields = [
        ("category", "api"),
        ("subject", "Rate limited"),
        ("body", "I keep getting **429**."),
        ("from", "/usage?page=2"),
    ];
    let number: i64 = ok(open_request(&app, &dev, &fields, &[]).await)
        .await
        .as_i64()
        .expect("number");
    let view = requester_view(&app, &dev, number).await;
    let context = &view["context"];
    assert_eq!(context["email"], DEV, "{view}");
    assert_eq!(context["available"], 25_000_000, "{view}");
    assert_eq!(
        context["teams"],
        json!([[
            "Organization",
            "Acme Robotics",
            "owner",
            "/orgs/acme-robotics"
        ]]),
        "{view}"
    );
    let failed: Vec<(String, i64)> = context["failed_requests"]
        .as_array()
        .expect("failed requests")
        .iter()
        .map(|f| {
            (
                f[0].as_str().expect("id").to_owned(),
                f[2].as_i64().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        failed,
        vec![(broken.to_string(), 500), (limited.to_string(), 429)],
        "the failed ones, latest first: {view}"
    );
    assert_eq!(context["from_page"], "/usage?page=2");
    assert_eq!(view["status"], "Open");
    assert_eq!(view["category"], "Api");
    assert_eq!(view["subject"], "Rate limited");
    assert!(
        view["messages"][0]["html"]
            .as_str()
            .expect("html")
            .contains("<strong>429</strong>"),
        "Markdown is rendered: {view}"
    );
    // Staff see the same context, and the requester's page shows it.
    let staff = staff_view(&app, &admin, number, "").await;
    assert_eq!(staff["request"]["context"], view["context"]);
    let (_, thread) = html(&app, &dev, &format!("/support/{number}")).await;
    assert!(thread.contains(&broken.to_string()), "{thread}");
    assert!(thread.contains("Acme Robotics"), "{thread}");

    // A page that is not one of ours is dropped.
    for from in [
        "https://evil.example/x",
        "//evil.example/x",
        "javascript:alert(1)",
    ] {
        let fields = [
            ("category", "other"),
            ("subject", "From elsewhere"),
            ("body", "Hello."),
            ("from", from),
        ];
        let number = ok(open_request(&app, &dev, &fields, &[]).await)
            .await
            .as_i64()
            .expect("number");
        let view = requester_view(&app, &dev, number).await;
        assert_eq!(view["context"]["from_page"], Value::Null, "{from}: {view}");
        let stored: Option<String> =
            sqlx::query_scalar("select from_page from support_requests where number = $1")
                .bind(number)
                .fetch_one(&app.pool)
                .await
                .expect("request");
        assert_eq!(stored, None, "{from}");
    }
    let (_, form) = html(&app, &dev, "/support/new?from=https://evil.example/x").await;
    assert!(!form.contains("the page you came from"), "{form}");
}

#[sqlx::test(migrations = false)]
async fn a_request_without_category_subject_or_body_is_refused_field_by_field(pool: PgPool) {
    let Desk { app, dev, .. } = desk(pool).await;
    let empty = [
        ("category", ""),
        ("subject", "  "),
        ("body", ""),
        ("from", ""),
    ];
    let mut fields = invalid_fields(open_request(&app, &dev, &empty, &[]).await).await;
    fields.sort();
    assert_eq!(fields, ["body", "category", "subject"]);
    let unknown = [
        ("category", "billing"),
        ("subject", "Fine"),
        ("body", "Fine"),
    ];
    assert_eq!(
        invalid_fields(open_request(&app, &dev, &unknown, &[]).await).await,
        ["category"]
    );
    let two_lines = [
        ("category", "api"),
        ("subject", "Two\nlines"),
        ("body", "Fine"),
    ];
    assert_eq!(
        invalid_fields(open_request(&app, &dev, &two_lines, &[]).await).await,
        ["subject"]
    );

    // Without JavaScript: back to the form, the error in its cookie.
    let sent_back = plain_multipart(
        &app,
        &dev,
        "/api/open_support_request",
        &parts(&empty, &[]),
        "/support/new?from=/keys",
    )
    .await;
    assert!(
        sent_back.status().is_redirection(),
        "{}",
        sent_back.status()
    );
    // The page it came from, on this site.
    let back = location(&sent_back).replace(&app.address, "");
    assert_eq!(back, "/support/new?from=%2Fkeys");
    assert!(carries_form_error(&sent_back), "{back}");
    let error = form_error_cookie(&sent_back).expect("the error");
    assert!(error.contains("open_support_request"), "{error}");
    let (status, form) = html(&app, &dev, &back).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("Say in a few words what the request is about."),
        "{form}"
    );
    let count: i64 = sqlx::query_scalar("select count(*) from support_requests")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(count, 0);

    // And a good one goes to the request.
    let good = [
        ("category", "account"),
        ("subject", "Change my name"),
        ("body", "Please."),
        ("from", "/profile"),
    ];
    let opened = plain_multipart(
        &app,
        &dev,
        "/api/open_support_request",
        &parts(&good, &[]),
        "/support/new",
    )
    .await;
    assert!(opened.status().is_redirection(), "{}", opened.status());
    let number: i64 = sqlx::query_scalar("select number from support_requests")
        .fetch_one(&app.pool)
        .await
        .expect("opened");
    assert_eq!(location(&opened), format!("/support/{number}?done=opened"));
    let (_, thread) = html(&app, &dev, &location(&opened)).await;
    assert!(thread.contains("Your request is with the Lab."), "{thread}");
}

#[sqlx::test(migrations = false)]
async fn attachments_are_kept_for_the_requester_and_staff_only(pool: PgPool) {
    let Desk {
        app, admin, dev, ..
    } = desk(pool).await;
    create_user(&app, "other@example.org", "developer").await;
    let other = signed_in(&app, "other@example.org").await;
    let trace: &[u8] = b"2026-12-10T10:00:00Z 429 req_01HX\n";
    let fields = [
        ("category", "api"),
        ("subject", "Failing calls"),
        ("body", "The log is attached."),
        ("from", ""),
    ];
    let number = ok(open_request(&app, &dev, &fields, &[("trace.log", trace)]).await)
        .await
        .as_i64()
        .expect("number");
    let screenshot: &[u8] = b"\x89PNG\r\n\x1a\n fake image";
    ok(staff_reply_with(
        &app,
        &admin,
        number,
        "See the screenshot.",
        "",
        &[("settings.png", screenshot)],
    )
    .await)
    .await;
    let view = requester_view(&app, &dev, number).await;
    let attachment = |message: usize| -> (String, String) {
        let file = &view["messages"][message]["attachments"][0];
        (
            file["name"].as_str().expect("name").to_owned(),
            file["href"].as_str().expect("href").to_owned(),
        )
    };
    let (name, log_href) = attachment(0);
    assert_eq!(name, "trace.log", "{view}");
    assert!(log_href.starts_with("/support/attachments/"), "{log_href}");
    let (name, png_href) = attachment(1);
    assert_eq!(name, "settings.png", "{view}");

    for (who, client) in [("the requester", &dev), ("staff", &admin)] {
        for (href, name, content) in [
            (&log_href, "trace.log", trace),
            (&png_href, "settings.png", screenshot),
        ] {
            let response = page(&app, client, href).await;
            assert_eq!(response.status(), 200, "{who} {href}");
            let headers = response.headers().clone();
            assert_eq!(
                headers["content-type"], "application/octet-stream",
                "{who} {href}"
            );
            assert_eq!(
                headers["content-disposition"],
                format!("attachment; filename=\"{name}\""),
                "{who} {href}"
            );
            let body = response.bytes().await.expect("file");
            assert_eq!(&body[..], content, "{who} {href}");
        }
    }
    // Another developer, a bad id, a visitor.
    let response = page(&app, &other, &log_href).await;
    assert_eq!(response.status(), 404);
    assert!(
        !response.text().await.expect("body").contains("trace"),
        "nothing of the file"
    );
    for bad in [
        "/support/attachments/not-an-id",
        "/support/attachments/00000000-0000-7000-8000-000000000000",
    ] {
        assert_eq!(page(&app, &dev, bad).await.status(), 404, "{bad}");
    }
    assert_eq!(
        page(&app, &app.new_browser(), &log_href).await.status(),
        401
    );

    // Too large, and too many.
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let response = open_request(&app, &dev, &fields, &[("big.log", big.as_slice())]).await;
    let (status, error) = refused(response).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["Validation"][0]["field"], "file", "{error}");
    let just_enough = vec![b'y'; 10 * 1024 * 1024];
    let number_big = ok(open_request(
        &app,
        &dev,
        &fields,
        &[("limit.log", just_enough.as_slice())],
    )
    .await)
    .await
    .as_i64()
    .expect("a file of exactly 10 MiB is taken");
    let four: Vec<(&str, &[u8])> = vec![
        ("a.txt", b"a".as_slice()),
        ("b.txt", b"b".as_slice()),
        ("c.txt", b"c".as_slice()),
        ("d.txt", b"d".as_slice()),
    ];
    let n = number.to_string();
    let reply_fields = [("number", n.as_str()), ("body", "More")];
    let (status, error) = refused(open_request(&app, &dev, &fields, &four).await).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["Validation"][0]["field"], "file", "{error}");
    assert!(
        error["Validation"][0]["message"]
            .as_str()
            .expect("message")
            .contains("at most 3"),
        "{error}"
    );
    let (status, error) = refused(
        app.post_multipart_with(
            &dev,
            "/api/reply_support_request",
            &parts(&reply_fields, &four),
            false,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &error["Validation"][0]["field"]),
        (422, &json!("file")),
        "{error}"
    );
    // Three are taken, the same bytes twice included (the store keeps
    // them once).
    let three: Vec<(&str, &[u8])> = vec![four[0], four[1], ("copy-of-a.txt", b"a".as_slice())];
    ok(app
        .post_multipart_with(
            &dev,
            "/api/reply_support_request",
            &parts(&reply_fields, &three),
            false,
        )
        .await)
    .await;
    let view = requester_view(&app, &dev, number).await;
    let files = view["messages"][2]["attachments"]
        .as_array()
        .expect("files")
        .clone();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["a.txt", "b.txt", "copy-of-a.txt"]);
    for file in &files {
        let href = file["href"].as_str().expect("href");
        let response = page(&app, &admin, href).await;
        assert_eq!(response.status(), 200, "{href}");
        let expected: &[u8] = if file["name"] == "b.txt" { b"b" } else { b"a" };
        assert_eq!(
            &response.bytes().await.expect("file")[..],
            expected,
            "{href}"
        );
    }
    let kept: Vec<(i64, i64)> = sqlx::query_as(
        "select r.number, count(a.id) from support_requests r
         join support_messages m on m.request_id = r.id
         left join support_attachments a on a.message_id = m.id
         group by r.number order by r.number",
    )
    .fetch_all(&app.pool)
    .await
    .expect("attachments");
    assert_eq!(kept, vec![(number, 5), (number_big, 1)]);
}

#[sqlx::test(migrations = false)]
async fn the_status_follows_who_wrote_last_and_ratings_wait_for_resolution(pool: PgPool) {
    let Desk {
        app, admin, dev, ..
    } = desk(pool).await;
    let number = opened(&app, &dev, "Key refused").await;
    let n = number.to_string();
    let rate = |rating: &'static str, comment: &'static str| {
        let (app, dev, n) = (&app, &dev, n.clone());
        async move {
            app.post_form_with(
                dev,
                "/api/rate_support_request",
                &[
                    ("number", n.as_str()),
                    ("rating", rating),
                    ("comment", comment),
                ],
            )
            .await
        }
    };
    assert_eq!(state_of(&app, number).await, ("open".into(), false, false));
    let (status, error) = refused(rate("5", "").await).await;
    assert_eq!(
        (status, error),
        (
            403,
            json!({ "Refused": "You can rate a request once it is resolved." })
        )
    );
    // The requester writing again before anyone answered keeps it open.
    ok(reply(&app, &dev, number, "Also: the key is new.").await).await;
    assert_eq!(state_of(&app, number).await, ("open".into(), false, false));

    ok(staff_reply(&app, &admin, number, "Which key prefix?").await).await;
    assert_eq!(
        state_of(&app, number).await,
        ("waiting_on_requester".into(), true, false)
    );
    let first: time::OffsetDateTime =
        sqlx::query_scalar("select first_response_at from support_requests where number = $1")
            .bind(number)
            .fetch_one(&app.pool)
            .await
            .expect("first response");
    ok(reply(&app, &dev, number, "lab-abc").await).await;
    assert_eq!(
        state_of(&app, number).await,
        ("waiting_on_staff".into(), true, false)
    );
    ok(staff_reply(&app, &admin, number, "A second answer.").await).await;
    let still: time::OffsetDateTime =
        sqlx::query_scalar("select first_response_at from support_requests where number = $1")
            .bind(number)
            .fetch_one(&app.pool)
            .await
            .expect("first response");
    assert_eq!(first, still, "the first response stays the first");

    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_status",
        &[("number", n.as_str()), ("status", "resolved")],
    )
    .await;
    assert_eq!(
        state_of(&app, number).await,
        ("resolved".into(), true, true)
    );
    // Rated once resolved, and again to change it.
    ok(rate("2", "").await).await;
    ok(rate("5", "Quick and clear.").await).await;
    let rated: (Option<i16>, Option<String>) =
        sqlx::query_as("select rating, rating_comment from support_requests where number = $1")
            .bind(number)
            .fetch_one(&app.pool)
            .await
            .expect("rating");
    assert_eq!(rated, (Some(5), Some("Quick and clear.".to_owned())));
    assert_eq!(invalid_fields(rate("6", "").await).await, ["rating"]);

    // A reply opens it again.
    ok(reply(&app, &dev, number, "It broke again.").await).await;
    assert_eq!(
        state_of(&app, number).await,
        ("reopened".into(), true, false)
    );
    let (status, _) = refused(rate("4", "").await).await;
    assert_eq!(status, 403, "not rateable while reopened");

    // Closed: no more replies, but a rating.
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_status",
        &[("number", n.as_str()), ("status", "closed")],
    )
    .await;
    assert_eq!(state_of(&app, number).await, ("closed".into(), true, true));
    let (status, error) = refused(reply(&app, &dev, number, "Hello?").await).await;
    assert_eq!(
        (status, error),
        (
            403,
            json!({ "Refused": "This request is closed. Open a new request, and mention this one's number." })
        )
    );
    let view = requester_view(&app, &dev, number).await;
    assert_eq!(view["status"], "Closed");
    assert_eq!(view["open_for_replies"], false);
    let (_, thread) = html(&app, &dev, &format!("/support/{number}")).await;
    assert!(thread.contains("This request is closed."), "{thread}");
    assert!(
        !thread.contains("action=\"/api/reply_support_request\""),
        "{thread}"
    );
    ok(rate("3", "").await).await;

    // Staff can only set the statuses made for it.
    let (status, _) = refused(
        app.post_form_with(
            &admin,
            "/api/admin_set_support_status",
            &[("number", n.as_str()), ("status", "open")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let statuses: Vec<Value> = audited(&app, "support.status")
        .await
        .into_iter()
        .filter_map(|(_, _, _, after)| after)
        .map(|after| after["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("resolved"), json!("closed")]);
}

#[sqlx::test(migrations = false)]
async fn another_developer_learns_nothing_of_a_request_and_developers_get_no_staff_function(
    pool: PgPool,
) {
    let Desk { app, dev, .. } = desk(pool).await;
    create_user(&app, "other@example.org", "developer").await;
    let other = signed_in(&app, "other@example.org").await;
    let number = opened(&app, &dev, "Private matter").await;
    let n_text = number.to_string();
    let n = n_text.as_str();
    let not_found = json!({ "NotFound": "There is no such support request." });

    for asked in [n, "999999"] {
        let answer = refused(
            app.post_form_with(&other, "/api/get_support_request", &[("number", asked)])
                .await,
        )
        .await;
        assert_eq!(answer, (404, not_found.clone()), "{asked}");
        let (status, body) = html(&app, &other, &format!("/support/{asked}")).await;
        assert_eq!(status, 404, "{asked}");
        assert!(!body.contains("Private matter"), "{body}");
    }
    let answer = refused(reply(&app, &other, number, "Let me in").await).await;
    assert_eq!(answer, (404, not_found.clone()));
    let answer = refused(
        app.post_form_with(
            &other,
            "/api/rate_support_request",
            &[("number", n), ("rating", "1")],
        )
        .await,
    )
    .await;
    assert_eq!(answer, (404, not_found));
    let (_, their_list) = html(&app, &other, "/support").await;
    assert!(!their_list.contains("Private matter"), "{their_list}");
    let (_, my_list) = html(&app, &dev, "/support").await;
    assert!(my_list.contains("Private matter"), "{my_list}");
    let theirs = posted_ok(&app, &other, "/api/my_support_requests", &[]).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let mine = posted_ok(&app, &dev, "/api/my_support_requests", &[]).await;
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["items"][0]["number"], number);
    let messages: i64 = sqlx::query_scalar("select count(*) from support_messages")
        .fetch_one(&app.pool)
        .await
        .expect("messages");
    assert_eq!(messages, 1, "nothing was added by the other developer");

    // Every staff function refuses a developer (and a visitor).
    let key = Uuid::now_v7().to_string();
    let key = key.as_str();
    let staff_functions: [(&str, Vec<(&str, &str)>); 11] = [
        ("admin_support_queue", vec![]),
        ("admin_get_support_request", vec![("number", n)]),
        ("admin_add_support_note", vec![("number", n), ("body", "x")]),
        (
            "admin_assign_support_request",
            vec![("number", n), ("assignee", "me")],
        ),
        (
            "admin_set_support_status",
            vec![("number", n), ("status", "closed")],
        ),
        (
            "admin_set_support_priority",
            vec![("number", n), ("priority", "urgent")],
        ),
        (
            "admin_grant_support_credits",
            vec![
                ("number", n),
                ("amount", "100"),
                ("reason", "x"),
                ("idempotency_key", key),
            ],
        ),
        ("admin_canned_replies", vec![]),
        (
            "admin_save_canned_reply",
            vec![("title", "Mine"), ("body", "Hi")],
        ),
        (
            "admin_delete_canned_reply",
            vec![("id", "019a0000-0000-7000-8000-000000000001")],
        ),
        ("admin_support_queue", vec![("status", "all")]),
    ];
    let visitor = app.new_browser();
    for (function, form) in &staff_functions {
        let path = format!("/api/{function}");
        let answer = refused(app.post_form_with(&dev, &path, form).await).await;
        assert_eq!(answer, (403, json!("Forbidden")), "{function}");
        let answer = refused(app.post_form_with(&visitor, &path, form).await).await;
        assert_eq!(answer, (401, json!("Unauthorized")), "{function}");
    }
    let answer = refused(staff_reply(&app, &dev, number, "I am staff now").await).await;
    assert_eq!(answer, (403, json!("Forbidden")));
    for path in [
        "/admin/support".to_owned(),
        format!("/admin/support/{number}"),
        "/admin/support/canned".to_owned(),
    ] {
        let (status, body) = html(&app, &dev, &path).await;
        assert_eq!(status, 403, "{path}");
        assert!(!body.contains("Private matter"), "{path}");
    }
    let changed: (String, String, Option<Uuid>, i64, i64, i64) = sqlx::query_as(
        "select status, priority, assignee_id,
                (select count(*) from support_grants), (select count(*) from support_notes),
                (select count(*) from support_canned_replies)
         from support_requests where number = $1",
    )
    .bind(number)
    .fetch_one(&app.pool)
    .await
    .expect("request");
    assert_eq!(changed, ("open".into(), "normal".into(), None, 0, 0, 3));
}

#[sqlx::test(migrations = false)]
async fn staff_are_emailed_new_requests_replies_and_their_assignments(pool: PgPool) {
    let Desk {
        app, admin, dev, ..
    } = desk(pool).await;
    let second_id = create_user(&app, "second@lab.example", "admin").await;
    // A suspended admin is not told.
    create_user(&app, "gone@lab.example", "admin").await;
    sqlx::query("update users set status = 'suspended' where email = 'gone@lab.example'")
        .execute(&app.pool)
        .await
        .expect("suspend");
    let number = opened(&app, &dev, "Dataset download fails").await;
    let n = number.to_string();
    let link = format!("/admin/support/{number}");
    for staff in [ADMIN, "second@lab.example"] {
        let emails = emails_to(&app, staff).await;
        assert_eq!(emails.len(), 1, "{staff}: {emails:?}");
        let (subject, body) = &emails[0];
        assert_eq!(
            subject,
            &format!("New support request {number} from {DEV}: Dataset download fails")
        );
        assert!(body.contains(&link), "{body}");
        assert!(
            body.contains("My calls to the chat endpoint fail"),
            "the request's text: {body}"
        );
    }
    assert!(emails_to(&app, "gone@lab.example").await.is_empty());
    assert!(
        emails_to(&app, DEV).await.is_empty(),
        "the requester is not emailed"
    );

    // Assigning emails the assignee, and only them.
    let second = second_id.to_string();
    posted_ok(
        &app,
        &admin,
        "/api/admin_assign_support_request",
        &[("number", n.as_str()), ("assignee", second.as_str())],
    )
    .await;
    let emails = emails_to(&app, "second@lab.example").await;
    assert_eq!(emails.len(), 2, "{emails:?}");
    let (subject, body) = &emails[1];
    assert_eq!(
        subject,
        &format!("User {ADMIN} assigned you request {number}: Dataset download fails")
    );
    assert!(body.contains(&link), "{body}");
    assert_eq!(emails_to(&app, ADMIN).await.len(), 1);
    let staff = staff_view(&app, &admin, number, "").await;
    assert_eq!(staff["assignee_id"], second.as_str());
    assert_eq!(staff["request"]["assignee"], "User second@lab.example");
    // Assigning again to the same person changes (and sends) nothing.
    posted_ok(
        &app,
        &admin,
        "/api/admin_assign_support_request",
        &[("number", n.as_str()), ("assignee", second.as_str())],
    )
    .await;
    assert_eq!(emails_to(&app, "second@lab.example").await.len(), 2);

    // The requester's reply goes to the assignee only.
    ok(reply(&app, &dev, number, "Any news?").await).await;
    let emails = emails_to(&app, "second@lab.example").await;
    assert_eq!(emails.len(), 3, "{emails:?}");
    assert!(emails[2]
        .0
        .contains(&format!("New reply on request {number}")));
    assert!(emails[2].1.contains("Any news?"));
    assert_eq!(emails_to(&app, ADMIN).await.len(), 1);

    // Taking it oneself sends no email to oneself.
    posted_ok(
        &app,
        &admin,
        "/api/admin_assign_support_request",
        &[("number", n.as_str()), ("assignee", "me")],
    )
    .await;
    assert_eq!(emails_to(&app, ADMIN).await.len(), 1);
    let assigned: Option<String> = sqlx::query_scalar(
        "select u.email from support_requests r join users u on u.id = r.assignee_id
         where r.number = $1",
    )
    .bind(number)
    .fetch_one(&app.pool)
    .await
    .expect("assignee");
    assert_eq!(assigned.as_deref(), Some(ADMIN));
    // Nobody outside the staff can be assigned.
    let dev_id: Uuid = sqlx::query_scalar("select id from users where email = $1")
        .bind(DEV)
        .fetch_one(&app.pool)
        .await
        .expect("dev");
    let dev_id = dev_id.to_string();
    assert_eq!(
        invalid_fields(
            app.post_form_with(
                &admin,
                "/api/admin_assign_support_request",
                &[("number", n.as_str()), ("assignee", dev_id.as_str())],
            )
            .await
        )
        .await,
        ["assignee"]
    );
    // Unassigned again.
    posted_ok(
        &app,
        &admin,
        "/api/admin_assign_support_request",
        &[("number", n.as_str()), ("assignee", "")],
    )
    .await;
    let assignments: Vec<Value> = audited(&app, "support.assign")
        .await
        .into_iter()
        .filter_map(|(_, _, _, after)| after)
        .map(|after| after["assignee"].clone())
        .collect();
    let admin_id: Uuid = sqlx::query_scalar("select id from users where email = $1")
        .bind(ADMIN)
        .fetch_one(&app.pool)
        .await
        .expect("admin");
    assert_eq!(
        assignments,
        [json!(second), json!(admin_id.to_string()), Value::Null]
    );
}

#[sqlx::test(migrations = false)]
async fn a_staff_reply_tells_the_requester_in_the_app_and_by_email_unless_they_opt_out(
    pool: PgPool,
) {
    let Desk {
        app,
        admin,
        dev_id,
        dev,
        ..
    } = desk(pool).await;
    let number = opened(&app, &dev, "Embedding dimensions").await;
    ok(staff_reply(&app, &admin, number, "The model returns 768 dimensions.").await).await;
    let notices = support_notifications(&app, dev_id).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    let (title, body, link, in_app) = &notices[0];
    assert_eq!(
        title,
        &format!("The Lab replied on request {number}: Embedding dimensions")
    );
    assert_eq!(body, "The model returns 768 dimensions.");
    assert_eq!(link, &format!("/support/{number}"));
    assert!(in_app);
    let emails = emails_to(&app, DEV).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    let (subject, text) = &emails[0];
    assert_eq!(subject, title);
    assert!(text.contains("The model returns 768 dimensions."), "{text}");
    assert!(
        text.contains(&format!("/support/{number}")) && !text.contains("/admin/support"),
        "{text}"
    );

    // Support replies switched off by email: still told in the app.
    sqlx::query(
        "insert into notification_preferences (user_id, kind, in_app, email)
         values ($1, 'support_reply', true, false)",
    )
    .bind(dev_id)
    .execute(&app.pool)
    .await
    .expect("preference");
    ok(staff_reply(&app, &admin, number, "Also: normalize them.").await).await;
    let n = number.to_string();
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_status",
        &[("number", n.as_str()), ("status", "resolved")],
    )
    .await;
    let notices = support_notifications(&app, dev_id).await;
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert_eq!(notices[1].1, "Also: normalize them.");
    assert_eq!(notices[2].0, format!("Request {number} is resolved"));
    assert!(notices
        .iter()
        .all(|(_, _, link, in_app)| { *in_app && link == &format!("/support/{number}") }));
    assert_eq!(emails_to(&app, DEV).await.len(), 1, "no more email");
    let replies = audited(&app, "support.reply").await;
    assert_eq!(replies.len(), 2, "{replies:?}");
}

#[sqlx::test(migrations = false)]
async fn urgent_priority_moves_the_target_and_the_queue_finds_missed_ones(pool: PgPool) {
    let Desk {
        app, admin, dev, ..
    } = desk(pool).await;
    let late = opened(&app, &dev, "Urgent: production down").await;
    let in_time = opened(&app, &dev, "A question").await;
    let soon = opened(&app, &dev, "Another question").await;
    let target_minutes = |number: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, f64>(
                "select extract(epoch from first_response_due - created_at)::float8 / 60
                 from support_requests where number = $1",
            )
            .bind(number)
            .fetch_one(&pool)
            .await
            .expect("target")
        }
    };
    assert_eq!(target_minutes(late).await, 1440.0, "normal: a day");
    let n = late.to_string();
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_priority",
        &[("number", n.as_str()), ("priority", "urgent")],
    )
    .await;
    assert_eq!(target_minutes(late).await, 60.0, "urgent: an hour");
    let staff = staff_view(&app, &admin, late, "").await;
    assert_eq!(staff["request"]["priority"], "Urgent");
    assert_eq!(staff["breached"], false);
    assert_eq!(
        invalid_fields(
            app.post_form_with(
                &admin,
                "/api/admin_set_support_priority",
                &[("number", n.as_str()), ("priority", "asap")],
            )
            .await
        )
        .await,
        ["priority"]
    );
    let priorities = audited(&app, "support.priority").await;
    assert_eq!(priorities.len(), 1);
    let after = priorities[0].3.clone().expect("after");
    assert_eq!(
        (&after["before"], &after["priority"], &after["number"]),
        (&json!("normal"), &json!("urgent"), &json!(late))
    );

    let queue = |sla: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            posted_ok(
                app,
                admin,
                "/api/admin_support_queue",
                &[("status", "all"), ("sla", sla)],
            )
            .await
        }
    };
    let numbers = |queue: &Value| -> Vec<i64> {
        queue["page"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["number"].as_i64().expect("number"))
            .collect()
    };
    let fresh = queue("breached").await;
    assert_eq!(numbers(&fresh), Vec::<i64>::new());
    assert_eq!(fresh["health"]["measured"], 0, "{fresh}");
    assert_eq!(fresh["health"]["met_percent"], Value::Null);

    // The urgent one's hour passes unanswered; the other is answered in time.
    sqlx::query(
        "update support_requests set first_response_due = now() - interval '5 minutes'
         where number = $1",
    )
    .bind(late)
    .execute(&app.pool)
    .await
    .expect("overdue");
    sqlx::query(
        "update support_requests set first_response_due = now() + interval '30 minutes'
         where number = $1",
    )
    .bind(soon)
    .execute(&app.pool)
    .await
    .expect("due soon");
    ok(staff_reply(&app, &admin, in_time, "Here is the answer.").await).await;
    let breached = queue("breached").await;
    assert_eq!(numbers(&breached), vec![late], "{breached}");
    assert_eq!(breached["page"]["items"][0]["breached"], true);
    let health = &breached["health"];
    assert_eq!(health["breached_open"], 1, "{health}");
    assert_eq!(health["measured"], 2, "{health}");
    assert_eq!(health["met_percent"], 50, "{health}");
    assert_eq!(numbers(&queue("due_soon").await), vec![soon]);
    assert_eq!(staff_view(&app, &admin, late, "").await["breached"], true);
    let (status, queue_page) = html(&app, &admin, "/admin/support?sla=breached&status=all").await;
    assert_eq!(status, 200);
    assert!(
        queue_page.contains("Urgent: production down"),
        "{queue_page}"
    );
    assert!(queue_page.contains("50 %"), "{queue_page}");
    assert!(!queue_page.contains("A question"), "{queue_page}");

    // Answered late, it stays a missed target.
    ok(staff_reply(&app, &admin, late, "Sorry for the wait.").await).await;
    let health = queue("").await["health"].clone();
    assert_eq!(
        (
            &health["breached_open"],
            &health["measured"],
            &health["met_percent"]
        ),
        (&json!(0), &json!(2), &json!(50)),
        "{health}"
    );
    assert_eq!(numbers(&queue("breached").await), vec![late]);
}

#[sqlx::test(migrations = false)]
async fn a_grant_from_a_request_credits_the_requester_once_and_says_so(pool: PgPool) {
    let Desk {
        app,
        admin_id,
        admin,
        dev_id,
        dev,
    } = desk(pool).await;
    grant_credits(&app, &admin, DEV, "5").await;
    let number = opened_in(&app, &dev, "credits", "Lost credits on a failed batch").await;
    let before = available(&app, dev_id).await;
    assert_eq!(before, 5_000_000);
    let n = number.to_string();
    let key = staff_view(&app, &admin, number, "").await["grant_key"]
        .as_str()
        .expect("a grant key")
        .to_owned();
    let form = [
        ("number", n.as_str()),
        ("amount", "12.5"),
        ("expiry", ""),
        ("reason", "Failed batch refund"),
        ("idempotency_key", key.as_str()),
    ];
    let granted = posted_ok(&app, &admin, "/api/admin_grant_support_credits", &form).await;
    assert_eq!(granted, json!(true));
    assert_eq!(available(&app, dev_id).await, before + 12_500_000);

    let request = request_id(&app, number).await;
    let links: Vec<(Uuid, Uuid, i64, Uuid)> =
        sqlx::query_as("select transaction_id, request_id, amount, granted_by from support_grants")
            .fetch_all(&app.pool)
            .await
            .expect("grants");
    assert_eq!(links.len(), 1, "{links:?}");
    let (transaction, linked, amount, by) = links[0];
    assert_eq!((linked, amount, by), (request, 12_500_000, admin_id));
    let memo: Option<String> =
        sqlx::query_scalar("select memo from ledger_transactions where id = $1")
            .bind(transaction)
            .fetch_one(&app.pool)
            .await
            .expect("the ledger's transaction");
    assert_eq!(memo.as_deref(), Some("Failed batch refund"));
    let credit_grants = audited(&app, "credits.grant").await;
    assert_eq!(credit_grants.len(), 2, "the starter grant and this one");
    let after = credit_grants[1].3.clone().expect("after");
    assert_eq!(after["transaction_id"], transaction.to_string());
    assert_eq!(after["amount_micros"], 12_500_000);
    let support_grants = audited(&app, "support.grant").await;
    assert_eq!(support_grants.len(), 1);
    let (actor, target_type, target_id, after) = support_grants[0].clone();
    assert_eq!(
        (actor, target_type.as_str(), target_id),
        (Some(admin_id), "support_request", request.to_string())
    );
    let after = after.expect("after");
    assert_eq!(after["transaction_id"], transaction.to_string());
    assert_eq!(after["number"], number);

    // The thread says it, as the portal; the requester is told.
    let view = requester_view(&app, &dev, number).await;
    let said = &view["messages"][1];
    assert_eq!(said["author"], Value::Null, "{view}");
    assert!(
        said["html"]
            .as_str()
            .expect("html")
            .contains("The Lab granted you 12.5 credits."),
        "{view}"
    );
    assert_eq!(view["granted"], 12_500_000);
    let notices = support_notifications(&app, dev_id).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, format!("Credits granted on request {number}"));
    let (_, thread) = html(&app, &dev, &format!("/support/{number}")).await;
    assert!(
        thread.contains("The Lab granted you 12.5 credits."),
        "{thread}"
    );
    assert!(
        thread.contains("12.5 credits were granted to you"),
        "{thread}"
    );

    // The same form again grants nothing.
    let again = posted_ok(&app, &admin, "/api/admin_grant_support_credits", &form).await;
    assert_eq!(again, json!(false));
    assert_eq!(available(&app, dev_id).await, before + 12_500_000);
    let counts: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from support_grants), (select count(*) from support_messages),
                (select count(*) from audit_log where action = 'support.grant')",
    )
    .fetch_one(&app.pool)
    .await
    .expect("counts");
    assert_eq!(counts, (1, 2, 1));
    assert_eq!(support_notifications(&app, dev_id).await.len(), 1);

    // Amounts are checked.
    let fresh = Uuid::now_v7().to_string();
    let zero = [
        ("number", n.as_str()),
        ("amount", "0"),
        ("expiry", ""),
        ("reason", "Nothing"),
        ("idempotency_key", fresh.as_str()),
    ];
    assert_eq!(
        invalid_fields(
            app.post_form_with(&admin, "/api/admin_grant_support_credits", &zero)
                .await
        )
        .await,
        ["amount"]
    );
    assert_eq!(available(&app, dev_id).await, before + 12_500_000);
}

#[sqlx::test(migrations = false)]
async fn canned_replies_fill_in_their_variables_and_a_broken_one_is_refused(pool: PgPool) {
    let Desk {
        app, admin, dev, ..
    } = desk(pool).await;
    grant_credits(&app, &admin, DEV, "1234.5").await;
    let number = opened(&app, &dev, "Balance question").await;
    let saved = posted_ok(
        &app,
        &admin,
        "/api/admin_save_canned_reply",
        &[
            ("id", ""),
            ("title", "Balance now"),
            (
                "body",
                "Hello {{ name }}, on request {{ number }} your balance is {{ balance }} credits. {{ staff }}",
            ),
        ],
    )
    .await;
    let id = saved.as_str().expect("the reply's id").to_owned();
    let listed = posted_ok(&app, &admin, "/api/admin_canned_replies", &[]).await;
    assert!(
        listed
            .as_array()
            .expect("replies")
            .iter()
            .any(|c| c["id"] == id.as_str() && c["title"] == "Balance now"),
        "{listed}"
    );
    let staff = staff_view(&app, &admin, number, &id).await;
    assert_eq!(
        staff["draft"],
        format!(
            "Hello User {DEV}, on request {number} your balance is 1,234.5 credits. User {ADMIN}"
        ),
        "{staff}"
    );
    assert_eq!(
        staff_view(&app, &admin, number, "").await["draft"],
        Value::Null
    );
    let (status, staff_page) = html(
        &app,
        &admin,
        &format!("/admin/support/{number}?canned={id}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        staff_page.contains(&format!(
            "on request {number} your balance is 1,234.5 credits"
        )),
        "{staff_page}"
    );

    // Broken variables are refused on the body; titles are unique.
    for broken in ["Hello {{ name", "{% if x %}never closed"] {
        assert_eq!(
            invalid_fields(
                app.post_form_with(
                    &admin,
                    "/api/admin_save_canned_reply",
                    &[("id", ""), ("title", "Broken"), ("body", broken)],
                )
                .await
            )
            .await,
            ["body"],
            "{broken}"
        );
    }
    assert_eq!(
        invalid_fields(
            app.post_form_with(
                &admin,
                "/api/admin_save_canned_reply",
                &[("id", ""), ("title", "Balance now"), ("body", "Again")],
            )
            .await
        )
        .await,
        ["title"]
    );
    // Edited in place.
    posted_ok(
        &app,
        &admin,
        "/api/admin_save_canned_reply",
        &[
            ("id", id.as_str()),
            ("title", "Balance today"),
            ("body", "Request {{ number }}."),
        ],
    )
    .await;
    assert_eq!(
        staff_view(&app, &admin, number, &id).await["draft"],
        format!("Request {number}.")
    );
    let (status, canned_page) = html(&app, &admin, "/admin/support/canned").await;
    assert_eq!(status, 200);
    assert!(canned_page.contains("Balance today"), "{canned_page}");

    // Deleted.
    posted_ok(
        &app,
        &admin,
        "/api/admin_delete_canned_reply",
        &[("id", id.as_str())],
    )
    .await;
    let listed = posted_ok(&app, &admin, "/api/admin_canned_replies", &[]).await;
    assert!(
        listed
            .as_array()
            .expect("replies")
            .iter()
            .all(|c| c["id"] != id.as_str()),
        "{listed}"
    );
    assert_eq!(
        listed.as_array().expect("replies").len(),
        3,
        "the seeded ones"
    );
    let (status, _) = refused(
        app.post_form_with(
            &admin,
            "/api/admin_delete_canned_reply",
            &[("id", id.as_str())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    let n = number.to_string();
    let (status, _) = refused(
        app.post_form_with(
            &admin,
            "/api/admin_get_support_request",
            &[("number", n.as_str()), ("canned", id.as_str())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404, "a deleted reply fills in nothing");

    let saves = audited(&app, "support.canned_reply.save").await;
    assert_eq!(saves.len(), 2, "{saves:?}");
    assert!(saves
        .iter()
        .all(|(_, kind, target, _)| kind == "support_canned_reply" && target == &id));
    let deletes = audited(&app, "support.canned_reply.delete").await;
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].2, id);
}

#[sqlx::test(migrations = false)]
async fn the_queue_filters_by_status_category_assignee_and_search_and_pages(pool: PgPool) {
    let Desk {
        app, admin, dev, ..
    } = desk(pool).await;
    create_user(&app, "second@example.org", "developer").await;
    let second = signed_in(&app, "second@example.org").await;
    let categories = ["api", "credits", "datasets"];
    let mut numbers = Vec::new();
    for i in 0..20 {
        let category = categories[i % 3];
        numbers.push(opened_in(&app, &dev, category, &format!("Queue item {i}")).await);
    }
    // A person opens at most 20 a day.
    let fields = [
        ("category", "api"),
        ("subject", "One too many"),
        ("body", "Again"),
    ];
    let (status, error) = refused(open_request(&app, &dev, &fields, &[]).await).await;
    assert_eq!(status, 403, "{error}");
    assert!(error["Refused"].as_str().is_some(), "{error}");
    for i in 0..5 {
        numbers.push(opened_in(&app, &second, "account", &format!("Second's item {i}")).await);
    }
    numbers.push(opened_in(&app, &second, "team", "Webhook signature mismatch").await);
    assert_eq!(numbers.len(), 26);

    let queue = |form: Vec<(&'static str, String)>| {
        let (app, admin) = (&app, &admin);
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            posted_ok(app, admin, "/api/admin_support_queue", &form).await
        }
    };
    let found = |queue: &Value| -> Vec<i64> {
        queue["page"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["number"].as_i64().expect("number"))
            .collect()
    };
    // Two pages: 25, then 1; every request once, the latest first.
    let first = queue(vec![]).await;
    assert_eq!(first["page"]["total"], 26, "{first}");
    assert_eq!(first["page"]["per_page"], 25);
    let second_page = queue(vec![("page", "2".into())]).await;
    assert_eq!(second_page["page"]["page"], 2);
    let mut all = found(&first);
    assert_eq!(all.len(), 25);
    assert_eq!(all[0], numbers[25], "the latest first");
    all.extend(found(&second_page));
    assert_eq!(all.len(), 26);
    all.sort_unstable();
    let mut expected = numbers.clone();
    expected.sort_unstable();
    assert_eq!(all, expected);
    assert_eq!(first["health"]["active"], 26);
    assert_eq!(first["health"]["unassigned"], 26);
    let (status, queue_page) = html(&app, &admin, "/admin/support?page=2").await;
    assert_eq!(status, 200);
    assert!(queue_page.contains("Page 2 of 2"), "{queue_page}");

    // By status: a resolved one leaves the active view.
    let resolved = numbers[3];
    let resolved_text = resolved.to_string();
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_status",
        &[("number", resolved_text.as_str()), ("status", "resolved")],
    )
    .await;
    assert_eq!(queue(vec![]).await["page"]["total"], 25);
    assert_eq!(
        found(&queue(vec![("status", "resolved".into())]).await),
        vec![resolved]
    );
    assert_eq!(
        queue(vec![("status", "all".into())]).await["page"]["total"],
        26
    );
    // By category.
    let credits = queue(vec![
        ("status", "all".into()),
        ("category", "credits".into()),
    ])
    .await;
    let mut credit_numbers = found(&credits);
    credit_numbers.sort_unstable();
    let expected: Vec<i64> = (0..20).filter(|i| i % 3 == 1).map(|i| numbers[i]).collect();
    assert_eq!(credit_numbers, expected);
    // By assignee.
    let mine = numbers[7];
    let mine_text = mine.to_string();
    posted_ok(
        &app,
        &admin,
        "/api/admin_assign_support_request",
        &[("number", mine_text.as_str()), ("assignee", "me")],
    )
    .await;
    assert_eq!(
        found(&queue(vec![("status", "all".into()), ("assignee", "me".into())]).await),
        vec![mine]
    );
    let unassigned = queue(vec![("status", "all".into()), ("assignee", "none".into())]).await;
    assert_eq!(unassigned["page"]["total"], 25);
    assert!(!found(&unassigned).contains(&mine));
    // By search: subject words, the requester's email, a number.
    assert_eq!(
        found(&queue(vec![("q", "webhook SIGNATURE".into())]).await),
        vec![numbers[25]]
    );
    assert_eq!(
        queue(vec![("q", "second@example".into())]).await["page"]["total"],
        6
    );
    for search in [format!("#{}", numbers[11]), numbers[11].to_string()] {
        assert_eq!(
            found(&queue(vec![("status", "all".into()), ("q", search.clone())]).await),
            vec![numbers[11]],
            "{search}"
        );
    }
    assert_eq!(
        queue(vec![("q", "nothing like this".into())]).await["page"]["total"],
        0
    );
    // Filters combine.
    assert_eq!(
        queue(vec![
            ("status", "all".into()),
            ("category", "account".into()),
            ("q", "item 4".into()),
        ])
        .await["page"]["total"],
        1
    );
}

#[sqlx::test(migrations = false)]
async fn every_staff_action_on_a_request_writes_its_audit_row(pool: PgPool) {
    let Desk {
        app,
        admin_id,
        admin,
        dev,
        ..
    } = desk(pool).await;
    let number = opened(&app, &dev, "Audit me").await;
    let n = number.to_string();
    let request = request_id(&app, number).await.to_string();
    ok(staff_reply_with(&app, &admin, number, "Resolved, I think.", "resolved", &[]).await).await;
    assert_eq!(
        state_of(&app, number).await,
        ("resolved".into(), true, true)
    );
    posted_ok(
        &app,
        &admin,
        "/api/admin_add_support_note",
        &[("number", n.as_str()), ("body", "Customer since 2024.")],
    )
    .await;
    posted_ok(
        &app,
        &admin,
        "/api/admin_assign_support_request",
        &[("number", n.as_str()), ("assignee", "me")],
    )
    .await;
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_status",
        &[("number", n.as_str()), ("status", "closed")],
    )
    .await;
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_priority",
        &[("number", n.as_str()), ("priority", "high")],
    )
    .await;
    for action in [
        "support.reply",
        "support.note",
        "support.assign",
        "support.status",
        "support.priority",
    ] {
        let rows = audited(&app, action).await;
        assert_eq!(rows.len(), 1, "{action}: {rows:?}");
        let (actor, target_type, target_id, after) = rows[0].clone();
        assert_eq!(
            (actor, target_type.as_str(), target_id.as_str()),
            (Some(admin_id), "support_request", request.as_str()),
            "{action}"
        );
        assert_eq!(after.expect("after")["number"], number, "{action}");
    }
    let reply = audited(&app, "support.reply").await[0]
        .3
        .clone()
        .expect("after");
    assert_eq!(reply["status"], "resolved");
    // A note's text is not in the audit log.
    let note = audited(&app, "support.note").await[0]
        .3
        .clone()
        .expect("after");
    assert!(!note.to_string().contains("Customer since"), "{note}");
    // Changing nothing writes nothing.
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_priority",
        &[("number", n.as_str()), ("priority", "high")],
    )
    .await;
    posted_ok(
        &app,
        &admin,
        "/api/admin_set_support_status",
        &[("number", n.as_str()), ("status", "closed")],
    )
    .await;
    assert_eq!(audited(&app, "support.priority").await.len(), 1);
    assert_eq!(audited(&app, "support.status").await.len(), 1);
    // Staff's functions on a request that does not exist.
    let (status, error) = refused(
        app.post_form_with(
            &admin,
            "/api/admin_add_support_note",
            &[("number", "424242"), ("body", "Lost")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error),
        (
            404,
            json!({ "NotFound": "There is no such support request." })
        )
    );
    let (status, _) = refused(staff_reply(&app, &admin, 424242, "Lost").await).await;
    assert_eq!(status, 404);
    assert_eq!(
        invalid_fields(
            app.post_form_with(
                &admin,
                "/api/admin_add_support_note",
                &[("number", n.as_str()), ("body", "  ")],
            )
            .await
        )
        .await,
        ["note"]
    );
}

#[sqlx::test(migrations = false)]
async fn a_reply_on_a_request_whose_assignee_left_the_staff_still_reaches_the_staff(pool: PgPool) {
    let Desk {
        app, admin, dev, ..
    } = desk(pool).await;
    let second = create_user(&app, "second@lab.example", "admin").await;
    let number = opened(&app, &dev, "Who reads this?").await;
    let n = number.to_string();
    let second_text = second.to_string();
    posted_ok(
        &app,
        &admin,
        "/api/admin_assign_support_request",
        &[("number", n.as_str()), ("assignee", second_text.as_str())],
    )
    .await;
    posted_ok(
        &app,
        &admin,
        "/api/admin_suspend_user",
        &[("user_id", second_text.as_str())],
    )
    .await;
    let before = emails_to(&app, ADMIN).await.len();
    ok(reply(&app, &dev, number, "Hello? Anyone?").await).await;
    let emails = emails_to(&app, ADMIN).await;
    assert_eq!(
        emails.len(),
        before + 1,
        "with its assignee suspended, the reply goes to the active staff: {:?}",
        outbox(&app).await
    );
}
