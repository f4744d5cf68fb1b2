//! Support requests: opening one with its context, the thread between the
//! requester and Lab staff, staff's internal notes, assignment, status and
//! priority, first-response targets, canned replies, satisfaction ratings,
//! credit granted from a request, and the staff queue.
//!
//! What the requester may read is [`thread`] (over `support_messages`)
//! and [`for_requester`]; internal notes are read by [`notes`] alone,
//! which only staff functions call, and are never put into an email. Emails
//! to the requester go through the notification centre (kind "support
//! replies", so the person's preference applies); emails to staff go to the
//! assignee, or every active admin while nobody is assigned.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::credit_grant::ParsedGrant;
use crate::domain::notifications::NotificationKind;
use crate::domain::paging::{limit_offset, Page};
use crate::domain::support::{
    AssigneeFilter, Category, Priority, QueueQuery, QueueView, SlaFilter, Status,
};
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::datasets::storage::Store;
use crate::server::datasets::upload::Received;
use crate::server::internal;
use crate::server::services::audit::{self, Entry};
use crate::server::services::credits::{self, CreditUser, GrantRequest};
use crate::server::services::notifications::{self, Notice};
use crate::server::services::outbox::{self, OutgoingEmail};

/// Files one message may carry.
pub const MAX_ATTACHMENTS: usize = 3;
/// The largest attachment, in bytes.
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Requests a person may open in a day (a runaway script is not a queue).
pub const MAX_OPENED_PER_DAY: i64 = 20;
/// Rows per page of the queue and of a person's requests.
pub const PER_PAGE: i64 = 25;

/// What the portal knew when a request was opened, shown to staff beside
/// it. Kept as JSON on the request: what it was then, not now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestContext {
    pub email: String,
    pub name: String,
    pub account_kind: String,
    pub joined: String,
    /// Micro-credits.
    pub available: i64,
    pub reserved: i64,
    pub teams: Vec<TeamContext>,
    pub failed_requests: Vec<FailedRequest>,
    /// A path on the portal.
    pub from_page: Option<String>,
}

/// An organization, institution or course the requester belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamContext {
    /// `organization`, `institution` or `cohort`.
    pub kind: String,
    pub slug: String,
    pub name: String,
    pub role: String,
}

/// A recent request that failed, by its id (the `x-request-id` people see).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FailedRequest {
    pub id: String,
    pub model: String,
    pub status: i16,
    pub at: String,
}

/// A request as stored, with its requester and assignee.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: Uuid,
    pub number: i64,
    pub requester_id: Uuid,
    pub requester_email: String,
    pub requester_name: String,
    pub category: String,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub context: sqlx::types::Json<RequestContext>,
    pub first_response_due: OffsetDateTime,
    pub first_response_at: Option<OffsetDateTime>,
    pub rating: Option<i16>,
    pub rating_comment: Option<String>,
    pub resolved_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Micro-credits granted from this request.
    pub granted: i64,
}

impl RequestRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Open)
    }

    /// Whether the first-response target is missed: answered late, or
    /// past due and still unanswered.
    pub fn breached(&self, now: OffsetDateTime) -> bool {
        missed(self.first_response_at, self.first_response_due, now)
    }
}

/// Whether a first-response target `due` is missed at `now`: answered
/// late, or past due and still unanswered.
fn missed(answered: Option<OffsetDateTime>, due: OffsetDateTime, now: OffsetDateTime) -> bool {
    answered.unwrap_or(now) > due
}

/// A message of the thread, with its attachments.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub author_name: Option<String>,
    pub from_staff: bool,
    pub body: String,
    pub created_at: OffsetDateTime,
    pub attachments: sqlx::types::Json<Vec<AttachmentRow>>,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRow {
    pub id: Uuid,
    pub name: String,
    pub bytes: i64,
}

/// An internal note (staff only).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: Uuid,
    pub author_name: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// A request in a list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub number: i64,
    pub subject: String,
    pub category: String,
    pub status: String,
    pub priority: String,
    pub requester_email: String,
    pub assignee_name: Option<String>,
    pub first_response_due: OffsetDateTime,
    pub first_response_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

