//! Business organizations: creating them, their members and roles,
//! invitations by email, the email-domain rule, budgets, settings, keys
//! billed to them, and staff verification. Every change is audited under
//! the organization (`audit_log.team_id`), in the change's transaction.
//!
//! Members, invitations and domains are the `team_*` tables, shared with
//! universities' institutions and cohorts; this module is their
//! organization side.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::organizations::{Budget, OrgForm, OrgRole, INVITATION_DAYS};
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::ledger::{self, Owner};
use crate::server::services::audit::{self, Entry};
use crate::server::services::outbox::{self, OutgoingEmail};

/// The most organizations one person may create.
pub const MAX_CREATED: i64 = 20;

/// An organization as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub country: String,
    pub industry: String,
    pub time_zone: String,
    pub verified_at: Option<OffsetDateTime>,
    pub members_create_keys: bool,
    pub default_budget_amount: Option<i64>,
    pub default_budget_period: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The organization `slug`, if there is one.
pub async fn by_slug(pool: &PgPool, slug: &str) -> Result<Option<OrgRow>, AppError> {
    sqlx::query_as(
        "select t.id, t.slug, t.name, o.website, o.country, o.industry, t.time_zone, o.verified_at,
                o.members_create_keys, o.default_budget_amount, o.default_budget_period, t.created_at
         from teams t join organizations o on o.team_id = t.id
         where t.kind = 'organization' and t.slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// The organizations among `slugs` that exist.
pub async fn by_slugs(pool: &PgPool, slugs: &[String]) -> Result<Vec<OrgRow>, AppError> {
    sqlx::query_as(
        "select t.id, t.slug, t.name, o.website, o.country, o.industry, t.time_zone, o.verified_at,
                o.members_create_keys, o.default_budget_amount, o.default_budget_period, t.created_at
         from teams t join organizations o on o.team_id = t.id
         where t.kind = 'organization' and t.slug = any($1)",
    )
    .bind(slugs)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The organization `slug` and the role `user_id` holds in it; "not found"
/// for anyone who is not a member (so outsiders learn nothing).
pub async fn membership(
    pool: &PgPool,
    slug: &str,
    user_id: Uuid,
) -> Result<(OrgRow, OrgRole), AppError> {
    let row: Option<(String,)> = sqlx::query_as(
        "select m.role from team_members m join teams t on t.id = m.team_id
         where t.kind = 'organization' and t.slug = $1 and m.user_id = $2",
    )
    .bind(slug)
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    let role = row
        .and_then(|(role,)| OrgRole::parse(&role))
        .ok_or_else(not_found)?;
    let org = by_slug(pool, slug).await?.ok_or_else(not_found)?;
    Ok((org, role))
}

/// [`membership`] for callers who must manage the organization (owners and
/// admins); members are refused.
pub async fn managed(
    pool: &PgPool,
    slug: &str,
    user_id: Uuid,
) -> Result<(OrgRow, OrgRole), AppError> {
    let (org, role) = membership(pool, slug, user_id).await?;
    if !role.manages() {
        return Err(AppError::Forbidden);
    }
    Ok((org, role))
}

fn not_found() -> AppError {
    AppError::NotFound("There is no such organization, or you are not a member of it.".to_owned())
}

/// One of the caller's organizations.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub slug: String,
    pub name: String,
    pub role: String,
    pub verified: bool,
    pub members: i64,
}

/// The organizations `user_id` belongs to, by name.
pub async fn mine(pool: &PgPool, user_id: Uuid) -> Result<Vec<Membership>, AppError> {
    sqlx::query_as(
        "select t.slug, t.name, m.role, o.verified_at is not null as verified,
                (select count(*) from team_members x where x.team_id = t.id) as members
         from team_members m join teams t on t.id = m.team_id join organizations o on o.team_id = t.id
         where m.user_id = $1 and t.kind = 'organization'
         order by lower(t.name), t.slug",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Writes an audit entry for the organization `team_id`.
#[expect(
    clippy::too_many_arguments,
    reason = "an audit entry's fields, each named at the call"
)]
async fn audited(
    conn: &mut PgConnection,
    team_id: Uuid,
    actor: Option<Uuid>,
    action: &str,
    target: (&str, String),
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    audit::record_for_team(
        conn,
        team_id,
        Entry {
            actor_id: actor,
            action,
            target_type: target.0,
            target_id: target.1,
            before,
            after,
            client_addr,
        },
    )
    .await
    .map_err(internal)
}

/// Refuses a time zone PostgreSQL does not know (budget periods are
/// computed in it), as an error on the form's `time_zone`.
async fn known_time_zone(conn: &mut PgConnection, zone: &str) -> Result<(), AppError> {
    let known: bool =
        sqlx::query_scalar("select exists (select 1 from pg_timezone_names where name = $1)")
            .bind(zone)
            .fetch_one(conn)
            .await
            .map_err(internal)?;
    if known {
        Ok(())
    } else {
        Err(AppError::field(
            "time_zone",
            "There is no such time zone. Give one like Europe/Berlin or Asia/Singapore.",
        ))
    }
}

/// Creates an organization with `caller` as its owner, and its credit pool.
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn create(
    pool: &PgPool,
    caller: &Caller,
    form: &OrgForm,
    client_addr: Option<std::net::IpAddr>,
) -> Result<OrgRow, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    known_time_zone(&mut tx, &form.time_zone).await?;
    // One person's creations queue here, so the limit holds.
    sqlx::query("select id from users where id = $1 for update")
        .bind(caller.user_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let created: i64 = sqlx::query_scalar(
        "select count(*) from teams where kind = 'organization' and created_by = $1",
    )
    .bind(caller.user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if created >= MAX_CREATED {
        return Err(AppError::Refused(format!(
            "You have created {MAX_CREATED} organizations already; ask the Lab if you need more."
        )));
    }
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into teams (id, kind, slug, name, time_zone, created_by)
         values ($1, 'organization', $2, $3, $4, $5) on conflict (kind, slug) do nothing",
    )
    .bind(id)
    .bind(&form.slug)
    .bind(&form.name)
    .bind(&form.time_zone)
    .bind(caller.user_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::field(
            "slug",
            "Another organization has this address; choose another.",
        ));
    }
    sqlx::query(
        "insert into organizations (team_id, website, country, industry) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(&form.website)
    .bind(&form.country)
    .bind(&form.industry)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    sqlx::query("insert into team_members (team_id, user_id, role) values ($1, $2, 'owner')")
        .bind(id)
        .bind(caller.user_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    ledger::account_for(&mut tx, Owner::Organization(id))
        .await
        .map_err(internal)?;
    audited(
        &mut tx,
        id,
        Some(caller.user_id),
        "organization.create",
        ("organization", form.slug.clone()),
        None,
        Some(json!({"name": form.name, "slug": form.slug, "country": form.country,
                    "industry": form.industry, "website": form.website, "time_zone": form.time_zone})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    tracing::info!(organization = %id, slug = %form.slug, "organization created");
    by_slug(pool, &form.slug).await?.ok_or(AppError::Internal)
}

/// What owners and admins may change about their organization.
#[derive(Debug, Clone)]
pub struct Settings {
    pub form: OrgForm,
    pub members_create_keys: bool,
    pub default_budget: Option<Budget>,
}

/// Saves the organization's settings (its address stays).
pub async fn update(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    settings: &Settings,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    known_time_zone(&mut tx, &settings.form.time_zone).await?;
    sqlx::query("update teams set name = $2, time_zone = $3 where id = $1")
        .bind(org.id)
        .bind(&settings.form.name)
        .bind(&settings.form.time_zone)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    sqlx::query(
        "update organizations set website = $2, country = $3, industry = $4, members_create_keys = $5,
                default_budget_amount = $6, default_budget_period = $7
         where team_id = $1",
    )
    .bind(org.id)
    .bind(&settings.form.website)
    .bind(&settings.form.country)
    .bind(&settings.form.industry)
    .bind(settings.members_create_keys)
    .bind(settings.default_budget.map(|b| b.amount.micros()))
    .bind(settings.default_budget.map(|b| b.period.as_str()))
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        "organization.update",
        ("organization", org.slug.clone()),
        Some(json!({"name": org.name, "website": org.website, "country": org.country,
                    "industry": org.industry, "time_zone": org.time_zone,
                    "members_create_keys": org.members_create_keys,
                    "default_budget": org.default_budget_amount.map(|a| json!({"amount": a, "period": org.default_budget_period}))})),
        Some(json!({"name": settings.form.name, "website": settings.form.website,
                    "country": settings.form.country, "industry": settings.form.industry,
                    "time_zone": settings.form.time_zone,
                    "members_create_keys": settings.members_create_keys,
                    "default_budget": settings.default_budget.map(|b| json!({"amount": b.amount.micros(), "period": b.period.as_str()}))})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// A member as owners and admins see them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub joined_at: OffsetDateTime,
    pub budget_amount: Option<i64>,
    pub budget_period: Option<String>,
    /// Spent in the budget's current period (in total without a budget:
    /// everything the member's keys spent from the pool).
    pub spent: i64,
    /// When the current period ends.
    pub resets_at: Option<OffsetDateTime>,
}

/// The organization's members: owners first, then by name.
pub async fn members(pool: &PgPool, org: &OrgRow) -> Result<Vec<MemberRow>, AppError> {
    sqlx::query_as(
        "select m.user_id, u.email, u.display_name, m.role, m.joined_at, m.budget_amount, m.budget_period,
                case when m.budget_period is null
                     then coalesce((select sum(k.spent) from api_keys k where k.team_id = m.team_id and k.user_id = m.user_id), 0)
                     else coalesce((select b.spent from member_budget_periods b
                                    where b.team_id = m.team_id and b.user_id = m.user_id
                                      and b.period_start = budget_period_start(m.budget_period, t.time_zone, lab_now())), 0)
                end::bigint as spent,
                case when m.budget_period in ('day', 'week', 'month')
                     then budget_period_end(m.budget_period, t.time_zone,
                                            budget_period_start(m.budget_period, t.time_zone, lab_now()))
                end as resets_at
         from team_members m join users u on u.id = m.user_id join teams t on t.id = m.team_id
         where m.team_id = $1
         order by case m.role when 'owner' then 0 when 'admin' then 1 else 2 end, lower(u.display_name), u.email",
    )
    .bind(org.id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The member `user_id` of `org`, if they are one.
pub async fn member(
    pool: &PgPool,
    org: &OrgRow,
    user_id: Uuid,
) -> Result<Option<MemberRow>, AppError> {
    Ok(members(pool, org)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id))
}

/// An invitation as owners and admins see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub invited_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// The organization's invitations not yet accepted or revoked, newest
/// first, and those decided in the last 30 days.
pub async fn invitations(pool: &PgPool, org: &OrgRow) -> Result<Vec<InvitationRow>, AppError> {
    sqlx::query_as(
        "select i.id, i.email, i.role, u.display_name as invited_by, i.created_at, i.sent_at, i.expires_at,
                i.accepted_at, i.revoked_at
         from team_invitations i left join users u on u.id = i.invited_by
         where i.team_id = $1
           and (i.accepted_at is null and i.revoked_at is null
                or coalesce(i.accepted_at, i.revoked_at) > now() - interval '30 days')
         order by i.created_at desc
         limit 200",
    )
    .bind(org.id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = Sha256::digest(token.as_bytes()).to_vec();
    (token, hash)
}

/// Emails the invitation with its link (kept without the link).
#[expect(
    clippy::too_many_arguments,
    reason = "what the invitation email says, each named at the call"
)]
pub(crate) async fn send_invitation(
    conn: &mut PgConnection,
    team_name: &str,
    inviter: &Caller,
    email: &str,
    role_label: &str,
    token: &str,
    expires_at: OffsetDateTime,
    origin: &str,
) -> Result<(), AppError> {
    use crate::server::emails::{render, LINK_NOT_KEPT};
    let link = format!("{origin}{}", crate::href::invitation(token));
    let context = |link: &str| {
        minijinja::context! {
            inviter => inviter.display_name,
            organization => team_name,
            role => role_label.to_lowercase(),
            email => email,
            expires => crate::format::time(expires_at),
            signup_url => format!("{origin}{}", crate::href::sign_up()),
            link => link,
        }
    };
    let sent = render("organization_invitation.txt", context(&link))?;
    let kept = render("organization_invitation.txt", context(LINK_NOT_KEPT))?;
    outbox::enqueue(
        conn,
        &OutgoingEmail {
            recipient: email.to_owned(),
            subject: format!(
                "{} invited you to {} on Lab Portal",
                inviter.display_name, team_name
            ),
            body_text: kept,
            secret_body_text: Some(sent),
        },
    )
    .await
    .map_err(internal)?;
    Ok(())
}

/// Invites `email` to `org` as `role`, by an email with a link valid for
/// [`INVITATION_DAYS`] days.
#[expect(
    clippy::too_many_arguments,
    reason = "who invites whom to what, and where the link points"
)]
pub async fn invite(
    pool: &PgPool,
    actor: &Caller,
    actor_role: OrgRole,
    org: &OrgRow,
    email: &str,
    role: OrgRole,
    origin: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<InvitationRow, AppError> {
    if !actor_role.may_grant(role) {
        return Err(AppError::field("role", "Only owners may invite owners."));
    }
    let mut tx = pool.begin().await.map_err(internal)?;
    let member: bool = sqlx::query_scalar(
        "select exists (select 1 from team_members m join users u on u.id = m.user_id
                        where m.team_id = $1 and lower(u.email) = $2)",
    )
    .bind(org.id)
    .bind(email)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if member {
        return Err(AppError::field(
            "email",
            "Someone with this address is a member already.",
        ));
    }
    let Some((id, token, expires_at)) =
        open_invitation(&mut tx, org.id, email, role.as_str(), actor.user_id).await?
    else {
        return Err(AppError::field(
            "email",
            "This address has an open invitation already; resend it from the list below.",
        ));
    };
    send_invitation(
        &mut tx,
        &org.name,
        actor,
        email,
        role.label(),
        &token,
        expires_at,
        origin,
    )
    .await?;
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        "organization.invite",
        ("invitation", id.to_string()),
        None,
        Some(json!({"email": email, "role": role.as_str(), "expires_at": expires_at.unix_timestamp()})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    invitations(pool, org)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(AppError::Internal)
}

/// Opens an invitation of `email` to the team `team_id` as `role` (an
/// open one that has expired gives way to it): its id, the link's token
/// and its expiry; none when one is open already.
pub(crate) async fn open_invitation(
    conn: &mut PgConnection,
    team_id: Uuid,
    email: &str,
    role: &str,
    invited_by: Uuid,
) -> Result<Option<(Uuid, String, OffsetDateTime)>, AppError> {
    sqlx::query(
        "update team_invitations set revoked_at = now()
         where team_id = $1 and email = $2 and accepted_at is null and revoked_at is null and expires_at <= now()",
    )
    .bind(team_id)
    .bind(email)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    let (token, hash) = new_token();
    let expires_at = OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS);
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into team_invitations (id, team_id, email, role, token_hash, invited_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (team_id, email) where accepted_at is null and revoked_at is null do nothing",
    )
    .bind(id)
    .bind(team_id)
    .bind(email)
    .bind(role)
    .bind(&hash)
    .bind(invited_by)
    .bind(expires_at)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    Ok((inserted.rows_affected() == 1).then_some((id, token, expires_at)))
}

/// Sends an open invitation again with a new link (the old one stops
/// working) and a new expiry.
pub async fn resend(
    pool: &PgPool,
    actor: &Caller,
    actor_role: OrgRole,
    org: &OrgRow,
    invitation: Uuid,
    origin: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let (token, hash) = new_token();
    let expires_at = OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS);
    let row: Option<(String, String)> = sqlx::query_as(
        "update team_invitations set token_hash = $3, expires_at = $4, sent_at = now()
         where id = $1 and team_id = $2 and accepted_at is null and revoked_at is null
         returning email, role",
    )
    .bind(invitation)
    .bind(org.id)
    .bind(&hash)
    .bind(expires_at)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((email, role)) = row else {
        return Err(AppError::NotFound(
            "That invitation was accepted or revoked already.".to_owned(),
        ));
    };
    let role = OrgRole::parse(&role).unwrap_or(OrgRole::Member);
    if !actor_role.may_grant(role) {
        return Err(AppError::Forbidden);
    }
    send_invitation(
        &mut tx,
        &org.name,
        actor,
        &email,
        role.label(),
        &token,
        expires_at,
        origin,
    )
    .await?;
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        "organization.invite_resend",
        ("invitation", invitation.to_string()),
        None,
        Some(json!({"email": email, "expires_at": expires_at.unix_timestamp()})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Revokes the team's open invitation `invitation` (its link stops
/// working): the address it was for; "not found" once accepted or revoked.
pub(crate) async fn revoke_open(
    conn: &mut PgConnection,
    team_id: Uuid,
    invitation: Uuid,
) -> Result<String, AppError> {
    let email: Option<String> = sqlx::query_scalar(
        "update team_invitations set revoked_at = now()
         where id = $1 and team_id = $2 and accepted_at is null and revoked_at is null
         returning email",
    )
    .bind(invitation)
    .bind(team_id)
    .fetch_optional(conn)
    .await
    .map_err(internal)?;
    email.ok_or_else(|| {
        AppError::NotFound("That invitation was accepted or revoked already.".to_owned())
    })
}

/// Marks `invitation` accepted by `user`.
pub(crate) async fn mark_accepted(
    conn: &mut PgConnection,
    invitation: Uuid,
    user: Uuid,
) -> Result<(), AppError> {
    sqlx::query("update team_invitations set accepted_at = now(), accepted_by = $2 where id = $1")
        .bind(invitation)
        .bind(user)
        .execute(conn)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Revokes an open invitation: its link stops working.
pub async fn revoke_invitation(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    invitation: Uuid,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let email = revoke_open(&mut tx, org.id, invitation).await?;
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        "organization.invite_revoke",
        ("invitation", invitation.to_string()),
        None,
        Some(json!({"email": email})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// An invitation as the person invited sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    pub id: Uuid,
    pub team_id: Uuid,
    /// `organization`, or `institution` (its staff are invited alike).
    pub kind: String,
    pub slug: String,
    pub organization: String,
    pub email: String,
    pub role: String,
    pub invited_by: Option<String>,
    pub expires_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// The invitation whose link carries `token`.
pub async fn invitation(pool: &PgPool, token: &str) -> Result<Option<Invitation>, AppError> {
    let hash = Sha256::digest(token.trim().as_bytes()).to_vec();
    sqlx::query_as(
        "select i.id, i.team_id, t.kind, t.slug, t.name as organization, i.email, i.role,
                u.display_name as invited_by, i.expires_at, i.accepted_at, i.revoked_at
         from team_invitations i join teams t on t.id = i.team_id left join users u on u.id = i.invited_by
         where i.token_hash = $1 and t.kind in ('organization', 'institution')",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// Why an invitation cannot be accepted by `caller`, if it cannot.
pub fn refusal(invitation: &Invitation, caller: &Caller, now: OffsetDateTime) -> Option<String> {
    if invitation.revoked_at.is_some() {
        return Some(
            "This invitation was revoked. Ask whoever invited you for a new one.".to_owned(),
        );
    }
    if invitation.accepted_at.is_some() {
        return Some("This invitation has been accepted already.".to_owned());
    }
    if invitation.expires_at <= now {
        return Some(
            "This invitation has expired. Ask whoever invited you to send it again.".to_owned(),
        );
    }
    if !caller.email.eq_ignore_ascii_case(&invitation.email) {
        return Some(format!(
            "This invitation is for {}, and you are signed in as {}. Sign in with that address (or sign up with it) to accept.",
            invitation.email, caller.email
        ));
    }
    if !caller.email_verified {
        return Some("Confirm your email address first (see the link we emailed you), then open the invitation again.".to_owned());
    }
    None
}

/// Adds `user_id` to `org` as `role`, with the organization's default
/// budget; false when they are a member already.
async fn add_member(
    conn: &mut PgConnection,
    team_id: Uuid,
    user_id: Uuid,
    role: OrgRole,
) -> Result<bool, AppError> {
    let added = sqlx::query(
        "insert into team_members (team_id, user_id, role, budget_amount, budget_period)
         select $1, $2, $3, o.default_budget_amount, o.default_budget_period
         from organizations o where o.team_id = $1
         on conflict (team_id, user_id) do nothing",
    )
    .bind(team_id)
    .bind(user_id)
    .bind(role.as_str())
    .execute(conn)
    .await
    .map_err(internal)?;
    Ok(added.rows_affected() == 1)
}

/// Where an accepted invitation leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    Organization(String),
    Institution(String),
}

/// Accepts the invitation carrying `token` for `caller`: they join the
/// organization (or an institution's staff) in the invitation's role.
pub async fn accept(
    pool: &PgPool,
    caller: &Caller,
    token: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<Joined, AppError> {
    let hash = Sha256::digest(token.trim().as_bytes()).to_vec();
    let mut tx = pool.begin().await.map_err(internal)?;
    let found: Option<Invitation> = sqlx::query_as(
        "select i.id, i.team_id, t.kind, t.slug, t.name as organization, i.email, i.role,
                null::text as invited_by, i.expires_at, i.accepted_at, i.revoked_at
         from team_invitations i join teams t on t.id = i.team_id
         where i.token_hash = $1 and t.kind in ('organization', 'institution')
         for update of i",
    )
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some(invitation) = found else {
        return Err(AppError::NotFound(
            "This invitation link is not valid. Check that you copied all of it, or ask for a new one.".to_owned(),
        ));
    };
    if let Some(why) = refusal(&invitation, caller, OffsetDateTime::now_utc()) {
        return Err(AppError::Refused(why));
    }
    if invitation.kind == "institution" {
        crate::server::services::cohorts::join_staff(&mut tx, &invitation, caller, client_addr)
            .await?;
        tx.commit().await.map_err(internal)?;
        return Ok(Joined::Institution(invitation.slug));
    }
    let role = OrgRole::parse(&invitation.role).unwrap_or(OrgRole::Member);
    if !add_member(&mut tx, invitation.team_id, caller.user_id, role).await? {
        return Err(AppError::Refused(
            "You are a member of this organization already.".to_owned(),
        ));
    }
    mark_accepted(&mut tx, invitation.id, caller.user_id).await?;
    audited(
        &mut tx,
        invitation.team_id,
        Some(caller.user_id),
        "organization.join",
        ("member", caller.user_id.to_string()),
        None,
        Some(json!({"email": caller.email, "role": role.as_str(), "invitation": invitation.id})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(Joined::Organization(invitation.slug))
}

/// An organization the caller may join by their email's domain.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Joinable {
    pub slug: String,
    pub name: String,
    pub domain: String,
}

/// The organizations whose domain rule matches `caller`'s verified
/// address and that they are not a member of.
pub async fn joinable(pool: &PgPool, caller: &Caller) -> Result<Vec<Joinable>, AppError> {
    let Some(domain) = crate::domain::organizations::domain_of(&caller.email) else {
        return Ok(Vec::new());
    };
    if !caller.email_verified {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "select t.slug, t.name, d.domain
         from team_domains d join teams t on t.id = d.team_id
         where d.domain = $1 and t.kind = 'organization'
           and not exists (select 1 from team_members m where m.team_id = t.id and m.user_id = $2)
         order by lower(t.name)",
    )
    .bind(domain)
    .bind(caller.user_id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Joins the organization `slug` as a member through its domain rule.
pub async fn join_by_domain(
    pool: &PgPool,
    caller: &Caller,
    slug: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let Some(org) = joinable(pool, caller)
        .await?
        .into_iter()
        .find(|j| j.slug == slug)
    else {
        return Err(AppError::NotFound(
            "You cannot join that organization with your email address; ask its owners for an invitation.".to_owned(),
        ));
    };
    let mut tx = pool.begin().await.map_err(internal)?;
    let team_id: Uuid =
        sqlx::query_scalar("select id from teams where kind = 'organization' and slug = $1")
            .bind(&org.slug)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
    if !add_member(&mut tx, team_id, caller.user_id, OrgRole::Member).await? {
        return Err(AppError::Refused(
            "You are a member of this organization already.".to_owned(),
        ));
    }
    audited(
        &mut tx,
        team_id,
        Some(caller.user_id),
        "organization.join",
        ("member", caller.user_id.to_string()),
        None,
        Some(json!({"email": caller.email, "role": "member", "domain": org.domain})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// The organization's join domains.
pub async fn domains(pool: &PgPool, org: &OrgRow) -> Result<Vec<String>, AppError> {
    sqlx::query_scalar("select domain from team_domains where team_id = $1 order by domain")
        .bind(org.id)
        .fetch_all(pool)
        .await
        .map_err(internal)
}

/// Adds or removes a join domain.
pub async fn set_domain(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    domain: &str,
    add: bool,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let changed = if add {
        let own = crate::domain::organizations::domain_of(&actor.email);
        if own.as_deref() != Some(domain) && actor.role != crate::domain::role::PlatformRole::Admin {
            return Err(AppError::field(
                "domain",
                "Add the domain of your own address only, so nobody opens your organization to a domain they do not control.",
            ));
        }
        sqlx::query("insert into team_domains (team_id, domain) values ($1, $2) on conflict do nothing")
    } else {
        sqlx::query("delete from team_domains where team_id = $1 and domain = $2")
    }
    .bind(org.id)
    .bind(domain)
    .execute(&mut *tx)
    .await
    .map_err(internal)?
    .rows_affected();
    if changed == 1 {
        audited(
            &mut tx,
            org.id,
            Some(actor.user_id),
            if add {
                "organization.domain_add"
            } else {
                "organization.domain_remove"
            },
            ("domain", domain.to_owned()),
            None,
            None,
            client_addr,
        )
        .await?;
    }
    tx.commit().await.map_err(internal)
}

/// Maps the database's refusal to leave an organization without an owner.
fn last_owner(error: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(db) = &error {
        if db.code().as_deref() == Some("23514") && db.message().contains("owner") {
            return AppError::Refused(
                "An organization keeps at least one owner: make someone else an owner first."
                    .to_owned(),
            );
        }
    }
    internal(error)
}

/// Gives the member `user_id` the role `role`. Admins change members and
/// admins; only owners make or unmake owners; the last owner stays.
pub async fn set_role(
    pool: &PgPool,
    actor: &Caller,
    actor_role: OrgRole,
    org: &OrgRow,
    user_id: Uuid,
    role: OrgRole,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let current: Option<String> = sqlx::query_scalar(
        "select role from team_members where team_id = $1 and user_id = $2 for update",
    )
    .bind(org.id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let current = current
        .and_then(|r| OrgRole::parse(&r))
        .ok_or_else(|| AppError::NotFound("That person is not a member.".to_owned()))?;
    if !actor_role.may_grant(role) || !actor_role.may_grant(current) {
        return Err(AppError::Refused(
            "Only owners may make or unmake owners.".to_owned(),
        ));
    }
    if current == role {
        return Ok(());
    }
    sqlx::query("update team_members set role = $3 where team_id = $1 and user_id = $2")
        .bind(org.id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        "organization.role",
        ("member", user_id.to_string()),
        Some(json!({"role": current.as_str()})),
        Some(json!({"role": role.as_str()})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(last_owner)
}

/// Sets (or, with `None`, removes) the member's budget.
pub async fn set_budget(
    pool: &PgPool,
    actor: (&Caller, OrgRole),
    org: &OrgRow,
    user_id: Uuid,
    budget: Option<Budget>,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let (actor, actor_role) = actor;
    let mut tx = pool.begin().await.map_err(internal)?;
    let before: Option<(Option<i64>, Option<String>, String)> = sqlx::query_as(
        "select budget_amount, budget_period, role from team_members
         where team_id = $1 and user_id = $2 for update",
    )
    .bind(org.id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((amount, period, role)) = before else {
        return Err(AppError::NotFound(
            "That person is not a member.".to_owned(),
        ));
    };
    if !actor_role.may_grant(OrgRole::parse(&role).unwrap_or(OrgRole::Member)) {
        return Err(AppError::Refused(
            "Only owners may set an owner's budget.".to_owned(),
        ));
    }
    sqlx::query(
        "update team_members set budget_amount = $3, budget_period = $4 where team_id = $1 and user_id = $2",
    )
    .bind(org.id)
    .bind(user_id)
    .bind(budget.map(|b| b.amount.micros()))
    .bind(budget.map(|b| b.period.as_str()))
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        "organization.budget",
        ("member", user_id.to_string()),
        Some(json!({"amount": amount, "period": period})),
        Some(json!({"amount": budget.map(|b| b.amount.micros()), "period": budget.map(|b| b.period.as_str())})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Removes `user_id` from `org` (or, when `user_id` is the actor, they
/// leave): their keys billed to the organization are revoked in the same
/// transaction. The last owner cannot go.
pub async fn remove(
    pool: &PgPool,
    actor: &Caller,
    actor_role: OrgRole,
    org: &OrgRow,
    user_id: Uuid,
    client_addr: Option<std::net::IpAddr>,
) -> Result<Vec<Uuid>, AppError> {
    let leaving = actor.user_id == user_id;
    let mut tx = pool.begin().await.map_err(internal)?;
    let role: Option<String> = sqlx::query_scalar(
        "delete from team_members where team_id = $1 and user_id = $2 returning role",
    )
    .bind(org.id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let role = role
        .and_then(|r| OrgRole::parse(&r))
        .ok_or_else(|| AppError::NotFound("That person is not a member.".to_owned()))?;
    if !leaving && (!actor_role.manages() || !actor_role.may_grant(role)) {
        return Err(AppError::Refused(
            "Only owners may remove owners.".to_owned(),
        ));
    }
    let revoked: Vec<Uuid> = sqlx::query_scalar(
        "update api_keys set revoked_at = now()
         where team_id = $1 and user_id = $2 and revoked_at is null returning id",
    )
    .bind(org.id)
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        if leaving {
            "organization.leave"
        } else {
            "organization.remove"
        },
        ("member", user_id.to_string()),
        Some(json!({"role": role.as_str()})),
        Some(json!({"keys_revoked": revoked.len()})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(last_owner)?;
    Ok(revoked)
}

/// A key billed to the organization, as owners and admins see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgKeyRow {
    pub id: Uuid,
    pub name: String,
    pub public_id: String,
    pub creator_email: String,
    pub creator_name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub spent: i64,
    pub spend_cap: Option<i64>,
    pub revoked_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
}

/// The keys billed to `org` (every one for managers; the caller's own for
/// members), newest first.
pub async fn keys(
    pool: &PgPool,
    org: &OrgRow,
    only_of: Option<Uuid>,
) -> Result<Vec<OrgKeyRow>, AppError> {
    sqlx::query_as(
        "select k.id, k.name, k.public_id, u.email as creator_email, u.display_name as creator_name,
                k.created_at, k.last_used_at, k.spent, k.spend_cap, k.revoked_at, k.expires_at
         from api_keys k join users u on u.id = k.user_id
         where k.team_id = $1 and ($2::uuid is null or k.user_id = $2)
         order by k.revoked_at is not null, k.created_at desc
         limit 500",
    )
    .bind(org.id)
    .bind(only_of)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Revokes a key billed to `org` (any of them, by an owner or admin).
pub async fn revoke_key(
    pool: &PgPool,
    actor: &Caller,
    org: &OrgRow,
    key_id: Uuid,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let revoked: Option<(String, Uuid)> = sqlx::query_as(
        "update api_keys set revoked_at = now()
         where id = $1 and team_id = $2 and revoked_at is null returning name, user_id",
    )
    .bind(key_id)
    .bind(org.id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((name, owner)) = revoked else {
        return Err(AppError::NotFound(
            "That key is revoked already, or not this organization's.".to_owned(),
        ));
    };
    audited(
        &mut tx,
        org.id,
        Some(actor.user_id),
        "organization.key_revoke",
        ("api_key", key_id.to_string()),
        None,
        Some(json!({"name": name, "creator": owner})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Whether `user_id` may create a key billed to `org`.
pub fn may_create_keys(org: &OrgRow, role: OrgRole) -> bool {
    role.manages() || org.members_create_keys
}

/// Records a key created for the organization in its audit trail.
pub async fn key_created(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: Uuid,
    key_id: Uuid,
    name: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    audited(
        conn,
        org_id,
        Some(actor),
        "organization.key_create",
        ("api_key", key_id.to_string()),
        None,
        Some(json!({"name": name})),
        client_addr,
    )
    .await
}

/// Marks an organization verified (or not), by Lab staff.
pub async fn set_verified(
    pool: &PgPool,
    admin: &Caller,
    slug: &str,
    verified: bool,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let org = by_slug(pool, slug).await?.ok_or_else(|| {
        AppError::NotFound("There is no organization with this address.".to_owned())
    })?;
    let mut tx = pool.begin().await.map_err(internal)?;
    sqlx::query(
        "update organizations set verified_at = case when $2 then coalesce(verified_at, now()) end,
                verified_by = case when $2 then coalesce(verified_by, $3) end
         where team_id = $1",
    )
    .bind(org.id)
    .bind(verified)
    .bind(admin.user_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        org.id,
        Some(admin.user_id),
        if verified {
            "organization.verify"
        } else {
            "organization.unverify"
        },
        ("organization", org.slug.clone()),
        Some(json!({"verified": org.verified_at.is_some()})),
        Some(json!({"verified": verified})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// An organization in the staff list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffOrgRow {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub industry: String,
    pub verified: bool,
    pub members: i64,
    pub pool: i64,
    pub created_at: OffsetDateTime,
}

/// Every organization, newest first, optionally those whose name or slug
/// contains `search`; a page and the number of matches.
pub async fn staff_list(
    pool: &PgPool,
    search: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<StaffOrgRow>, i64), AppError> {
    let pattern = crate::server::like::contains_pattern(search);
    let (limit, offset) = crate::domain::paging::limit_offset(page, per_page);
    let total: i64 = sqlx::query_scalar(
        "select count(*) from teams t
         where t.kind = 'organization' and ($1::text is null or t.name ilike $1 or t.slug ilike $1)",
    )
    .bind(&pattern)
    .fetch_one(pool)
    .await
    .map_err(internal)?;
    let rows = sqlx::query_as(
        "select t.slug, t.name, o.country, o.industry, o.verified_at is not null as verified,
                (select count(*) from team_members m where m.team_id = t.id) as members,
                coalesce((select a.available from credit_accounts a
                          where a.owner_kind = 'organization' and a.owner_id = t.id), 0) as pool,
                t.created_at
         from teams t join organizations o on o.team_id = t.id
         where t.kind = 'organization' and ($1::text is null or t.name ilike $1 or t.slug ilike $1)
         order by t.created_at desc, t.id desc
         limit $2 offset $3",
    )
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok((rows, total))
}

/// The organization's pool: what it can spend now.
pub async fn pool_balance(pool: &PgPool, org: &OrgRow) -> Result<i64, AppError> {
    ledger::available_of(pool, Owner::Organization(org.id))
        .await
        .map_err(internal)
}

/// Grants credit from the treasury to the organization's pool, audited as
/// `credits.grant` (in the organization's trail too), in one transaction.
/// A `key` used before grants nothing and answers false.
pub async fn grant_pool(
    pool: &PgPool,
    admin: &Caller,
    org: &OrgRow,
    grant: &crate::domain::credit_grant::ParsedGrant,
    key: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    if crate::server::services::credits::key_used(&mut tx, key).await? {
        return Ok(false);
    }
    let account = ledger::account_for(&mut tx, Owner::Organization(org.id))
        .await
        .map_err(internal)?;
    let transaction = ledger::grant_with(
        &mut tx,
        &ledger::Grant {
            account,
            amount: grant.amount,
            expires_at: grant.expires_at,
            memo: ledger::Memo {
                memo: Some(grant.reason.clone()),
                actor_id: Some(admin.user_id),
                idempotency_key: Some(key.to_owned()),
            },
        },
    )
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        org.id,
        Some(admin.user_id),
        "credits.grant",
        ("credit_account", account.to_string()),
        None,
        Some(json!({"amount_micros": grant.amount.micros(),
                    "expires_at": grant.expires_at.map(crate::format::rfc3339),
                    "reason": grant.reason, "organization": org.slug,
                    "transaction_id": transaction})),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}

/// Which requests an organization's usage covers: days `first` to `last`
/// (UTC, both included), optionally one member's and one model's.
#[derive(Debug, Clone)]
pub struct UsageFilter {
    pub first: time::Date,
    pub last: time::Date,
    pub member: Option<Uuid>,
    pub model: Option<String>,
}

impl UsageFilter {
    fn bounds(&self) -> (OffsetDateTime, OffsetDateTime) {
        let end = self.last.next_day().unwrap_or(self.last);
        (
            self.first.midnight().assume_utc(),
            end.midnight().assume_utc(),
        )
    }
}

/// Totals of an organization's requests under one heading (a member, a key
/// or a model).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UsageTotal {
    pub label: String,
    pub detail: String,
    pub requests: i64,
    pub tokens: i64,
    pub credits: i64,
}

/// How an organization's usage is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageBy {
    Member,
    Key,
    Model,
}

/// The organization's pool account, if it has one yet (its usage export
/// reads it).
pub async fn account_of(pool: &PgPool, org: &OrgRow) -> Result<Option<Uuid>, AppError> {
    sqlx::query_scalar(
        "select id from credit_accounts where owner_kind = 'organization' and owner_id = $1",
    )
    .bind(org.id)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// The organization's requests under `filter`, totalled `by` member, key or
/// model, the biggest spend first.
pub async fn usage_totals(
    pool: &PgPool,
    org: &OrgRow,
    filter: &UsageFilter,
    by: UsageBy,
) -> Result<Vec<UsageTotal>, AppError> {
    let Some(account) = account_of(pool, org).await? else {
        return Ok(Vec::new());
    };
    let (from, to) = filter.bounds();
    let query = match by {
        UsageBy::Member => sqlx::query_as::<_, UsageTotal>(
            "select u.display_name as label, u.email as detail, count(*) as requests,
                    coalesce(sum(r.input_tokens::bigint + r.output_tokens::bigint), 0)::bigint as tokens,
                    coalesce(sum(r.credits), 0)::bigint as credits
             from usage_records r join users u on u.id = r.user_id
             where r.account_id = $1 and r.created_at >= $2 and r.created_at < $3
               and ($4::uuid is null or r.user_id = $4) and ($5::text is null or r.model = $5)
             group by u.id, u.display_name, u.email
             order by credits desc, label",
        ),
        UsageBy::Key => sqlx::query_as::<_, UsageTotal>(
            "select k.name as label, u.display_name as detail, count(*) as requests,
                    coalesce(sum(r.input_tokens::bigint + r.output_tokens::bigint), 0)::bigint as tokens,
                    coalesce(sum(r.credits), 0)::bigint as credits
             from usage_records r join api_keys k on k.id = r.key_id join users u on u.id = k.user_id
             where r.account_id = $1 and r.created_at >= $2 and r.created_at < $3
               and ($4::uuid is null or r.user_id = $4) and ($5::text is null or r.model = $5)
             group by k.id, k.name, u.display_name
             order by credits desc, label",
        ),
        UsageBy::Model => sqlx::query_as::<_, UsageTotal>(
            "select r.model as label, '' as detail, count(*) as requests,
                    coalesce(sum(r.input_tokens::bigint + r.output_tokens::bigint), 0)::bigint as tokens,
                    coalesce(sum(r.credits), 0)::bigint as credits
             from usage_records r
             where r.account_id = $1 and r.created_at >= $2 and r.created_at < $3
               and ($4::uuid is null or r.user_id = $4) and ($5::text is null or r.model = $5)
               and r.model <> ''
             group by r.model
             order by credits desc, label",
        ),
    };
    query
        .bind(account)
        .bind(from)
        .bind(to)
        .bind(filter.member)
        .bind(&filter.model)
        .fetch_all(pool)
        .await
        .map_err(internal)
}

/// The organization's totals per day (UTC) and model under `filter`.
pub async fn usage_daily(
    pool: &PgPool,
    org: &OrgRow,
    filter: &UsageFilter,
) -> Result<Vec<crate::server::services::usage::DailyTotal>, AppError> {
    let Some(account) = account_of(pool, org).await? else {
        return Ok(Vec::new());
    };
    let (from, to) = filter.bounds();
    sqlx::query_as(
        "select (created_at at time zone 'UTC')::date as day, model,
                count(*) as requests,
                coalesce(sum(input_tokens::bigint + output_tokens::bigint), 0)::bigint as tokens,
                coalesce(sum(credits), 0)::bigint as credits
         from usage_records
         where account_id = $1 and created_at >= $2 and created_at < $3 and model <> ''
           and ($4::uuid is null or user_id = $4) and ($5::text is null or model = $5)
         group by 1, 2
         order by 1, 2",
    )
    .bind(account)
    .bind(from)
    .bind(to)
    .bind(filter.member)
    .bind(&filter.model)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// One request of an organization, as its export writes it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UsageLine {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub email: String,
    pub key_name: String,
    pub model: String,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub credits: i64,
    pub status: i16,
}

/// Up to `limit` of the organization's requests under `filter`, oldest
/// first, after `after` (the last one read: its time and id).
pub async fn usage_lines(
    conn: &mut PgConnection,
    account: Uuid,
    filter: &UsageFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<UsageLine>, sqlx::Error> {
    let (from, to) = filter.bounds();
    sqlx::query_as(
        "select r.id, r.created_at, u.email, k.name as key_name, r.model, r.input_tokens, r.output_tokens,
                r.credits, r.status
         from usage_records r join users u on u.id = r.user_id join api_keys k on k.id = r.key_id
         where r.account_id = $1 and r.created_at >= $2 and r.created_at < $3
           and ($4::uuid is null or r.user_id = $4) and ($5::text is null or r.model = $5)
           and ($6::timestamptz is null or (r.created_at, r.id) > ($6, $7))
         order by r.created_at, r.id
         limit $8",
    )
    .bind(account)
    .bind(from)
    .bind(to)
    .bind(filter.member)
    .bind(&filter.model)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One entry of an organization's audit trail.
pub use crate::server::services::audit::TeamAuditRow as OrgAuditRow;

/// A page of everything done in the organization, newest first, and how
/// many entries there are.
pub async fn audit_trail(
    pool: &PgPool,
    org: &OrgRow,
    page: i64,
    per_page: i64,
) -> Result<(Vec<OrgAuditRow>, i64), AppError> {
    crate::server::services::audit::team_trail(pool, org.id, page, per_page).await
}
