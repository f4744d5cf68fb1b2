//! The dataset form of the curation console, parsed: what a dataset says
//! about itself (everything but its files and its versions' cards), each
//! field checked against the same rules the database holds, each problem
//! reported under its field.

use std::collections::BTreeMap;

use super::dataset_access::{check_fields, RequestField};
use super::datasets::{parse_slug, Access, DatasetIndustry, TASKS};
use crate::error::{AppError, FieldErrors};

/// What a license's name says when the source publishes none.
pub const UNKNOWN_LICENSE: &str = "unknown — see source";

/// The most tags, and the most languages, a dataset has.
pub const MAX_LIST: usize = 20;
/// The longest tag or language.
pub const MAX_LIST_ITEM: usize = 40;
/// The longest card, and the longest terms, in characters.
pub const MAX_CARD: usize = 100_000;
/// The longest changelog line.
pub const MAX_CHANGELOG: usize = 500;

/// A dataset's description, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetMeta {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub industry: String,
    pub tasks: Vec<String>,
    /// SPDX id; `None` when the source publishes no license.
    pub license_id: Option<String>,
    pub license_name: String,
    pub license_url: Option<String>,
    pub languages: Vec<String>,
    pub tags: Vec<String>,
    pub publisher: String,
    pub source_name: String,
    pub source_url: Option<String>,
    pub citation: Option<String>,
    pub access: String,
    /// The terms to accept (access `terms`), as Markdown.
    pub terms: String,
    /// The request form's fields (access `approval`).
    pub request_fields: Vec<RequestField>,
}

/// The dataset form's fields, as posted.
#[derive(Debug, Clone, Copy)]
pub struct DatasetFields<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub industry: &'a str,
    /// The ticked task boxes, by task value.
    pub tasks: &'a BTreeMap<String, String>,
    pub license_id: &'a str,
    pub license_name: &'a str,
    pub license_url: &'a str,
    /// Comma-separated.
    pub languages: &'a str,
    /// Comma-separated.
    pub tags: &'a str,
    pub publisher: &'a str,
    pub source_name: &'a str,
    pub source_url: &'a str,
    pub citation: &'a str,
    pub access: &'a str,
    pub terms: &'a str,
    /// The request form's fields as JSON (access `approval`).
    pub request_fields: &'a str,
}

/// Checks every field of the dataset form.
pub fn dataset(fields: DatasetFields<'_>) -> Result<DatasetMeta, AppError> {
    let mut errors = FieldErrors::default();
    let slug = errors.check("slug", parse_slug(fields.slug).and_then(not_reserved));
    let title = errors.check("title", text(fields.title, 120, "a title"));
    let summary = errors.check("summary", text(fields.summary, 300, "a one-line summary"));
    let industry = errors.check(
        "industry",
        DatasetIndustry::parse(fields.industry).ok_or_else(|| "Choose an industry.".to_owned()),
    );
    let tasks = errors.check("tasks", tasks(fields.tasks));
    let license_id = errors.check("license_id", license_id(fields.license_id));
    let license_name = errors.check(
        "license_name",
        text(fields.license_name, 200, "the license's name"),
    );
    let license_url = errors.check("license_url", url(fields.license_url));
    let languages = errors.check("languages", list(fields.languages));
    let tags = errors.check("tags", list(fields.tags));
    let publisher = errors.check("publisher", text(fields.publisher, 200, "the publisher"));
    let source_name = errors.check(
        "source_name",
        text(fields.source_name, 300, "where the data comes from"),
    );
    let source_url = errors.check("source_url", url(fields.source_url));
    let citation = errors.check("citation", optional_text(fields.citation, 2000));
    let access = errors.check(
        "access",
        Access::parse(fields.access).ok_or_else(|| "Choose an access level.".to_owned()),
    );
    let terms = errors.check("terms", long_text(fields.terms));
    let request_fields = errors.check("request_fields", request_fields(fields.request_fields));
    if let (Some(Some(_)), Some(name)) = (&license_id, &license_name) {
        if name == UNKNOWN_LICENSE {
            errors.add(
                "license_id",
                "Leave the SPDX id empty when the license is unknown.",
            );
        }
    }
    if let (Some(None), Some(name)) = (&license_id, &license_name) {
        if name != UNKNOWN_LICENSE && license_url.as_ref().is_some_and(Option::is_none) {
            errors.add(
                "license_url",
                "A license without an SPDX id needs a link to its text (or write \"unknown — see source\" as its name).",
            );
        }
    }
    if access == Some(Access::Terms) && terms.as_ref().is_some_and(|t| t.trim().is_empty()) {
        errors.add("terms", "A dataset with terms needs the terms to accept.");
    }
    if access == Some(Access::Approval) && request_fields.as_ref().is_some_and(Vec::is_empty) {
        errors.add(
            "request_fields",
            "A dataset that needs approval needs at least one question for the request form.",
        );
    }
    errors.finish()?;
    match (
        slug,
        title,
        summary,
        industry,
        tasks,
        license_id,
        license_name,
        license_url,
        languages,
        tags,
        publisher,
        source_name,
        source_url,
        citation,
        access,
        terms,
        request_fields,
    ) {
        (
            Some(slug),
            Some(title),
            Some(summary),
            Some(industry),
            Some(tasks),
            Some(license_id),
            Some(license_name),
            Some(license_url),
            Some(languages),
            Some(tags),
            Some(publisher),
            Some(source_name),
            Some(source_url),
            Some(citation),
            Some(access),
            Some(terms),
            Some(request_fields),
        ) => Ok(DatasetMeta {
            slug,
            title,
            summary,
            industry: industry.as_str().to_owned(),
            tasks,
            license_id,
            license_name,
            license_url,
            languages,
            tags,
            publisher,
            source_name,
            source_url,
            citation,
            access: access.as_str().to_owned(),
            terms,
            request_fields,
        }),
        _ => Err(AppError::Internal),
    }
}

