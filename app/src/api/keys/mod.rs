//! A developer's API keys for the inference API, and how to call it.

mod api_quick_start;
mod create_api_key;
#[cfg(feature = "ssr")]
mod flash;
mod list_api_keys;
mod revoke_api_key;
mod take_created_key;

pub use api_quick_start::*;
pub use create_api_key::*;
pub use list_api_keys::*;
pub use revoke_api_key::*;
pub use take_created_key::*;

use serde::{Deserialize, Serialize};

/// Whether a key still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyStatus {
    /// The word people see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Revoked => "Revoked",
            Self::Expired => "Expired",
        }
    }
}

/// A key as its owner sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// `lp_<public id>_…`
    pub prefix: String,
    pub created: String,
    pub last_used: Option<String>,
    /// Micro-credits charged so far.
    pub spent: i64,
    /// Micro-credits, when capped.
    pub spend_cap: Option<i64>,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
    pub expires: Option<String>,
    pub status: KeyStatus,
    /// The organization it bills, if not the owner's own credit.
    pub organization: Option<String>,
}

#[cfg(feature = "ssr")]
impl KeyView {
    /// The view of `row` at `now`.
    pub fn from_row(row: crate::server::services::keys::KeyRow, now: time::OffsetDateTime) -> Self {
        use crate::format;
        let status = if row.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if row.expires_at.is_some_and(|at| at <= now) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        };
        Self {
            id: row.id.to_string(),
            name: row.name,
            prefix: crate::server::api_keys::display_prefix(&row.public_id),
            created: format::time(row.created_at),
            last_used: row.last_used_at.map(format::time),
            spent: row.spent,
            spend_cap: row.spend_cap,
            rpm_limit: row.rpm_limit,
            tpm_limit: row.tpm_limit,
            expires: row.expires_at.map(format::expiry),
            status,
            organization: row.organization,
        }
    }
}

/// A key just created: the only time its plaintext is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    /// The whole key. Shown once; the portal keeps only its hash.
    pub key: String,
}

/// A model the API serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelView {
    pub id: String,
    /// `chat` or `embedding`.
    pub kind: crate::domain::model::ModelKind,
}

/// What the quick-start snippets need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickStart {
    /// `<portal origin>/v1`
    pub base_url: String,
    pub models: Vec<ModelView>,
}

/// Answers this response with `Cache-Control: no-store` (it carries a key).
#[cfg(feature = "ssr")]
fn no_store() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}
