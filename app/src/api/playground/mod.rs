//! The playground, for a signed-in user: starting a conversation with an
//! agent, their conversations (searched, renamed, deleted), and one
//! conversation with its messages and costs. Replies themselves stream
//! from a plain route (`server/src/playground.rs`).

mod bill_conversation;
mod conversation;
mod set_playground_cap;
mod share;
mod start_conversation;

pub use bill_conversation::*;
pub use conversation::*;
pub use set_playground_cap::*;
pub use share::*;
pub use start_conversation::*;

use serde::{Deserialize, Serialize};

use crate::api::agents::PriceView;
use crate::domain::paging::Page;

/// Conversations per page of the list.
pub const PER_PAGE: i64 = 20;

/// A page of the caller's conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationsView {
    pub q: String,
    pub results: Page<ConversationItem>,
    /// This month's playground spending, and the caller's own cap, in
    /// credits.
    pub month_spent: String,
    pub cap: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationItem {
    pub id: String,
    pub title: String,
    pub agent_name: String,
    pub agent_icon: String,
    pub updated: String,
    pub credits: String,
}

/// One conversation as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationView {
    pub id: String,
    pub title: String,
    pub agent_slug: String,
    pub agent_name: String,
    pub agent_icon: String,
    pub agent_version: i32,
    pub opening_message: String,
    pub example_prompts: Vec<String>,
    pub model: String,
    pub price: Option<PriceView>,
    pub messages: Vec<MessageView>,
    /// What the conversation's replies cost, in credits.
    pub credits: String,
    /// What the conversation may spend now: the caller's credits, or the
    /// pool of the organization it bills.
    pub balance: String,
    /// The organization it bills (its slug and name); none: the caller's
    /// own credit.
    pub bill_to: Option<BillToView>,
    /// The organizations the caller may bill it to instead.
    pub bill_choices: Vec<BillToView>,
    /// This month's playground spending, and the caller's own cap.
    pub month_spent: String,
    pub cap: Option<String>,
    /// Its share links, newest first.
    pub shares: Vec<ShareView>,
}

/// An organization or course a conversation bills, or may.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillToView {
    /// What the form posts: an organization's slug, or `course:<slug>`.
    pub slug: String,
    pub name: String,
    /// A course (the student's own allocation), not an organization.
    pub course: bool,
}

/// A share link as its owner sees it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareView {
    pub id: String,
    /// "Anyone with the link" or "Signed-in users with the link".
    pub audience: String,
    pub created: String,
    /// "Never expires", "Expires …", "Expired …" or "Revoked …".
    pub state: String,
    /// Whether the link still opens the conversation.
    pub active: bool,
}

/// A link just made: the whole address, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewShare {
    pub url: String,
}

/// A shared conversation as its link shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedView {
    pub title: String,
    pub agent_slug: String,
    pub agent_name: String,
    pub agent_icon: String,
    pub agent_version: i32,
    /// The agent's one-line summary, while it is published.
    pub agent_summary: Option<String>,
    pub messages: Vec<SharedMessageView>,
}

/// One message of a shared conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedMessageView {
    pub role: String,
    pub text: String,
    /// A reply's sanitized HTML.
    pub html: String,
    pub tool: Option<String>,
}

/// One message: a person's as text, a reply as sanitized HTML from its
/// Markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub position: i32,
    pub role: String,
    pub text: String,
    pub html: String,
    /// `complete`, `stopped` or `failed`.
    pub status: String,
    /// "123 in · 456 out" for a reply.
    pub tokens: Option<String>,
    pub credits: Option<String>,
    /// The tools a reply called, each with its result, folded.
    pub tools: Vec<ToolView>,
}

/// A tool call of a reply and what it returned, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolView {
    pub name: String,
    pub arguments: String,
    pub result: String,
}
