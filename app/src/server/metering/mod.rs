//! Metering: the one path by which anything spends credit on a model call.
//! `/v1` uses it, and so will the portal's own pages that call models.
//!
//! A call goes through these steps, each a method here:
//! 1. **authenticate** the payer: an API key ([`Meter::authenticate_key`],
//!    cached briefly) or a signed-in user ([`Meter::payer_for_user`]);
//! 2. find the **model** and check it may be served ([`Meter::model`]);
//! 3. **admit** it under the key's rate limits ([`Meter::admit`]);
//! 4. **reserve** the most it can cost ([`Meter::reserve`]), in memory from a
//!    ledger lease ([`crate::server::ledger::Batcher`]);
//! 5. **settle** with what it used ([`Reservation::settle`]), durably and
//!    with its [`UsageRecord`], or **release** it after a failure
//!    ([`Reservation::release`]). A reservation dropped without either (its
//!    client went away) is released at once.
//!
//! Token counts come from the upstream's `usage`; when it reports none we
//! count ourselves ([`Meter::count_prompt`], [`Meter::count_output`]) with
//! the model's tokenizer ([`crate::server::tokenizer`]), or, where none is
//! configured, our estimate corrected by the prompt overhead learned from
//! the upstream's own reports. The estimate ([`Meter::estimate_prompt`])
//! also checks a request against the model's context before it is sent.

pub mod chat;
pub mod count;
pub mod keys;
pub mod limits;
pub mod models;
mod overhead;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

use self::chat::ChatMessage;
use self::keys::Keys;
use self::limits::Limits;
use self::models::Models;
pub use self::models::{Model, ModelMap};
use self::overhead::Overheads;
use crate::domain::credits::Credits;
use crate::domain::model::{ModelKind, Unservable};
use crate::domain::tokenizer::TokenizerChoice;
use crate::server::ledger::{self, Batcher, Context, LedgerError, UsageRecord};
use crate::server::tokenizer::{Tokenizer, Tokenizers};

/// How long a reservation outlives its provider's timeout before it is
/// freed as abandoned.
const HOLD_SLACK: Duration = Duration::from_secs(120);

/// Why a metered call was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeteringError {
    #[error("the API key is missing, malformed, unknown, revoked or expired")]
    InvalidKey,
    #[error("the account is suspended")]
    Suspended,
    #[error("the model `{0}` does not exist")]
    UnknownModel(String),
    #[error("the model `{model}` is not a {} model", expected.as_str())]
    WrongKind { model: String, expected: ModelKind },
    #[error("the model `{model}` cannot be used now")]
    Unavailable { model: String, why: Unservable },
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("not enough credits for up to {cost} credits")]
    InsufficientCredits { cost: Credits },
    #[error("the API key's spend cap is reached")]
    SpendCapReached,
    /// The key's member has used up their budget in the organization
    /// paying, for this `period`; it resets at `resets_at`.
    #[error("the member's budget is used up")]
    MemberBudgetExceeded {
        period: String,
        resets_at: Option<time::OffsetDateTime>,
    },
    /// The payer spends a team's pool without belonging to the team (a
    /// key's creator who left it, or a conversation billed to a team the
    /// user has left).
    #[error("the payer is not a member of the team paying")]
    NotMember,
    /// The course whose credit the call would spend has ended.
    #[error("the course has ended")]
    CourseEnded,
    #[error("an internal error (logged)")]
    Internal,
}

impl MeteringError {
    /// Logs `error` with what was being done and hides it.
    pub fn internal(doing: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "{doing}");
        Self::Internal
    }
}

/// Who pays for a call, and under which limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer {
    pub account_id: Uuid,
    pub user_id: Uuid,
    /// The API key, for calls made with one: its spend cap and rate limits
    /// apply, and its usage is shown under it.
    pub key_id: Option<Uuid>,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
}

/// What [`Meter::payer_for_conversation`] reads.
#[derive(sqlx::FromRow)]
struct ConversationPayer {
    active: bool,
    bill_to: Option<Uuid>,
    team_account: Option<Uuid>,
    enrollment_id: Option<Uuid>,
    enrollment_status: Option<String>,
    course_account: Option<Uuid>,
}

