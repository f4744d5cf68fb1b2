//! API keys over HTTP: created once with the plaintext shown once (with and
//! without JavaScript), stored only as SHA-256, listed by prefix, revoked
//! only by their owner, refused to visitors, validated field by field.

use crate::helpers::{carries_form_error, page, spawn_app, TestApp, PASSWORD};
use reqwest::{Client, Response};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// A verified developer made directly in the database.
pub async fn create_user(app: &TestApp, email: &str) -> Uuid {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let hash = HASH
        .get_or_init(|| async {
            let password = app::domain::password::Password::parse(PASSWORD.into(), &[])
                .expect("a valid password");
            app::server::password::hash(password).await.expect("hash")
        })
        .await;
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
         values ($1, $2, $3, $4, 'developer', 'DE', now())",
    )
    .bind(id)
    .bind(email)
    .bind(hash)
    .bind(format!("User {email}"))
    .execute(&app.pool)
    .await
    .expect("insert user");
    id
}

/// A new browser signed in as `email`.
pub async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = app.new_browser();
    let response = app
        .post_form_with(
            &client,
            "/api/sign_in",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), 200);
    client
}

/// A developer made in the database, and a browser signed in as them.
pub async fn developer(app: &TestApp, email: &str) -> (Uuid, Client) {
    let id = create_user(app, email).await;
    (id, signed_in(app, email).await)
}

pub async fn ok_json(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    body
}

/// Creates a key named `name` with no limits; the answer's JSON.
pub async fn create_key(app: &TestApp, client: &Client, name: &str) -> Value {
    ok_json(
        app.post_form_with(client, "/api/create_api_key", &[("name", name)])
            .await,
    )
    .await
}

/// Tables (in any schema) holding `text` anywhere in a row, as text or as
/// the hex of its bytes.
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
                            where t::text like '%' || $1 || '%'
                               or t::text like '%' || encode(convert_to($1, 'UTF8'), 'hex') || '%')"
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

