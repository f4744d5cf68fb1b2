//! The command line: `lab-portal [--config FILE] [COMMAND]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Lab Portal: the developer portal of the AI Innovation Lab.
///
/// Settings come from environment variables (`LAB_PORTAL_*`, `DATABASE_URL`)
/// and an optional TOML file; see the README for the full list. Without
/// `DATABASE_URL` the server runs a private PostgreSQL in its data directory.
#[derive(Debug, Parser)]
#[command(name = "lab-portal", version, about, long_about)]
pub struct Cli {
    /// A TOML file with settings; environment variables override it.
    #[arg(
        long,
        short,
        global = true,
        env = "LAB_PORTAL_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal: web pages and APIs (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the effective settings with secrets redacted, then exit.
    Config,
    /// Ledger maintenance: verify invariants, expire credit.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Run the OpenAI-compatible upstream simulator alone, under `/v1`
    /// (deterministic text, exact token counts, faults by model name).
    Simulate {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: std::net::SocketAddr,
        /// Delay before the first token, in milliseconds.
        #[arg(long, default_value_t = 0)]
        first_token_ms: u64,
        /// Delay per generated token, in milliseconds.
        #[arg(long, default_value_t = 0)]
        token_latency_ms: u64,
    },
    /// Create a platform admin, or promote an existing account to admin.
    ///
    /// The password is read from LAB_PORTAL_ADMIN_PASSWORD, else from
    /// standard input when it is not a terminal, else from a prompt; never
    /// from the command line. An existing account keeps its password.
    CreateAdmin {
        /// The admin's email address.
        #[arg(long)]
        email: String,
        /// The admin's display name (for a new account).
        #[arg(long, default_value = "Lab admin")]
        name: String,
        /// ISO country code (for a new account).
        #[arg(long, default_value = "DE")]
        country: String,
    },
    /// Load a catalog of datasets: every folder of `dir` holding a
    /// Frictionless `datapackage.json` (the starter catalog by default),
    /// published as version 1; then the agents of `agents` (the starter
    /// gallery by default), published. Datasets and agents whose slug
    /// exists are left alone.
    SeedDatasets {
        /// The folder of dataset folders; the `seed_datasets_dir` setting
        /// when absent.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The folder of agent files; the `seed_agents_dir` setting when
        /// absent.
        #[arg(long)]
        agents: Option<PathBuf>,
    },
    /// Make a bundled site's `pkg` directory ready to serve: name each file
    /// by its content's hash, write brotli and gzip copies beside it, and
    /// record the names in `assets.json` (run by the build scripts).
    Assets {
        /// The `pkg` directory holding lab-portal.js, .wasm and .css.
        pkg: PathBuf,
    },
}

/// `lab-portal ledger …`
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check every ledger invariant; exit non-zero on any violation.
    Verify,
    /// Release holds past their TTL and expire lapsed grants now (the
    /// server also does this every 30 seconds).
    Expire,
}
