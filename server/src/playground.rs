//! The playground's model calls: a message sent in a conversation runs its
//! agent through the metering service `/v1` uses ([`Meter`]): the payer is
//! the signed-in user; the reservation covers the prompt's bound and the
//! agent's whole reply and is taken before any upstream call (402 when it
//! cannot be covered, or when the user's own monthly playground cap would
//! be passed); the reply streams from the upstream to the browser as our
//! own events; the charge is settled from the upstream's usage, or our
//! count of what was generated, and its usage record names the agent and
//! the conversation.
//!
//! The browser stops a reply by closing the stream: the upstream call is
//! dropped at once and only what was generated until then is billed. A
//! form posted without JavaScript gets the whole reply and is sent back to
//! the conversation.
//!
//! `POST /playground/{id}/messages`, `action`: `send` (`content`),
//! `regenerate` (the last reply again) or `edit` (`content` replaces the
//! last message sent, and what followed it).
//!
//! An agent with linked datasets is offered its tools: when the model calls
//! them, the portal runs each call ([`agent_tools`]), saves the call and its
//! result in the conversation, and calls the model again with them, each
//! call reserved, metered and recorded on its own, at most
//! [`MAX_STEPS`] calls per message (the last is offered no tools).
//!
//! Events (`event: <name>` with a JSON `data:` line):
//! `start` {model, reserved} (once per model call), `delta` {text}, `cost`
//! {output_tokens, credits}, `tool` {name, arguments, result}, `done`
//! {status, input_tokens, output_tokens, credits (all the message's calls),
//! conversation_credits, balance}, `error` {message}.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::agent_tools::{ToolCall, ToolCallParts, MAX_STEPS};
use app::domain::agents::{render_prompt, Tool};
use app::domain::credits::Credits;
use app::domain::model::ModelKind;
use app::format;
use app::server::auth::CurrentCaller;
use app::server::metering::chat::ChatMessage;
use app::server::metering::{
    count, AgentCall, Counted, MeteringError, Model, Payer, Planned, Refusal, Reservation, Used,
};
use app::server::services::conversations::{self, MessageRow, NewMessage};
use app::server::services::{agent_tools, agents};
use app::server::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::proxy::{event_end, payload, Proxy};

/// The longest message a person may send, in characters.
pub const MAX_MESSAGE_CHARS: usize = 20_000;

/// How often a streamed reply's cost is sent, at most.
const COST_EVERY: Duration = Duration::from_millis(200);

/// `href` of a conversation's page.
fn conversation_href(id: Uuid) -> String {
    app::href::playground(&id.to_string())
}

#[derive(Debug, Default, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub action: String,
}

/// Why a message was not answered, before anything streamed. Each has a
/// fixed code a form post is sent back with (the page words it), and a
/// message for the browser's script.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refused {
    SignIn,
    NotFound,
    Empty,
    TooLong,
    NothingToRedo,
    Unavailable,
    TooLongForModel,
    Credits(Credits),
    Cap(Credits),
    /// The user's budget in the organization paying is used up for its
    /// period (`day`, `week`, `month` or `total`), until `resets_at`.
    Budget {
        period: String,
        resets_at: Option<time::OffsetDateTime>,
    },
    /// The conversation is billed to a team the user no longer belongs to.
    NotMember,
    /// The conversation is billed to a course that has ended.
    CourseEnded,
    Suspended,
    Upstream,
    Internal,
}

