//! Conversations in the playground: started with a published agent (and
//! kept on that agent's version), their messages in order, the list a user
//! searches, renames and deletes, what a conversation has cost, the month's
//! playground spending against the user's own cap, and share links.
//!
//! Every function takes the owner's id and touches only their rows: a
//! conversation of someone else is "not found".

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::paging::limit_offset;
use crate::server::like::contains_pattern;

/// The title a conversation has until its first message names it.
pub const UNTITLED: &str = "New conversation";

/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;

/// A conversation with its agent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    pub agent_version: i32,
    pub title: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub agent_slug: String,
    pub agent_name: String,
    pub agent_icon: String,
    /// Micro-credits its model calls were charged.
    pub credits: i64,
    /// The team whose pool it spends (none: the user's own credit).
    pub bill_to: Option<Uuid>,
    pub bill_to_slug: Option<String>,
    pub bill_to_name: Option<String>,
    /// The student's enrollment in the course it bills, if any.
    pub enrollment_id: Option<Uuid>,
    pub course_slug: Option<String>,
    pub course_name: Option<String>,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MessageRow {
    pub position: i32,
    pub role: String,
    pub content: String,
    pub tool_calls: Option<Json<serde_json::Value>>,
    pub tool_call_id: Option<String>,
    pub request_id: Option<Uuid>,
    pub input_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    pub credits: Option<i64>,
    pub status: String,
    pub created_at: OffsetDateTime,
}

