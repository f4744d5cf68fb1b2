//! The agent gallery's vocabulary: an agent as its JSON file holds it (the
//! format the portal imports and exports, `lab-portal-agent/1`), checked
//! into an [`AgentSpec`]; the tools an agent may call; its system prompt's
//! variables; and a gallery query as a URL carries it.

use serde::{Deserialize, Serialize};

use super::datasets::{parse_slug, DatasetIndustry};
use super::paging::page_from_query;
use super::search::Search;

/// The `format` of an agent file this portal reads and writes.
pub const FORMAT: &str = "lab-portal-agent/1";

/// The variables a system prompt may name, as `{{name}}`.
pub const VARIABLES: [&str; 2] = ["user_name", "date"];

/// Example prompts an agent shows: at least, at most.
pub const EXAMPLES: (usize, usize) = (3, 6);

/// Datasets an agent may link.
pub const MAX_DATASETS: usize = 10;

/// The most output tokens an agent may ask for in one reply.
pub const MAX_TOKENS: u32 = 32_768;

/// The tools an agent may call over its linked datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tool {
    /// Schema, per-column statistics and an excerpt of the card.
    DescribeDataset,
    /// A structured, read-only query: columns, filters, group-by with
    /// aggregates, order and a limit.
    QueryDataset,
}

impl Tool {
    pub const ALL: [Tool; 2] = [Self::DescribeDataset, Self::QueryDataset];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DescribeDataset => "describe_dataset",
            Self::QueryDataset => "query_dataset",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::DescribeDataset => "Describe a dataset",
            Self::QueryDataset => "Query a dataset",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == input.trim())
    }
}

/// The sampling parameters an agent's requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: u32,
}

impl Default for Parameters {
    fn default() -> Self {
        Self {
            temperature: 0.3,
            top_p: 1.0,
            max_tokens: 1024,
        }
    }
}

/// An agent file, field for field (`lab-portal-agent/1`); unknown fields
/// are refused, so a typo is an error rather than a silent default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentFile {
    pub format: String,
    pub slug: String,
    pub name: String,
    pub industry: String,
    pub summary: String,
    pub description: String,
    pub icon: String,
    pub model: String,
    pub system_prompt: String,
    pub parameters: Parameters,
    pub opening_message: String,
    pub example_prompts: Vec<String>,
    #[serde(default)]
    pub datasets: Vec<String>,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub featured: bool,
}

/// An agent version, checked: what the database stores and the playground
/// runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSpec {
    pub slug: String,
    pub name: String,
    pub industry: DatasetIndustry,
    pub summary: String,
    pub description: String,
    pub icon: String,
    pub model: String,
    pub system_prompt: String,
    pub parameters: Parameters,
    pub opening_message: String,
    pub example_prompts: Vec<String>,
    pub datasets: Vec<String>,
    pub tools: Vec<Tool>,
    pub featured: bool,
}

/// A field of an agent that is wrong, and why (the field as the file names
/// it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Reads an agent file's JSON: its syntax, then every field.
pub fn parse_file(json: &str) -> Result<AgentSpec, Vec<FieldProblem>> {
    let file: AgentFile = serde_json::from_str(json).map_err(|e| {
        vec![FieldProblem {
            field: "file".into(),
            message: format!("not an agent file: {e}"),
        }]
    })?;
    file.check()
}