impl Payer {
    /// Whom the payer's leases serve: its key, or the user spending
    /// without one (whose budget applies on a team's pool).
    fn spender(&self) -> ledger::Spender {
        self.key_id
            .map_or(ledger::Spender::Member(self.user_id), ledger::Spender::Key)
    }
}

/// The metering service; cheap to clone.
#[derive(Clone)]
pub struct Meter {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    batcher: Batcher,
    keys: Keys,
    models: Models,
    limits: Limits,
    overheads: Overheads,
    tokenizers: Arc<Tokenizers>,
}

/// What a call is about to do, for its reservation and usage record.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    /// The request id.
    pub id: Uuid,
    pub kind: ModelKind,
    pub streamed: bool,
    /// An upper bound of the prompt's tokens.
    pub prompt_bound: u64,
    /// The most output tokens each of its choices may produce.
    pub max_output: u64,
    /// How many choices it asks for (`n`; 1 for embeddings).
    pub choices: u64,
    /// When the call arrived, for its latency.
    pub started: Instant,
    /// The agent and conversation of a playground call.
    pub agent: Option<AgentCall>,
}

/// What a playground call was for, kept on its usage record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentCall {
    pub agent_id: Uuid,
    pub conversation_id: Uuid,
}

/// Tokens counted, and by what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub tokens: u64,
    /// `None`: reported by the upstream; else the tokenizer's name.
    pub by: Option<Arc<str>>,
}

impl Counted {
    /// `tokens` as the upstream reported them.
    pub fn reported(tokens: u64) -> Self {
        Self { tokens, by: None }
    }

    /// `tokens` as our heuristic counted them.
    fn heuristic(tokens: u64) -> Self {
        Self {
            tokens,
            by: Some(Arc::from(count::NAME)),
        }
    }
}

/// What a finished call used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub input: Counted,
    pub output: Counted,
    /// The HTTP status the caller saw (499: it went away).
    pub status: u16,
}

/// A request refused before anything was reserved: unreadable, an unknown
/// model, over the model's context, not enough credit. Recorded by
/// [`Meter::record_refusal`] so that the caller finds it on `/usage`.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    /// The request id (`x-request-id`).
    pub id: Uuid,
    pub kind: ModelKind,
    /// The model as the caller named it (empty when the request could not
    /// be read).
    pub model: &'a str,
    pub streamed: bool,
    pub started: Instant,
    /// The HTTP status the caller saw.
    pub status: u16,
    /// The agent and conversation of a playground call.
    pub agent: Option<AgentCall>,
}

/// The longest model name a refusal's record keeps (a caller may send any).
const REFUSED_MODEL_CHARS: usize = 200;

/// A settled call's charge and the credit its account has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// What the account paid.
    pub charged: Credits,
    /// What the call cost beyond that, which the account did not have
    /// (posted as uncollected; 0 but for usage past the reservation).
    pub uncollected: Credits,
    pub remaining: Credits,
}