/// Starts a conversation of `user_id` with the published agent `slug`, on
/// its published version; `None` when no such agent is published.
pub async fn start(
    pool: &PgPool,
    user_id: Uuid,
    slug: &str,
    bill_to: Option<Uuid>,
) -> Result<Option<Uuid>, sqlx::Error> {
    // A team the user does not belong to is never billed: the conversation
    // spends their own credit instead.
    sqlx::query_scalar(
        "insert into conversations (id, user_id, agent_id, agent_version, title, bill_to)
         select $1, $2, a.id, a.published_version, $4,
                (select m.team_id from team_members m where m.team_id = $5 and m.user_id = $2)
         from agents a where a.slug = $3 and a.published_version is not null
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(user_id)
    .bind(slug)
    .bind(UNTITLED)
    .bind(bill_to)
    .fetch_optional(pool)
    .await
}

/// Bills `user_id`'s conversation `id` to their allocation in a course
/// (their joined `enrollment`); false when there is no such conversation
/// or enrollment.
pub async fn set_bill_to_course(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    enrollment: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update conversations c set enrollment_id = $3, bill_to = null
         where c.id = $1 and c.user_id = $2
           and exists (select 1 from enrollments e
                       where e.id = $3 and e.user_id = $2 and e.status = 'joined')",
    )
    .bind(id)
    .bind(user_id)
    .bind(enrollment)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Bills `user_id`'s conversation `id` to the team `bill_to` (a team they
/// belong to) or, with `None`, to their own credit; false when there is no
/// such conversation or they are not in the team.
pub async fn set_bill_to(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    bill_to: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update conversations c set bill_to = $3, enrollment_id = null
         where c.id = $1 and c.user_id = $2
           and ($3::uuid is null
                or exists (select 1 from team_members m where m.team_id = $3 and m.user_id = $2))",
    )
    .bind(id)
    .bind(user_id)
    .bind(bill_to)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts a conversation of `user_id` (staff previewing) with agent
/// `slug`'s newest version, a draft included; `None` when there is no such
/// agent.
pub async fn start_newest(
    pool: &PgPool,
    user_id: Uuid,
    slug: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "insert into conversations (id, user_id, agent_id, agent_version, title)
         select $1, $2, a.id, (select max(number) from agent_versions v where v.agent_id = a.id), $4
         from agents a where a.slug = $3
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(user_id)
    .bind(slug)
    .bind(UNTITLED)
    .fetch_optional(pool)
    .await
}

/// `user_id`'s conversations whose title holds `q`, newest first: a page,
/// and how many there are.
pub async fn list(
    pool: &PgPool,
    user_id: Uuid,
    q: &str,
    page: i64,
    per_page: i64,
) -> Result<(Vec<ConversationRow>, i64), sqlx::Error> {
    let (limit, offset) = limit_offset(page, per_page);
    let pattern = contains_pattern(Some(q));
    let rows: Vec<ConversationRow> = sqlx::query_as(
        "select * from conversation_rows
         where user_id = $1 and ($2::text is null or title ilike $2)
         order by updated_at desc, id desc
         limit $3 offset $4",
    )
    .bind(user_id)
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "select count(*) from conversations where user_id = $1 and ($2::text is null or title ilike $2)",
    )
    .bind(user_id)
    .bind(&pattern)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// Everything a conversation's page shows.
#[derive(Debug, Clone)]
pub struct ConversationPage {
    pub conversation: ConversationRow,
    pub messages: Vec<MessageRow>,
    /// The agent's version the conversation runs.
    pub version: super::agents::VersionRow,
    /// Its model's prices, when served.
    pub price: Option<(i64, i64)>,
    /// This month's playground spending and the user's own cap.
    pub month_spent: i64,
    pub cap: Option<i64>,
    /// What the conversation may spend now, in micro-credits: the user's
    /// balance, or the pool of the organization it bills.
    pub available: i64,
}

/// `user_id`'s conversation `id` with everything its page shows.
pub async fn page(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<ConversationPage>, sqlx::Error> {
    let Some((conversation, messages)) = get(pool, user_id, id).await? else {
        return Ok(None);
    };
    let Some(version) =
        super::agents::version(pool, conversation.agent_id, conversation.agent_version).await?
    else {
        return Ok(None);
    };
    let price = super::agents::model_price(pool, &version.model).await?;
    let (month_spent, cap) = month_spending(pool, user_id).await?;
    let owner = match (conversation.enrollment_id, conversation.bill_to) {
        (Some(enrollment), _) => crate::server::ledger::Owner::Enrollment(enrollment),
        (None, Some(team)) => crate::server::ledger::Owner::Organization(team),
        (None, None) => crate::server::ledger::Owner::User(user_id),
    };
    let available = crate::server::ledger::available_of(pool, owner)
        .await
        .map_err(|error| sqlx::Error::Protocol(error.to_string()))?;
    Ok(Some(ConversationPage {
        conversation,
        messages,
        version,
        price,
        month_spent,
        cap,
        available,
    }))
}

/// `user_id`'s conversation `id` with its messages in order.
pub async fn get(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<(ConversationRow, Vec<MessageRow>)>, sqlx::Error> {
    // Both at once (two connections): the playground reads this before
    // every reply.
    let (row, messages) = tokio::try_join!(
        sqlx::query_as::<_, ConversationRow>(
            "select * from conversation_rows where id = $1 and user_id = $2"
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(pool),
        messages(pool, id),
    )?;
    Ok(row.map(|row| (row, messages)))
}

/// The messages of conversation `id`, in order.
pub async fn messages(pool: &PgPool, id: Uuid) -> Result<Vec<MessageRow>, sqlx::Error> {
    sqlx::query_as(
        "select position, role, content, tool_calls, tool_call_id, request_id, input_tokens,
                output_tokens, credits, status, created_at
         from conversation_messages where conversation_id = $1 order by position",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// Renames `user_id`'s conversation `id`; false when there is none.
pub async fn rename(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    title: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update conversations set title = $3 where id = $1 and user_id = $2")
        .bind(id)
        .bind(user_id)
        .bind(title)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes `user_id`'s conversation `id`, its messages and share links (its
/// usage records stay, as money history); false when there is none.
pub async fn delete(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from conversations where id = $1 and user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A message to add to a conversation.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub role: &'static str,
    pub content: String,
    pub tool_calls: Option<serde_json::Value>,
    pub tool_call_id: Option<String>,
    pub request_id: Option<Uuid>,
    pub input_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    pub credits: Option<i64>,
    pub status: &'static str,
}

/// Adds `message` after the last message of conversation `id`; names the
/// conversation after its first user message. Returns its position. Under
/// the conversation's advisory lock (as `conversation_record_turn`), so two
/// replies saved at once take positions one after the other.
pub async fn append(
    conn: &mut PgConnection,
    id: Uuid,
    message: &NewMessage,
) -> Result<i32, sqlx::Error> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtext($1::text))")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let position: i32 = sqlx::query_scalar(
        "insert into conversation_messages (conversation_id, position, role, content, tool_calls,
                                            tool_call_id, request_id, input_tokens, output_tokens,
                                            credits, status)
         select $1, coalesce(max(position), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10
         from conversation_messages where conversation_id = $1
         returning position",
    )
    .bind(id)
    .bind(message.role)
    .bind(&message.content)
    .bind(message.tool_calls.as_ref().map(Json))
    .bind(&message.tool_call_id)
    .bind(message.request_id)
    .bind(message.input_tokens)
    .bind(message.output_tokens)
    .bind(message.credits)
    .bind(message.status)
    .fetch_one(&mut *tx)
    .await?;
    let title = title_of(&message.content);
    sqlx::query(
        "update conversations set updated_at = now(),
                title = case when title = $2 and $3 = 'user' and $4 <> '' then $4 else title end
         where id = $1",
    )
    .bind(id)
    .bind(UNTITLED)
    .bind(message.role)
    .bind(title)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(position)
}

/// A title from a first message: its first line, at most 60 characters.
pub fn title_of(content: &str) -> String {
    let line = content
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

/// Records a person's turn in conversation `id` in one round trip
/// (`conversation_record_turn`): the messages from position `from` on
/// removed (a regenerate, an edit), then `content` added as the person's
/// message unless `None` (a regenerate), naming an untitled conversation
/// (whose title must be [`UNTITLED`]). Returns the new message's position.
pub async fn record_turn(
    pool: &PgPool,
    id: Uuid,
    from: Option<i32>,
    content: Option<&str>,
) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar("select conversation_record_turn($1, $2, $3, $4)")
        .bind(id)
        .bind(from)
        .bind(content)
        .bind(content.map(title_of).unwrap_or_default())
        .fetch_one(pool)
        .await
}

/// Micro-credits `user_id`'s playground calls were charged this calendar
/// month (UTC), and their own monthly cap.
pub async fn month_spending(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as(
        "select coalesce((select sum(u.credits) from usage_records u
                          where u.user_id = $1 and u.conversation_id is not null
                            and u.created_at >= date_trunc('month', now() at time zone 'utc') at time zone 'utc'),
                         0)::bigint,
                (select playground_cap from users where id = $1)",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await
}

/// Sets (or, with `None`, removes) `user_id`'s monthly playground cap.
pub async fn set_cap(pool: &PgPool, user_id: Uuid, cap: Option<i64>) -> Result<(), sqlx::Error> {
    sqlx::query("update users set playground_cap = $2 where id = $1")
        .bind(user_id)
        .bind(cap)
        .execute(pool)
        .await?;
    Ok(())
}

/// Who may open a share link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Anyone with the link.
    Public,
    /// Anyone with the link who is signed in.
    SignedIn,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::SignedIn => "signed_in",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "public" => Some(Self::Public),
            "signed_in" => Some(Self::SignedIn),
            _ => None,
        }
    }
}