impl AgentFile {
    /// Every problem of the file's fields, or the agent it describes.
    pub fn check(self) -> Result<AgentSpec, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(FieldProblem {
                field: field.to_owned(),
                message,
            })
        };
        if self.format != FORMAT {
            problem("format", format!("must be \"{FORMAT}\""));
        }
        let slug = match parse_slug(&self.slug) {
            Ok(slug) if (3..=60).contains(&slug.len()) && !slug.contains("--") => slug,
            Ok(_) => {
                problem(
                    "slug",
                    "use 3 to 60 lower-case letters, digits and single hyphens".into(),
                );
                String::new()
            }
            Err(message) => {
                problem("slug", message);
                String::new()
            }
        };
        let name = text(&mut problem, "name", &self.name, 1, 60, true);
        let industry = DatasetIndustry::parse(&self.industry);
        if industry.is_none() {
            problem(
                "industry",
                format!(
                    "must be one of {}",
                    DatasetIndustry::ALL.map(|i| i.as_str()).join(", ")
                ),
            );
        }
        let summary = text(&mut problem, "summary", &self.summary, 1, 160, true);
        let description = text(
            &mut problem,
            "description",
            &self.description,
            0,
            20_000,
            false,
        );
        let icon = self.icon.trim().to_owned();
        if icon.is_empty()
            || icon.len() > 16
            || icon.chars().count() > 8
            || icon
                .chars()
                .any(|c| c.is_ascii() || c.is_control() || c.is_whitespace())
        {
            problem("icon", "must be one emoji".into());
        }
        let model = text(&mut problem, "model", &self.model, 1, 200, true);
        let system_prompt = text(
            &mut problem,
            "system_prompt",
            &self.system_prompt,
            1,
            40_000,
            false,
        );
        for name in variables(&system_prompt) {
            if !VARIABLES.contains(&name) {
                problem(
                    "system_prompt",
                    format!(
                        "{{{{{name}}}}} is not a variable; use {}",
                        VARIABLES.map(|v| format!("{{{{{v}}}}}")).join(" or ")
                    ),
                );
            }
        }
        let p = self.parameters;
        if !(0.0..=2.0).contains(&p.temperature) {
            problem("parameters.temperature", "must be from 0 to 2".into());
        }
        if !(p.top_p > 0.0 && p.top_p <= 1.0) {
            problem("parameters.top_p", "must be above 0 and at most 1".into());
        }
        if !(1..=MAX_TOKENS).contains(&p.max_tokens) {
            problem(
                "parameters.max_tokens",
                format!("must be from 1 to {MAX_TOKENS}"),
            );
        }
        let opening_message = text(
            &mut problem,
            "opening_message",
            &self.opening_message,
            0,
            2_000,
            false,
        );
        let examples: Vec<String> = self
            .example_prompts
            .iter()
            .map(|e| e.trim().to_owned())
            .collect();
        if !(EXAMPLES.0..=EXAMPLES.1).contains(&examples.len()) {
            problem(
                "example_prompts",
                format!("give {} to {} examples", EXAMPLES.0, EXAMPLES.1),
            );
        }
        if examples
            .iter()
            .any(|e| e.is_empty() || e.chars().count() > 500)
        {
            problem(
                "example_prompts",
                "each example is 1 to 500 characters".into(),
            );
        }
        let mut datasets = Vec::new();
        for slug in &self.datasets {
            match parse_slug(slug) {
                Ok(slug) if !datasets.contains(&slug) => datasets.push(slug),
                Ok(_) => {}
                Err(message) => problem("datasets", format!("{slug:?}: {message}")),
            }
        }
        if datasets.len() > MAX_DATASETS {
            problem("datasets", format!("link at most {MAX_DATASETS} datasets"));
        }
        let mut tools = Vec::new();
        for name in &self.tools {
            match Tool::parse(name) {
                Some(tool) if !tools.contains(&tool) => tools.push(tool),
                Some(_) => {}
                None => problem(
                    "tools",
                    format!(
                        "{name:?} is not a tool; use {}",
                        Tool::ALL.map(Tool::as_str).join(" or ")
                    ),
                ),
            }
        }
        if !tools.is_empty() && datasets.is_empty() {
            problem("tools", "tools work over linked datasets: link one".into());
        }
        match (problems.is_empty(), industry) {
            (true, Some(industry)) => Ok(AgentSpec {
                slug,
                name,
                industry,
                summary,
                description,
                icon,
                model,
                system_prompt,
                parameters: p,
                opening_message,
                example_prompts: examples,
                datasets,
                tools,
                featured: self.featured,
            }),
            _ => Err(problems),
        }
    }
}

impl AgentSpec {
    /// The agent as its file holds it.
    pub fn to_file(&self) -> AgentFile {
        AgentFile {
            format: FORMAT.to_owned(),
            slug: self.slug.clone(),
            name: self.name.clone(),
            industry: self.industry.as_str().to_owned(),
            summary: self.summary.clone(),
            description: self.description.clone(),
            icon: self.icon.clone(),
            model: self.model.clone(),
            system_prompt: self.system_prompt.clone(),
            parameters: self.parameters,
            opening_message: self.opening_message.clone(),
            example_prompts: self.example_prompts.clone(),
            datasets: self.datasets.clone(),
            tools: self.tools.iter().map(|t| t.as_str().to_owned()).collect(),
            featured: self.featured,
        }
    }

    /// The agent file's JSON, pretty-printed with a final newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(&self.to_file()).unwrap_or_default();
        json.push('\n');
        json
    }
}

/// `input` trimmed (or, for long text, kept as written) if it is `min` to
/// `max` characters and, when `one_line`, holds no line break.
fn text(
    problem: &mut impl FnMut(&str, String),
    field: &str,
    input: &str,
    min: usize,
    max: usize,
    one_line: bool,
) -> String {
    let value = if one_line {
        input.trim().to_owned()
    } else {
        input.trim_end().to_owned()
    };
    let chars = value.chars().count();
    if chars < min || chars > max {
        if min == 0 {
            problem(field, format!("keep it to {max} characters"));
        } else {
            problem(field, format!("write {min} to {max} characters"));
        }
    }
    if one_line && value.chars().any(char::is_control) {
        problem(field, "keep it on one line".into());
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        problem(field, "remove the control characters".into());
    }
    value
}

