//! Support requests, for Lab staff: the queue, a request with its context
//! and internal notes, replies, notes, assignment, status, priority,
//! credit granted from a request, and canned replies.

mod admin_canned_replies;
mod admin_get_support_request;
mod admin_reply_support_request;
mod admin_support_changes;
mod admin_support_queue;

pub use admin_canned_replies::*;
pub use admin_get_support_request::*;
pub use admin_reply_support_request::*;
pub use admin_support_changes::*;
pub use admin_support_queue::*;

use serde::{Deserialize, Serialize};

use crate::api::support::{MessageView, SupportListView, SupportRequestView};
use crate::domain::paging::Page;

/// How the queue is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueHealthView {
    pub active: i64,
    pub unassigned: i64,
    pub breached_open: i64,
    /// First responses within target over 30 days, in percent.
    pub met_percent: Option<i64>,
    pub measured: i64,
}

#[cfg(feature = "ssr")]
impl From<crate::server::services::support::QueueHealth> for QueueHealthView {
    fn from(h: crate::server::services::support::QueueHealth) -> Self {
        Self {
            active: h.active,
            unassigned: h.unassigned,
            breached_open: h.breached_open,
            met_percent: h.met_percent(),
            measured: h.measured,
        }
    }
}

/// One page of the queue, with its health and the staff to filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportQueue {
    pub page: Page<SupportListView>,
    pub health: QueueHealthView,
}

/// An internal note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteView {
    pub author: String,
    /// Rendered and sanitized.
    pub html: String,
    pub when: String,
}

/// A canned reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedView {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// One entry of the staff's timeline of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffEntry {
    /// On the thread: the requester reads it.
    Message(MessageView),
    /// Staff only.
    Note(NoteView),
}

/// A request as staff see it: the requester's view (its messages moved
/// into `timeline`), and what only staff see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRequestView {
    pub request: SupportRequestView,
    /// Messages and internal notes, oldest first.
    pub timeline: Vec<StaffEntry>,
    pub assignee_id: Option<String>,
    /// `(id, name)` of every active admin.
    pub staff: Vec<(String, String)>,
    pub canned: Vec<CannedView>,
    /// The canned reply asked for (`?canned=`), filled in for this request.
    pub draft: Option<String>,
    pub breached: bool,
    /// When the first answer was due.
    pub due: String,
    pub first_response: Option<String>,
    /// A fresh idempotency key for the grant form.
    pub grant_key: String,
}
