//! `spawn_app`: the portal on a random port against the test's database.

use lab_portal::config::Settings;
use lab_portal::startup::Application;
use sqlx::PgPool;

/// A running portal and a cookie-keeping client pointed at it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: PgPool,
}

/// The password test accounts use.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// A second browser: its own cookies, the same server.
    pub fn new_browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Posts a form to `path` as this site's own page would (same Origin).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(&self.client, path, form).await
    }

    /// Like [`TestApp::post_form`], from another browser.
    pub async fn post_form_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(format!("{}{path}", self.address))
            .header("origin", &self.address)
            .form(form)
            .send()
            .await
            .expect("request failed")
    }

    /// Posts a `multipart/form-data` form to `path` from `client`, as this
    /// site's own page would (same Origin). With `html`, as a browser without
    /// JavaScript does: accepting HTML, from the bulk grant page.
    pub async fn post_multipart_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        parts: &[FormPart<'_>],
        html: bool,
    ) -> reqwest::Response {
        let (content_type, body) = multipart_body(parts);
        let mut request = client
            .post(format!("{}{path}", self.address))
            .header("origin", &self.address)
            .header("content-type", content_type)
            .body(body);
        if html {
            request = request
                .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
                .header("referer", format!("{}/admin/credits/bulk", self.address));
        }
        request.send().await.expect("request failed")
    }

    /// Signs up through the real server function.
    pub async fn sign_up(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/api/sign_up",
            &[
                ("email", email),
                ("password", password),
                ("display_name", "Ada Tester"),
                ("account_kind", "developer"),
                ("organization", ""),
                ("country", "DE"),
            ],
        )
        .await
    }

    /// The token of the newest link to `path` emailed to `email`.
    /// Some emails are queued after the answer (a password reset's, whose
    /// timing must not tell whether the account exists): waits a little.
    pub async fn emailed_token(&self, email: &str, path: &str) -> String {
        let mut body: Option<String> = None;
        for _ in 0..100 {
            body = sqlx::query_scalar(
                "select secret_body_text from outbox where lower(recipient) = lower($1)
                   and secret_body_text like '%' || $2 || '?token=%'
                 order by created_at desc limit 1",
            )
            .bind(email)
            .bind(path)
            .fetch_optional(&self.pool)
            .await
            .expect("the outbox");
            if body.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let body = body.expect("an email with the link");
        let start = body.find("?token=").expect("token") + "?token=".len();
        body[start..]
            .split_whitespace()
            .next()
            .expect("token")
            .to_owned()
    }

    /// Signs up, verifies through the emailed link, and signs in.
    pub async fn signed_in_developer(&self, email: &str) {
        assert_eq!(self.sign_up(email, PASSWORD).await.status(), 200);
        let token = self.emailed_token(email, "/verify-email").await;
        assert_eq!(
            self.post_form("/api/verify_email", &[("token", &token)])
                .await
                .status(),
            200
        );
        let response = self
            .post_form("/api/sign_in", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(
            response.status(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    /// Calls the server function `endpoint` (under `/api/`) from `client`.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.post_form_with(client, &format!("/api/{endpoint}"), form)
            .await
    }

    /// The JSON answer of a server function call that must succeed.
    pub async fn call_ok(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> serde_json::Value {
        posted_ok(self, client, &format!("/api/{endpoint}"), form).await
    }

    /// The JSON error of a failed server function call.
    pub async fn error_of(response: reqwest::Response) -> (u16, serde_json::Value) {
        let status = response.status().as_u16();
        (status, response.json().await.expect("json error"))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .expect("request failed")
    }
}

/// One field of a multipart form: a file when it has a file name.
pub struct FormPart<'a> {
    pub name: &'a str,
    pub file_name: Option<&'a str>,
    pub content: &'a [u8],
}

/// The `Content-Type` and body of a multipart form, as browsers send it.
pub fn multipart_body(parts: &[FormPart<'_>]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----LabPortalTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match part.file_name {
            Some(file) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{file}\"\r\nContent-Type: text/csv\r\n",
                part.name
            ),
            None => format!("Content-Disposition: form-data; name=\"{}\"\r\n", part.name),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// Builds the application exactly as `lab-portal serve` does, on port 0.
/// The error a failed no-JavaScript post carries to the page it returns to
/// (the framework's `__path` and `__err`, kept out of the address bar).
pub fn form_error_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|cookie| cookie.strip_prefix("lab_form_error="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .find(|value| !value.is_empty())
}

/// Whether a failed no-JavaScript post sent its error in the cookie, and
/// not in the address it redirects to.
pub fn carries_form_error(response: &reqwest::Response) -> bool {
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    !location.contains("__err")
        && form_error_cookie(response).is_some_and(|error| error.contains("__err="))
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, test_settings()).await
}

/// The portal serving the bundled site in `site_root`.
pub async fn spawn_app_with_site(pool: PgPool, site_root: &std::path::Path) -> TestApp {
    let mut settings = test_settings();
    settings.site_root = site_root.to_owned();
    spawn_app_with(pool, settings).await
}

/// A portal whose dataset files are kept in `dir` and shared through the
/// bucket `s3` (another replica, given another folder, shares them).
pub async fn spawn_app_with_store(
    pool: PgPool,
    dir: &std::path::Path,
    s3: &app::server::datasets::storage::S3,
) -> TestApp {
    let settings: Settings = test_figment()
        .merge(figment::providers::Serialized::default("datasets_dir", dir))
        .merge(figment::providers::Serialized::default(
            "datasets_s3_bucket",
            &s3.bucket,
        ))
        .merge(figment::providers::Serialized::default(
            "datasets_s3_endpoint",
            &s3.endpoint,
        ))
        .merge(figment::providers::Serialized::default(
            "datasets_s3_region",
            &s3.region,
        ))
        .merge(figment::providers::Serialized::default(
            "datasets_s3_access_key_id",
            &s3.access_key_id,
        ))
        .merge(figment::providers::Serialized::default(
            "datasets_s3_secret_access_key",
            &s3.secret_access_key,
        ))
        .extract()
        .expect("test settings");
    spawn_app_with(pool, settings).await
}

/// A portal serving `/metrics`: on its own address for callers with
/// `token` (when given), and with `separate` on an address of its own too
/// (given back as `http://…`).
pub async fn spawn_app_with_metrics(
    pool: PgPool,
    token: Option<&str>,
    separate: bool,
) -> (TestApp, Option<String>) {
    let mut figment = test_figment();
    if let Some(token) = token {
        figment = figment.merge(figment::providers::Serialized::default(
            "metrics_token",
            token,
        ));
    }
    if separate {
        figment = figment.merge(figment::providers::Serialized::default(
            "metrics_listen",
            "127.0.0.1:0",
        ));
    }
    spawn_app_and_metrics(pool, figment.extract().expect("test settings")).await
}

/// A portal whose organizations' webhooks may be plain `http://` and reach
/// loopback addresses (a receiver the test runs on 127.0.0.1).
pub async fn spawn_app_with_private_webhooks(pool: PgPool) -> TestApp {
    let settings = test_figment()
        .merge(figment::providers::Serialized::default(
            "webhooks_allow_private",
            true,
        ))
        .extract()
        .expect("test settings");
    spawn_app_with(pool, settings).await
}

async fn spawn_app_with(pool: PgPool, settings: Settings) -> TestApp {
    spawn_app_and_metrics(pool, settings).await.0
}

async fn spawn_app_and_metrics(pool: PgPool, settings: Settings) -> (TestApp, Option<String>) {
    let app = Application::build_with_pool(&settings, pool.clone())
        .await
        .expect("application failed to build");
    let address = format!("http://{}", app.local_addr().expect("no local address"));
    let metrics = app.metrics_addr().map(|bound| format!("http://{bound}"));
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let app = TestApp {
        address,
        client,
        pool,
    };
    (app, metrics)
}

/// The largest dataset file a test portal takes.
pub const UPLOAD_LIMIT: u64 = 256 * 1024;

/// The settings of every test portal, before a test's own.
fn test_figment() -> figment::Figment {
    figment::Figment::new()
        .merge(figment::providers::Serialized::default(
            "listen",
            "127.0.0.1:0",
        ))
        .merge(figment::providers::Serialized::default("log", "warn"))
        // Each test loads the datasets it needs; files of every test share
        // one store (content-addressed: the same bytes, the same file).
        .merge(figment::providers::Serialized::default(
            "seed_datasets",
            false,
        ))
        .merge(figment::providers::Serialized::default(
            "datasets_dir",
            std::env::temp_dir().join("lab-portal-test-datasets"),
        ))
        // Small enough for a test to go past.
        .merge(figment::providers::Serialized::default(
            "dataset_upload_max_bytes",
            UPLOAD_LIMIT,
        ))
        .merge(figment::providers::Serialized::default(
            "tokenizers_dir",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../app/tests/fixtures/tokenizers"
            ),
        ))
}

fn test_settings() -> Settings {
    test_figment().extract().expect("test settings")
}

/// The upstream simulator alone on a random port, `per_token_ms` apart;
/// returns its base URL (`http://…/v1`).
pub async fn spawn_simulator(per_token_ms: u64) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let options = lab_portal::simulator::Options {
        first_token: std::time::Duration::ZERO,
        per_token: std::time::Duration::from_millis(per_token_ms),
    };
    tokio::spawn(lab_portal::simulator::serve(
        listener,
        options,
        std::future::pending(),
    ));
    format!("http://{address}/v1")
}

/// A verified, active account with `role`, made directly in the database.
pub async fn create_user(app: &TestApp, email: &str, role: &str) -> uuid::Uuid {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let hash = HASH
        .get_or_init(|| async {
            let password = app::domain::password::Password::parse(PASSWORD.into(), &[])
                .expect("a valid password");
            app::server::password::hash(password).await.expect("hash")
        })
        .await;
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, platform_role, email_verified_at)
         values ($1, $2, $3, $4, 'developer', 'DE', $5, now())",
    )
    .bind(id)
    .bind(email)
    .bind(hash)
    .bind(format!("User {email}"))
    .bind(role)
    .execute(&app.pool)
    .await
    .expect("insert user");
    id
}

