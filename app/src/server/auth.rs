//! Who is calling: one middleware resolves the caller of every request from
//! its session, and server functions read the result.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

use super::state::AppState;
use crate::domain::role::PlatformRole;

/// The session key holding the id of the caller's login.
pub const LOGIN_KEY: &str = "login_id";

/// A signed-in, active user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub login_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: PlatformRole,
    pub email_verified: bool,
}

/// Request extension: the caller, or `None` for an anonymous request.
#[derive(Debug, Clone, Default)]
pub struct CurrentCaller(pub Option<Caller>);

/// Request extension: the client's address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

#[derive(sqlx::FromRow)]
struct LoginRow {
    user_id: Uuid,
    email: String,
    display_name: String,
    platform_role: String,
    status: String,
    email_verified: bool,
    last_seen_at: OffsetDateTime,
}

/// Middleware: resolves the caller and the client address for every request.
pub async fn resolve_caller(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let addr = client_addr(&state, &request, peer);
    // Static assets never need to know who asks: spare them the lookup.
    let path = request.uri().path();
    let is_asset = path.starts_with("/pkg/") || path == "/favicon.ico";
    let session = if is_asset {
        None
    } else {
        request.extensions().get::<Session>()
    };
    let caller = match session {
        Some(session) => lookup(&state, session).await.unwrap_or_else(|error| {
            tracing::error!(error = format!("{error:#}"), "resolving the caller failed");
            None
        }),
        None => None,
    };
    request.extensions_mut().insert(ClientAddr(addr));
    request.extensions_mut().insert(CurrentCaller(caller));
    next.run(request).await
}

fn client_addr(state: &AppState, request: &Request, peer: Option<IpAddr>) -> Option<IpAddr> {
    if state.trust_forwarded_for {
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer
}

async fn lookup(state: &AppState, session: &Session) -> anyhow::Result<Option<Caller>> {
    let Some(login_id) = session.get::<Uuid>(LOGIN_KEY).await? else {
        return Ok(None);
    };
    let row: Option<LoginRow> = sqlx::query_as(
        "select u.id as user_id, u.email, u.display_name, u.platform_role, u.status,
                u.email_verified_at is not null as email_verified, l.last_seen_at
         from logins l join users u on u.id = l.user_id
         where l.id = $1 and l.ended_at is null and l.created_at > now() - make_interval(hours => $2)
           and l.last_seen_at > now() - make_interval(mins => $3)",
    )
    .bind(login_id)
    .bind(i32::try_from(state.session_absolute_hours).unwrap_or(i32::MAX))
    .bind(i32::try_from(state.session_idle_minutes).unwrap_or(i32::MAX))
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row.filter(|r| r.status == "active") else {
        // Ended, expired or suspended: this browser is signed out from now on.
        session.flush().await?;
        return Ok(None);
    };
    if OffsetDateTime::now_utc() - row.last_seen_at > time::Duration::minutes(5) {
        sqlx::query("update logins set last_seen_at = now() where id = $1")
            .bind(login_id)
            .execute(&state.pool)
            .await?;
    }
    Ok(Some(Caller {
        user_id: row.user_id,
        login_id,
        email: row.email,
        display_name: row.display_name,
        role: PlatformRole::parse(&row.platform_role).unwrap_or(PlatformRole::Developer),
        email_verified: row.email_verified,
    }))
}
