//! Access requests for approval datasets, as Lab staff review them: the
//! queue and its decisions (approve, reject, revoke).

mod decide_dataset_access;
mod list_dataset_access;

pub use decide_dataset_access::*;
pub use list_dataset_access::*;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::dataset_access::RequestStatus;

/// An access request as reviewers see it: who asks for which dataset, and
/// their answers in the form's order, labelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminAccessRequest {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_email: String,
    pub user_name: String,
    pub slug: String,
    pub title: String,
    pub answers: Vec<(String, String)>,
    pub status: RequestStatus,
    pub reason: Option<String>,
    pub sent: String,
    pub decided: Option<String>,
}

/// A decision form, as posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessDecisionForm {
    pub request_id: Uuid,
    /// `approve`, `reject` or `revoke`.
    pub decision: String,
    /// Optional for an approval; the reason for a rejection or revocation.
    #[serde(default)]
    pub reason: String,
}

/// The field of a validation error that names the request it is about (one
/// form per request on the page).
pub const REQUEST_FIELD: &str = "request_id";
