//! A developer's usage of the inference API: the request log and daily
//! totals by model.

mod my_usage;
mod my_usage_chart;
mod my_usage_filters;

pub use my_usage::*;
pub use my_usage_chart::*;
pub use my_usage_filters::*;

use serde::{Deserialize, Serialize};

use crate::domain::paging::Page;

/// One request as its maker sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    pub id: String,
    pub when: String,
    pub model: String,
    /// The key's name, or `None` for a call the portal made for its user.
    pub key_name: Option<String>,
    /// `lp_<public id>_…` of the key that made the request.
    pub key_prefix: Option<String>,
    /// `chat` or `embeddings`.
    pub endpoint: String,
    pub streamed: bool,
    pub input_tokens: i32,
    pub output_tokens: i32,
    /// Micro-credits charged.
    pub credits: i64,
    pub latency_ms: i32,
    /// HTTP status of the answer.
    pub status: i16,
    /// `None`: the model provider reported the tokens; else the tokenizer
    /// the portal counted them with.
    pub counted_by: Option<String>,
}

/// A key, as a filter option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOption {
    pub id: String,
    pub label: String,
}

/// What the log's filters can choose from: the models the user has
/// called, and their keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageFilters {
    pub models: Vec<String>,
    pub keys: Vec<KeyOption>,
}

#[cfg(feature = "ssr")]
impl From<crate::server::services::usage::UsageRow> for UsageView {
    fn from(r: crate::server::services::usage::UsageRow) -> Self {
        Self {
            id: r.id.to_string(),
            when: crate::format::time(r.created_at),
            model: r.model,
            key_name: r.key_name,
            key_prefix: r
                .key_public_id
                .as_deref()
                .map(crate::server::api_keys::display_prefix),
            endpoint: r.endpoint,
            streamed: r.streamed,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            credits: r.credits,
            latency_ms: r.latency_ms,
            status: r.status,
            counted_by: r.counted_by,
        }
    }
}

/// One page of the request log and the totals over all its pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageLog {
    /// The requests on this page; its `total` counts the requests matching
    /// the filters, on all pages.
    pub requests: Page<UsageView>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Micro-credits.
    pub credits: i64,
}

/// What a chart of daily totals measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    #[default]
    Credits,
    Tokens,
    Requests,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Credits, Metric::Tokens, Metric::Requests];

    /// Its name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credits => "credits",
            Self::Tokens => "tokens",
            Self::Requests => "requests",
        }
    }

    /// From its name in a URL; anything else is credits.
    pub fn parse(text: &str) -> Self {
        match text {
            "tokens" => Self::Tokens,
            "requests" => Self::Requests,
            _ => Self::Credits,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Credits => "Credits",
            Self::Tokens => "Tokens",
            Self::Requests => "Requests",
        }
    }
}

/// One model's daily values in a [`UsageChart`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// A model id, or "Other models" for the rest.
    pub name: String,
    /// One value per day of the chart: micro-credits, tokens or requests.
    pub values: Vec<i64>,
}

/// Daily totals by model: one series per model, the biggest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageChart {
    pub metric: Metric,
    /// `YYYY-MM-DD`, oldest first.
    pub days: Vec<String>,
    pub series: Vec<Series>,
}

impl UsageChart {
    /// The total of one day, over every series.
    pub fn day_total(&self, day: usize) -> i64 {
        self.series
            .iter()
            .map(|s| s.values.get(day).copied().unwrap_or(0))
            .sum()
    }

    /// Whether nothing at all happened on the chart's days.
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.values.iter().all(|v| *v == 0))
    }
}
