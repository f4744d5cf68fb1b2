//! The admin overview: headline numbers across areas.

use sqlx::PgPool;

/// The headline numbers of the admin overview.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Overview {
    pub users: i64,
    pub pending_applications: i64,
    pub unsent_emails: i64,
    /// Micro-credits served without being paid (the uncollected account).
    pub uncollected: i64,
}

/// Counts for the overview page.
#[tracing::instrument(skip(pool))]
pub async fn overview(pool: &PgPool) -> Result<Overview, sqlx::Error> {
    sqlx::query_as(
        "select (select count(*) from users) as users,
                (select count(*) from applications where status = 'pending') as pending_applications,
                (select count(*) from outbox where sent_at is null) as unsent_emails,
                coalesce((select available from credit_accounts where owner_kind = 'uncollected'), 0) as uncollected",
    )
    .fetch_one(pool)
    .await
}
