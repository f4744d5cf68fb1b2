//! Support requests: categories, statuses, priorities, what people type
//! into a request, and the staff queue's filters from its URL.

use serde::{Deserialize, Serialize};

/// What a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Category {
    Credits,
    Api,
    Datasets,
    Agents,
    Account,
    Team,
    Other,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Credits,
        Category::Api,
        Category::Datasets,
        Category::Agents,
        Category::Account,
        Category::Team,
        Category::Other,
    ];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Credits => "credits",
            Category::Api => "api",
            Category::Datasets => "datasets",
            Category::Agents => "agents",
            Category::Account => "account",
            Category::Team => "team",
            Category::Other => "other",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            Category::Credits => "Credits",
            Category::Api => "API and models",
            Category::Datasets => "Datasets",
            Category::Agents => "Agents",
            Category::Account => "Account",
            Category::Team => "Organization or course",
            Category::Other => "Other",
        }
    }

    pub fn parse(value: &str) -> Option<Category> {
        let value = value.trim();
        Category::ALL.into_iter().find(|c| c.as_str() == value)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// New: no one from the Lab has answered yet.
    Open,
    /// The requester wrote last.
    WaitingOnStaff,
    /// Staff answered and wait for the requester.
    WaitingOnRequester,
    Resolved,
    /// Done for good: a reply no longer opens it.
    Closed,
    /// The requester replied after it was resolved.
    Reopened,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Open,
        Status::WaitingOnStaff,
        Status::WaitingOnRequester,
        Status::Resolved,
        Status::Closed,
        Status::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::WaitingOnStaff => "waiting_on_staff",
            Status::WaitingOnRequester => "waiting_on_requester",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Reopened => "reopened",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::WaitingOnStaff => "Waiting on staff",
            Status::WaitingOnRequester => "Waiting on you",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
            Status::Reopened => "Reopened",
        }
    }

    /// What staff read (the requester is "you" only to the requester).
    pub fn staff_label(self) -> &'static str {
        match self {
            Status::WaitingOnRequester => "Waiting on requester",
            other => other.label(),
        }
    }

    pub fn parse(value: &str) -> Option<Status> {
        let value = value.trim();
        Status::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether staff still have something to do.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Status::Open | Status::WaitingOnStaff | Status::Reopened
        )
    }

    /// The status after the requester writes: a resolved request opens
    /// again; a closed one takes no reply.
    pub fn after_requester_reply(self) -> Option<Status> {
        match self {
            Status::Closed => None,
            Status::Resolved => Some(Status::Reopened),
            Status::Open => Some(Status::Open),
            Status::Reopened => Some(Status::Reopened),
            Status::WaitingOnStaff | Status::WaitingOnRequester => Some(Status::WaitingOnStaff),
        }
    }

    /// The statuses staff may set by hand.
    pub const SETTABLE: [Status; 4] = [
        Status::WaitingOnStaff,
        Status::WaitingOnRequester,
        Status::Resolved,
        Status::Closed,
    ];
}

/// How urgent a request is; each has its first-response target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Normal => "Normal",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
        }
    }

    pub fn parse(value: &str) -> Option<Priority> {
        let value = value.trim();
        Priority::ALL.into_iter().find(|p| p.as_str() == value)
    }
}

/// The longest subject.
pub const MAX_SUBJECT: usize = 200;
/// The longest message, note or canned reply (Markdown).
pub const MAX_BODY: usize = 20_000;

/// A subject as typed: trimmed, 1 to [`MAX_SUBJECT`] characters, one line.
pub fn parse_subject(input: &str) -> Result<String, String> {
    let subject = input.trim();
    if subject.is_empty() {
        return Err("Say in a few words what the request is about.".to_owned());
    }
    if subject.chars().count() > MAX_SUBJECT {
        return Err(format!("Keep the subject under {MAX_SUBJECT} characters."));
    }
    if subject.chars().any(char::is_control) {
        return Err("The subject is one line of text.".to_owned());
    }
    Ok(subject.to_owned())
}

/// A message body as typed (Markdown): trimmed, 1 to [`MAX_BODY`]
/// characters, no control characters but line breaks and tabs.
pub fn parse_body(input: &str) -> Result<String, String> {
    let body = input.trim();
    if body.is_empty() {
        return Err("Write a message.".to_owned());
    }
    if body.chars().count() > MAX_BODY {
        return Err(format!(
            "Keep a message under {} characters; attach longer text as a file.",
            crate::format::grouped(i64::try_from(MAX_BODY).unwrap_or(i64::MAX))
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("The message holds characters that cannot be shown.".to_owned());
    }
    Ok(body.replace("\r\n", "\n"))
}

/// A satisfaction rating, 1 to 5.
pub fn parse_rating(input: &str) -> Result<i16, String> {
    match input.trim().parse::<i16>() {
        Ok(r) if (1..=5).contains(&r) => Ok(r),
        _ => Err("Choose from 1 (poor) to 5 (excellent).".to_owned()),
    }
}

/// Which part of the queue staff look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueView {
    /// Open, waiting on staff or reopened: staff's move.
    Active,
    /// Every status.
    All,
    One(Status),
}

/// Whose requests the queue shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssigneeFilter {
    Anyone,
    Me,
    Unassigned,
}

/// The first-response target's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlaFilter {
    Any,
    /// Not answered in time (answered late, or due and still unanswered).
    Breached,
    /// Unanswered, due within the next hour.
    DueSoon,
}

/// The staff queue's filters, read from its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueQuery {
    pub view: QueueView,
    pub category: Option<Category>,
    pub assignee: AssigneeFilter,
    pub sla: SlaFilter,
    /// Words in the subject or the requester's email, or `#42`.
    pub search: String,
    pub page: i64,
}