impl ListRow {
    pub fn breached(&self, now: OffsetDateTime) -> bool {
        missed(self.first_response_at, self.first_response_due, now)
    }
}

/// How the queue is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueHealth {
    /// Open, waiting on staff or reopened.
    pub active: i64,
    pub unassigned: i64,
    /// Unanswered past their first-response target.
    pub breached_open: i64,
    /// Of the requests whose target has come (answered, or past due), how
    /// many were answered in time.
    pub met: i64,
    pub measured: i64,
}

impl QueueHealth {
    /// The share of first responses in time, in whole percent; `None`
    /// before any target has come.
    pub fn met_percent(&self) -> Option<i64> {
        (self.measured > 0).then(|| self.met.saturating_mul(100) / self.measured)
    }
}

/// A canned reply.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CannedRow {
    pub id: Uuid,
    pub title: String,
    pub body: String,
}

/// A new request, as checked.
#[derive(Debug)]
pub struct NewRequest {
    pub category: Category,
    pub subject: String,
    pub body: String,
    pub from_page: Option<String>,
    pub files: Vec<Received>,
}

fn not_found() -> AppError {
    AppError::NotFound("There is no such support request.".to_owned())
}

/// What the portal knows of `user_id` for a new request.
async fn context_of(
    conn: &mut PgConnection,
    user_id: Uuid,
    from_page: Option<String>,
) -> Result<RequestContext, AppError> {
    let sqlx::types::Json(mut context): sqlx::types::Json<RequestContext> = sqlx::query_scalar(
        "select jsonb_build_object(
            'email', u.email,
            'name', u.display_name,
            'account_kind', u.account_kind,
            'joined', to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD'),
            'available', coalesce(a.available, 0),
            'reserved', coalesce(a.reserved, 0),
            'teams', (select coalesce(jsonb_agg(jsonb_build_object(
                             'kind', t.kind, 'slug', t.slug, 'name', t.name, 'role', m.role)
                             order by t.kind, t.name), '[]'::jsonb)
                      from team_members m join teams t on t.id = m.team_id
                      where m.user_id = u.id),
            'failed_requests', (select coalesce(jsonb_agg(jsonb_build_object(
                             'id', r.id::text, 'model', r.model, 'status', r.status,
                             'at', to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'))
                             order by r.created_at desc), '[]'::jsonb)
                      from (select id, model, status, created_at
                            from (select id, model, status, created_at from usage_records
                                  where user_id = u.id order by created_at desc limit 2000) latest
                            where status >= 400 order by created_at desc limit 5) r))
         from users u
         left join credit_accounts a on a.owner_kind = 'user' and a.owner_id = u.id
         where u.id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    context.from_page = from_page;
    Ok(context)
}

/// Moves each received file into the store and records it on `message`.
async fn attach(
    conn: &mut PgConnection,
    store: &Store,
    message: Uuid,
    files: Vec<Received>,
) -> Result<(), AppError> {
    for received in files {
        let Received {
            name,
            file,
            bytes,
            sha256,
        } = received;
        {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.adopt(file, &sha256))
                .await
                .map_err(internal)?
                .map_err(internal)?;
        }
        store.share(&sha256).await.map_err(internal)?;
        sqlx::query(
            "insert into support_attachments (id, message_id, name, bytes, sha256)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(message)
        .bind(&name)
        .bind(i64::try_from(bytes).map_err(internal)?)
        .bind(sha256.as_slice())
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    }
    Ok(())
}

async fn insert_message(
    conn: &mut PgConnection,
    request: Uuid,
    author: Option<Uuid>,
    from_staff: bool,
    body: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into support_messages (id, request_id, author_id, from_staff, body)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(request)
    .bind(author)
    .bind(from_staff)
    .bind(body)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(id)
}

/// Opens a request for `caller` with its context and first message, and
/// tells staff. Returns its number.
pub async fn open(
    pool: &PgPool,
    store: &Store,
    origin: &str,
    caller: &Caller,
    request: NewRequest,
) -> Result<i64, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let opened_today: i64 = sqlx::query_scalar(
        "select count(*) from support_requests
         where requester_id = $1 and created_at > now() - interval '1 day'",
    )
    .bind(caller.user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if opened_today >= MAX_OPENED_PER_DAY {
        return Err(AppError::Refused(format!(
            "You have opened {MAX_OPENED_PER_DAY} requests today. Reply on one of them, or try again tomorrow."
        )));
    }
    let context = context_of(&mut tx, caller.user_id, request.from_page.clone()).await?;
    let id = Uuid::now_v7();
    let number: i64 = sqlx::query_scalar(
        "insert into support_requests
             (id, requester_id, category, subject, context, from_page, first_response_due)
         select $1, $2, $3, $4, $5, $6, now() + make_interval(mins => t.first_response_minutes)
         from support_sla_targets t where t.priority = 'normal'
         returning number",
    )
    .bind(id)
    .bind(caller.user_id)
    .bind(request.category.as_str())
    .bind(&request.subject)
    .bind(sqlx::types::Json(&context))
    .bind(&request.from_page)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    let message = insert_message(&mut tx, id, Some(caller.user_id), false, &request.body).await?;
    attach(&mut tx, store, message, request.files).await?;
    tell_staff(
        &mut tx,
        None,
        &format!(
            "New support request {number} from {}: {}",
            caller.email, request.subject
        ),
        &request.body,
        &format!("{origin}{}", crate::href::admin_support_request(number)),
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(number)
}

/// Emails `assignee`, or every active admin when there is none (or they
/// are no longer an active admin: a reply is never emailed to nobody).
async fn tell_staff(
    conn: &mut PgConnection,
    assignee: Option<Uuid>,
    subject: &str,
    body: &str,
    link: &str,
) -> Result<(), AppError> {
    let recipients: Vec<String> = sqlx::query_scalar(
        "with assignee as (
             select email from users
             where id = $1 and status = 'active' and platform_role = 'admin'
         )
         select email from assignee
         union all
         select email from users
         where status = 'active' and platform_role = 'admin'
           and not exists (select 1 from assignee)
         order by 1",
    )
    .bind(assignee)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let text = crate::server::emails::render(
        "support_staff.txt",
        minijinja::context! { headline => subject, body => body, link => link },
    )?;
    for recipient in recipients {
        let email = OutgoingEmail {
            recipient,
            subject: subject.chars().take(200).collect(),
            body_text: text.clone(),
            secret_body_text: None,
        };
        outbox::enqueue(conn, &email).await.map_err(internal)?;
    }
    Ok(())
}

/// Tells the requester through the notification centre (kind "support
/// replies"): in the app and, if they want it, by email.
async fn tell_requester(
    conn: &mut PgConnection,
    request: &RequestRow,
    dedupe: String,
    title: String,
    body: String,
) -> Result<(), AppError> {
    let notice = Notice {
        user_id: request.requester_id,
        kind: NotificationKind::SupportReply,
        dedupe_key: dedupe,
        title,
        body,
        link: crate::href::support_request(request.number),
    };
    notifications::notify(conn, &notice)
        .await
        .map_err(internal)?;
    Ok(())
}

/// The request `number`, whoever it is for (staff reads).
async fn row(conn: &mut PgConnection, number: i64) -> Result<RequestRow, AppError> {
    sqlx::query_as(
        "select r.id, r.number, r.requester_id, u.email as requester_email,
                u.display_name as requester_name, r.category, r.subject, r.status, r.priority,
                r.assignee_id, s.display_name as assignee_name, r.context, r.first_response_due,
                r.first_response_at, r.rating, r.rating_comment, r.resolved_at, r.created_at,
                r.updated_at,
                coalesce((select sum(g.amount) from support_grants g where g.request_id = r.id), 0)::bigint
                    as granted
         from support_requests r
         join users u on u.id = r.requester_id
         left join users s on s.id = r.assignee_id
         where r.number = $1",
    )
    .bind(number)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?
    .ok_or_else(not_found)
}

/// Locks the request `number` for the rest of the transaction and reads it.
async fn locked(conn: &mut PgConnection, number: i64) -> Result<RequestRow, AppError> {
    sqlx::query("select 1 from support_requests where number = $1 for update")
        .bind(number)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    row(conn, number).await
}

/// The request `number` if `user_id` opened it; "not found" otherwise
/// (nobody learns that someone else's request exists).
pub async fn for_requester(
    pool: &PgPool,
    user_id: Uuid,
    number: i64,
) -> Result<RequestRow, AppError> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    let request = row(&mut conn, number).await?;
    if request.requester_id != user_id {
        return Err(not_found());
    }
    Ok(request)
}