impl Refused {
    fn status(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Empty | Self::TooLong | Self::NothingToRedo | Self::TooLongForModel => {
                StatusCode::BAD_REQUEST
            }
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Credits(_) | Self::Cap(_) | Self::Budget { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::Suspended | Self::NotMember | Self::CourseEnded => StatusCode::FORBIDDEN,
            Self::Upstream => StatusCode::BAD_GATEWAY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code a plain form post is sent back with.
    fn code(&self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::NotFound => "not-found",
            Self::Empty => "empty",
            Self::TooLong => "too-long",
            Self::NothingToRedo => "nothing-to-redo",
            Self::Unavailable => "unavailable",
            Self::TooLongForModel => "context",
            Self::Credits(_) => "credits",
            Self::Cap(_) => "cap",
            Self::Budget { .. } => "budget",
            Self::NotMember => "not-member",
            Self::CourseEnded => "course-ended",
            Self::Suspended => "suspended",
            Self::Upstream => "upstream",
            Self::Internal => "internal",
        }
    }

    fn message(&self) -> String {
        match self {
            Self::SignIn => "Sign in to chat with agents.".to_owned(),
            Self::NotFound => "There is no such conversation.".to_owned(),
            Self::Empty => "Write a message first.".to_owned(),
            Self::TooLong => format!("Keep a message to {MAX_MESSAGE_CHARS} characters."),
            Self::NothingToRedo => "There is no reply to regenerate.".to_owned(),
            Self::Unavailable => {
                "This agent's model cannot be used now; try again later.".to_owned()
            }
            Self::TooLongForModel => {
                "This conversation is too long for the agent's model: start a new one.".to_owned()
            }
            Self::Credits(cost) => format!(
                "Not enough credits: a reply may cost up to {} credits. Add credits to go on.",
                format::credits(*cost)
            ),
            Self::Cap(cap) => format!(
                "This reply could pass your monthly playground limit of {} credits. Raise it or wait for next month.",
                format::credits(*cap)
            ),
            Self::Budget { period, resets_at } => {
                let which = match period.as_str() {
                    "day" => "daily budget",
                    "week" => "weekly budget",
                    "month" => "monthly budget",
                    _ => "budget",
                };
                match resets_at {
                    Some(at) => format!(
                        "Your {which} in the organization this conversation bills is used up; it resets at {}.",
                        format::time(*at)
                    ),
                    None => format!(
                        "Your {which} in the organization this conversation bills is used up; ask an owner or admin to raise it."
                    ),
                }
            }
            Self::NotMember => {
                "You are no longer a member of the organization this conversation bills: bill it to your own credit instead."
                    .to_owned()
            }
            Self::CourseEnded => {
                "The course this conversation bills has ended: bill it to your own credit instead."
                    .to_owned()
            }
            Self::Suspended => "Your account is suspended.".to_owned(),
            Self::Upstream => "The model's provider could not be reached; try again.".to_owned(),
            Self::Internal => "Something went wrong on our side; it has been logged.".to_owned(),
        }
    }

    fn of(error: MeteringError) -> Self {
        match error {
            MeteringError::InsufficientCredits { cost } => Self::Credits(cost),
            MeteringError::Suspended => Self::Suspended,
            MeteringError::UnknownModel(_)
            | MeteringError::WrongKind { .. }
            | MeteringError::Unavailable { .. } => Self::Unavailable,
            MeteringError::InvalidKey | MeteringError::RateLimited { .. } => Self::Internal,
            MeteringError::MemberBudgetExceeded { period, resets_at } => {
                Self::Budget { period, resets_at }
            }
            MeteringError::NotMember => Self::NotMember,
            MeteringError::CourseEnded => Self::CourseEnded,
            MeteringError::SpendCapReached | MeteringError::Internal => Self::Internal,
        }
    }
}

/// Whether the caller reads the reply as it streams (the page's script),
/// or posted a plain form.
fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

/// `POST /playground/{id}/messages` (a portal route: the session gives the
/// caller, the CSRF check keeps other sites from posting).
pub async fn send(
    State(state): State<AppState>,
    Extension(proxy): Extension<Proxy>,
    caller: Option<Extension<CurrentCaller>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SendForm>,
) -> Response {
    let streaming = wants_stream(&headers);
    let id = Uuid::parse_str(&id).ok();
    let caller = caller.and_then(|Extension(c)| c.0);
    let turn = match (caller, id) {
        (None, _) => Err(Refused::SignIn),
        (_, None) => Err(Refused::NotFound),
        (Some(caller), Some(id)) => prepare(&state, &proxy, &caller, id, &form).await,
    };
    let turn = match turn {
        Ok(turn) => turn,
        Err(refused) if streaming || refused == Refused::SignIn => {
            return (
                refused.status(),
                Json(json!({"error": {"message": refused.message(), "code": refused.code()}})),
            )
                .into_response();
        }
        Err(refused) => {
            let back = match id {
                Some(id) => {
                    app::href::with_query(&conversation_href(id), &[("notice", refused.code())])
                }
                None => app::href::playground_list().to_owned(),
            };
            return Redirect::to(&back).into_response();
        }
    };
    let conversation = turn.context.conversation;
    let (tx, rx) = mpsc::channel::<Bytes>(32);
    tokio::spawn(run(state, proxy, turn, tx));
    if !streaming {
        // The whole reply, then back to the conversation.
        let mut rx = rx;
        while rx.recv().await.is_some() {}
        return Redirect::to(&conversation_href(conversation)).into_response();
    }
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, std::io::Error>(bytes), rx))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Who a reply is for and what answers it: the conversation, its user,
/// the agent's version, the payer and the model.
struct Context {
    conversation: Uuid,
    user: Uuid,
    user_name: String,
    version: agents::VersionRow,
    tools: Vec<Tool>,
    payer: Payer,
    model: Arc<Model>,
}

