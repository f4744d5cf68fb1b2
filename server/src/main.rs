//! Entry point of the `lab-portal` binary.

use std::process::ExitCode;

use clap::Parser;
use lab_portal::cli::{Cli, Command, LedgerCommand};
use lab_portal::config::Settings;
use lab_portal::startup::{Application, Database};
use lab_portal::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("lab-portal: invalid configuration: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log, settings.log_format);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Config => {
            eprintln!("{settings:#?}");
            Ok(())
        }
        Command::Ledger { command } => ledger(&settings, command).await,
        Command::Simulate {
            listen,
            first_token_ms,
            token_latency_ms,
        } => simulate(listen, first_token_ms, token_latency_ms).await,
        Command::CreateAdmin {
            email,
            name,
            country,
        } => lab_portal::admin_cli::create_admin(&settings, &email, &name, &country).await,
        Command::SeedDatasets { dir, agents } => seed_datasets(&settings, dir, agents).await,
        Command::Assets { pkg } => lab_portal::assets::prepare(&pkg).map(|named| {
            eprintln!("{} {} {}", named.js, named.wasm, named.css);
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "lab-portal stopped with an error"
            );
            eprintln!("lab-portal: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, public_url = app.public_url(), "Lab Portal is listening");
    eprintln!("\n  Lab Portal is running at {}\n", app.public_url());
    app.run_until(shutdown_signal()).await
}

async fn simulate(
    listen: std::net::SocketAddr,
    first_token_ms: u64,
    token_latency_ms: u64,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let options = lab_portal::simulator::Options {
        first_token: std::time::Duration::from_millis(first_token_ms),
        per_token: std::time::Duration::from_millis(token_latency_ms),
    };
    eprintln!(
        "\n  Upstream simulator at http://{}/v1\n",
        listener.local_addr()?
    );
    lab_portal::simulator::serve(listener, options, shutdown_signal()).await
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = Database::open(settings).await?;
    tracing::info!("migrations applied");
    db.close().await
}

async fn ledger(settings: &Settings, command: LedgerCommand) -> anyhow::Result<()> {
    let db = Database::open(settings).await?;
    let outcome = match command {
        LedgerCommand::Verify => lab_portal::jobs::verify_ledger(&db.pool).await,
        LedgerCommand::Expire => lab_portal::jobs::run_ledger_jobs(&db.pool)
            .await
            .map(|_| ()),
    };
    db.close().await?;
    outcome
}

async fn seed_datasets(
    settings: &Settings,
    dir: Option<std::path::PathBuf>,
    agents: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let db = Database::open(settings).await?;
    let dir = dir.unwrap_or_else(|| settings.seed_datasets_dir.clone());
    // The starter agents by default, when their folder is here.
    let agents =
        agents.or_else(|| Some(settings.seed_agents_dir.clone()).filter(|dir| dir.is_dir()));
    let store = settings.dataset_store()?;
    let outcome = async {
        let datasets = app::server::datasets::seed::load(&db.pool, &store, &dir).await?;
        eprintln!("added {datasets} datasets from {}", dir.display());
        if let Some(agents) = agents {
            let added = app::server::services::agents::seed(&db.pool, &agents).await?;
            eprintln!("added {added} agents from {}", agents.display());
        }
        anyhow::Ok(())
    }
    .await;
    db.close().await?;
    outcome
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
