//! Typed settings, read from an optional TOML file and then the environment.
//!
//! Precedence, lowest first: built-in defaults, the TOML file given with
//! `--config`, `LEPTOS_SITE_ROOT`, `LAB_PORTAL_*` variables, `DATABASE_URL`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::Deserialize;

/// Everything the server reads from its environment.
#[derive(Debug, Deserialize)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The origin people reach the portal at (e.g. `https://lab.example.org`).
    /// Defaults to `http://` + the bound address.
    #[serde(default)]
    pub public_url: Option<String>,
    /// PostgreSQL to use. When absent, the server runs its own private
    /// PostgreSQL in `data_dir` from the machine's installed binaries.
    #[serde(default)]
    pub database_url: Option<SecretString>,
    /// Where the embedded PostgreSQL and other local state live.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Directory holding the compiled site (`pkg/`, favicon, …).
    #[serde(default = "default_site_root")]
    pub site_root: PathBuf,
    /// Log filter in `tracing` syntax, e.g. `info,server=debug`.
    #[serde(default = "default_log")]
    pub log: String,
    /// `text` for people, `json` for log collectors.
    #[serde(default)]
    pub log_format: LogFormat,
    /// Upper bound of the database connection pool.
    #[serde(default = "default_max_connections")]
    pub database_max_connections: u32,
    /// SMTP server for outgoing mail, e.g. `smtps://user:pass@mail.example.org`
    /// or `smtp://127.0.0.1:2525`. Unset: mail stays in the outbox (and the log).
    #[serde(default)]
    pub smtp_url: Option<SecretString>,
    /// The `From:` of outgoing mail.
    #[serde(default = "default_mail_from")]
    pub mail_from: String,
    /// A session ends after this many minutes without a request.
    #[serde(default = "default_session_idle_minutes")]
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, however active.
    #[serde(default = "default_session_absolute_hours")]
    pub session_absolute_hours: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// that sets it).
    #[serde(default)]
    pub trust_forwarded_for: bool,
    /// Credits granted when an onboarding application is approved, e.g.
    /// `100` or `12.5`; `0` grants nothing.
    #[serde(default = "default_starter_credits")]
    pub starter_credits: String,
    /// Days until starter credits expire; `0` means they never do.
    #[serde(default = "default_starter_credits_valid_days")]
    pub starter_credits_valid_days: u32,
    /// Serve the upstream simulator under `/simulator/v1` and register it as
    /// the provider "simulator" (with three priced models) at start-up.
    #[serde(default = "default_true")]
    pub simulator: bool,
    /// Writer tasks of the ledger's group commit (see `ledger::Batcher`).
    #[serde(default = "default_ledger_writers")]
    pub ledger_writers: usize,
    /// Hugging Face tokenizer folders models may count with. Unset:
    /// `<data_dir>/tokenizers`.
    #[serde(default)]
    pub tokenizers_dir: Option<PathBuf>,
    /// Where dataset files are stored (content-addressed by SHA-256).
    /// Unset: `<data_dir>/datasets`.
    #[serde(default)]
    pub datasets_dir: Option<PathBuf>,
    /// An S3-compatible bucket holding dataset files, shared by every
    /// replica (`datasets_dir` is then this replica's cache). Unset: files
    /// stay on local disk only.
    #[serde(default)]
    pub datasets_s3_bucket: Option<String>,
    /// The bucket's endpoint, for S3-compatible stores other than AWS
    /// (e.g. `http://127.0.0.1:9000`). Unset: AWS.
    #[serde(default)]
    pub datasets_s3_endpoint: Option<String>,
    /// The bucket's region (`us-east-1` unless set).
    #[serde(default)]
    pub datasets_s3_region: Option<String>,
    /// Credentials for the bucket. Unset: the standard `AWS_*` environment
    /// variables.
    #[serde(default)]
    pub datasets_s3_access_key_id: Option<String>,
    #[serde(default)]
    pub datasets_s3_secret_access_key: Option<SecretString>,
    /// The largest dataset file an admin may upload, in bytes (2 GiB
    /// unless set).
    #[serde(default = "default_dataset_upload_max_bytes")]
    pub dataset_upload_max_bytes: u64,
    /// Load the starter catalog from `seed_datasets_dir` when the portal
    /// starts with no datasets at all.
    #[serde(default = "default_true")]
    pub seed_datasets: bool,
    /// The starter catalog: a folder of dataset folders, each with a
    /// Frictionless `datapackage.json`, a `README.md` card and its files.
    #[serde(default = "default_seed_datasets_dir")]
    pub seed_datasets_dir: PathBuf,
    /// The starter gallery, loaded with the starter catalog (when the
    /// portal starts with no agents at all): a folder of agent files
    /// (`lab-portal-agent/1` JSON).
    #[serde(default = "default_seed_agents_dir")]
    pub seed_agents_dir: PathBuf,
    /// Let organizations' webhooks use plain `http://` and reach loopback,
    /// private and link-local addresses (for a closed network, or tests).
    /// Off: `https://` only, and a delivery whose host resolves to such an
    /// address is refused.
    #[serde(default)]
    pub webhooks_allow_private: bool,
    /// Serve `/metrics` (Prometheus' text format) on this address of its
    /// own, apart from the portal's pages (an address only the monitoring
    /// network reaches). Unset: no such listener.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    /// Serve `/metrics` on the portal's own address too, to callers sending
    /// `Authorization: Bearer <token>`; asked for on `metrics_listen` as
    /// well when both are set. With neither, `/metrics` is not served.
    #[serde(default)]
    pub metrics_token: Option<SecretString>,
}

