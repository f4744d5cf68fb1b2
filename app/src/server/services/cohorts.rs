//! Universities and their courses: institutions with their pool, cohorts
//! funded from it, students joining (each with an enrollment account that
//! receives the course's allocation), top-ups, and the end of a term, when
//! every unused allocation goes back to the cohort and then to the
//! institution as ledger transfers. Every change is audited under its
//! team (`audit_log.team_id`), in the change's transaction.
//!
//! Institutions and cohorts are teams (`teams`, `team_members` for their
//! admins and coordinators, `team_domains` for an institution's email
//! domains), like organizations; students are enrollments, not members.

use rand::RngCore;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::cohorts::{
    code_from, parse_roster, CohortForm, CohortStatus, RosterRow, CODE_LEN,
};
use crate::domain::credits::Credits;
use crate::domain::notifications::NotificationKind;
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::internal;
use crate::server::ledger::{self, LedgerError, Memo, Owner, TransferKind};
use crate::server::services::audit::{self, Entry};
use crate::server::services::notifications;
use crate::server::services::outbox::{self, OutgoingEmail};

/// An institution as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstitutionRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub country: String,
    pub website: Option<String>,
    pub verified_at: Option<OffsetDateTime>,
}

/// What Lab staff give to create an institution.
#[derive(Debug, Clone)]
pub struct NewInstitution {
    pub name: String,
    pub slug: String,
    pub country: String,
    pub website: Option<String>,
    pub time_zone: String,
    /// Its students' email domains, lower case (`nus.edu.sg`).
    pub domains: Vec<String>,
}

/// A cohort as stored, with its institution.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CohortRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub institution_id: Uuid,
    pub institution_slug: String,
    pub institution_name: String,
    pub time_zone: String,
    pub course_code: String,
    pub term_start: Date,
    pub term_end: Date,
    /// Micro-credits per student.
    pub allocation: i64,
    pub max_students: i32,
    pub require_institution_email: bool,
    pub status: String,
    pub join_code: String,
    pub ended_at: Option<OffsetDateTime>,
    pub reclaimed_at: Option<OffsetDateTime>,
}

impl CohortRow {
    pub fn status(&self) -> CohortStatus {
        CohortStatus::parse(&self.status).unwrap_or(CohortStatus::Draft)
    }
}

/// How someone runs a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortRole {
    /// An admin of its institution: every cohort of it.
    InstitutionAdmin,
    /// A coordinator of this cohort.
    Coordinator,
}

fn not_found() -> AppError {
    AppError::NotFound("There is no such course, or you do not run it.".to_owned())
}

fn no_institution() -> AppError {
    AppError::NotFound("There is no such institution, or you are not one of its staff.".to_owned())
}

/// Writes an audit entry for the team `team_id` (an institution or a cohort).
async fn audited(
    conn: &mut PgConnection,
    team_id: Uuid,
    actor: Option<Uuid>,
    action: &str,
    target: (&str, String),
    after: serde_json::Value,
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
            before: None,
            after: Some(after),
            client_addr,
        },
    )
    .await
    .map_err(internal)
}

