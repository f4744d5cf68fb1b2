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

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request failed")
    }
}

/// Builds the application exactly as `lab-portal serve` does, on port 0.
pub async fn spawn_app(pool: PgPool) -> TestApp {
    let settings = test_settings();
    let app = Application::build_with_pool(&settings, pool.clone())
        .await
        .expect("application failed to build");
    let address = format!("http://{}", app.local_addr().expect("no local address"));
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        pool,
    }
}

fn test_settings() -> Settings {
    figment::Figment::new()
        .merge(figment::providers::Serialized::default(
            "listen",
            "127.0.0.1:0",
        ))
        .merge(figment::providers::Serialized::default("log", "warn"))
        .extract()
        .expect("test settings")
}