impl Settings {
    /// The dataset file store: the local folder, and the shared bucket if
    /// one is configured.
    pub fn dataset_store(&self) -> anyhow::Result<app::server::datasets::storage::Store> {
        use app::server::datasets::storage::{Store, S3};
        use secrecy::ExposeSecret;
        let Some(bucket) = &self.datasets_s3_bucket else {
            return Ok(Store::new(self.datasets_dir()));
        };
        let s3 = S3 {
            bucket: bucket.clone(),
            endpoint: self.datasets_s3_endpoint.clone(),
            region: self.datasets_s3_region.clone(),
            access_key_id: self.datasets_s3_access_key_id.clone(),
            secret_access_key: self
                .datasets_s3_secret_access_key
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
        };
        Store::with_s3(self.datasets_dir(), &s3)
            .map_err(|e| anyhow::anyhow!("the datasets bucket {bucket}: {e:#}"))
    }

    /// Where dataset files are stored.
    pub fn datasets_dir(&self) -> PathBuf {
        self.datasets_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("datasets"))
    }

    /// Where Hugging Face tokenizer folders are looked for.
    pub fn tokenizers_dir(&self) -> PathBuf {
        self.tokenizers_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("tokenizers"))
    }
}

/// How log lines are written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 3000))
}
fn default_dataset_upload_max_bytes() -> u64 {
    2 * 1024 * 1024 * 1024
}
fn default_seed_datasets_dir() -> PathBuf {
    PathBuf::from("server/seed/datasets")
}
fn default_seed_agents_dir() -> PathBuf {
    PathBuf::from("server/seed/agents")
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_site_root() -> PathBuf {
    PathBuf::from("target/site")
}
fn default_log() -> String {
    "info,tower_http=info,sqlx=warn".to_owned()
}
fn default_max_connections() -> u32 {
    20
}
fn default_starter_credits() -> String {
    "100".to_owned()
}
fn default_starter_credits_valid_days() -> u32 {
    90
}
fn default_true() -> bool {
    true
}
fn default_ledger_writers() -> usize {
    4
}
fn default_mail_from() -> String {
    "Lab Portal <no-reply@localhost>".to_owned()
}
fn default_session_idle_minutes() -> u32 {
    120
}
fn default_session_absolute_hours() -> u32 {
    24 * 7
}

/// Why settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error(transparent)]
    Invalid(#[from] Box<figment::Error>),
    #[error("{0}")]
    Starter(String),
}

impl Settings {
    /// Reads settings from `file` (if given) and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(SettingsError::MissingFile(path.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment
            .merge(
                Env::raw()
                    .only(&["LEPTOS_SITE_ROOT"])
                    .map(|_| "site_root".into()),
            )
            .merge(Env::prefixed("LAB_PORTAL_"))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .extract()
            .map_err(|e| SettingsError::Invalid(Box::new(e)))
    }

    /// The starter grant, parsed from `starter_credits` and its validity.
    pub fn starter_grant(&self) -> Result<app::server::state::StarterGrant, SettingsError> {
        let amount = app::domain::credits::Credits::parse(&self.starter_credits, false)
            .map_err(|m| SettingsError::Starter(format!("LAB_PORTAL_STARTER_CREDITS: {m}")))?;
        let valid_days =
            (self.starter_credits_valid_days > 0).then_some(self.starter_credits_valid_days);
        Ok(app::server::state::StarterGrant { amount, valid_days })
    }

    /// The public origin, given the address the listener actually bound.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail closures return its own error type"
)]
mod tests {
    use super::*;
    use figment::Jail;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.listen, default_listen());
            assert!(s.database_url.is_none());
            assert_eq!(s.log_format, LogFormat::Text);
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "portal.toml",
                "listen = \"127.0.0.1:4000\"\nlog_format = \"json\"",
            )?;
            jail.set_env("LAB_PORTAL_LISTEN", "127.0.0.1:0");
            jail.set_env("DATABASE_URL", "postgres://u:hunter2@db/lab");
            let s = Settings::load(Some(Path::new("portal.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(s.listen.port(), 0);
            assert_eq!(s.log_format, LogFormat::Json);
            let url = s
                .database_url
                .as_ref()
                .map(|u| u.expose_secret().to_owned());
            assert_eq!(url.as_deref(), Some("postgres://u:hunter2@db/lab"));
            Ok(())
        });
    }

    #[test]
    fn the_database_url_never_appears_in_debug_output() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("DATABASE_URL", "postgres://u:hunter2@db/lab");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(!format!("{s:?}").contains("hunter2"));
            Ok(())
        });
    }

    #[test]
    fn metrics_are_off_unless_set_and_their_token_never_appears_in_debug_output() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(s.metrics_listen.is_none() && s.metrics_token.is_none());
            jail.set_env("LAB_PORTAL_METRICS_LISTEN", "127.0.0.1:9464");
            jail.set_env("LAB_PORTAL_METRICS_TOKEN", "scrape-hunter2");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.metrics_listen.map(|a| a.port()), Some(9464));
            let token = s
                .metrics_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned());
            assert_eq!(token.as_deref(), Some("scrape-hunter2"));
            assert!(!format!("{s:?}").contains("hunter2"));
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let err = Settings::load(Some(Path::new("nope.toml")));
            assert!(matches!(err, Err(SettingsError::MissingFile(_))));
            Ok(())
        });
    }

    #[test]
    fn an_invalid_listen_address_is_reported() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("LAB_PORTAL_LISTEN", "not an address");
            let err = Settings::load(None).map(|_| ()).map_err(|e| e.to_string());
            assert!(
                err.as_ref().is_err_and(
                    |e| e.contains("LAB_PORTAL_") && e.to_lowercase().contains("listen")
                ),
                "{err:?}"
            );
            Ok(())
        });
    }

    #[test]
    fn public_url_defaults_to_the_bound_address() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            let bound = SocketAddr::from(([127, 0, 0, 1], 41234));
            assert_eq!(s.public_url_for(bound), "http://127.0.0.1:41234");
            jail.set_env("LAB_PORTAL_PUBLIC_URL", "https://lab.example.org/");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.public_url_for(bound), "https://lab.example.org");
            Ok(())
        });
    }
}