/// A version's card and changelog line, checked.
pub fn draft(card: &str, changelog: &str) -> Result<(String, String), AppError> {
    let mut errors = FieldErrors::default();
    let card = errors.check("card", long_text(card));
    let changelog = errors.check("changelog", optional_text(changelog, MAX_CHANGELOG));
    errors.finish()?;
    match (card, changelog) {
        (Some(card), Some(changelog)) => Ok((card, changelog.unwrap_or_default())),
        _ => Err(AppError::Internal),
    }
}

/// Slugs naming pages of the curation console (`/admin/datasets/new`).
pub const RESERVED_SLUGS: [&str; 3] = ["new", "access", "import"];

fn not_reserved(slug: String) -> Result<String, String> {
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(format!(
            "\"{slug}\" names a page of the console; choose another slug."
        ));
    }
    Ok(slug)
}

/// One line of text, 1 to `max` characters.
fn text(input: &str, max: usize, what: &str) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(format!("Enter {what}."));
    }
    if text.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    if text.chars().any(char::is_control) {
        return Err("Use one line of text.".to_owned());
    }
    Ok(text.to_owned())
}

/// Text of at most `max` characters (lines allowed); `None` when empty.
fn optional_text(input: &str, max: usize) -> Result<Option<String>, String> {
    let text = input.trim();
    if text.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    Ok(Some(text.to_owned()).filter(|t| !t.is_empty()))
}

/// Markdown of at most [`MAX_CARD`] characters, line ends as `\n`.
fn long_text(input: &str) -> Result<String, String> {
    let text = input.replace("\r\n", "\n");
    if text.chars().count() > MAX_CARD {
        return Err(format!("Use at most {MAX_CARD} characters."));
    }
    Ok(text.trim().to_owned())
}

fn tasks(ticked: &BTreeMap<String, String>) -> Result<Vec<String>, String> {
    ticked
        .keys()
        .map(|task| {
            TASKS
                .iter()
                .find(|(known, _)| known == task)
                .map(|(known, _)| (*known).to_owned())
                .ok_or_else(|| format!("Unknown task {task}."))
        })
        .collect()
}

fn license_id(input: &str) -> Result<Option<String>, String> {
    let id = input.trim();
    if id.is_empty() {
        return Ok(None);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".+() -".contains(c);
    if id.len() > 100 || !id.chars().all(allowed) {
        return Err("Enter an SPDX id like CC-BY-4.0 or MIT, or leave it empty.".to_owned());
    }
    Ok(Some(id.to_owned()))
}

/// An `http(s)://` link of at most 500 characters; `None` when empty.
fn url(input: &str) -> Result<Option<String>, String> {
    let url = input.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
        return Err("Enter a link starting with https:// or http://.".to_owned());
    }
    if url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("Enter one link of at most 500 characters, without spaces.".to_owned());
    }
    Ok(Some(url.to_owned()))
}

/// Comma-separated words: each trimmed, empty ones dropped, duplicates
/// once, at most [`MAX_LIST`] of [`MAX_LIST_ITEM`] characters.
fn list(input: &str) -> Result<Vec<String>, String> {
    let mut items: Vec<String> = Vec::new();
    for item in input.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if item.chars().count() > MAX_LIST_ITEM || item.chars().any(char::is_control) {
            return Err(format!(
                "\"{}\" is too long: each entry has at most {MAX_LIST_ITEM} characters.",
                item.chars().take(MAX_LIST_ITEM).collect::<String>()
            ));
        }
        if !items.iter().any(|i| i == item) {
            items.push(item.to_owned());
        }
    }
    if items.len() > MAX_LIST {
        return Err(format!("Give at most {MAX_LIST}, separated by commas."));
    }
    Ok(items)
}