/// The request `number`, for staff.
pub async fn for_staff(pool: &PgPool, number: i64) -> Result<RequestRow, AppError> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    row(&mut conn, number).await
}

/// The thread of `request`, oldest first: what the requester may read.
/// Internal notes are not in it.
pub async fn thread(pool: &PgPool, request: Uuid) -> Result<Vec<MessageRow>, AppError> {
    sqlx::query_as(
        "select m.id, u.display_name as author_name, m.from_staff, m.body, m.created_at,
                coalesce((select jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name, 'bytes', a.bytes)
                                           order by a.created_at, a.id)
                          from support_attachments a where a.message_id = m.id), '[]'::jsonb)
                    as attachments
         from support_messages m left join users u on u.id = m.author_id
         where m.request_id = $1
         order by m.created_at, m.id",
    )
    .bind(request)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The internal notes on `request`, oldest first. Staff only: never call
/// this for a page, answer or email the requester gets.
pub async fn notes(pool: &PgPool, request: Uuid) -> Result<Vec<NoteRow>, AppError> {
    sqlx::query_as(
        "select n.id, u.display_name as author_name, n.body, n.created_at
         from support_notes n join users u on u.id = n.author_id
         where n.request_id = $1
         order by n.created_at, n.id",
    )
    .bind(request)
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// The requests `user_id` opened, the latest activity first.
pub async fn mine(pool: &PgPool, user_id: Uuid, page: i64) -> Result<Page<ListRow>, AppError> {
    let (limit, offset) = limit_offset(page, PER_PAGE);
    let total: i64 =
        sqlx::query_scalar("select count(*) from support_requests where requester_id = $1")
            .bind(user_id)
            .fetch_one(pool)
            .await
            .map_err(internal)?;
    let items = sqlx::query_as(
        "select r.number, r.subject, r.category, r.status, r.priority, u.email as requester_email,
                s.display_name as assignee_name, r.first_response_due, r.first_response_at,
                r.updated_at
         from support_requests r
         join users u on u.id = r.requester_id
         left join users s on s.id = r.assignee_id
         where r.requester_id = $1
         order by r.updated_at desc, r.id desc
         limit $2 offset $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(Page::new(items, total, page, PER_PAGE))
}

/// Moves request `id` to `status`. A resolved or closed request keeps when
/// it was first resolved; any other status clears that. `staff_answered`
/// marks the first response (the target is met or missed by it).
async fn write_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: Status,
    staff_answered: bool,
) -> Result<(), AppError> {
    sqlx::query(
        "update support_requests
         set status = $2,
             first_response_at = case when $3 then coalesce(first_response_at, now())
                                      else first_response_at end,
             resolved_at = case when $2 in ('resolved', 'closed') then coalesce(resolved_at, now())
                                else null end
         where id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(staff_answered)
    .execute(conn)
    .await
    .map_err(internal)?;
    Ok(())
}

/// The requester writes on their request: a resolved one opens again, a
/// closed one takes no reply. Staff hear of it.
pub async fn requester_reply(
    pool: &PgPool,
    store: &Store,
    origin: &str,
    caller: &Caller,
    number: i64,
    body: &str,
    files: Vec<Received>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    if request.requester_id != caller.user_id {
        return Err(not_found());
    }
    let Some(next) = request.status().after_requester_reply() else {
        return Err(AppError::Refused(
            "This request is closed. Open a new request, and mention this one's number.".into(),
        ));
    };
    let message = insert_message(&mut tx, request.id, Some(caller.user_id), false, body).await?;
    attach(&mut tx, store, message, files).await?;
    write_status(&mut tx, request.id, next, false).await?;
    let headline = if next == Status::Reopened {
        format!("Request {number} was reopened by {}", caller.email)
    } else {
        format!("New reply on request {number} from {}", caller.email)
    };
    tell_staff(
        &mut tx,
        request.assignee_id,
        &format!("{headline}: {}", request.subject),
        body,
        &format!("{origin}{}", crate::href::admin_support_request(number)),
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Staff answer on the thread. The first answer meets (or misses) the
/// first-response target; the status becomes `status` (by default
/// "waiting on requester"). The requester is told.
#[expect(
    clippy::too_many_arguments,
    reason = "a reply's parts, each named at the call"
)]
pub async fn staff_reply(
    pool: &PgPool,
    store: &Store,
    caller: &Caller,
    number: i64,
    body: &str,
    files: Vec<Received>,
    status: Option<Status>,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    let status = status.unwrap_or(Status::WaitingOnRequester);
    let message = insert_message(&mut tx, request.id, Some(caller.user_id), true, body).await?;
    attach(&mut tx, store, message, files).await?;
    write_status(&mut tx, request.id, status, true).await?;
    audited(
        &mut tx,
        caller,
        "support.reply",
        &request,
        json!({ "message_id": message, "status": status.as_str() }),
        addr,
    )
    .await?;
    tell_requester(
        &mut tx,
        &request,
        format!("support-message:{message}"),
        format!("The Lab replied on request {number}: {}", request.subject),
        body.to_owned(),
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Adds an internal note: staff only, never shown or emailed to the
/// requester. Audited without its text.
pub async fn add_note(
    pool: &PgPool,
    caller: &Caller,
    number: i64,
    body: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into support_notes (id, request_id, author_id, body) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(request.id)
    .bind(caller.user_id)
    .bind(body)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    // Touch the request so the queue shows the activity.
    sqlx::query("update support_requests set updated_at = now() where id = $1")
        .bind(request.id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    audited(
        &mut tx,
        caller,
        "support.note",
        &request,
        json!({ "note_id": id }),
        addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Assigns the request to `assignee` (an active admin) or to nobody; the
/// assignee is emailed.
pub async fn assign(
    pool: &PgPool,
    origin: &str,
    caller: &Caller,
    number: i64,
    assignee: Option<Uuid>,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    if let Some(assignee) = assignee {
        let staff: bool = sqlx::query_scalar(
            "select exists (select 1 from users
                            where id = $1 and platform_role = 'admin' and status = 'active')",
        )
        .bind(assignee)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        if !staff {
            return Err(AppError::field(
                "assignee",
                "Choose a member of the Lab staff.",
            ));
        }
    }
    if request.assignee_id == assignee {
        return Ok(());
    }
    sqlx::query("update support_requests set assignee_id = $2 where id = $1")
        .bind(request.id)
        .bind(assignee)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    audited(
        &mut tx,
        caller,
        "support.assign",
        &request,
        json!({ "before": request.assignee_id, "assignee": assignee }),
        addr,
    )
    .await?;
    if let Some(assignee) = assignee.filter(|a| *a != caller.user_id) {
        let first: Option<String> = sqlx::query_scalar(
            "select body from support_messages where request_id = $1 order by created_at, id limit 1",
        )
        .bind(request.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        tell_staff(
            &mut tx,
            Some(assignee),
            &format!(
                "{} assigned you request {number}: {}",
                caller.display_name, request.subject
            ),
            first.as_deref().unwrap_or_default(),
            &format!("{origin}{}", crate::href::admin_support_request(number)),
        )
        .await?;
    }
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Sets the status by hand; the requester is told.
pub async fn set_status(
    pool: &PgPool,
    caller: &Caller,
    number: i64,
    status: Status,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    if request.status() == status {
        return Ok(());
    }
    write_status(&mut tx, request.id, status, false).await?;
    audited(
        &mut tx,
        caller,
        "support.status",
        &request,
        json!({ "before": request.status, "status": status.as_str() }),
        addr,
    )
    .await?;
    let body = match status {
        Status::Resolved => {
            "The Lab marked your request resolved. If anything is still not right, reply and it opens again; you can also rate the help you got.".to_owned()
        }
        Status::Closed => "The Lab closed your request.".to_owned(),
        other => format!("Your request is now: {}.", other.label()),
    };
    tell_requester(
        &mut tx,
        &request,
        format!("support-status:{}:{}", request.id, Uuid::now_v7()),
        format!("Request {number} is {}", status.label().to_lowercase()),
        body,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Sets the priority; the first-response target follows it (counted from
/// when the request was opened).
pub async fn set_priority(
    pool: &PgPool,
    caller: &Caller,
    number: i64,
    priority: Priority,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    if request.priority == priority.as_str() {
        return Ok(());
    }
    sqlx::query(
        "update support_requests r
         set priority = $2,
             first_response_due = r.created_at + make_interval(mins => t.first_response_minutes)
         from support_sla_targets t
         where r.id = $1 and t.priority = $2",
    )
    .bind(request.id)
    .bind(priority.as_str())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audited(
        &mut tx,
        caller,
        "support.priority",
        &request,
        json!({ "before": request.priority, "priority": priority.as_str() }),
        addr,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// The requester rates the help on a resolved or closed request (again,
/// if they change their mind).
pub async fn rate(
    pool: &PgPool,
    caller: &Caller,
    number: i64,
    rating: i16,
    comment: Option<&str>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    if request.requester_id != caller.user_id {
        return Err(not_found());
    }
    if !matches!(request.status(), Status::Resolved | Status::Closed) {
        return Err(AppError::Refused(
            "You can rate a request once it is resolved.".into(),
        ));
    }
    sqlx::query("update support_requests set rating = $2, rating_comment = $3 where id = $1")
        .bind(request.id)
        .bind(rating)
        .bind(comment)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Grants credit to the requester from the request: the ledger's grant
/// (audited as `credits.grant`), linked to the request, said in the thread
/// and told to the requester. A repeated form (same key) grants nothing
/// and returns `false`.
pub async fn grant(
    pool: &PgPool,
    caller: &Caller,
    number: i64,
    grant: &ParsedGrant,
    key: Uuid,
    addr: Option<std::net::IpAddr>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let request = locked(&mut tx, number).await?;
    let user = CreditUser {
        id: request.requester_id,
        email: request.requester_email.clone(),
        display_name: request.requester_name.clone(),
    };
    let grant_request = GrantRequest {
        user: &user,
        grant,
        key: format!("support-grant:{key}"),
    };
    let Some(transaction) = credits::grant_in(&mut tx, caller, &grant_request, addr).await? else {
        return Ok(false);
    };
    sqlx::query(
        "insert into support_grants (transaction_id, request_id, amount, granted_by)
         values ($1, $2, $3, $4)",
    )
    .bind(transaction)
    .bind(request.id)
    .bind(grant.amount.micros())
    .bind(caller.user_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let said = format!(
        "The Lab granted you {} credits{}.",
        crate::format::credits(grant.amount),
        grant
            .expires_at
            .map(|at| format!(", usable until {}", crate::format::date(at.date())))
            .unwrap_or_default()
    );
    let message = insert_message(&mut tx, request.id, None, true, &said).await?;
    audited(
        &mut tx,
        caller,
        "support.grant",
        &request,
        json!({ "transaction_id": transaction, "amount_micros": grant.amount.micros() }),
        addr,
    )
    .await?;
    tell_requester(
        &mut tx,
        &request,
        format!("support-message:{message}"),
        format!("Credits granted on request {number}"),
        said,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}

async fn audited(
    conn: &mut PgConnection,
    caller: &Caller,
    action: &str,
    request: &RequestRow,
    after: serde_json::Value,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut after = after;
    if let Some(object) = after.as_object_mut() {
        object.insert("number".to_owned(), json!(request.number));
    }
    audit::record(
        conn,
        Entry {
            actor_id: Some(caller.user_id),
            action,
            target_type: "support_request",
            target_id: request.id.to_string(),
            before: None,
            after: Some(after),
            client_addr: addr,
        },
    )
    .await
    .map_err(internal)
}

/// One page of the staff queue for `query`, the latest activity first.
pub async fn queue(
    pool: &PgPool,
    staff: Uuid,
    query: &QueueQuery,
) -> Result<Page<ListRow>, AppError> {
    let (limit, offset) = limit_offset(query.page, PER_PAGE);
    let filtered = |builder: &mut QueryBuilder<'_, sqlx::Postgres>| {
        match query.view {
            QueueView::Active => {
                builder.push(" and r.status in ('open', 'waiting_on_staff', 'reopened')");
            }
            QueueView::All => {}
            QueueView::One(status) => {
                builder.push(" and r.status = ").push_bind(status.as_str());
            }
        }
        if let Some(category) = query.category {
            builder
                .push(" and r.category = ")
                .push_bind(category.as_str());
        }
        match query.assignee {
            AssigneeFilter::Anyone => {}
            AssigneeFilter::Me => {
                builder.push(" and r.assignee_id = ").push_bind(staff);
            }
            AssigneeFilter::Unassigned => {
                builder.push(" and r.assignee_id is null");
            }
        }
        match query.sla {
            SlaFilter::Any => {}
            SlaFilter::Breached => {
                builder.push(" and coalesce(r.first_response_at, now()) > r.first_response_due");
            }
            SlaFilter::DueSoon => {
                builder.push(
                    " and r.first_response_at is null and r.first_response_due > now()
                      and r.first_response_due <= now() + interval '1 hour'",
                );
            }
        }
        if let Some(number) = query.number() {
            builder.push(" and r.number = ").push_bind(number);
        } else if let Some(pattern) = crate::server::like::contains_pattern(Some(&query.search)) {
            builder
                .push(" and (r.subject ilike ")
                .push_bind(pattern.clone())
                .push(" or u.email ilike ")
                .push_bind(pattern)
                .push(")");
        }
    };
    let mut count = QueryBuilder::new(
        "select count(*)
         from support_requests r
         join users u on u.id = r.requester_id
         left join users s on s.id = r.assignee_id
         where true",
    );
    filtered(&mut count);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(pool)
        .await
        .map_err(internal)?;
    let mut select = QueryBuilder::new(
        "select r.number, r.subject, r.category, r.status, r.priority,
                u.email as requester_email, s.display_name as assignee_name,
                r.first_response_due, r.first_response_at, r.updated_at
         from support_requests r
         join users u on u.id = r.requester_id
         left join users s on s.id = r.assignee_id
         where true",
    );
    filtered(&mut select);
    select
        .push(" order by r.updated_at desc, r.id desc limit ")
        .push_bind(limit)
        .push(" offset ")
        .push_bind(offset);
    let items = select
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(internal)?;
    Ok(Page::new(items, total, query.page, PER_PAGE))
}

/// The queue's health: active, unassigned and breached requests, and the
/// share of first responses within target over the last 30 days.
pub async fn queue_health(pool: &PgPool) -> Result<QueueHealth, AppError> {
    sqlx::query_as(
        "select
            (select count(*) from support_requests
             where status in ('open', 'waiting_on_staff', 'reopened')) as active,
            (select count(*) from support_requests
             where status in ('open', 'waiting_on_staff', 'reopened') and assignee_id is null)
                as unassigned,
            (select count(*) from support_requests
             where first_response_at is null and first_response_due < now()
               and status not in ('resolved', 'closed')) as breached_open,
            (select count(*) from support_requests
             where created_at > now() - interval '30 days'
               and first_response_at is not null and first_response_at <= first_response_due)
                as met,
            (select count(*) from support_requests
             where created_at > now() - interval '30 days'
               and (first_response_at is not null or first_response_due < now())) as measured",
    )
    .fetch_one(pool)
    .await
    .map_err(internal)
}

/// Lab staff who can take requests, by name.
pub async fn staff(pool: &PgPool) -> Result<Vec<(Uuid, String)>, AppError> {
    sqlx::query_as(
        "select id, display_name from users
         where platform_role = 'admin' and status = 'active'
         order by lower(display_name), id",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)
}

/// Every canned reply, by title.
pub async fn canned(pool: &PgPool) -> Result<Vec<CannedRow>, AppError> {
    sqlx::query_as("select id, title, body from support_canned_replies order by lower(title)")
        .fetch_all(pool)
        .await
        .map_err(internal)
}

/// Saves a canned reply (a new one when `id` is `None`). Its body is
/// checked as a template now, so a broken one never reaches a reply.
pub async fn save_canned(
    pool: &PgPool,
    caller: &Caller,
    id: Option<Uuid>,
    title: &str,
    body: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<Uuid, AppError> {
    if let Err(error) = minijinja::Environment::new().template_from_str(body) {
        return Err(AppError::field(
            "body",
            format!(
                "The reply's variables do not read: {}",
                error.detail().unwrap_or("check the {{ … }}")
            ),
        ));
    }
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = match id {
        Some(id) => {
            let updated = sqlx::query(
                "update support_canned_replies set title = $2, body = $3 where id = $1",
            )
            .bind(id)
            .bind(title)
            .bind(body)
            .execute(&mut *tx)
            .await
            .map_err(canned_conflict)?;
            if updated.rows_affected() == 0 {
                return Err(AppError::NotFound("There is no such canned reply.".into()));
            }
            id
        }
        None => {
            let id = Uuid::now_v7();
            sqlx::query(
                "insert into support_canned_replies (id, title, body, created_by)
                 values ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(title)
            .bind(body)
            .bind(caller.user_id)
            .execute(&mut *tx)
            .await
            .map_err(canned_conflict)?;
            id
        }
    };
    audit::record(
        &mut tx,
        Entry {
            actor_id: Some(caller.user_id),
            action: "support.canned_reply.save",
            target_type: "support_canned_reply",
            target_id: id.to_string(),
            before: None,
            after: Some(json!({ "title": title })),
            client_addr: addr,
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

fn canned_conflict(error: sqlx::Error) -> AppError {
    match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            AppError::field("title", "A canned reply has this title already.")
        }
        _ => internal(error),
    }
}

/// Deletes a canned reply.
pub async fn delete_canned(
    pool: &PgPool,
    caller: &Caller,
    id: Uuid,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let title: Option<String> =
        sqlx::query_scalar("delete from support_canned_replies where id = $1 returning title")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    let Some(title) = title else {
        return Err(AppError::NotFound("There is no such canned reply.".into()));
    };
    audit::record(
        &mut tx,
        Entry {
            actor_id: Some(caller.user_id),
            action: "support.canned_reply.delete",
            target_type: "support_canned_reply",
            target_id: id.to_string(),
            before: Some(json!({ "title": title })),
            after: None,
            client_addr: addr,
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// The canned reply `id` with its variables filled in for `request`:
/// `name`, `email`, `number`, `subject`, `balance` (credits now) and
/// `staff` (the replying staff member's name).
pub async fn render_canned(
    pool: &PgPool,
    caller: &Caller,
    id: Uuid,
    request: &RequestRow,
) -> Result<String, AppError> {
    let canned: Option<String> =
        sqlx::query_scalar("select body from support_canned_replies where id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(internal)?;
    let Some(body) = canned else {
        return Err(AppError::NotFound("There is no such canned reply.".into()));
    };
    let available = crate::server::ledger::available_of(
        pool,
        crate::server::ledger::Owner::User(request.requester_id),
    )
    .await
    .map_err(internal)?;
    let environment = minijinja::Environment::new();
    environment
        .render_str(
            &body,
            minijinja::context! {
                name => request.requester_name,
                email => request.requester_email,
                number => request.number,
                subject => request.subject,
                balance => crate::format::credits(crate::domain::credits::Credits::from_micros(available)),
                staff => caller.display_name,
            },
        )
        .map_err(|error| {
            AppError::Refused(format!(
                "This canned reply does not render: {}",
                error.detail().unwrap_or("check its variables")
            ))
        })
}

/// An attachment with what decides who may read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentFile {
    pub name: String,
    pub bytes: i64,
    pub sha256: Vec<u8>,
    pub requester_id: Uuid,
}

/// The attachment `id`, with its request's requester.
pub async fn attachment(pool: &PgPool, id: Uuid) -> Result<Option<AttachmentFile>, AppError> {
    sqlx::query_as(
        "select a.name, a.bytes, a.sha256, r.requester_id
         from support_attachments a
         join support_messages m on m.id = a.message_id
         join support_requests r on r.id = m.request_id
         where a.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(internal)
}