/// One model call about to be made: reserved for, its request ready.
struct Call {
    reservation: Reservation,
    /// The messages as counted, and the upstream request's body.
    prompt: Vec<ChatMessage>,
    body: Vec<u8>,
}

/// A reply about to be generated: its context and first call.
struct Turn {
    context: Context,
    call: Call,
}

/// Checks the message, records it, builds the agent's request and
/// reserves its most expensive reply: everything that can refuse, before
/// anything streams.
async fn prepare(
    state: &AppState,
    proxy: &Proxy,
    caller: &app::server::auth::Caller,
    id: Uuid,
    form: &SendForm,
) -> Result<Turn, Refused> {
    let internal = |error: sqlx::Error| {
        tracing::error!(%error, "preparing a playground reply");
        Refused::Internal
    };
    let pool = &state.pool;
    let meter = proxy.meter();
    // Everything the reply needs that the message does not change, read at
    // once on several connections: the first token waits for the slowest
    // of these rather than their sum.
    let (found, version, spending, payer) = tokio::join!(
        conversations::get(pool, caller.user_id, id),
        agents::version_of_conversation(pool, caller.user_id, id),
        conversations::month_spending(pool, caller.user_id),
        meter.payer_for_conversation(caller.user_id, id),
    );
    let (conversation, messages) = found.map_err(internal)?.ok_or(Refused::NotFound)?;
    let version = version.map_err(internal)?.ok_or(Refused::NotFound)?;
    let spending = spending.map_err(internal)?;
    let content = form.content.trim();
    let action = form.action.as_str();
    // The conversation as the model will read it, kept here rather than
    // read again; the database gets the change in one round trip.
    let mut history = messages;
    match action {
        "regenerate" => {
            let last_user = history.iter().rposition(|m| m.role == "user");
            let Some(last_user) = last_user else {
                return Err(Refused::NothingToRedo);
            };
            if let Some(after) = history.get(last_user + 1) {
                conversations::record_turn(pool, id, Some(after.position), None)
                    .await
                    .map_err(internal)?;
            }
            history.truncate(last_user + 1);
        }
        _ => {
            if content.is_empty() {
                return Err(Refused::Empty);
            }
            if content.chars().count() > MAX_MESSAGE_CHARS {
                return Err(Refused::TooLong);
            }
            let mut from = None;
            if action == "edit" {
                if let Some(last_user) = history.iter().rposition(|m| m.role == "user") {
                    from = Some(history[last_user].position);
                    history.truncate(last_user);
                }
            }
            let position = conversations::record_turn(pool, id, from, Some(content))
                .await
                .map_err(internal)?
                .ok_or(Refused::Internal)?;
            history.push(MessageRow {
                position,
                role: "user".to_owned(),
                content: content.to_owned(),
                tool_calls: None,
                tool_call_id: None,
                request_id: None,
                input_tokens: None,
                output_tokens: None,
                credits: None,
                status: "complete".to_owned(),
                created_at: time::OffsetDateTime::now_utc(),
            });
        }
    }

    let payer = payer.map_err(Refused::of)?;
    let model = match meter.model(&version.model, ModelKind::Chat).await {
        Ok(model) => model,
        Err(error) => {
            let refused = Refused::of(error);
            let refusal = refusal_of(&version.model, conversation.agent_id, id);
            record(proxy, &payer, refusal, &refused).await;
            return Err(refused);
        }
    };
    let tools = version
        .tools
        .iter()
        .filter_map(|t| Tool::parse(t))
        .collect::<Vec<_>>();
    let context = Context {
        conversation: id,
        user: caller.user_id,
        user_name: caller.display_name.clone(),
        tools: if version.datasets.is_empty() {
            Vec::new()
        } else {
            tools
        },
        version,
        payer,
        model,
    };
    let call = reserve_call(state, proxy, &context, &history, true, Some(spending)).await?;
    Ok(Turn { context, call })
}