/// A browser signed in as `email`.
pub async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = app.new_browser();
    let response = sign_in(app, &client, email).await;
    assert_eq!(response.status(), 200);
    client
}

/// The answer to `client` signing in as `email` (with [`PASSWORD`]).
pub async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str) -> reqwest::Response {
    app.post_form_with(
        client,
        "/api/sign_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await
}

/// The URL of the test's own database, for the binary.
pub fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let name = pool
        .connect_options()
        .get_database()
        .expect("database name")
        .to_owned();
    let (server, _) = base.rsplit_once('/').expect("a URL with a database");
    format!("{server}/{name}")
}

/// An HTML page as `client` (a browser) sees it.
pub async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client
        .get(format!("{}{path}", app.address))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("request failed")
}

/// Posts `form` to the server function at `path` from `client`, expects
/// 200, and gives back its JSON answer (`Null` when the answer is empty).
pub async fn posted_ok(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> serde_json::Value {
    let response = app.post_form_with(client, path, form).await;
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
}

/// Lab staff (`admin`) create the institution `slug` with its students'
/// email `domains`, and grant `credits` to its pool.
pub async fn create_institution(
    app: &TestApp,
    admin: &reqwest::Client,
    slug: &str,
    domains: &str,
    credits: &str,
) {
    let form = [
        ("name", &*format!("University {slug}")),
        ("slug", slug),
        ("country", "SG"),
        ("website", ""),
        ("time_zone", "Asia/Singapore"),
        ("domains", domains),
    ];
    posted_ok(app, admin, "/api/admin_create_institution", &form).await;
    let key = uuid::Uuid::now_v7().to_string();
    let grant = [
        ("slug", slug),
        ("amount", credits),
        ("reason", "Teaching credits"),
        ("idempotency_key", &key),
    ];
    posted_ok(app, admin, "/api/admin_grant_institution_credits", &grant).await;
}

/// Lab staff (`admin`) put the user `email` on the institution's staff as
/// `role` (`admin` or `coordinator`).
pub async fn set_institution_staff(
    app: &TestApp,
    admin: &reqwest::Client,
    institution: &str,
    email: &str,
    role: &str,
) {
    let form = [("slug", institution), ("email", email), ("role", role)];
    posted_ok(app, admin, "/api/admin_set_institution_staff", &form).await;
}

/// A course of `institution` as its coordinator creates it: a term from 10
/// days ago to 80 days on, `allocation` credits per student.
pub struct NewCourse<'a> {
    pub institution: &'a str,
    pub course_code: &'a str,
    pub allocation: &'a str,
    pub max_students: &'a str,
    pub require_institution_email: bool,
}