#[sqlx::test(migrations = false)]
async fn a_key_is_shown_once_and_stored_only_as_its_hash(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (user, dev) = developer(&app, "dev@example.org").await;
    let expiry = time::OffsetDateTime::now_utc().date() + time::Duration::days(30);
    let expiry_text = format!(
        "{}-{:02}-{:02}",
        expiry.year(),
        u8::from(expiry.month()),
        expiry.day()
    );
    let next_day = expiry.next_day().expect("a next day");
    let expires_at = format!(
        "{}-{:02}-{:02} 00:00",
        next_day.year(),
        u8::from(next_day.month()),
        next_day.day()
    );

    let response = app
        .post_form_with(
            &dev,
            "/api/create_api_key",
            &[
                ("name", "  laptop "),
                ("spend_cap", "12.5"),
                ("rpm_limit", "60"),
                ("tpm_limit", "100000"),
                ("expires_on", &expiry_text),
            ],
        )
        .await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created = ok_json(response).await;
    let key = created["key"]
        .as_str()
        .expect("the plaintext key")
        .to_owned();
    let (public_id, _) = app::server::api_keys::parse(&key).expect("a well-formed key");
    let secret = &key[16..];
    assert_eq!(secret.len(), 32);
    assert_eq!(created["name"], "laptop");
    assert_eq!(created["prefix"], format!("lp_{public_id}_…"));

    // Stored: the SHA-256 of the whole key, the settings, the owner's account.
    let (hash_matches, cap, rpm, tpm, expires, account_owner): (
        bool,
        Option<i64>,
        Option<i32>,
        Option<i32>,
        String,
        Option<Uuid>,
    ) = sqlx::query_as(
        "select k.secret_hash = sha256(convert_to($1, 'UTF8')), k.spend_cap, k.rpm_limit, k.tpm_limit,
                to_char(k.expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI'), a.owner_id
         from api_keys k join credit_accounts a on a.id = k.account_id
         where k.public_id = $2 and k.user_id = $3",
    )
    .bind(&key)
    .bind(public_id)
    .bind(user)
    .fetch_one(&app.pool)
    .await
    .expect("the key's row");
    assert!(hash_matches, "secret_hash is SHA-256 of the whole key");
    assert_eq!(cap, Some(12_500_000));
    assert_eq!(rpm, Some(60));
    assert_eq!(tpm, Some(100_000));
    assert_eq!(expires, expires_at, "works until the end of that day");
    assert_eq!(account_owner, Some(user));

    // The plaintext (or its secret part) is nowhere in the database.
    assert_eq!(tables_containing(&app, secret).await, Vec::<String>::new());
    // (The search does find what is there.)
    assert_eq!(
        tables_containing(&app, public_id).await,
        vec!["public.api_keys".to_owned()]
    );

    // The list and the page show the prefix, never the secret.
    let list = app.post_form_with(&dev, "/api/list_api_keys", &[]).await;
    let list_text = list.text().await.expect("body");
    assert!(!list_text.contains(secret), "{list_text}");
    let list: Value = serde_json::from_str(&list_text).expect("json");
    assert_eq!(list.as_array().expect("keys").len(), 1);
    assert_eq!(list[0]["prefix"], format!("lp_{public_id}_…"));
    assert_eq!(list[0]["status"], "Active");
    assert_eq!(list[0]["spend_cap"], 12_500_000);

    let html = page(&app, &dev, "/keys").await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.expect("html");
    assert!(
        html.contains(&format!("lp_{public_id}_…")),
        "the prefix is listed"
    );
    assert!(html.contains("laptop"));
    assert!(!html.contains(secret), "the secret is never shown again");
    assert!(!html.contains("won&#x27;t see it again") && !html.contains("won't see it again"));
}

#[sqlx::test(migrations = false)]
async fn without_javascript_the_key_reaches_the_page_once_through_a_cookie(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev) = developer(&app, "dev@example.org").await;

    let response = dev
        .post(format!("{}/api/create_api_key", app.address))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", format!("{}/keys", app.address))
        .form(&[
            ("name", "no script"),
            ("spend_cap", ""),
            ("rpm_limit", ""),
            ("tpm_limit", ""),
            ("expires_on", ""),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/keys?created=1");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lab_new_key="))
        .expect("the key's cookie")
        .to_owned();
    assert!(cookie.contains("Path=/keys"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let key = cookie["lab_new_key=".len()..]
        .split(';')
        .next()
        .expect("value")
        .to_owned();
    assert!(app::server::api_keys::parse(&key).is_some(), "{key}");

    let first = page(&app, &dev, "/keys?created=1").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let first = first.text().await.expect("html");
    assert!(first.contains(&key), "the new key is shown");
    assert!(first.contains("see it again"), "with the warning");

    let again = page(&app, &dev, "/keys?created=1")
        .await
        .text()
        .await
        .expect("html");
    assert!(!again.contains(&key), "and only once");
    assert!(again.contains("no script"), "the key itself stays listed");

    // Someone else's browser holding the cookie sees nothing.
    create_user(&app, "other@example.org").await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let other = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let signed = app
        .post_form_with(
            &other,
            "/api/sign_in",
            &[("email", "other@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed.status(), 200);
    let url: reqwest::Url = app.address.parse().expect("url");
    jar.add_cookie_str(&format!("lab_new_key={key}; Path=/keys"), &url);
    let stolen = page(&app, &other, "/keys?created=1").await;
    assert_eq!(stolen.status(), 200, "signed in as the other developer");
    let stolen = stolen.text().await.expect("html");
    assert!(!stolen.contains(&key));

    // Field errors come back to the form (in a cookie, not the address).
    let invalid = dev
        .post(format!("{}/api/create_api_key", app.address))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", format!("{}/keys", app.address))
        .form(&[("name", ""), ("spend_cap", "lots")])
        .send()
        .await
        .expect("post");
    assert_eq!(invalid.status(), 302);
    let back = invalid.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        back.ends_with("/keys") && carries_form_error(&invalid),
        "{back}"
    );
    let path = back.trim_start_matches(&app.address).to_owned();
    let form = page(&app, &dev, &path).await.text().await.expect("html");
    assert!(
        form.contains("Give the key a name"),
        "the name's error is shown"
    );
    assert!(
        form.contains("Enter an amount of credits"),
        "the cap's error is shown"
    );
}

#[sqlx::test(migrations = false)]
async fn bad_settings_get_one_message_per_field(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev) = developer(&app, "dev@example.org").await;
    let response = app
        .post_form_with(
            &dev,
            "/api/create_api_key",
            &[
                ("name", " "),
                ("spend_cap", "1.0000001"),
                ("rpm_limit", "0"),
                ("tpm_limit", "many"),
                ("expires_on", "2000-01-01"),
            ],
        )
        .await;
    let mut fields = invalid_fields(response).await;
    fields.sort();
    assert_eq!(
        fields,
        ["expires_on", "name", "rpm_limit", "spend_cap", "tpm_limit"]
    );
    let keys: i64 = sqlx::query_scalar("select count(*) from api_keys")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(keys, 0, "nothing is created");
}

#[sqlx::test(migrations = false)]
async fn only_the_owner_can_revoke_a_key_and_it_stays_listed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, owner) = developer(&app, "owner@example.org").await;
    let (_, other) = developer(&app, "other@example.org").await;
    let created = create_key(&app, &owner, "production").await;
    let id = created["id"].as_str().expect("id").to_owned();
    let revoked_at = || async {
        sqlx::query_scalar::<_, Option<time::OffsetDateTime>>(
            "select revoked_at from api_keys where id = $1::uuid",
        )
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .expect("the row is kept")
    };

    // Someone else: refused, and nothing changes.
    let (status, _) = TestApp::error_of(
        app.post_form_with(&other, "/api/revoke_api_key", &[("key_id", &id)])
            .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(revoked_at().await, None);
    let theirs = ok_json(app.post_form_with(&other, "/api/list_api_keys", &[]).await).await;
    assert_eq!(theirs, Value::Array(vec![]), "nor do they see it");
    let (status, _) = TestApp::error_of(
        app.post_form_with(&other, "/api/revoke_api_key", &[("key_id", "not-a-key")])
            .await,
    )
    .await;
    assert_eq!(status, 404);

    // The owner's confirmation page names the key.
    let confirm = page(&app, &owner, &format!("/keys?revoke={id}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(confirm.contains("Revoke “production”?"), "{confirm}");

    // The owner: revoked, with the row kept.
    let response = app
        .post_form_with(&owner, "/api/revoke_api_key", &[("key_id", &id)])
        .await;
    assert_eq!(response.status(), 200);
    let first = revoked_at().await.expect("revoked_at is set");
    let list = ok_json(app.post_form_with(&owner, "/api/list_api_keys", &[]).await).await;
    assert_eq!(list[0]["status"], "Revoked");
    assert_eq!(list[0]["id"], id.as_str());

    // Again: nothing changes.
    let again = app
        .post_form_with(&owner, "/api/revoke_api_key", &[("key_id", &id)])
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(revoked_at().await, Some(first));

    // Without JavaScript the form comes back to the list with a notice.
    let nojs = owner
        .post(format!("{}/api/revoke_api_key", app.address))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .form(&[("key_id", id.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(nojs.status(), 302);
    assert_eq!(nojs.headers()["location"], "/keys?done=revoked");
    let html = page(&app, &owner, "/keys?done=revoked")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("The key is revoked."));
    assert!(html.contains("Revoked"));
}

#[sqlx::test(migrations = false)]
async fn visitors_are_refused_and_sent_to_sign_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (path, form) in [
        ("/api/list_api_keys", vec![]),
        ("/api/create_api_key", vec![("name", "x")]),
        (
            "/api/revoke_api_key",
            vec![("key_id", "00000000-0000-7000-8000-000000000000")],
        ),
        ("/api/take_created_key", vec![]),
        ("/api/api_quick_start", vec![]),
        ("/api/my_usage", vec![]),
        ("/api/my_usage_chart", vec![]),
        ("/api/my_usage_filters", vec![]),
    ] {
        let (status, _) = TestApp::error_of(app.post_form(path, &form).await).await;
        assert_eq!(status, 401, "{path}");
    }
    for path in ["/keys", "/usage"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(
            response.headers()["location"],
            format!("/signin?next={path}")
        );
    }
    let keys: i64 = sqlx::query_scalar("select count(*) from api_keys")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(keys, 0);
}

#[sqlx::test(migrations = false)]
async fn the_quick_start_names_this_portal_and_only_served_models(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev) = developer(&app, "dev@example.org").await;
    // The portal registers its upstream simulator's models at start.
    let simulated: Vec<String> =
        sqlx::query_scalar("update models set enabled = false returning public_id")
            .fetch_all(&app.pool)
            .await
            .expect("disable the simulator's models");
    assert!(!simulated.is_empty());

    let empty = ok_json(app.post_form_with(&dev, "/api/api_quick_start", &[]).await).await;
    assert_eq!(empty["base_url"], format!("{}/v1", app.address));
    assert_eq!(empty["models"], Value::Array(vec![]));
    let html = page(&app, &dev, "/keys").await.text().await.expect("html");
    assert!(html.contains("No models to call yet"));
    assert!(
        html.contains(&format!("OpenAI(base_url=&quot;{}/v1&quot;", app.address))
            || html.contains(&format!("OpenAI(base_url=\"{}/v1\"", app.address))
    );

    let provider = Uuid::now_v7();
    sqlx::query(
        "insert into providers (id, name, base_url) values ($1, 'Upstream', 'http://127.0.0.1:9')",
    )
    .bind(provider)
    .execute(&app.pool)
    .await
    .expect("provider");
    for (id, input, output, enabled) in [
        ("lab-chat", Some(1_000_000i64), Some(2_000_000i64), true),
        ("lab-unpriced", None, Some(1), true),
        ("lab-disabled", Some(1), Some(1), false),
    ] {
        sqlx::query(
            "insert into models (id, public_id, provider_id, upstream_model, input_price, output_price, enabled)
             values ($1, $2, $3, 'up', $4, $5, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(provider)
        .bind(input)
        .bind(output)
        .bind(enabled)
        .execute(&app.pool)
        .await
        .expect("model");
    }
    let served = ok_json(app.post_form_with(&dev, "/api/api_quick_start", &[]).await).await;
    let ids: Vec<&str> = served["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["lab-chat"], "enabled and priced models only");
    sqlx::query("update models set enabled = true where public_id = 'simulator-chat'")
        .execute(&app.pool)
        .await
        .expect("enable");
    let served = ok_json(app.post_form_with(&dev, "/api/api_quick_start", &[]).await).await;
    assert_eq!(served["models"].as_array().expect("models").len(), 2);
    let html = page(&app, &dev, "/keys").await.text().await.expect("html");
    assert!(html.contains("lab-chat"));
    assert!(!html.contains("lab-unpriced") && !html.contains("lab-disabled"));
    assert!(!html.contains("No models to call yet"));
}

#[sqlx::test(migrations = false)]
async fn without_javascript_a_refused_key_comes_back_with_what_was_typed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, dev) = developer(&app, "dev@example.org").await;
    let refused = dev
        .post(format!("{}/api/create_api_key", app.address))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", format!("{}/keys", app.address))
        .form(&[
            ("name", "staging server"),
            ("spend_cap", "lots"),
            ("rpm_limit", "120"),
            ("tpm_limit", ""),
            ("expires_on", "2031-04-05"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 302);
    let back = refused.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        back.ends_with("/keys") && carries_form_error(&refused),
        "{back}"
    );
    let shown = dev
        .get(&back)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    let html = shown.text().await.expect("html");
    for kept in ["staging server", "lots", "120", "2031-04-05"] {
        assert!(
            html.contains(&format!(r#"value="{kept}""#)),
            "{kept}: {html}"
        );
    }
    let again = page(&app, &dev, "/keys").await.text().await.expect("html");
    assert!(!again.contains(r#"value="staging server""#));
}
