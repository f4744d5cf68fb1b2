//! Support requests, for the person who opens them: opening one (with its
//! context attached by the portal), the thread, replies, rating. Staff's
//! side is `api/admin/support/`; both return the views below, and only
//! staff's carry internal notes.

mod get_support_request;
mod my_support_requests;
mod open_support_request;
mod rate_support_request;
mod reply_support_request;

pub use get_support_request::*;
pub use my_support_requests::*;
pub use open_support_request::*;
pub use rate_support_request::*;
pub use reply_support_request::*;

use serde::{Deserialize, Serialize};

use crate::domain::support::{Category, Priority, Status};

/// A request in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportListView {
    pub number: i64,
    pub subject: String,
    pub category: Category,
    pub status: Status,
    pub priority: Priority,
    pub requester_email: String,
    pub assignee: Option<String>,
    /// The first-response target missed (answered late or overdue).
    pub breached: bool,
    /// When the first answer is due, while none has come.
    pub due: Option<String>,
    pub updated: String,
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub name: String,
    pub size: String,
    pub href: String,
}

/// A message of the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    /// `None`: said by the portal itself (a grant).
    pub author: Option<String>,
    pub from_staff: bool,
    /// The Markdown body, rendered and sanitized on the server.
    pub html: String,
    pub when: String,
    pub attachments: Vec<AttachmentView>,
}

/// What the portal attached when the request was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextView {
    pub email: String,
    pub name: String,
    pub account_kind: String,
    pub joined: String,
    /// Micro-credits.
    pub available: i64,
    pub reserved: i64,
    /// `(kind label, name, role, href)`.
    pub teams: Vec<(String, String, String, String)>,
    /// `(request id, model, status, when)`.
    pub failed_requests: Vec<(String, String, i16, String)>,
    pub from_page: Option<String>,
}

/// A request and its thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRequestView {
    pub number: i64,
    pub subject: String,
    pub category: Category,
    pub status: Status,
    pub priority: Priority,
    pub requester_name: String,
    pub requester_email: String,
    pub assignee: Option<String>,
    pub opened: String,
    pub context: ContextView,
    pub messages: Vec<MessageView>,
    pub rating: Option<i16>,
    pub rating_comment: Option<String>,
    /// Micro-credits granted from this request.
    pub granted: i64,
    /// Whether the requester may still reply (not closed).
    pub open_for_replies: bool,
}

#[cfg(feature = "ssr")]
impl SupportListView {
    pub fn from_row(
        row: crate::server::services::support::ListRow,
        now: time::OffsetDateTime,
    ) -> Self {
        use crate::format;
        Self {
            number: row.number,
            breached: row.breached(now),
            due: row
                .first_response_at
                .is_none()
                .then(|| format::time(row.first_response_due)),
            subject: row.subject,
            category: Category::parse(&row.category).unwrap_or(Category::Other),
            status: Status::parse(&row.status).unwrap_or(Status::Open),
            priority: Priority::parse(&row.priority).unwrap_or(Priority::Normal),
            requester_email: row.requester_email,
            assignee: row.assignee_name,
            updated: format::time(row.updated_at),
        }
    }
}

#[cfg(feature = "ssr")]
impl SupportRequestView {
    /// The view of `request` with `messages`: what the requester may read.
    pub fn build(
        request: crate::server::services::support::RequestRow,
        messages: Vec<crate::server::services::support::MessageRow>,
    ) -> Self {
        use crate::format;
        use crate::server::datasets::card;
        let status = request.status();
        let context = request.context.0;
        let teams = context
            .teams
            .into_iter()
            .map(|t| {
                let (label, href) = match t.kind.as_str() {
                    "organization" => ("Organization", crate::href::organization(&t.slug)),
                    "institution" => ("Institution", crate::href::institution(&t.slug)),
                    _ => ("Course", crate::href::course(&t.slug)),
                };
                (label.to_owned(), t.name, t.role, href)
            })
            .collect();
        Self {
            number: request.number,
            subject: request.subject,
            category: Category::parse(&request.category).unwrap_or(Category::Other),
            status,
            priority: Priority::parse(&request.priority).unwrap_or(Priority::Normal),
            requester_name: request.requester_name,
            requester_email: request.requester_email,
            assignee: request.assignee_name,
            opened: format::time(request.created_at),
            context: ContextView {
                email: context.email,
                name: context.name,
                account_kind: context.account_kind,
                joined: context.joined,
                available: context.available,
                reserved: context.reserved,
                teams,
                failed_requests: context
                    .failed_requests
                    .into_iter()
                    .map(|f| (f.id, f.model, f.status, f.at))
                    .collect(),
                from_page: context.from_page,
            },
            messages: messages
                .into_iter()
                .map(|m| MessageView {
                    author: m.author_name,
                    from_staff: m.from_staff,
                    html: card::render(&m.body),
                    when: format::time(m.created_at),
                    attachments: m
                        .attachments
                        .0
                        .into_iter()
                        .map(|a| AttachmentView {
                            href: crate::href::support_attachment(a.id),
                            size: format::bytes(a.bytes),
                            name: a.name,
                        })
                        .collect(),
                })
                .collect(),
            rating: request.rating,
            rating_comment: request.rating_comment,
            granted: request.granted,
            open_for_replies: status != Status::Closed,
        }
    }
}

/// The names of a request form's fields and their size limits in bytes
/// (the body's is its character limit in UTF-8's worst case).
#[cfg(feature = "ssr")]
pub(crate) const MESSAGE_FIELDS: [(&str, usize); 6] = [
    ("number", 32),
    ("category", 32),
    ("subject", 1024),
    ("body", crate::domain::support::MAX_BODY * 4),
    ("from", 1024),
    ("status", 32),
];

/// Parses a request number from a form or URL.
pub fn parse_number(input: &str) -> Result<i64, crate::error::AppError> {
    input
        .trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::error::AppError::NotFound("There is no such support request.".into()))
}