/// Creates the course (in draft) as `coordinator`; its slug.
pub async fn create_course(
    app: &TestApp,
    coordinator: &reqwest::Client,
    course: &NewCourse<'_>,
) -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let (start, end) = (
        (today - time::Duration::days(10)).to_string(),
        (today + time::Duration::days(80)).to_string(),
    );
    let name = format!("Course {}", course.course_code);
    let form = [
        ("institution", course.institution),
        ("name", &name),
        ("course_code", course.course_code),
        ("term_start", &start),
        ("term_end", &end),
        ("allocation", course.allocation),
        ("max_students", course.max_students),
        (
            "require_institution_email",
            if course.require_institution_email {
                "on"
            } else {
                ""
            },
        ),
    ];
    posted_ok(app, coordinator, "/api/create_cohort", &form)
        .await
        .as_str()
        .expect("the course's slug")
        .to_owned()
}

/// Moves `credits` from the institution's pool to the course's, under a
/// new idempotency key (given back).
pub async fn fund_course(
    app: &TestApp,
    coordinator: &reqwest::Client,
    slug: &str,
    credits: &str,
) -> String {
    let key = uuid::Uuid::now_v7().to_string();
    let form = [
        ("slug", slug),
        ("amount", credits),
        ("idempotency_key", &key),
    ];
    posted_ok(app, coordinator, "/api/fund_cohort", &form).await;
    key
}

/// Opens the course for joining; its join code.
pub async fn open_course(app: &TestApp, coordinator: &reqwest::Client, slug: &str) -> String {
    let form = [("slug", slug), ("status", "open")];
    posted_ok(app, coordinator, "/api/set_cohort_status", &form).await;
    posted_ok(app, coordinator, "/api/get_cohort", &[("slug", slug)]).await["join_code"]
        .as_str()
        .expect("the join code")
        .to_owned()
}
