//! The audit log as admins read it.

mod list_audit;

pub use list_audit::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::paging::Page;

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// What changed, before and after, as `(field, value)` in words.
    pub before: Vec<(String, String)>,
    pub after: Vec<(String, String)>,
    pub client_addr: Option<String>,
}

/// One page of the audit log, and every action name for the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Page<AuditView>,
    pub actions: Vec<String>,
}
