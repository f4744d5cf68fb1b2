//! The agent gallery, for everyone (signed in or not): the published
//! agents with their industries, and one agent's page.

mod get_agent;
mod list_agents;

pub use get_agent::*;
pub use list_agents::*;

use serde::{Deserialize, Serialize};

use crate::domain::agents::GalleryQuery;
use crate::domain::paging::Page;

/// Agents per gallery page.
pub const PER_PAGE: i64 = 24;

/// One page of the gallery and its industries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryView {
    pub query: GalleryQuery,
    pub results: Page<AgentCard>,
    /// Every industry with how many agents match the search in it.
    pub industries: Vec<IndustryCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndustryCount {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub chosen: bool,
}

/// A model's prices in credits per million tokens, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceView {
    pub input: String,
    pub output: String,
}

impl PriceView {
    /// Micro-credits per million tokens, in and out.
    pub fn of(input: i64, output: i64) -> Self {
        use crate::domain::credits::Credits;
        Self {
            input: crate::format::credits(Credits::from_micros(input)),
            output: crate::format::credits(Credits::from_micros(output)),
        }
    }
}

/// An agent as the gallery lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentCard {
    pub slug: String,
    pub name: String,
    pub industry: String,
    pub summary: String,
    pub icon: String,
    pub model: String,
    /// None: the model is not served now (the agent cannot be tried).
    pub price: Option<PriceView>,
    pub featured: bool,
}

/// One agent's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentView {
    pub slug: String,
    pub name: String,
    pub industry: String,
    pub industry_value: String,
    pub summary: String,
    /// The description rendered from Markdown and sanitized.
    pub description_html: String,
    pub icon: String,
    pub model: String,
    pub price: Option<PriceView>,
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: u32,
    pub opening_message: String,
    pub example_prompts: Vec<String>,
    pub datasets: Vec<LinkedDatasetView>,
    pub tools: Vec<String>,
    pub version: i32,
    /// A staff preview of a version the gallery does not show.
    pub preview: bool,
    pub featured: bool,
    /// The agent's request as code calling `/v1`: `(language, code)`.
    pub code: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedDatasetView {
    pub slug: String,
    pub title: String,
    pub summary: String,
}