/// The usage record of a refused call of `model` in conversation
/// `conversation` (its status set when recorded).
fn refusal_of(model: &str, agent_id: Uuid, conversation: Uuid) -> Refusal<'_> {
    Refusal {
        id: Uuid::now_v7(),
        kind: ModelKind::Chat,
        model,
        streamed: true,
        started: Instant::now(),
        status: 0,
        agent: Some(AgentCall {
            agent_id,
            conversation_id: conversation,
        }),
    }
}

/// Builds the request of one model call over `history` (offering the
/// agent's tools when `offer_tools`) and reserves its most expensive
/// answer, or says why not.
async fn reserve_call(
    state: &AppState,
    proxy: &Proxy,
    context: &Context,
    history: &[MessageRow],
    offer_tools: bool,
    spending: Option<(i64, Option<i64>)>,
) -> Result<Call, Refused> {
    let internal = |error: sqlx::Error| {
        tracing::error!(%error, "preparing a playground call");
        Refused::Internal
    };
    let meter = proxy.meter();
    let model = &context.model;
    let version = &context.version;
    let started = Instant::now();
    let request_id = Uuid::now_v7();
    let agent = AgentCall {
        agent_id: version.agent_id,
        conversation_id: context.conversation,
    };
    let refusal = Refusal {
        id: request_id,
        started,
        ..refusal_of(&version.model, version.agent_id, context.conversation)
    };
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let system = render_prompt(&version.system_prompt, &context.user_name, &today);
    let (prompt, wire) = chat_messages(&system, history);
    let max_output = u64::try_from(version.max_tokens)
        .unwrap_or(1)
        .min(model.output_cap());
    let mut body = json!({
        "model": model.upstream_model,
        "messages": wire,
        "temperature": version.temperature,
        "top_p": version.top_p,
        "max_tokens": max_output,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if offer_tools && !context.tools.is_empty() {
        body["tools"] = app::domain::agent_tools::definitions(&context.tools, &version.datasets);
        body["tool_choice"] = json!("auto");
    }
    let body = serde_json::to_vec(&body).map_err(|_| Refused::Internal)?;
    let estimate = meter.estimate_prompt(model, &prompt);
    if model.context() > 0 && estimate.tokens.saturating_add(max_output) > model.context() {
        record(proxy, &context.payer, refusal, &Refused::TooLongForModel).await;
        return Err(Refused::TooLongForModel);
    }
    let prompt_bound = meter
        .prompt_bound(model, body.len() as u64)
        .max(estimate.tokens);
    let most = model.price(prompt_bound.max(1), max_output);
    let (spent, cap) = match spending {
        Some(spending) => spending,
        None => conversations::month_spending(&state.pool, context.user)
            .await
            .map_err(internal)?,
    };
    if let Some(cap) = cap {
        if spent.saturating_add(most.micros()) > cap {
            let refused = Refused::Cap(Credits::from_micros(cap));
            record(proxy, &context.payer, refusal, &refused).await;
            return Err(refused);
        }
    }
    let planned = Planned {
        id: request_id,
        kind: ModelKind::Chat,
        streamed: true,
        prompt_bound,
        max_output,
        choices: 1,
        started,
        agent: Some(agent),
    };
    let reservation = match meter.reserve(&context.payer, model, planned).await {
        Ok(reservation) => reservation,
        Err(error) => {
            let refused = Refused::of(error);
            record(proxy, &context.payer, refusal, &refused).await;
            return Err(refused);
        }
    };
    Ok(Call {
        reservation,
        prompt,
        body,
    })
}

/// Records a refusal in the user's usage (nothing charged).
async fn record(proxy: &Proxy, payer: &Payer, refusal: Refusal<'_>, refused: &Refused) {
    let status = refused.status().as_u16();
    proxy
        .meter()
        .record_refusal(payer, Refusal { status, ..refusal })
        .await;
}

/// The agent's request messages, as counted and as sent: its system
/// prompt, then the conversation's messages: the person's, the agent's
/// replies, and its tool calls each followed by their results (a call
/// whose results are not all there, as when a reply was stopped, is left
/// out with them).
fn chat_messages(system: &str, history: &[MessageRow]) -> (Vec<ChatMessage>, Vec<Value>) {
    let answered: std::collections::HashSet<&str> = history
        .iter()
        .filter(|m| m.role == "tool")
        .filter_map(|m| m.tool_call_id.as_deref())
        .collect();
    let mut kept_calls: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut counted = vec![ChatMessage::text("system", system)];
    let mut wire = vec![json!({"role": "system", "content": system})];
    for m in history {
        match m.role.as_str() {
            "user" => {
                counted.push(ChatMessage::text("user", &m.content));
                wire.push(json!({"role": "user", "content": m.content}));
            }
            "assistant" => {
                let calls: Vec<ToolCall> = m
                    .tool_calls
                    .as_ref()
                    .and_then(|c| c.0.as_array())
                    .map(|c| c.iter().filter_map(ToolCall::from_wire).collect())
                    .unwrap_or_default();
                if !calls.is_empty() && calls.iter().all(|c| answered.contains(c.id.as_str())) {
                    let text: Vec<String> = std::iter::once(m.content.clone())
                        .chain(calls.iter().map(|c| format!("{} {}", c.name, c.arguments)))
                        .collect();
                    counted.push(ChatMessage::text("assistant", &text.join("\n")));
                    wire.push(json!({
                        "role": "assistant",
                        "content": if m.content.is_empty() { Value::Null } else { json!(m.content) },
                        "tool_calls": calls.iter().map(ToolCall::to_wire).collect::<Vec<_>>(),
                    }));
                    kept_calls.extend(calls.into_iter().map(|c| c.id));
                } else if !m.content.is_empty() {
                    counted.push(ChatMessage::text("assistant", &m.content));
                    wire.push(json!({"role": "assistant", "content": m.content}));
                }
            }
            "tool" => {
                let Some(call) = m
                    .tool_call_id
                    .as_deref()
                    .filter(|c| kept_calls.contains(*c))
                else {
                    continue;
                };
                counted.push(ChatMessage::text("tool", &m.content));
                wire.push(json!({"role": "tool", "tool_call_id": call, "content": m.content}));
            }
            _ => {}
        }
    }
    (counted, wire)
}

/// One of our events.
fn event(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// Ends a reply's stream with `refused`'s message (the browser may be
/// gone: nothing to tell it then).
async fn fail(tx: &mpsc::Sender<Bytes>, refused: &Refused) {
    let _ = tx
        .send(event("error", &json!({"message": refused.message()})))
        .await;
}

/// How a reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Finished,
    /// The browser stopped it (closed the stream).
    Stopped,
    Failed(StatusCode),
}

/// What one model call gave, once settled and saved.
struct Relayed {
    end: End,
    calls: Vec<ToolCall>,
    input_tokens: u64,
    output_tokens: u64,
    price: Credits,
    remaining: Credits,
}

/// Generates the reply of `turn`: each model call streamed, settled and
/// saved; the tools it calls run and their results saved, then the model
/// called again with them, up to [`MAX_STEPS`] calls (the last offered no
/// tools, so it answers).
async fn run(state: AppState, proxy: Proxy, turn: Turn, tx: mpsc::Sender<Bytes>) {
    let Turn { context, mut call } = turn;
    let mut credits = Credits::ZERO;
    let mut step = 1;
    let last = loop {
        let Some(relayed) = relay(&state, &proxy, &context, call, &tx).await else {
            return;
        };
        credits = credits.checked_add(relayed.price).unwrap_or(credits);
        if relayed.calls.is_empty() || relayed.end != End::Finished || step >= MAX_STEPS {
            break relayed;
        }
        let scope = agent_tools::Scope {
            user: context.user,
            tools: &context.tools,
            datasets: &context.version.datasets,
        };
        for tool_call in &relayed.calls {
            let result = agent_tools::run(&state.pool, &scope, tool_call).await;
            let saved = async {
                let mut conn = state.pool.acquire().await?;
                conversations::append(
                    &mut conn,
                    context.conversation,
                    &NewMessage {
                        role: "tool",
                        content: result.clone(),
                        tool_call_id: Some(tool_call.id.clone()),
                        status: "complete",
                        ..NewMessage::default()
                    },
                )
                .await
            }
            .await;
            if let Err(error) = saved {
                tracing::error!(%error, "saving a tool result");
                fail(&tx, &Refused::Internal).await;
                return;
            }
            let _ = tx
                .send(event(
                    "tool",
                    &json!({"name": tool_call.name, "arguments": tool_call.arguments,
                            "result": result.chars().take(2_000).collect::<String>()}),
                ))
                .await;
        }
        if tx.is_closed() {
            // The browser stopped the reply while its tools ran: no more
            // model calls (what they found is kept; regenerate answers it).
            return;
        }
        step += 1;
        let history = match conversations::messages(&state.pool, context.conversation).await {
            Ok(history) => history,
            Err(error) => {
                tracing::error!(%error, "reading a conversation between tool calls");
                fail(&tx, &Refused::Internal).await;
                return;
            }
        };
        call = match reserve_call(&state, &proxy, &context, &history, step < MAX_STEPS, None).await
        {
            Ok(call) => call,
            Err(refused) => {
                fail(&tx, &refused).await;
                return;
            }
        };
    };
    let total: i64 = sqlx::query_scalar("select credits from conversation_rows where id = $1")
        .bind(context.conversation)
        .fetch_optional(&state.pool)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let _ = tx
        .send(event(
            "done",
            &json!({
                "status": match last.end {
                    End::Finished => "complete",
                    End::Stopped => "stopped",
                    End::Failed(_) => "failed",
                },
                "input_tokens": last.input_tokens,
                "output_tokens": last.output_tokens,
                "credits": format::credits(credits),
                "conversation_credits": format::credits(Credits::from_micros(total)),
                "balance": format::credits(last.remaining),
            }),
        ))
        .await;
}

/// Makes one model call of `context`: the upstream's answer streamed as
/// our events, settled from its usage (or our count), and saved as a
/// message with what it cost. `None` when it failed before anything was
/// generated (the browser was told; nothing charged).
async fn relay(
    state: &AppState,
    proxy: &Proxy,
    context: &Context,
    call: Call,
    tx: &mpsc::Sender<Bytes>,
) -> Option<Relayed> {
    let Call {
        reservation,
        prompt,
        body,
    } = call;
    let model = &context.model;
    let meter = proxy.meter().clone();
    let request_id = reservation.planned().id;
    let estimate = meter.estimate_prompt(model, &prompt).tokens;
    let reserved = model.price(
        reservation.planned().prompt_bound.max(1),
        reservation.planned().max_output,
    );
    let _ = tx
        .send(event(
            "start",
            &json!({"model": model.public_id, "reserved": format::credits(reserved)}),
        ))
        .await;
    let upstream = match proxy.forward(model, "chat/completions", body.clone()).await {
        Ok(upstream) => upstream,
        Err(error) => {
            reservation.release(error.status.as_u16()).await;
            fail(tx, &Refused::Upstream).await;
            return None;
        }
    };
    let mut chunks = upstream.bytes_stream();
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    let mut text = String::new();
    let mut parts = ToolCallParts::default();
    let mut calling = false;
    let mut reported: Option<(u64, u64)> = None;
    let mut last_cost = Instant::now();
    let end = 'relay: loop {
        let bytes = match tokio::time::timeout(model.timeout(), chunks.next()).await {
            Err(_) => break End::Failed(StatusCode::GATEWAY_TIMEOUT),
            Ok(None) => break End::Finished,
            Ok(Some(Err(error))) => {
                tracing::warn!(request = %request_id, %error, "playground stream cut short");
                break End::Failed(StatusCode::BAD_GATEWAY);
            }
            Ok(Some(Ok(bytes))) => bytes,
        };
        buffer.extend_from_slice(&bytes);
        while let Some(end) = event_end(&buffer) {
            let raw: Vec<u8> = buffer.drain(..end).collect();
            let Some(data) = payload(&raw) else { continue };
            if data.trim() == "[DONE]" {
                continue;
            }
            let Ok(chunk) = serde_json::from_str::<Value>(&data) else {
                continue;
            };
            if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
                let number = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
                reported = Some((number("prompt_tokens"), number("completion_tokens")));
            }
            if let Some(deltas) = chunk.pointer("/choices/0/delta/tool_calls") {
                parts.add(deltas);
                calling = true;
            }
            let piece = chunk
                .pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
                .unwrap_or("");
            if piece.is_empty() {
                continue;
            }
            text.push_str(piece);
            if tx
                .send(event("delta", &json!({"text": piece})))
                .await
                .is_err()
            {
                break 'relay End::Stopped;
            }
            if last_cost.elapsed() >= COST_EVERY {
                last_cost = Instant::now();
                let output = count::count(&text);
                let so_far = model.price(estimate, output);
                if tx
                    .send(event(
                        "cost",
                        &json!({"output_tokens": output, "credits": format::credits(so_far)}),
                    ))
                    .await
                    .is_err()
                {
                    break 'relay End::Stopped;
                }
            }
        }
    };
    // Dropping the upstream stream closes its connection: generation stops.
    drop(chunks);
    let calls = if calling { parts.finish() } else { Vec::new() };
    let status = match end {
        End::Finished => StatusCode::OK,
        End::Stopped => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        End::Failed(status) => status,
    };
    if matches!(end, End::Failed(_)) && text.is_empty() && calls.is_empty() && reported.is_none() {
        reservation.release(status.as_u16()).await;
        fail(tx, &Refused::Upstream).await;
        return None;
    }
    // What was generated, as counted when the upstream does not say: the
    // text, and the calls' names and arguments.
    let generated = std::iter::once(text.clone())
        .chain(calls.iter().map(|c| format!("{} {}", c.name, c.arguments)))
        .collect::<Vec<_>>()
        .join("\n");
    let used = Used {
        input: match reported {
            Some((prompt_tokens, _)) => {
                meter.learn_prompt(model, &prompt, prompt_tokens);
                Counted::reported(prompt_tokens)
            }
            None => meter.count_prompt(model, &prompt, &body).await,
        },
        output: match (end, reported) {
            (End::Finished, Some((_, completion))) => Counted::reported(completion),
            _ => meter.count_output(model, &generated).await,
        },
        status: status.as_u16(),
    };
    let (input_tokens, output_tokens) = (used.input.tokens, used.output.tokens);
    let price = model.price(input_tokens, output_tokens);
    let settled = match reservation.settle(used).await {
        Ok(settled) => settled,
        Err(error) => {
            tracing::error!(request = %request_id, %error, "settling a playground reply");
            fail(tx, &Refused::Internal).await;
            return None;
        }
    };
    // Calls cut short are not run: only a finished answer's calls are kept.
    let calls = if end == End::Finished {
        calls
    } else {
        Vec::new()
    };
    let reply = NewMessage {
        role: "assistant",
        content: text,
        tool_calls: (!calls.is_empty())
            .then(|| Value::Array(calls.iter().map(ToolCall::to_wire).collect())),
        request_id: Some(request_id),
        input_tokens: Some(app::server::ledger::int(input_tokens)),
        output_tokens: Some(app::server::ledger::int(output_tokens)),
        credits: Some(price.micros()),
        status: match end {
            End::Finished => "complete",
            End::Stopped => "stopped",
            End::Failed(_) => "failed",
        },
        ..NewMessage::default()
    };
    let saved = async {
        let mut conn = state.pool.acquire().await?;
        conversations::append(&mut conn, context.conversation, &reply).await
    }
    .await;
    if let Err(error) = saved {
        tracing::error!(request = %request_id, %error, "saving a playground reply");
    }
    Some(Relayed {
        end,
        calls,
        input_tokens,
        output_tokens,
        price,
        remaining: settled.remaining,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A saved message, complete, without tokens or tool calls.
    fn message(position: i32, role: &str, content: &str) -> MessageRow {
        MessageRow {
            position,
            role: role.to_owned(),
            content: content.to_owned(),
            tool_calls: None,
            tool_call_id: None,
            request_id: None,
            input_tokens: None,
            output_tokens: None,
            credits: None,
            status: "complete".to_owned(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_conversation_becomes_the_agents_messages() {
        let history = [
            message(1, "user", "Hi"),
            message(2, "assistant", "Hello"),
            message(3, "assistant", ""),
            message(4, "user", "Again"),
        ];
        let (messages, wire) = chat_messages("Be brief.", &history);
        let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(wire.len(), messages.len());
    }

    #[test]
    fn tool_calls_go_with_their_results_and_unanswered_calls_are_left_out() {
        let calling = |position: i32, id: &str| MessageRow {
            tool_calls: Some(sqlx::types::Json(json!([ToolCall {
                id: id.to_owned(),
                name: "query_dataset".to_owned(),
                arguments: "{}".to_owned(),
            }
            .to_wire()]))),
            ..message(position, "assistant", "")
        };
        let result = |position: i32, id: &str| MessageRow {
            tool_call_id: Some(id.to_owned()),
            ..message(position, "tool", "{\"rows\": []}")
        };
        let history = [
            message(1, "user", "How late?"),
            calling(2, "call_a"),
            result(3, "call_a"),
            message(4, "assistant", "Not late."),
            message(5, "user", "And now?"),
            calling(6, "call_b"),
        ];
        let (counted, wire) = chat_messages("Be brief.", &history);
        let roles: Vec<&str> = wire.iter().filter_map(|m| m["role"].as_str()).collect();
        assert_eq!(
            roles,
            ["system", "user", "assistant", "tool", "assistant", "user"]
        );
        assert_eq!(wire[2]["tool_calls"][0]["id"], "call_a");
        assert_eq!(wire[2]["content"], Value::Null);
        assert_eq!(wire[3]["tool_call_id"], "call_a");
        assert_eq!(counted.len(), wire.len());
    }

    #[test]
    fn a_form_post_is_told_apart_from_the_pages_stream() {
        let mut headers = HeaderMap::new();
        assert!(!wants_stream(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        assert!(wants_stream(&headers));
    }
}