/// The request form's fields, as JSON: `[{"name", "label", "kind",
/// "options", "required"}]`. Empty: none.
fn request_fields(input: &str) -> Result<Vec<RequestField>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let fields: Vec<RequestField> = serde_json::from_str(input).map_err(|e| {
        format!(
            "Write a JSON list of fields like [{{\"name\": \"purpose\", \"label\": \"What will you use it for?\", \"kind\": \"text\", \"required\": true}}] ({e})."
        )
    })?;
    check_fields(&fields).map_err(|e| format!("In the request form, {e}"))?;
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(tasks: &'a BTreeMap<String, String>) -> DatasetFields<'a> {
        DatasetFields {
            slug: "grid-load",
            title: "Grid load",
            summary: "Hourly electricity demand.",
            industry: "energy",
            tasks,
            license_id: "CC-BY-4.0",
            license_name: "Creative Commons Attribution 4.0",
            license_url: "https://creativecommons.org/licenses/by/4.0/",
            languages: "en, en , fr",
            tags: "electricity,  load,",
            publisher: "AI Innovation Lab",
            source_name: "A grid operator",
            source_url: "",
            citation: "",
            access: "open",
            terms: "",
            request_fields: "",
        }
    }

    fn errors(result: Result<DatasetMeta, AppError>) -> Vec<String> {
        match result {
            Err(AppError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_form_is_parsed_and_trimmed() {
        let tasks = BTreeMap::from([("forecasting".to_owned(), "on".to_owned())]);
        let meta = dataset(form(&tasks)).expect("valid");
        assert_eq!(meta.tasks, ["forecasting"]);
        assert_eq!(meta.languages, ["en", "fr"]);
        assert_eq!(meta.tags, ["electricity", "load"]);
        assert_eq!(meta.source_url, None);
        assert_eq!(meta.citation, None);
        assert_eq!(meta.license_id.as_deref(), Some("CC-BY-4.0"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let tasks = BTreeMap::from([("astrology".to_owned(), "on".to_owned())]);
        let mut f = form(&tasks);
        f.slug = "new";
        assert_eq!(errors(dataset(f)), ["slug", "tasks"]);
        f.slug = "Grid Load";
        f.title = " ";
        f.industry = "mining";
        f.license_url = "javascript:alert(1)";
        f.access = "secret";
        assert_eq!(
            errors(dataset(f)),
            [
                "slug",
                "title",
                "industry",
                "tasks",
                "license_url",
                "access"
            ]
        );
    }

    #[test]
    fn an_unknown_license_says_so_and_a_named_one_links_its_text() {
        let tasks = BTreeMap::new();
        let mut f = form(&tasks);
        f.license_id = "";
        f.license_name = UNKNOWN_LICENSE;
        f.license_url = "";
        assert_eq!(dataset(f).expect("unknown is allowed").license_id, None);
        f.license_name = "The publisher's own license";
        assert_eq!(errors(dataset(f)), ["license_url"]);
        f.license_id = "MIT";
        f.license_name = UNKNOWN_LICENSE;
        assert_eq!(errors(dataset(f)), ["license_id"]);
    }

    #[test]
    fn gated_access_needs_its_terms_or_its_questions() {
        let tasks = BTreeMap::new();
        let mut f = form(&tasks);
        f.access = "terms";
        assert_eq!(errors(dataset(f)), ["terms"]);
        f.terms = "Use for research only.";
        assert!(dataset(f).is_ok());
        f.access = "approval";
        assert_eq!(errors(dataset(f)), ["request_fields"]);
        f.request_fields = "[{\"name\": \"purpose\"";
        assert_eq!(errors(dataset(f)), ["request_fields"]);
        f.request_fields = r#"[{"name": "Purpose", "label": "Why?", "kind": "text"}]"#;
        assert_eq!(errors(dataset(f)), ["request_fields"]);
        f.request_fields =
            r#"[{"name": "purpose", "label": "Why?", "kind": "text", "required": true}]"#;
        assert_eq!(dataset(f).expect("valid").request_fields.len(), 1);
    }

    #[test]
    fn lists_are_bounded() {
        let many = (0..21)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(list(&many).is_err());
        assert!(list(&"x".repeat(41)).is_err());
        assert_eq!(list("a, b, a").expect("valid"), ["a", "b"]);
    }

    #[test]
    fn a_draft_keeps_its_card_and_bounds_its_changelog() {
        let (card, changelog) = draft("# Title\r\n\r\nText\r\n", " Fixed typos ").expect("valid");
        assert_eq!(card, "# Title\n\nText");
        assert_eq!(changelog, "Fixed typos");
        assert!(draft("", &"x".repeat(501)).is_err());
    }
}
