//! Agents for staff: every agent with its versions, the agent file editor
//! (import and edit as JSON, in the documented format), publishing a
//! version, taking an agent out of the gallery, and previewing a draft in
//! the playground. Every change is audited.

mod get_staff_agent;
mod list_staff_agents;
mod preview_agent;
mod publish_agent;
mod save_agent;
mod unpublish_agent;

pub use get_staff_agent::*;
pub use list_staff_agents::*;
pub use preview_agent::*;
pub use publish_agent::*;
pub use save_agent::*;
pub use unpublish_agent::*;

use serde::{Deserialize, Serialize};

/// An agent in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAgentRow {
    pub slug: String,
    pub name: String,
    pub icon: String,
    pub industry: String,
    /// The newest version and whether it is a draft.
    pub newest: i32,
    pub draft: bool,
    /// The version the gallery shows, if any.
    pub published: Option<i32>,
    pub featured: bool,
    pub updated: String,
}

/// One agent for staff: its versions and the newest one as a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAgentView {
    pub slug: String,
    pub name: String,
    pub icon: String,
    pub published: Option<i32>,
    pub newest: i32,
    pub draft: bool,
    /// The newest version as an agent file (JSON), to edit.
    pub file: String,
    pub versions: Vec<StaffVersionRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffVersionRow {
    pub number: i32,
    pub draft: bool,
    pub live: bool,
    pub model: String,
    pub changelog: String,
    pub published: Option<String>,
}

/// The actor of a staff change, for the audit log.
#[cfg(feature = "ssr")]
fn actor(caller: &crate::server::auth::Caller) -> crate::server::services::agents::Actor {
    crate::server::services::agents::Actor {
        user_id: caller.user_id,
        addr: crate::server::client_addr(),
    }
}

/// Back to agent `slug`'s console, saying what was `done`.
#[cfg(feature = "ssr")]
fn back_to(slug: &str, done: &str) {
    crate::server::redirect(&crate::href::done(&crate::href::admin_agent(slug), done));
}
