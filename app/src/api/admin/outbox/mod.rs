//! The outbox as admins see it: every email the portal queued and where
//! its delivery stands.

mod list_outbox;

pub use list_outbox::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a queued email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Accepted by the SMTP server.
    Sent,
    /// Not tried yet (or no SMTP server is configured).
    Pending,
    /// The latest attempt failed; see the error and the attempt count.
    Failed,
}

impl DeliveryState {
    /// How pages show this state.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Sent => "Sent",
            DeliveryState::Pending => "Pending",
            DeliveryState::Failed => "Failed",
        }
    }
}

/// One email of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxView {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    /// The body as kept: without its single-use link, but for an email
    /// queued within the hour on a portal that sends no email.
    pub body: String,
    /// Whether `body` shows the single-use link (see above).
    pub link_shown: bool,
    pub created: String,
    pub sent: Option<String>,
    pub state: DeliveryState,
    pub attempts: i32,
    /// Whether the mailer gave up on it.
    pub gave_up: bool,
    pub last_error: Option<String>,
}
