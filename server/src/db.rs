//! Connecting to PostgreSQL and bringing its schema up to date.

use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use tower_sessions_sqlx_store::PostgresStore;

use crate::embedded_pg::{EmbeddedPostgres, DATABASE_NAME};

/// The portal's migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens a pool on `url`.
pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url
        .expose_secret()
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    let options =
        options.log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // No ping before each use: it is a round trip on every query (the
        // proxy's path is a few of them). A connection broken since its
        // last use makes that one query fail; idle ones are closed.
        .test_before_acquire(false)
        .idle_timeout(Duration::from_secs(300))
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL")
}

/// Creates the portal's database in a freshly started embedded cluster.
pub async fn ensure_embedded_database(pg: &EmbeddedPostgres) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(&pg.maintenance_url())
        .await
        .context("connecting to the embedded PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(DATABASE_NAME)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // Identifiers cannot be bound: `lab_portal` is DATABASE_NAME.
        sqlx::query("create database lab_portal")
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// Runs every pending migration, the portal's and the session store's.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("running database migrations")?;
    PostgresStore::new(pool.clone())
        .migrate()
        .await
        .context("creating the session store's tables")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::DATABASE_NAME;

    #[test]
    fn the_embedded_database_name_is_the_one_ensure_embedded_database_creates() {
        // `create database lab_portal` spells the name out: identifiers
        // cannot be bound, and SQL is never formatted.
        assert_eq!(DATABASE_NAME, "lab_portal");
    }
}