impl Meter {
    /// A meter spending through `batcher`'s leases, counting with
    /// `tokenizers` where the upstream reports no usage.
    pub fn new(pool: PgPool, batcher: Batcher, tokenizers: Arc<Tokenizers>) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                batcher,
                keys: Keys::default(),
                models: Models::default(),
                limits: Limits::default(),
                overheads: Overheads::default(),
                tokenizers,
            }),
        }
    }

    /// The payer behind an API key (the bearer token as sent).
    pub async fn authenticate_key(&self, bearer: &str) -> Result<Payer, MeteringError> {
        let key = self
            .inner
            .keys
            .authenticate(&self.inner.pool, bearer)
            .await?;
        Ok(Payer {
            account_id: key.account_id,
            user_id: key.user_id,
            key_id: Some(key.id),
            rpm_limit: key.rpm_limit,
            tpm_limit: key.tpm_limit,
        })
    }

    /// The payer of a signed-in user's playground conversation: the
    /// user's own account, the pool of the team it is billed to (spent
    /// under the user's budget there), or their allocation in the course it
    /// is billed to; no key limits.
    pub async fn payer_for_conversation(
        &self,
        user_id: Uuid,
        conversation: Uuid,
    ) -> Result<Payer, MeteringError> {
        // The pool's account only while the user is in the team: a lease
        // of theirs in memory would otherwise serve them after removal.
        // A course's credit only while the student's enrollment is joined.
        let found: Option<ConversationPayer> =
            sqlx::query_as(
                "select u.status = 'active' as active, c.bill_to, a.id as team_account,
                        c.enrollment_id, e.status as enrollment_status, ea.id as course_account
                 from users u
                 left join conversations c on c.id = $2 and c.user_id = u.id
                 left join team_members m on m.team_id = c.bill_to and m.user_id = u.id
                 left join credit_accounts a
                   on a.owner_id = m.team_id and a.owner_kind in ('organization', 'institution', 'cohort')
                 left join enrollments e on e.id = c.enrollment_id and e.user_id = u.id
                 left join credit_accounts ea on ea.owner_kind = 'enrollment' and ea.owner_id = e.id
                 where u.id = $1",
            )
            .bind(user_id)
            .bind(conversation)
            .fetch_optional(&self.inner.pool)
            .await
            .map_err(|error| MeteringError::internal("loading a payer", error))?;
        let Some(found) = found else {
            return Err(MeteringError::InvalidKey);
        };
        if !found.active {
            return Err(MeteringError::Suspended);
        }
        let team_account = match (found.enrollment_id, found.bill_to) {
            (Some(_), _) => match (found.enrollment_status.as_deref(), found.course_account) {
                (Some("joined"), Some(account)) => Some(account),
                (Some("ended"), _) => return Err(MeteringError::CourseEnded),
                _ => return Err(MeteringError::NotMember),
            },
            (None, None) => None,
            (None, Some(_)) => Some(found.team_account.ok_or(MeteringError::NotMember)?),
        };
        let account_id = match team_account {
            Some(account) => account,
            None => {
                let mut conn = self
                    .inner
                    .pool
                    .acquire()
                    .await
                    .map_err(|error| MeteringError::internal("loading a payer", error))?;
                ledger::account_for(&mut conn, ledger::Owner::User(user_id))
                    .await
                    .map_err(|error| MeteringError::internal("loading a payer's account", error))?
            }
        };
        Ok(Payer {
            account_id,
            user_id,
            key_id: None,
            rpm_limit: None,
            tpm_limit: None,
        })
    }

    /// Every model, served or not (cached for a few seconds).
    pub async fn models(&self) -> Result<Arc<ModelMap>, MeteringError> {
        self.inner
            .models
            .all(&self.inner.pool)
            .await
            .map_err(|error| MeteringError::internal("loading models", error))
    }

    /// The model `id`, if it is of `kind` and may be served.
    pub async fn model(&self, id: &str, kind: ModelKind) -> Result<Arc<Model>, MeteringError> {
        let models = self.models().await?;
        let model = models
            .get(id)
            .cloned()
            .ok_or_else(|| MeteringError::UnknownModel(id.to_owned()))?;
        if model.kind != kind {
            return Err(MeteringError::WrongKind {
                model: id.to_owned(),
                expected: kind,
            });
        }
        model.servable().map_err(|why| MeteringError::Unavailable {
            model: id.to_owned(),
            why,
        })?;
        Ok(model)
    }

    /// Admits one call of `payer` under its requests- and tokens-per-minute
    /// limits.
    pub fn admit(&self, payer: &Payer) -> Result<(), MeteringError> {
        let Some(key) = payer.key_id else {
            return Ok(());
        };
        self.inner
            .limits
            .admit(key, payer.rpm_limit, payer.tpm_limit)
            .map_err(|limited| MeteringError::RateLimited {
                message: limited.message,
                retry_after: limited.retry_after,
            })
    }

    /// Reserves the most `planned` can cost at `model`'s prices.
    pub async fn reserve(
        &self,
        payer: &Payer,
        model: &Arc<Model>,
        planned: Planned,
    ) -> Result<Reservation, MeteringError> {
        let cost = model.price(
            planned.prompt_bound.max(1),
            planned.max_output.saturating_mul(planned.choices.max(1)),
        );
        let ttl = time::Duration::try_from(model.timeout() + HOLD_SLACK)
            .unwrap_or(time::Duration::minutes(10));
        let reserved = self
            .inner
            .batcher
            .reserve_for(payer.account_id, cost, ttl, payer.spender())
            .await
            .map_err(|error| match error {
                LedgerError::InsufficientCredits => MeteringError::InsufficientCredits { cost },
                LedgerError::SpendCapReached => MeteringError::SpendCapReached,
                LedgerError::MemberBudgetExceeded { period, resets_at } => {
                    MeteringError::MemberBudgetExceeded { period, resets_at }
                }
                LedgerError::NotMember => MeteringError::NotMember,
                LedgerError::EnrollmentEnded => MeteringError::CourseEnded,
                other => MeteringError::internal("reserving credits", other),
            })?;
        Ok(Reservation {
            meter: self.clone(),
            hold: reserved.hold,
            payer: payer.clone(),
            model: model.clone(),
            planned,
            amount: cost,
            armed: true,
        })
    }

    /// Records a refused request (nothing charged) for `payer`'s usage.
    /// A failure to record is logged, never shown to the caller: the
    /// refusal they get is the answer that matters.
    pub async fn record_refusal(&self, payer: &Payer, refusal: Refusal<'_>) {
        let model: String = refusal.model.chars().take(REFUSED_MODEL_CHARS).collect();
        let record = UsageRecord {
            id: refusal.id,
            key_id: payer.key_id,
            user_id: payer.user_id,
            model,
            endpoint: refusal.kind.endpoint(),
            streamed: refusal.streamed,
            input_tokens: 0,
            output_tokens: 0,
            latency_ms: ledger::int(
                u64::try_from(refusal.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            ),
            status: i16::try_from(refusal.status).unwrap_or(i16::MAX),
            counted_by: None,
            credits: 0,
            hold_id: None,
            agent_id: refusal.agent.map(|a| a.agent_id),
            conversation_id: refusal.agent.map(|a| a.conversation_id),
        };
        if let Err(error) = ledger::record_usage(&self.inner.pool, payer.account_id, &record).await
        {
            tracing::error!(request = %refusal.id, %error, "recording a refused request");
        }
    }

    /// An upper bound of the prompt tokens `model`'s upstream can bill for a
    /// request of `body_bytes`: every token is at least a byte of what is
    /// forwarded, plus what the upstream's chat template is known to add
    /// (learned from its own reports; never less than nothing).
    pub fn prompt_bound(&self, model: &Model, body_bytes: u64) -> u64 {
        let overhead = self.inner.overheads.get(&model.public_id).max(0);
        body_bytes
            .saturating_add(u64::try_from(overhead).unwrap_or(0))
            .saturating_add(count::PER_REQUEST)
    }

    /// Our quick estimate of the prompt of chat `messages` for `model`
    /// (the learned overhead included), to check a request against the
    /// model's context before sending it.
    pub fn estimate_prompt(&self, model: &Model, messages: &[ChatMessage]) -> Counted {
        let counted = count::count_messages(messages);
        let overhead = self.inner.overheads.get(&model.public_id);
        Counted::heuristic(counted.saturating_add_signed(overhead))
    }

    /// Counts the prompt of a chat request (its `messages`, and the
    /// `request` as it came, for tools and templates) as `model`'s upstream
    /// does, for a call it reported no usage for.
    pub async fn count_prompt(
        &self,
        model: &Model,
        messages: &[ChatMessage],
        request: &[u8],
    ) -> Counted {
        match self.tokenizer(model).await {
            Some(tokenizer) => Counted {
                tokens: tokenizer.count_chat(messages, request),
                by: Some(Arc::from(tokenizer.name())),
            },
            None => self.estimate_prompt(model, messages),
        }
    }

    /// Counts output (or embedding input) `text` of `model`.
    pub async fn count_output(&self, model: &Model, text: &str) -> Counted {
        match self.tokenizer(model).await {
            Some(tokenizer) => Counted {
                tokens: tokenizer.count_text(text),
                by: Some(Arc::from(tokenizer.name())),
            },
            None => Counted::heuristic(count::count(text)),
        }
    }

    /// `model`'s tokenizer; `None` for our estimate, or when it cannot be
    /// loaded (logged: an admin has a folder to fix).
    async fn tokenizer(&self, model: &Model) -> Option<Arc<Tokenizer>> {
        if model.tokenizer == TokenizerChoice::Heuristic {
            return None;
        }
        match self.inner.tokenizers.get(&model.tokenizer).await {
            Ok(tokenizer) => Some(tokenizer),
            Err(error) => {
                tracing::error!(model = %model.public_id, %error, "counting with the estimate");
                None
            }
        }
    }

    /// Learns how many prompt tokens the upstream of `model` adds to what we
    /// count (its chat template's system prompt and special tokens), from a
    /// call it reported `reported` prompt tokens for.
    pub fn learn_prompt(&self, model: &Model, messages: &[ChatMessage], reported: u64) {
        let counted = count::count_messages(messages);
        let overhead = i64::try_from(reported)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(counted).unwrap_or(i64::MAX));
        self.inner.overheads.learn(&model.public_id, overhead);
    }
}