/// The institution `slug`, if there is one.
pub async fn institution_by_slug(
    pool: &PgPool,
    slug: &str,
) -> Result<Option<InstitutionRow>, AppError> {
    sqlx::query_as(
        "select t.id, t.slug, t.name, t.time_zone, i.country, i.website, i.verified_at
         from teams t join institutions i on i.team_id = t.id
         where t.kind = 'institution' and t.slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// The institution `slug` for one of its admins (`admin_only`) or staff
/// (admins and coordinators); "not found" for anyone else.
pub async fn staffed(
    pool: &PgPool,
    slug: &str,
    user_id: Uuid,
    admin_only: bool,
) -> Result<InstitutionRow, AppError> {
    let role: Option<String> = sqlx::query_scalar(
        "select m.role from team_members m join teams t on t.id = m.team_id
         where t.kind = 'institution' and t.slug = $1 and m.user_id = $2",
    )
    .bind(slug)
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    match role.as_deref() {
        Some("admin") => {}
        Some("coordinator") if !admin_only => {}
        Some(_) => return Err(AppError::Forbidden),
        None => return Err(no_institution()),
    }
    institution_by_slug(pool, slug)
        .await?
        .ok_or_else(no_institution)
}

/// Creates an institution with its pool and email domains (Lab staff).
#[tracing::instrument(skip_all, fields(admin = %admin.user_id))]
pub async fn create_institution(
    pool: &PgPool,
    admin: &Caller,
    new: &NewInstitution,
    application: Option<Uuid>,
    client_addr: Option<std::net::IpAddr>,
) -> Result<InstitutionRow, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into teams (id, kind, slug, name, time_zone, created_by)
         values ($1, 'institution', $2, $3, $4, $5) on conflict (kind, slug) do nothing",
    )
    .bind(id)
    .bind(&new.slug)
    .bind(&new.name)
    .bind(&new.time_zone)
    .bind(admin.user_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::field(
            "slug",
            "Another institution has this address; choose another.",
        ));
    }
    sqlx::query(
        "insert into institutions (team_id, country, website, application_id) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(&new.country)
    .bind(&new.website)
    .bind(application)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    sqlx::query(
        "insert into team_domains (team_id, domain) select $1, d from unnest($2::text[]) d
         on conflict do nothing",
    )
    .bind(id)
    .bind(&new.domains)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    ledger::account_for(&mut tx, Owner::Institution(id))
        .await
        .map_err(internal)?;
    audited(
        &mut tx,
        id,
        Some(admin.user_id),
        "institution.create",
        ("institution", new.slug.clone()),
        json!({"name": new.name, "slug": new.slug, "country": new.country,
               "website": new.website, "time_zone": new.time_zone, "domains": new.domains,
               "application_id": application}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    institution_by_slug(pool, &new.slug)
        .await?
        .ok_or(AppError::Internal)
}

/// Makes the user with `email` an `admin` or `coordinator` of the
/// institution (or changes their role).
pub async fn set_staff(
    pool: &PgPool,
    actor: &Caller,
    institution: &InstitutionRow,
    email: &str,
    role: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<Uuid, AppError> {
    if !matches!(role, "admin" | "coordinator") {
        return Err(AppError::field("role", "Choose admin or coordinator."));
    }
    let mut tx = pool.begin().await.map_err(internal)?;
    let user: Option<Uuid> =
        sqlx::query_scalar("select id from users where lower(email) = lower($1)")
            .bind(email.trim())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    let user = user.ok_or_else(|| {
        AppError::field(
            "email",
            "Nobody has signed up with this email yet: ask them to sign up first.",
        )
    })?;
    sqlx::query(
        "insert into team_members (team_id, user_id, role) values ($1, $2, $3)
         on conflict (team_id, user_id) do update set role = excluded.role",
    )
    .bind(institution.id)
    .bind(user)
    .bind(role)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        institution.id,
        Some(actor.user_id),
        "institution.staff",
        ("user", user.to_string()),
        json!({"email": email.trim().to_lowercase(), "role": role}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(user)
}

/// An open invitation to an institution's staff.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffInvitationRow {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub invited_by: Option<String>,
    pub expires_at: OffsetDateTime,
}

/// Invites `email` to the institution's staff as `role` (`admin` or
/// `coordinator`) by an email with a link, as organizations invite their
/// members (`/invitations/{token}`, valid for the same days).
pub async fn invite_staff(
    pool: &PgPool,
    actor: &Caller,
    institution: &InstitutionRow,
    email: &str,
    role: &str,
    origin: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    use crate::server::services::organizations::{open_invitation, send_invitation};
    let label = match role {
        "admin" => "Admin",
        "coordinator" => "Coordinator",
        _ => return Err(AppError::field("role", "Choose admin or coordinator.")),
    };
    let email = crate::domain::email::Email::parse(email)
        .map_err(|message| AppError::field("email", message))?
        .normalized();
    let mut tx = pool.begin().await.map_err(internal)?;
    let staff: bool = sqlx::query_scalar(
        "select exists (select 1 from team_members m join users u on u.id = m.user_id
                        where m.team_id = $1 and lower(u.email) = $2)",
    )
    .bind(institution.id)
    .bind(&email)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if staff {
        return Err(AppError::field(
            "email",
            "Someone with this address is on the staff already.",
        ));
    }
    let Some((id, token, expires_at)) =
        open_invitation(&mut tx, institution.id, &email, role, actor.user_id).await?
    else {
        return Err(AppError::field(
            "email",
            "This address has an open invitation already.",
        ));
    };
    send_invitation(
        &mut tx,
        &institution.name,
        actor,
        &email,
        label,
        &token,
        expires_at,
        origin,
    )
    .await?;
    audited(
        &mut tx,
        institution.id,
        Some(actor.user_id),
        "institution.invite",
        ("invitation", id.to_string()),
        json!({"email": email, "role": role, "expires_at": expires_at.unix_timestamp()}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// The institution's open invitations, the newest first.
pub async fn staff_invitations(
    pool: &PgPool,
    institution: Uuid,
) -> Result<Vec<StaffInvitationRow>, AppError> {
    sqlx::query_as(
        "select i.id, i.email, i.role, u.display_name as invited_by, i.expires_at
         from team_invitations i left join users u on u.id = i.invited_by
         where i.team_id = $1 and i.accepted_at is null and i.revoked_at is null
         order by i.created_at desc",
    )
    .bind(institution)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Revokes an open invitation to the institution's staff.
pub async fn revoke_staff_invitation(
    pool: &PgPool,
    actor: &Caller,
    institution: &InstitutionRow,
    invitation: Uuid,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let email =
        crate::server::services::organizations::revoke_open(&mut tx, institution.id, invitation)
            .await?;
    audited(
        &mut tx,
        institution.id,
        Some(actor.user_id),
        "institution.invite_revoke",
        ("invitation", invitation.to_string()),
        json!({"email": email}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Adds the person accepting `invitation` (checked by the caller, in its
/// transaction) to the institution's staff in its role.
pub(crate) async fn join_staff(
    conn: &mut PgConnection,
    invitation: &crate::server::services::organizations::Invitation,
    caller: &Caller,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let added = sqlx::query(
        "insert into team_members (team_id, user_id, role) values ($1, $2, $3)
         on conflict (team_id, user_id) do nothing",
    )
    .bind(invitation.team_id)
    .bind(caller.user_id)
    .bind(&invitation.role)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    if added.rows_affected() == 0 {
        return Err(AppError::Refused(
            "You are on this institution's staff already.".to_owned(),
        ));
    }
    crate::server::services::organizations::mark_accepted(conn, invitation.id, caller.user_id)
        .await?;
    audited(
        conn,
        invitation.team_id,
        Some(caller.user_id),
        "institution.join",
        ("user", caller.user_id.to_string()),
        json!({"email": caller.email, "role": invitation.role, "invitation": invitation.id}),
        client_addr,
    )
    .await
}

/// Grants credit to the institution's pool (Lab staff); false when `key`
/// was used before (nothing granted again).
pub async fn grant_institution(
    pool: &PgPool,
    admin: &Caller,
    institution: &InstitutionRow,
    grant: &crate::domain::credit_grant::ParsedGrant,
    key: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    if crate::server::services::credits::key_used(&mut tx, key).await? {
        return Ok(false);
    }
    let account = ledger::account_for(&mut tx, Owner::Institution(institution.id))
        .await
        .map_err(internal)?;
    let transaction = ledger::grant_with(
        &mut tx,
        &ledger::Grant {
            account,
            amount: grant.amount,
            expires_at: grant.expires_at,
            memo: Memo {
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
        institution.id,
        Some(admin.user_id),
        "credits.grant",
        ("credit_account", account.to_string()),
        json!({"amount_micros": grant.amount.micros(),
               "expires_at": grant.expires_at.map(crate::format::rfc3339),
               "reason": grant.reason, "institution": institution.slug,
               "transaction_id": transaction}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}

/// The cohort `slug`, if there is one.
pub async fn cohort_by_slug(pool: &PgPool, slug: &str) -> Result<Option<CohortRow>, AppError> {
    sqlx::query_as(
        "select t.id, t.slug, t.name, c.institution_id, i.slug as institution_slug,
                i.name as institution_name, i.time_zone, c.course_code, c.term_start, c.term_end,
                c.allocation, c.max_students, c.require_institution_email, c.status, c.join_code,
                c.ended_at, c.reclaimed_at
         from cohorts c join teams t on t.id = c.team_id join teams i on i.id = c.institution_id
         where t.slug = $1 and t.kind = 'cohort'",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// The cohort whose join code is `code`.
pub async fn cohort_by_code(pool: &PgPool, code: &str) -> Result<Option<CohortRow>, AppError> {
    sqlx::query_as(
        "select t.id, t.slug, t.name, c.institution_id, i.slug as institution_slug,
                i.name as institution_name, i.time_zone, c.course_code, c.term_start, c.term_end,
                c.allocation, c.max_students, c.require_institution_email, c.status, c.join_code,
                c.ended_at, c.reclaimed_at
         from cohorts c join teams t on t.id = c.team_id join teams i on i.id = c.institution_id
         where c.join_code = $1",
    )
    .bind(code)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

async fn cohort_by_id(conn: &mut PgConnection, id: Uuid) -> Result<CohortRow, AppError> {
    sqlx::query_as(
        "select t.id, t.slug, t.name, c.institution_id, i.slug as institution_slug,
                i.name as institution_name, i.time_zone, c.course_code, c.term_start, c.term_end,
                c.allocation, c.max_students, c.require_institution_email, c.status, c.join_code,
                c.ended_at, c.reclaimed_at
         from cohorts c join teams t on t.id = c.team_id join teams i on i.id = c.institution_id
         where c.team_id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await
    .map_err(internal)
}

/// The cohort `slug` for someone who runs it: a coordinator of it or an
/// admin of its institution; "not found" for anyone else (students
/// included).
pub async fn coordinated(
    pool: &PgPool,
    slug: &str,
    user_id: Uuid,
) -> Result<(CohortRow, CohortRole), AppError> {
    let cohort = cohort_by_slug(pool, slug).await?.ok_or_else(not_found)?;
    let roles: Vec<(Uuid, String)> = sqlx::query_as(
        "select team_id, role from team_members where user_id = $1 and team_id = any($2)",
    )
    .bind(user_id)
    .bind([cohort.id, cohort.institution_id])
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let role = if roles
        .iter()
        .any(|(team, role)| *team == cohort.institution_id && role == "admin")
    {
        CohortRole::InstitutionAdmin
    } else if roles
        .iter()
        .any(|(team, role)| *team == cohort.id && role == "coordinator")
    {
        CohortRole::Coordinator
    } else {
        return Err(not_found());
    };
    Ok((cohort, role))
}

/// A new join code.
fn new_code() -> String {
    let mut random = [0u8; CODE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut random);
    code_from(random)
}

/// Creates a cohort of `institution` (in draft) with `actor` as its
/// coordinator, and its pool.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_cohort(
    pool: &PgPool,
    actor: &Caller,
    institution: &InstitutionRow,
    form: &CohortForm,
    client_addr: Option<std::net::IpAddr>,
) -> Result<CohortRow, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = Uuid::now_v7();
    // The address: the course code and a few random letters, so two terms
    // of one course never collide.
    let slug = format!(
        "{}-{}",
        crate::domain::organizations::suggest_slug(&form.course_code),
        new_code().to_lowercase().get(..5).unwrap_or("x")
    );
    sqlx::query(
        "insert into teams (id, kind, slug, name, time_zone, created_by)
         values ($1, 'cohort', $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(&slug)
    .bind(&form.name)
    .bind(&institution.time_zone)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    sqlx::query(
        "insert into cohorts (team_id, institution_id, course_code, term_start, term_end, allocation,
                              max_students, require_institution_email, join_code)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(institution.id)
    .bind(&form.course_code)
    .bind(form.term_start)
    .bind(form.term_end)
    .bind(form.allocation.micros())
    .bind(form.max_students)
    .bind(form.require_institution_email)
    .bind(new_code())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    sqlx::query("insert into team_members (team_id, user_id, role) values ($1, $2, 'coordinator')")
        .bind(id)
        .bind(actor.user_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    ledger::account_for(&mut tx, Owner::Cohort(id))
        .await
        .map_err(internal)?;
    audited(
        &mut tx,
        id,
        Some(actor.user_id),
        "cohort.create",
        ("cohort", slug.clone()),
        json!({"name": form.name, "course_code": form.course_code,
               "term_start": form.term_start.to_string(), "term_end": form.term_end.to_string(),
               "allocation_micros": form.allocation.micros(), "max_students": form.max_students,
               "require_institution_email": form.require_institution_email,
               "institution": institution.slug}),
        client_addr,
    )
    .await?;
    let cohort = cohort_by_id(&mut tx, id).await?;
    tx.commit().await.map_err(internal)?;
    Ok(cohort)
}

/// Opens, closes or reopens a cohort for joining. An ended one stays so.
pub async fn set_status(
    pool: &PgPool,
    actor: &Caller,
    cohort: &CohortRow,
    status: CohortStatus,
    client_addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    if status == CohortStatus::Ended {
        return Err(AppError::Refused(
            "End the term with its own button: it also gives the credit back.".to_owned(),
        ));
    }
    let mut tx = pool.begin().await.map_err(internal)?;
    let changed =
        sqlx::query("update cohorts set status = $2 where team_id = $1 and status <> 'ended'")
            .bind(cohort.id)
            .bind(status.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
    if changed.rows_affected() == 0 {
        return Err(AppError::Conflict("This course has ended.".to_owned()));
    }
    audited(
        &mut tx,
        cohort.id,
        Some(actor.user_id),
        "cohort.status",
        ("cohort", cohort.slug.clone()),
        json!({"from": cohort.status, "to": status.as_str()}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Gives the cohort a new join code; the old one stops working.
pub async fn rotate_code(
    pool: &PgPool,
    actor: &Caller,
    cohort: &CohortRow,
    client_addr: Option<std::net::IpAddr>,
) -> Result<String, AppError> {
    let code = new_code();
    let mut tx = pool.begin().await.map_err(internal)?;
    sqlx::query("update cohorts set join_code = $2 where team_id = $1")
        .bind(cohort.id)
        .bind(&code)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    audited(
        &mut tx,
        cohort.id,
        Some(actor.user_id),
        "cohort.rotate_code",
        ("cohort", cohort.slug.clone()),
        json!({}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(code)
}

/// Moves `amount` from the institution's pool to the cohort's (a ledger
/// transfer, once per `key`), then gives waiting students their
/// allocation. False when `key` was used before.
#[tracing::instrument(skip_all, fields(cohort = %cohort.id))]
pub async fn fund(
    pool: &PgPool,
    actor: &Caller,
    cohort: &CohortRow,
    amount: Credits,
    key: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    if crate::server::services::credits::key_used(&mut tx, key).await? {
        return Ok(false);
    }
    let from = ledger::account_for(&mut tx, Owner::Institution(cohort.institution_id))
        .await
        .map_err(internal)?;
    let to = ledger::account_for(&mut tx, Owner::Cohort(cohort.id))
        .await
        .map_err(internal)?;
    let memo = Memo {
        memo: Some(format!("funding {}", cohort.course_code)),
        actor_id: Some(actor.user_id),
        idempotency_key: Some(key.to_owned()),
    };
    let transaction =
        ledger::transfer_with(&mut tx, from, to, amount, TransferKind::Allocation, &memo)
            .await
            .map_err(|error| match error {
                LedgerError::InsufficientCredits => AppError::field(
                    "amount",
                    "The institution's pool does not hold that much; ask the Lab for more.",
                ),
                other => internal(other),
            })?;
    audited(
        &mut tx,
        cohort.id,
        Some(actor.user_id),
        "cohort.fund",
        ("cohort", cohort.slug.clone()),
        json!({"amount_micros": amount.micros(), "transaction_id": transaction}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    allocate_waiting(pool, cohort.id).await?;
    Ok(true)
}

/// What joining a cohort did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// Joined, with the course's allocation in their enrollment account.
    Now,
    /// Joined before.
    Already,
    /// Joined, but the cohort cannot cover the allocation yet: the
    /// coordinators are told, and it comes when they fund the cohort.
    Waiting,
}

/// Joins `caller` to `cohort` (by its link or code, or their roster
/// invitation): only with their own verified address, at one of the
/// institution's domains when the cohort requires it, while it is open and
/// has a seat.
#[tracing::instrument(skip_all, fields(cohort = %cohort.id, user = %caller.user_id))]
pub async fn join(
    pool: &PgPool,
    caller: &Caller,
    cohort: &CohortRow,
    client_addr: Option<std::net::IpAddr>,
) -> Result<Joined, AppError> {
    if !caller.email_verified {
        return Err(AppError::Refused(
            "Verify your email address first: a course is joined with it.".to_owned(),
        ));
    }
    let email = caller.email.trim().to_lowercase();
    let mut tx = pool.begin().await.map_err(internal)?;
    // Joins to one cohort queue here, so seats are counted right.
    let status: String =
        sqlx::query_scalar("select status from cohorts where team_id = $1 for update")
            .bind(cohort.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
    let existing: Option<(Uuid, Option<Uuid>, String)> = sqlx::query_as(
        "select id, user_id, status from enrollments
         where cohort_id = $1 and (user_id = $2 or email = $3)
         order by (user_id = $2) desc nulls last limit 1",
    )
    .bind(cohort.id)
    .bind(caller.user_id)
    .bind(&email)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    if let Some((_, Some(user), state)) = &existing {
        if *user == caller.user_id && matches!(state.as_str(), "joined" | "waiting" | "ended") {
            return Ok(Joined::Already);
        }
    }
    if status != "open" {
        return Err(AppError::Refused(
            "This course is not open for joining; ask its coordinator.".to_owned(),
        ));
    }
    if cohort.require_institution_email {
        let domains: Vec<String> = sqlx::query_scalar(
            "select domain from team_domains where team_id = $1 order by domain",
        )
        .bind(cohort.institution_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let domain = email.rsplit('@').next().unwrap_or_default();
        if !domains.iter().any(|d| d == domain) {
            return Err(AppError::Refused(format!(
                "This course is for {} addresses: sign in with yours (add it on your profile) to join.",
                domains.join(", ")
            )));
        }
    }
    let seats: i64 = sqlx::query_scalar(
        "select count(*) from enrollments where cohort_id = $1 and status in ('joined', 'waiting')",
    )
    .bind(cohort.id)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if seats >= i64::from(cohort.max_students) {
        return Err(AppError::Refused(
            "This course is full; ask its coordinator for a seat.".to_owned(),
        ));
    }
    let id = match existing {
        // A roster invitation for this address (someone else's is never
        // taken: the email matched, and the user is the caller).
        Some((id, None | Some(_), _)) => {
            sqlx::query(
                "update enrollments set user_id = $2, status = 'waiting', joined_at = now() where id = $1",
            )
            .bind(id)
            .bind(caller.user_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            sqlx::query(
                "insert into enrollments (id, cohort_id, user_id, email, name, status, joined_at)
                 values ($1, $2, $3, $4, $5, 'waiting', now())",
            )
            .bind(id)
            .bind(cohort.id)
            .bind(caller.user_id)
            .bind(&email)
            .bind(&caller.display_name)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            id
        }
    };
    ledger::account_for(&mut tx, Owner::Enrollment(id))
        .await
        .map_err(internal)?;
    let allocated = allocate(&mut tx, cohort.id, id, cohort.allocation).await?;
    audited(
        &mut tx,
        cohort.id,
        Some(caller.user_id),
        "cohort.join",
        ("enrollment", id.to_string()),
        json!({"email": email, "allocated": allocated}),
        client_addr,
    )
    .await?;
    // Coordinators hear of the first student left waiting, not of each of
    // the hundreds who may follow before the course is funded.
    let first_waiting = !allocated && {
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from enrollments where cohort_id = $1 and status = 'waiting'",
        )
        .bind(cohort.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        waiting == 1
    };
    if first_waiting {
        tell_coordinators(
            &mut tx,
            cohort,
            &format!("A student is waiting for credit in {}", cohort.course_code),
            &format!(
                "{} joined {} ({}), but the course's pool cannot cover their allocation of {} credits. Students who join after them wait too; the course page counts them (this email is not sent for each).\n\nFund the course from {}'s pool and every waiting student receives theirs.\n",
                caller.display_name,
                cohort.name,
                cohort.course_code,
                crate::format::credits(Credits::from_micros(cohort.allocation)),
                cohort.institution_name,
            ),
        )
        .await?;
    }
    tx.commit().await.map_err(internal)?;
    Ok(if allocated {
        Joined::Now
    } else {
        Joined::Waiting
    })
}

/// Moves `amount` from the cohort's pool to the enrollment's account and
/// marks it joined, if the pool covers it; false (still waiting) if not.
async fn allocate(
    conn: &mut PgConnection,
    cohort: Uuid,
    enrollment: Uuid,
    amount: i64,
) -> Result<bool, AppError> {
    let from = ledger::account_for(conn, Owner::Cohort(cohort))
        .await
        .map_err(internal)?;
    let to = ledger::account_for(conn, Owner::Enrollment(enrollment))
        .await
        .map_err(internal)?;
    let memo = Memo {
        memo: Some("course allocation".to_owned()),
        actor_id: None,
        idempotency_key: Some(format!("enrollment:{enrollment}")),
    };
    match ledger::transfer_with(
        conn,
        from,
        to,
        Credits::from_micros(amount),
        TransferKind::Allocation,
        &memo,
    )
    .await
    {
        Ok(_) => {}
        Err(LedgerError::InsufficientCredits) => return Ok(false),
        Err(other) => return Err(internal(other)),
    }
    sqlx::query(
        "update enrollments set status = 'joined', allocated = allocated + $2 where id = $1",
    )
    .bind(enrollment)
    .bind(amount)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(true)
}

/// Gives waiting students of the cohort their allocation, first come
/// first served, while its pool covers it.
async fn allocate_waiting(pool: &PgPool, cohort: Uuid) -> Result<u64, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let row = cohort_by_id(&mut tx, cohort).await?;
    sqlx::query("select 1 from cohorts where team_id = $1 for update")
        .bind(cohort)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let waiting: Vec<Uuid> = sqlx::query_scalar(
        "select id from enrollments where cohort_id = $1 and status = 'waiting' order by joined_at, id",
    )
    .bind(cohort)
    .fetch_all(&mut *tx)
    .await
    .map_err(internal)?;
    let mut allocated = 0;
    for enrollment in waiting {
        if !allocate(&mut tx, cohort, enrollment, row.allocation).await? {
            break;
        }
        allocated += 1;
    }
    tx.commit().await.map_err(internal)?;
    Ok(allocated)
}

/// Tops up each of `enrollments` (joined students of the cohort) by
/// `amount` from the cohort's pool, all or none; once per `key`. Returns
/// how many students received it (0 when `key` was used before).
pub async fn top_up(
    pool: &PgPool,
    actor: &Caller,
    cohort: &CohortRow,
    enrollments: &[Uuid],
    amount: Credits,
    key: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<usize, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    if crate::server::services::credits::key_used(&mut tx, key).await? {
        return Ok(0);
    }
    let joined: Vec<Uuid> = sqlx::query_scalar(
        "select id from enrollments where cohort_id = $1 and id = any($2) and status = 'joined' order by id",
    )
    .bind(cohort.id)
    .bind(enrollments)
    .fetch_all(&mut *tx)
    .await
    .map_err(internal)?;
    if joined.is_empty() {
        return Err(AppError::Refused(
            "Choose students who have joined the course.".to_owned(),
        ));
    }
    let from = ledger::account_for(&mut tx, Owner::Cohort(cohort.id))
        .await
        .map_err(internal)?;
    for (i, enrollment) in joined.iter().enumerate() {
        let to = ledger::account_for(&mut tx, Owner::Enrollment(*enrollment))
            .await
            .map_err(internal)?;
        let memo = Memo {
            memo: Some("course top-up".to_owned()),
            actor_id: Some(actor.user_id),
            idempotency_key: Some(if i == 0 {
                key.to_owned()
            } else {
                format!("{key}:{i}")
            }),
        };
        ledger::transfer_with(&mut tx, from, to, amount, TransferKind::Allocation, &memo)
            .await
            .map_err(|error| match error {
                LedgerError::InsufficientCredits => AppError::field(
                    "amount",
                    "The course's pool cannot cover this for every student chosen; fund it first.",
                ),
                other => internal(other),
            })?;
        sqlx::query("update enrollments set allocated = allocated + $2 where id = $1")
            .bind(enrollment)
            .bind(amount.micros())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
    }
    audited(
        &mut tx,
        cohort.id,
        Some(actor.user_id),
        "cohort.top_up",
        ("cohort", cohort.slug.clone()),
        json!({"amount_micros": amount.micros(), "enrollments": joined}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(joined.len())
}

/// Ends the cohort's term (the job at its end date, or a coordinator
/// early): nobody joins or spends any more, keys billed to it stop, and
/// [`reclaim`] gives the unused credit back. `actor` is `None` for the job.
#[tracing::instrument(skip_all, fields(cohort = %cohort.id))]
pub async fn end_term(
    pool: &PgPool,
    actor: Option<&Caller>,
    cohort: &CohortRow,
    client_addr: Option<std::net::IpAddr>,
) -> Result<Reclaimed, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let ended = sqlx::query(
        "update cohorts set status = 'ended', ended_at = now() where team_id = $1 and status <> 'ended'",
    )
    .bind(cohort.id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if ended.rows_affected() == 1 {
        sqlx::query(
            "update enrollments set status = case when user_id is null then 'removed' else 'ended' end,
                    ended_at = now()
             where cohort_id = $1 and status in ('invited', 'waiting', 'joined')",
        )
        .bind(cohort.id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let keys = sqlx::query(
            "update api_keys k set revoked_at = now()
             from enrollments e
             where k.enrollment_id = e.id and e.cohort_id = $1 and k.revoked_at is null",
        )
        .bind(cohort.id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        audited(
            &mut tx,
            cohort.id,
            actor.map(|a| a.user_id),
            "cohort.end",
            ("cohort", cohort.slug.clone()),
            json!({"keys_revoked": keys.rows_affected(), "early": actor.is_some()}),
            client_addr,
        )
        .await?;
    }
    tx.commit().await.map_err(internal)?;
    reclaim(pool, cohort.id).await
}

/// What a reclaim moved, in micro-credits, and whether everything is back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reclaimed {
    /// From students' enrollment accounts to the cohort.
    pub from_students: i64,
    /// From the cohort to the institution.
    pub to_institution: i64,
    /// No credit is left with the students or the cohort, and none is held
    /// by requests in flight: the reclaim is done.
    pub done: bool,
}

/// Moves what an ended cohort's students have left back to the cohort, and
/// what the cohort has back to its institution, as ledger transfers.
/// Credit held by requests still in flight is left to them; what they do
/// not spend comes back on a later run (the job runs it until `done`), so
/// nothing is lost and nothing moves twice.
#[tracing::instrument(skip(pool))]
pub async fn reclaim(pool: &PgPool, cohort: Uuid) -> Result<Reclaimed, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let row = cohort_by_id(&mut tx, cohort).await?;
    if row.status() != CohortStatus::Ended {
        return Err(AppError::Conflict("The course has not ended.".to_owned()));
    }
    let cohort_account = ledger::account_for(&mut tx, Owner::Cohort(cohort))
        .await
        .map_err(internal)?;
    let institution_account = ledger::account_for(&mut tx, Owner::Institution(row.institution_id))
        .await
        .map_err(internal)?;
    // Every account of the cohort, locked in id order.
    let accounts: Vec<(Uuid, Option<Uuid>, i64, i64)> = sqlx::query_as(
        "select a.id, e.id, a.available, a.reserved
         from credit_accounts a left join enrollments e on a.owner_kind = 'enrollment' and e.id = a.owner_id
         where (a.owner_kind = 'enrollment' and e.cohort_id = $1) or a.id = $2
         order by a.id for update of a",
    )
    .bind(cohort)
    .bind(cohort_account)
    .fetch_all(&mut *tx)
    .await
    .map_err(internal)?;
    let mut reclaimed = Reclaimed::default();
    let mut held = 0;
    for (account, enrollment, available, reserved) in &accounts {
        held += reserved;
        let Some(enrollment) = enrollment else {
            continue;
        };
        if *available <= 0 {
            continue;
        }
        let memo = Memo {
            memo: Some(format!("unused allocation of {}", row.course_code)),
            actor_id: None,
            idempotency_key: None,
        };
        ledger::transfer_with(
            &mut tx,
            *account,
            cohort_account,
            Credits::from_micros(*available),
            TransferKind::Reclaim,
            &memo,
        )
        .await
        .map_err(internal)?;
        sqlx::query("update enrollments set reclaimed = reclaimed + $2 where id = $1")
            .bind(enrollment)
            .bind(available)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        reclaimed.from_students += available;
    }
    let in_cohort: i64 = sqlx::query_scalar("select available from credit_accounts where id = $1")
        .bind(cohort_account)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
    if in_cohort > 0 {
        let memo = Memo {
            memo: Some(format!("{} ended", row.course_code)),
            actor_id: None,
            idempotency_key: None,
        };
        ledger::transfer_with(
            &mut tx,
            cohort_account,
            institution_account,
            Credits::from_micros(in_cohort),
            TransferKind::Reclaim,
            &memo,
        )
        .await
        .map_err(internal)?;
        reclaimed.to_institution = in_cohort;
    }
    reclaimed.done = held == 0;
    if reclaimed.from_students > 0 || reclaimed.to_institution > 0 {
        audited(
            &mut tx,
            cohort,
            None,
            "cohort.reclaim",
            ("cohort", row.slug.clone()),
            json!({"from_students_micros": reclaimed.from_students,
                   "to_institution_micros": reclaimed.to_institution,
                   "done": reclaimed.done}),
            None,
        )
        .await?;
    }
    if reclaimed.done && row.reclaimed_at.is_none() {
        sqlx::query("update cohorts set reclaimed_at = now() where team_id = $1")
            .bind(cohort)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let totals: (i64, i64, i64) = sqlx::query_as(
            "select count(*) filter (where user_id is not null), coalesce(sum(allocated), 0)::bigint,
                    coalesce(sum(reclaimed), 0)::bigint
             from enrollments where cohort_id = $1",
        )
        .bind(cohort)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let credits = |micros: i64| crate::format::credits(Credits::from_micros(micros));
        tell_coordinators(
            &mut tx,
            &row,
            &format!("{} has ended: its credit is back with {}", row.course_code, row.institution_name),
            &format!(
                "The term of {} ({}) has ended.\n\nStudents: {}\nAllocated to them: {} credits\nSpent by them: {} credits\nReturned to {}'s pool: {} credits from students, and what the course still held.\n\nStudents keep read access to their history; their course keys no longer work.\n",
                row.name,
                row.course_code,
                totals.0,
                credits(totals.1),
                credits(totals.1 - totals.2),
                row.institution_name,
                credits(totals.2),
            ),
        )
        .await?;
    }
    tx.commit().await.map_err(internal)?;
    Ok(reclaimed)
}

/// Cohorts whose term is over (by `lab_now()` in their institution's time
/// zone) but not yet ended, and ended ones whose credit is not all back.
pub async fn due(pool: &PgPool) -> Result<(Vec<Uuid>, Vec<Uuid>), AppError> {
    let to_end: Vec<Uuid> = sqlx::query_scalar(
        "select c.team_id from cohorts c join teams i on i.id = c.institution_id
         where c.status <> 'ended'
           and lab_now() >= ((c.term_end + 1)::timestamp at time zone i.time_zone)",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let to_reclaim: Vec<Uuid> = sqlx::query_scalar(
        "select team_id from cohorts where status = 'ended' and reclaimed_at is null",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok((to_end, to_reclaim))
}

/// How long before the end of a term its students are told.
pub const NOTICE_DAYS: i32 = 7;

/// Tells the students of every course whose term ends within
/// [`NOTICE_DAYS`] (and who have not been told) that their allocation
/// goes back at the end; each course once. Returns how many courses.
pub async fn send_notices(pool: &PgPool) -> Result<usize, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let notified: Vec<(Uuid, String, String, String, Date)> = sqlx::query_as(
        "update cohorts c set notice_sent_at = lab_now()
         from teams t, teams i
         where t.id = c.team_id and i.id = c.institution_id
           and c.status in ('open', 'closed') and c.notice_sent_at is null
           and lab_now() >= ((c.term_end + 1)::timestamp at time zone i.time_zone) - make_interval(days => $1)
           and lab_now() < ((c.term_end + 1)::timestamp at time zone i.time_zone)
         returning c.team_id, t.name, c.course_code, i.time_zone, c.term_end",
    )
    .bind(NOTICE_DAYS)
    .fetch_all(&mut *tx)
    .await
    .map_err(internal)?;
    for (cohort, name, code, time_zone, term_end) in &notified {
        let students: Vec<(Option<Uuid>, String, Option<String>)> = sqlx::query_as(
            "select user_id, email, name from enrollments where cohort_id = $1 and status = 'joined'",
        )
        .bind(cohort)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let subject = format!("{name} ({code}) ends on {term_end}");
        let body = format!(
            "The term of {name} ({code}) ends at the end of {term_end} ({time_zone}). Then your keys billed to the course stop working and the credit you have not used goes back to your institution.\n\nYour requests and conversations stay readable on Lab Portal after that.",
        );
        for (user_id, email, student) in students {
            // A notification, so the student's choice (in the app, by
            // email) applies; its key makes it once per course.
            if let Some(user_id) = user_id {
                let notice = notifications::Notice {
                    user_id,
                    kind: NotificationKind::CourseEnding,
                    dedupe_key: format!("course_ending:{cohort}"),
                    title: subject.clone(),
                    body: body.clone(),
                    link: crate::href::dashboard().to_owned(),
                };
                notifications::notify(&mut tx, &notice)
                    .await
                    .map_err(internal)?;
                continue;
            }
            let greeting = student.as_deref().unwrap_or("Hello");
            outbox::enqueue(
                &mut tx,
                &OutgoingEmail {
                    recipient: email,
                    subject: subject.clone(),
                    body_text: format!("{greeting},\n\n{body}\n"),
                    secret_body_text: None,
                },
            )
            .await
            .map_err(internal)?;
        }
    }
    tx.commit().await.map_err(internal)?;
    Ok(notified.len())
}

/// Tells students of terms ending soon, ends every cohort whose term is
/// over and reclaims what is not back yet; returns how many cohorts it
/// ended.
pub async fn run_due(pool: &PgPool) -> Result<usize, AppError> {
    send_notices(pool).await?;
    let (to_end, to_reclaim) = due(pool).await?;
    for cohort in &to_end {
        let mut conn = pool.acquire().await.map_err(internal)?;
        let row = cohort_by_id(&mut conn, *cohort).await?;
        drop(conn);
        end_term(pool, None, &row, None).await?;
    }
    for cohort in to_reclaim.iter().filter(|c| !to_end.contains(c)) {
        reclaim(pool, *cohort).await?;
    }
    Ok(to_end.len())
}

/// Where a roster row stands against the course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterCheck {
    /// Uploading invites this address.
    Invite,
    /// Invited before (by an earlier roster): not invited twice.
    Invited,
    /// A student of this course already.
    Enrolled,
    /// Left out: why (a bad or repeated address, another domain).
    Problem(String),
}

/// A roster's rows checked against the course (nothing changes), with
/// whether each address is in another course of the institution already
/// (allowed; shown).
pub async fn check_roster(
    pool: &PgPool,
    cohort: &CohortRow,
    text: &str,
) -> Result<Vec<(RosterRow, RosterCheck, bool)>, AppError> {
    let domains = if cohort.require_institution_email {
        domains(pool, cohort.institution_id).await?
    } else {
        Vec::new()
    };
    let rows =
        parse_roster(text, &domains).map_err(|message| AppError::field("roster", message))?;
    let emails: Vec<String> = rows.iter().map(|r| r.email.clone()).collect();
    let known: Vec<(String, String, bool)> = sqlx::query_as(
        "select e.email, e.status, e.cohort_id = $1 from enrollments e
         join cohorts c on c.team_id = e.cohort_id
         where c.institution_id = $2 and e.email = any($3) and e.status <> 'removed'",
    )
    .bind(cohort.id)
    .bind(cohort.institution_id)
    .bind(&emails)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let here = known
                .iter()
                .find(|(email, _, this)| *this && *email == row.email);
            let elsewhere = known
                .iter()
                .any(|(email, _, this)| !*this && *email == row.email);
            let check = match (&row.problem, here) {
                (Some(problem), _) => RosterCheck::Problem(problem.clone()),
                (None, Some((_, status, _))) if status == "invited" => RosterCheck::Invited,
                (None, Some(_)) => RosterCheck::Enrolled,
                (None, None) => RosterCheck::Invite,
            };
            (row, check, elsewhere)
        })
        .collect())
}

/// Invites every new address of a roster to the course: an enrollment
/// waiting for them (matched when they join with that verified address)
/// and an email with the join link. Addresses invited or enrolled before
/// are left alone, so uploading a roster again invites nobody twice.
/// Returns how many were invited.
#[tracing::instrument(skip_all, fields(cohort = %cohort.id))]
pub async fn apply_roster(
    pool: &PgPool,
    actor: &Caller,
    cohort: &CohortRow,
    text: &str,
    join_url: &str,
    client_addr: Option<std::net::IpAddr>,
) -> Result<usize, AppError> {
    if cohort.status() == CohortStatus::Ended {
        return Err(AppError::Conflict("This course has ended.".to_owned()));
    }
    let checked = check_roster(pool, cohort, text).await?;
    let mut tx = pool.begin().await.map_err(internal)?;
    let mut invited = 0;
    for (row, check, _) in &checked {
        if *check != RosterCheck::Invite {
            continue;
        }
        let inserted = sqlx::query(
            "insert into enrollments (id, cohort_id, email, name, student_id, status, invited_at)
             values ($1, $2, $3, $4, $5, 'invited', now())
             on conflict (cohort_id, email) do nothing",
        )
        .bind(Uuid::now_v7())
        .bind(cohort.id)
        .bind(&row.email)
        .bind(&row.name)
        .bind(&row.student_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        if inserted.rows_affected() == 0 {
            continue;
        }
        invited += 1;
        let greeting = row.name.as_deref().unwrap_or("Hello");
        outbox::enqueue(
            &mut tx,
            &OutgoingEmail {
                recipient: row.email.clone(),
                subject: format!("Join {} ({}) on Lab Portal", cohort.name, cohort.course_code),
                body_text: format!(
                    "{greeting},\n\n{} has a place for you in {} ({}), with {} credits for AI models and agents until {}.\n\nSign in or sign up with this address ({}), then join:\n{join_url}\n",
                    cohort.institution_name,
                    cohort.name,
                    cohort.course_code,
                    crate::format::credits(Credits::from_micros(cohort.allocation)),
                    cohort.term_end,
                    row.email,
                ),
                secret_body_text: None,
            },
        )
        .await
        .map_err(internal)?;
    }
    audited(
        &mut tx,
        cohort.id,
        Some(actor.user_id),
        "cohort.roster",
        ("cohort", cohort.slug.clone()),
        json!({"rows": checked.len(), "invited": invited}),
        client_addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(invited)
}

/// A student of a cohort as coordinators see them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StudentRow {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub student_id: Option<String>,
    pub status: String,
    /// Micro-credits moved to them, spent by their requests, left.
    pub allocated: i64,
    pub spent: i64,
    pub remaining: i64,
    pub requests: i64,
    pub last_activity: Option<OffsetDateTime>,
}

/// The cohort's students (invited, waiting, joined, ended), with what they
/// received, spent and have left, by name.
pub async fn students(pool: &PgPool, cohort: Uuid) -> Result<Vec<StudentRow>, AppError> {
    sqlx::query_as(
        "select e.id, e.email, e.name, e.student_id, e.status, e.allocated, e.spent,
                coalesce(a.available + a.reserved, 0)::bigint as remaining,
                e.requests, e.last_activity
         from enrollments e
         left join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
         where e.cohort_id = $1 and e.status <> 'removed'
         order by lower(coalesce(e.name, e.email)), e.email",
    )
    .bind(cohort)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// A cohort of an institution, as its dashboard lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CohortSummaryRow {
    pub slug: String,
    pub name: String,
    pub course_code: String,
    pub status: String,
    pub term_start: Date,
    pub term_end: Date,
    pub students: i64,
    /// Micro-credits: moved to students, and spent by them.
    pub allocated: i64,
    pub spent: i64,
    /// What the cohort's own pool holds.
    pub pool: i64,
}

/// The institution's cohorts, the newest term first, with their spend.
pub async fn cohorts_of(
    pool: &PgPool,
    institution: Uuid,
) -> Result<Vec<CohortSummaryRow>, AppError> {
    sqlx::query_as(
        "select t.slug, t.name, c.course_code, c.status, c.term_start, c.term_end,
                (select count(*) from enrollments e where e.cohort_id = c.team_id
                   and e.status in ('joined', 'waiting', 'ended')) as students,
                (select coalesce(sum(e.allocated), 0) from enrollments e where e.cohort_id = c.team_id)::bigint
                   as allocated,
                (select coalesce(sum(e.spent), 0) from enrollments e
                  where e.cohort_id = c.team_id)::bigint as spent,
                coalesce((select a.available from credit_accounts a
                           where a.owner_kind = 'cohort' and a.owner_id = c.team_id), 0) as pool
         from cohorts c join teams t on t.id = c.team_id
         where c.institution_id = $1
         order by c.term_start desc, t.name",
    )
    .bind(institution)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Someone on an institution's staff.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
}

/// The institution's admins and coordinators, by name.
pub async fn staff(pool: &PgPool, institution: Uuid) -> Result<Vec<StaffRow>, AppError> {
    sqlx::query_as(
        "select u.id as user_id, u.email, u.display_name, m.role
         from team_members m join users u on u.id = m.user_id
         where m.team_id = $1 order by m.role, lower(u.display_name)",
    )
    .bind(institution)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The institutions `user_id` is on the staff of, and the cohorts they
/// coordinate: (slug, name, role) each.
pub async fn run_by(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Vec<(String, String, String, String)>, AppError> {
    sqlx::query_as(
        "select t.kind, t.slug, t.name, m.role from team_members m join teams t on t.id = m.team_id
         where m.user_id = $1 and t.kind in ('institution', 'cohort')
         order by t.kind desc, lower(t.name)",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// A course of a student's, for their dashboard.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MyCourseRow {
    pub slug: String,
    pub name: String,
    pub course_code: String,
    pub institution_name: String,
    pub status: String,
    pub term_end: Date,
    pub time_zone: String,
    pub allocated: i64,
    pub remaining: i64,
}

/// The courses `user_id` has joined (waiting ones too), the current first.
pub async fn my_courses(pool: &PgPool, user_id: Uuid) -> Result<Vec<MyCourseRow>, AppError> {
    sqlx::query_as(
        "select t.slug, t.name, c.course_code, i.name as institution_name, e.status, c.term_end,
                i.time_zone, e.allocated,
                coalesce(a.available + a.reserved, 0)::bigint as remaining
         from enrollments e
         join cohorts c on c.team_id = e.cohort_id
         join teams t on t.id = c.team_id
         join teams i on i.id = c.institution_id
         left join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
         where e.user_id = $1 and e.status in ('joined', 'waiting', 'ended')
         order by (e.status = 'ended'), c.term_end, t.name",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The enrollment of `user_id` in the cohort `slug` that may be spent now
/// (joined), with its account: what "bill to: course" pays with.
pub async fn spendable_enrollment(
    pool: &PgPool,
    user_id: Uuid,
    slug: &str,
) -> Result<Option<(Uuid, Uuid)>, AppError> {
    sqlx::query_as(
        "select e.id, a.id from enrollments e
         join teams t on t.id = e.cohort_id and t.kind = 'cohort'
         join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
         where e.user_id = $1 and t.slug = $2 and e.status = 'joined'",
    )
    .bind(user_id)
    .bind(slug)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}

/// An institution as Lab staff list them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffInstitutionRow {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub domains: Vec<String>,
    pub pool: i64,
    pub cohorts: i64,
}

/// Every institution, by name.
pub async fn institutions(pool: &PgPool) -> Result<Vec<StaffInstitutionRow>, AppError> {
    sqlx::query_as(
        "select t.slug, t.name, i.country,
                coalesce(array(select d.domain from team_domains d where d.team_id = t.id order by d.domain),
                         '{}') as domains,
                coalesce((select a.available from credit_accounts a
                           where a.owner_kind = 'institution' and a.owner_id = t.id), 0) as pool,
                (select count(*) from cohorts c where c.institution_id = t.id) as cohorts
         from teams t join institutions i on i.team_id = t.id
         where t.kind = 'institution' order by lower(t.name), t.slug",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The institution's students' email domains.
pub async fn domains(pool: &PgPool, institution: Uuid) -> Result<Vec<String>, AppError> {
    sqlx::query_scalar("select domain from team_domains where team_id = $1 order by domain")
        .bind(institution)
        .fetch_all(pool)
        .await
        .map_err(internal)
}

/// Queues an email to each coordinator of `cohort` and each admin of its
/// institution.
async fn tell_coordinators(
    conn: &mut PgConnection,
    cohort: &CohortRow,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    let recipients: Vec<String> = sqlx::query_scalar(
        "select distinct u.email from team_members m join users u on u.id = m.user_id
         where (m.team_id = $1 and m.role = 'coordinator') or (m.team_id = $2 and m.role = 'admin')",
    )
    .bind(cohort.id)
    .bind(cohort.institution_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    for recipient in recipients {
        outbox::enqueue(
            &mut *conn,
            &OutgoingEmail {
                recipient,
                subject: subject.to_owned(),
                body_text: body.to_owned(),
                secret_body_text: None,
            },
        )
        .await
        .map_err(internal)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "cohorts_tests.rs"]
mod tests;