/// The names of the `{{variables}}` `prompt` uses, in order.
pub fn variables(prompt: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = prompt;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        names.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    names
}

/// `prompt` with its variables filled in: `{{user_name}}` and `{{date}}`
/// (a day, `YYYY-MM-DD`). Anything else in braces stays as written.
pub fn render_prompt(prompt: &str, user_name: &str, date: &str) -> String {
    let mut out = String::with_capacity(prompt.len() + 32);
    let mut rest = prompt;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match after[..end].trim() {
            "user_name" => out.push_str(user_name),
            "date" => out.push_str(date),
            _ => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The gallery's parameters as a URL carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub page: String,
}

/// A gallery query: a search over names, summaries and descriptions, an
/// industry, a page. Featured agents come first, then the newest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryQuery {
    pub q: String,
    pub industry: Option<DatasetIndustry>,
    pub page: i64,
}

impl GalleryQuery {
    /// Reads `params`; an unknown industry is ignored (an old link still
    /// shows the gallery), a bad search is an error.
    pub fn parse(params: &GalleryParams) -> Result<Self, String> {
        Ok(Self {
            q: Search::parse(&params.q)?.as_str().to_owned(),
            industry: DatasetIndustry::parse(&params.industry),
            page: page_from_query(Some(&params.page)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> AgentFile {
        AgentFile {
            format: FORMAT.into(),
            slug: "credit-memo-drafter".into(),
            name: "Credit memo drafter".into(),
            industry: "finance".into(),
            summary: "Drafts credit memos.".into(),
            description: "Writes a **memo**.".into(),
            icon: "📝".into(),
            model: "simulator-chat".into(),
            system_prompt: "You help {{user_name}} on {{date}}.".into(),
            parameters: Parameters::default(),
            opening_message: "Paste the financials.".into(),
            example_prompts: vec!["One".into(), "Two".into(), "Three".into()],
            datasets: vec![],
            tools: vec![],
            featured: true,
        }
    }

    #[test]
    fn a_good_file_is_read_and_written_back_the_same() {
        let spec = good().check().expect("a good agent");
        assert_eq!(spec.industry, DatasetIndustry::Finance);
        let json = spec.to_json();
        assert_eq!(parse_file(&json), Ok(spec.clone()));
        assert_eq!(spec.to_file(), good());
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = good();
        bad.format = "v2".into();
        bad.slug = "Bad Slug".into();
        bad.industry = "mining".into();
        bad.icon = "AI".into();
        bad.system_prompt = "Hello {{company}}".into();
        bad.parameters.temperature = 3.0;
        bad.parameters.top_p = 0.0;
        bad.parameters.max_tokens = 0;
        bad.example_prompts = vec!["only one".into()];
        bad.tools = vec!["query_dataset".into(), "run_sql".into()];
        let problems = bad.check().expect_err("problems");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for field in [
            "format",
            "slug",
            "industry",
            "icon",
            "system_prompt",
            "parameters.temperature",
            "parameters.top_p",
            "parameters.max_tokens",
            "example_prompts",
            "tools",
        ] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        assert!(problems
            .iter()
            .any(|p| p.message.contains("\"run_sql\" is not a tool")));
        assert!(problems
            .iter()
            .any(|p| p.message.contains("tools work over linked datasets")));
    }

    #[test]
    fn unknown_fields_and_broken_json_are_refused() {
        let mut json: serde_json::Value = serde_json::to_value(good()).expect("serializes");
        json["colour"] = "blue".into();
        let problems = parse_file(&json.to_string()).expect_err("unknown field");
        assert!(problems[0].message.contains("unknown field `colour`"));
        assert!(parse_file("{").is_err());
    }

    #[test]
    fn the_prompt_variables_are_filled_in_and_others_left() {
        assert_eq!(
            render_prompt(
                "Hi {{user_name}}, today is {{ date }}; {{other}} and {{ open",
                "Ada",
                "2026-11-27"
            ),
            "Hi Ada, today is 2026-11-27; {{other}} and {{ open"
        );
        assert_eq!(variables("{{a}} x {{ b }}"), vec!["a", "b"]);
    }

    #[test]
    fn a_gallery_query_reads_its_url() {
        let query = GalleryQuery::parse(&GalleryParams {
            q: " memo ".into(),
            industry: "finance".into(),
            page: "2".into(),
        })
        .expect("a query");
        assert_eq!(query.q, "memo");
        assert_eq!(query.industry, Some(DatasetIndustry::Finance));
        assert_eq!(query.page, 2);
        let loose = GalleryQuery::parse(&GalleryParams {
            industry: "mining".into(),
            ..GalleryParams::default()
        })
        .expect("a query");
        assert_eq!((loose.industry, loose.page), (None, 1));
    }
}