/// Credit held for one call; settle or release it. Dropped without either,
/// it is released at once (the call was abandoned: nothing is charged).
pub struct Reservation {
    meter: Meter,
    hold: Uuid,
    payer: Payer,
    model: Arc<Model>,
    planned: Planned,
    amount: Credits,
    armed: bool,
}

impl Reservation {
    /// The model reserved for.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The call's plan.
    pub fn planned(&self) -> Planned {
        self.planned
    }

    /// Charges what was used, writes the usage record and answers once both
    /// are durable. Usage past the reservation (an upstream reporting more
    /// than it could bill) is charged in full from the account's available
    /// credit, and what the account does not have is posted as uncollected:
    /// the record's credits are always its tokens at the model's prices.
    pub async fn settle(mut self, used: Used) -> Result<Settled, MeteringError> {
        let meter = self.meter.clone();
        if let Some(key) = self.payer.key_id {
            meter.inner.limits.spend_tokens(
                key,
                self.payer.tpm_limit,
                used.input.tokens.saturating_add(used.output.tokens),
            );
        }
        let price = self.model.price(used.input.tokens, used.output.tokens);
        if price > self.amount {
            tracing::warn!(request = %self.planned.id, "usage exceeded the reservation; collecting the rest");
        }
        let context = Context {
            usage: Some(self.record(used)),
        };
        let key = self.planned.id.to_string();
        let closed = meter
            .inner
            .batcher
            .settle_with(self.payer.account_id, self.hold, price, &key, context)
            .await
            .map_err(|error| MeteringError::internal("settling a metered call", error))?;
        // Closed: nothing is left to release when this is dropped.
        self.armed = false;
        Ok(Settled {
            charged: closed.closed.charged,
            uncollected: Credits::from_micros(
                (price.micros() - closed.closed.charged.micros()).max(0),
            ),
            remaining: closed.available,
        })
    }