impl Default for QueueQuery {
    fn default() -> Self {
        QueueQuery {
            view: QueueView::Active,
            category: None,
            assignee: AssigneeFilter::Anyone,
            sla: SlaFilter::Any,
            search: String::new(),
            page: 1,
        }
    }
}

impl QueueQuery {
    /// The queue's query from the URL's parameters; anything unknown falls
    /// back to the default, as a link typed by hand should.
    pub fn from_params<'a>(get: impl Fn(&str) -> Option<&'a str>) -> QueueQuery {
        let view = match get("status").map(str::trim) {
            None | Some("" | "active") => QueueView::Active,
            Some("all") => QueueView::All,
            Some(other) => Status::parse(other).map_or(QueueView::Active, QueueView::One),
        };
        let assignee = match get("assignee").map(str::trim) {
            Some("me") => AssigneeFilter::Me,
            Some("none") => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Anyone,
        };
        let sla = match get("sla").map(str::trim) {
            Some("breached") => SlaFilter::Breached,
            Some("due_soon") => SlaFilter::DueSoon,
            _ => SlaFilter::Any,
        };
        let search = crate::domain::search::Search::parse(get("q").unwrap_or_default())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        QueueQuery {
            view,
            category: get("category").and_then(Category::parse),
            assignee,
            sla,
            search,
            page: crate::domain::paging::page_from_query(get("page")),
        }
    }

    /// `status=` as the URL writes it.
    pub fn status_param(&self) -> &'static str {
        match self.view {
            QueueView::Active => "active",
            QueueView::All => "all",
            QueueView::One(status) => status.as_str(),
        }
    }

    /// `assignee=` as the URL writes it.
    pub fn assignee_param(&self) -> &'static str {
        match self.assignee {
            AssigneeFilter::Anyone => "",
            AssigneeFilter::Me => "me",
            AssigneeFilter::Unassigned => "none",
        }
    }

    /// `sla=` as the URL writes it.
    pub fn sla_param(&self) -> &'static str {
        match self.sla {
            SlaFilter::Any => "",
            SlaFilter::Breached => "breached",
            SlaFilter::DueSoon => "due_soon",
        }
    }

    /// The request number a search names (`#42` or `42`), if it names one.
    pub fn number(&self) -> Option<i64> {
        self.search
            .trim()
            .trim_start_matches('#')
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
    }
}

/// The page a request was opened from, if it is one of ours: a path on
/// this site, at most 500 characters. Anything else is dropped, never
/// shown as a link.
pub fn parse_from_page(input: &str) -> Option<String> {
    let page = input.trim();
    let ours = page.starts_with('/')
        && !page.starts_with("//")
        && page.len() <= 500
        && !page.chars().any(|c| c.is_control() || c == '\\');
    ours.then(|| page.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert_eq!(Category::parse("billing"), None);
    }

    #[test]
    fn a_reply_reopens_a_resolved_request_but_not_a_closed_one() {
        assert_eq!(
            Status::Resolved.after_requester_reply(),
            Some(Status::Reopened)
        );
        assert_eq!(Status::Closed.after_requester_reply(), None);
        assert_eq!(
            Status::WaitingOnRequester.after_requester_reply(),
            Some(Status::WaitingOnStaff)
        );
        assert_eq!(Status::Open.after_requester_reply(), Some(Status::Open));
    }

    #[test]
    fn subjects_and_bodies_are_checked() {
        assert_eq!(
            parse_subject("  Key refused  "),
            Ok("Key refused".to_owned())
        );
        assert!(parse_subject("   ").is_err());
        assert!(parse_subject(&"x".repeat(201)).is_err());
        assert!(parse_subject("two\nlines").is_err());
        assert_eq!(parse_body("a\r\nb "), Ok("a\nb".to_owned()));
        assert!(parse_body("").is_err());
        assert!(parse_body("bell \u{7}").is_err());
        assert!(parse_body(&"x".repeat(MAX_BODY + 1)).is_err());
        assert_eq!(parse_rating("5"), Ok(5));
        assert!(parse_rating("6").is_err());
        assert!(parse_rating("").is_err());
    }

    #[test]
    fn the_queue_reads_its_url_and_falls_back_on_nonsense() {
        let q = QueueQuery::from_params(|name| match name {
            "status" => Some("resolved"),
            "category" => Some("credits"),
            "assignee" => Some("me"),
            "sla" => Some("breached"),
            "q" => Some(" #42 "),
            "page" => Some("3"),
            _ => None,
        });
        assert_eq!(q.view, QueueView::One(Status::Resolved));
        assert_eq!(q.category, Some(Category::Credits));
        assert_eq!(q.assignee, AssigneeFilter::Me);
        assert_eq!(q.sla, SlaFilter::Breached);
        assert_eq!(q.number(), Some(42));
        assert_eq!(q.page, 3);
        let q = QueueQuery::from_params(|name| match name {
            "status" => Some("nonsense"),
            "category" => Some("x"),
            "page" => Some("-1"),
            _ => None,
        });
        assert_eq!(q, QueueQuery::default());
    }

    #[test]
    fn only_our_own_paths_are_kept_as_the_page() {
        assert_eq!(
            parse_from_page("/usage?page=2"),
            Some("/usage?page=2".into())
        );
        assert_eq!(parse_from_page("//evil.example/x"), None);
        assert_eq!(parse_from_page("https://evil.example"), None);
        assert_eq!(parse_from_page("javascript:alert(1)"), None);
    }
}