/// A share link as its owner sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareRow {
    pub id: Uuid,
    pub visibility: String,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// What a share link shows: the conversation as it was when shared.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub title: String,
    pub agent_slug: String,
    pub agent_name: String,
    pub agent_icon: String,
    pub agent_version: i32,
    pub messages: Vec<SharedMessage>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SharedMessage {
    pub role: String,
    pub content: String,
    /// A tool call's or result's name, for a folded line.
    pub tool: Option<String>,
}

/// The SHA-256 of a share link's token, as stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Shares `user_id`'s conversation `id` as it is now: returns the link's
/// token (shown once; only its hash is kept), or `None` when there is no
/// such conversation.
pub async fn share(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    visibility: Visibility,
    expires_at: Option<OffsetDateTime>,
) -> Result<Option<String>, sqlx::Error> {
    let Some((conversation, messages)) = get(pool, user_id, id).await? else {
        return Ok(None);
    };
    let snapshot = Snapshot {
        title: conversation.title,
        agent_slug: conversation.agent_slug,
        agent_name: conversation.agent_name,
        agent_icon: conversation.agent_icon,
        agent_version: conversation.agent_version,
        messages: messages
            .into_iter()
            .map(|m| SharedMessage {
                tool: tool_name(&m),
                role: m.role,
                content: m.content,
            })
            .collect(),
    };
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query(
        "insert into conversation_shares (id, conversation_id, user_id, token_hash, visibility,
                                          snapshot, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(user_id)
    .bind(token_hash(&token))
    .bind(visibility.as_str())
    .bind(Json(&snapshot))
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(Some(token))
}

/// The tool a message calls or answers, if any.
fn tool_name(message: &MessageRow) -> Option<String> {
    if message.role == "tool" {
        return message.tool_call_id.clone();
    }
    // Calls are kept as the model made them (OpenAI `tool_calls`).
    message
        .tool_calls
        .as_ref()
        .and_then(|calls| crate::domain::agent_tools::ToolCall::from_wire(calls.0.get(0)?))
        .map(|call| call.name)
}

/// The share links of `user_id`'s conversation `id`, newest first.
pub async fn shares(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<Vec<ShareRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, visibility, expires_at, revoked_at, created_at from conversation_shares
         where conversation_id = $1 and user_id = $2 order by created_at desc",
    )
    .bind(id)
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Revokes `user_id`'s share link `share_id`; false when there is none.
pub async fn revoke_share(
    pool: &PgPool,
    user_id: Uuid,
    share_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update conversation_shares set revoked_at = coalesce(revoked_at, now())
         where id = $1 and user_id = $2",
    )
    .bind(share_id)
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why a share link shows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unshared {
    /// No such link, or revoked, or expired: all look the same.
    Gone,
    /// The link is for signed-in users and the caller is not.
    SignInFirst,
}

/// The snapshot behind the link `token`, for a caller who is signed in or
/// not.
pub async fn shared(
    pool: &PgPool,
    token: &str,
    signed_in: bool,
) -> Result<Result<Snapshot, Unshared>, sqlx::Error> {
    let row: Option<(String, Json<Snapshot>)> = sqlx::query_as(
        "select visibility, snapshot from conversation_shares
         where token_hash = $1 and revoked_at is null and (expires_at is null or expires_at > now())",
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        None => Err(Unshared::Gone),
        Some((visibility, _)) if visibility == "signed_in" && !signed_in => {
            Err(Unshared::SignInFirst)
        }
        Some((_, snapshot)) => Ok(snapshot.0),
    })
}