    /// Releases the credit after a failed call and records the failure
    /// (with `status`, nothing charged).
    pub async fn release(mut self, status: u16) {
        let used = Used {
            input: Counted::reported(0),
            output: Counted::reported(0),
            status,
        };
        let context = Context {
            usage: Some(self.record(used)),
        };
        let batcher = self.meter.inner.batcher.clone();
        match batcher
            .release_with(self.payer.account_id, self.hold, context)
            .await
        {
            Ok(_) => self.armed = false,
            Err(error) => tracing::error!(request = %self.planned.id, %error, "releasing a hold"),
        }
    }

    fn record(&self, used: Used) -> UsageRecord {
        let counted_by = used.input.by.or(used.output.by).map(|by| by.to_string());
        UsageRecord {
            id: self.planned.id,
            key_id: self.payer.key_id,
            user_id: self.payer.user_id,
            model: self.model.public_id.clone(),
            endpoint: self.planned.kind.endpoint(),
            streamed: self.planned.streamed,
            input_tokens: ledger::int(used.input.tokens),
            output_tokens: ledger::int(used.output.tokens),
            latency_ms: ledger::int(
                u64::try_from(self.planned.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            ),
            status: i16::try_from(used.status).unwrap_or(i16::MAX),
            counted_by,
            credits: 0,
            hold_id: None,
            agent_id: self.planned.agent.map(|a| a.agent_id),
            conversation_id: self.planned.agent.map(|a| a.conversation_id),
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.armed {
            self.meter.inner.batcher.abandon(self.hold);
        }
    }
}
