//! A bulk grant file: its CSV text read into rows, each row's grant parsed
//! (pure functions, no database); and the rows as admins review them: where
//! each row stands, which rows a page lists, how many rows have each
//! status, and the report of a preview or a run.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::calendar::{parse_expiry, ExpiryRule};
use crate::domain::credit_grant::{parse_reason, ParsedGrant};
use crate::domain::credits::Credits;
use crate::domain::paging::Page;

/// The most data rows one bulk file may have.
pub const MAX_ROWS: usize = 5_000;

/// The longest CSV text accepted, in bytes: 1 MiB (5,000 generous rows).
pub const MAX_CSV_BYTES: usize = 1024 * 1024;

/// One record of a CSV text and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits CSV text (RFC 4180: commas, `"quoted, fields"` with `""` for a
/// quote, line breaks inside quotes, CRLF or LF) into records. Blank lines
/// are skipped; every field is trimmed.
///
/// Written by hand, not with the `csv` crate (which writes the credit
/// history export): this reader must be strict about what an admin uploads
/// (a stray quote or an unterminated field is an error naming its line,
/// never a guess), and `domain` is compiled for the browser too.
pub fn parse_csv(text: &str) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start_line) = (1, 1);
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            '"' => return Err(format!("Line {line}: a quote inside an unquoted field.")),
            ',' => {
                fields.push(std::mem::take(&mut field).trim().to_owned());
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field).trim().to_owned());
                push_record(&mut records, start_line, std::mem::take(&mut fields));
                was_quoted = false;
                line += 1;
                start_line = line;
            }
            _ if was_quoted && !c.is_whitespace() => {
                return Err(format!("Line {line}: text after a closing quote."));
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(format!(
            "Line {start_line}: a quoted field is never closed."
        ));
    }
    fields.push(field.trim().to_owned());
    push_record(&mut records, start_line, fields);
    Ok(records)
}

fn push_record(records: &mut Vec<Record>, line: usize, fields: Vec<String>) {
    // A line with nothing on it is not a record.
    if fields.len() == 1 && fields[0].is_empty() {
        return;
    }
    records.push(Record { line, fields });
}

/// Whom a row of a bulk file grants to: a user by email, or an
/// organization's pool by its slug (a value without `@`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientKind {
    User,
    Organization,
}

/// What kind of recipient `value` (a row's recipient cell) names.
pub fn recipient_kind(value: &str) -> RecipientKind {
    if value.contains('@') {
        RecipientKind::User
    } else {
        RecipientKind::Organization
    }
}

/// One data row of a bulk grant file, checked on its own (not yet against
/// the users or the other rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRow {
    pub line: usize,
    /// The recipient as written: a user's email, or an organization's slug
    /// (see [`recipient_kind`]).
    pub email: String,
    pub amount: String,
    pub expiry: String,
    pub reason: String,
    /// The parsed grant, or why the row cannot be granted.
    pub parsed: Result<ParsedGrant, String>,
}

/// The columns a bulk file has, by position.
struct Columns {
    email: usize,
    amount: usize,
    expiry: Option<usize>,
    reason: usize,
}

/// Reads a bulk grant file: a header naming the recipient column (`email`,
/// `organization` or `recipient`: a user's email or an organization's slug
/// in each row), `amount`, `reason` and optionally `expiry` (any order),
/// then one grant per row. Whole-file
/// problems (no header, too many rows) are errors; row problems are kept
/// with their row.
pub fn parse_bulk(text: &str, now: OffsetDateTime) -> Result<Vec<BulkRow>, String> {
    if text.len() > MAX_CSV_BYTES {
        return Err(too_large());
    }
    let mut records = parse_csv(text)?.into_iter();
    let header = records.next().ok_or_else(|| {
        "The file is empty. Start with the header row email,amount,expiry,reason.".to_owned()
    })?;
    let columns = columns(&header.fields)?;
    let records: Vec<Record> = records.collect();
    if records.len() > MAX_ROWS {
        return Err(format!(
            "The file has {} rows; at most {MAX_ROWS} can be granted at a time. Split it into smaller files.",
            records.len()
        ));
    }
    if records.is_empty() {
        return Err("The file has a header but no rows.".to_owned());
    }
    Ok(records
        .into_iter()
        .map(|r| bulk_row(r, &columns, now))
        .collect())
}

/// The message for a file over [`MAX_CSV_BYTES`].
pub fn too_large() -> String {
    format!(
        "The file is larger than {} MiB. Split it into smaller files.",
        MAX_CSV_BYTES / (1024 * 1024)
    )
}

fn columns(header: &[String]) -> Result<Columns, String> {
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let missing = || {
        "The first row must be the header email,amount,expiry,reason (organization instead of email to grant to organizations by slug).".to_owned()
    };
    let recipients: Vec<usize> = ["email", "organization", "recipient"]
        .into_iter()
        .filter_map(find)
        .collect();
    let email = match recipients[..] {
        [one] => one,
        [] => return Err(missing()),
        _ => {
            return Err(
                "Name one recipient column (email, organization or recipient), not several: an email or an organization's slug goes in it.".to_owned(),
            )
        }
    };
    Ok(Columns {
        email,
        amount: find("amount").ok_or_else(missing)?,
        expiry: find("expiry"),
        reason: find("reason").ok_or_else(missing)?,
    })
}

fn bulk_row(record: Record, columns: &Columns, now: OffsetDateTime) -> BulkRow {
    let get = |i: usize| record.fields.get(i).cloned().unwrap_or_default();
    let email = get(columns.email);
    let amount = get(columns.amount);
    let expiry = columns.expiry.map(get).unwrap_or_default();
    let reason = get(columns.reason);
    let parsed = parse_grant(&email, &amount, &expiry, &reason, now);
    BulkRow {
        line: record.line,
        email,
        amount,
        expiry,
        reason,
        parsed,
    }
}

fn parse_grant(
    email: &str,
    amount: &str,
    expiry: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<ParsedGrant, String> {
    if email.is_empty() {
        return Err("No email or organization.".to_owned());
    }
    let amount = Credits::parse_positive(amount)?;
    Ok(ParsedGrant {
        amount,
        expires_at: parse_expiry(expiry, now, ExpiryRule::CreditGrant)?,
        reason: parse_reason(reason)?,
    })
}

/// Where a row of a bulk grant file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkRowStatus {
    /// Valid: applying the file grants it.
    Ready,
    /// Cannot be granted; see the message.
    Invalid,
    /// Granted by this run.
    Granted,
    /// Granted by an earlier run of the same file.
    AlreadyGranted,
}

impl BulkRowStatus {
    /// How pages show this status.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ready => "Ready",
            Self::Invalid => "Skipped",
            Self::Granted => "Granted",
            Self::AlreadyGranted => "Already granted",
        }
    }
}

/// Rows per page of a bulk grant file's preview or report (a file has up to
/// 5,000).
pub const BULK_PER_PAGE: i64 = 100;

/// Which rows of a bulk grant file a page lists (`?show=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkRowFilter {
    /// Every row.
    #[default]
    All,
    /// Only the rows that cannot be granted (a preview's errors) or were
    /// skipped (a run's).
    Problems,
}

impl BulkRowFilter {
    /// The filter a `?show=` value names; anything unknown lists every row.
    pub fn parse(value: &str) -> Self {
        if value.trim() == "problems" {
            Self::Problems
        } else {
            Self::All
        }
    }

    /// The `?show=` value of this filter ("" for every row, so links stay short).
    pub fn as_query(self) -> &'static str {
        match self {
            Self::All => "",
            Self::Problems => "problems",
        }
    }

    /// Whether a row with `status` is listed.
    pub fn lists(self, status: BulkRowStatus) -> bool {
        match self {
            Self::All => true,
            Self::Problems => status == BulkRowStatus::Invalid,
        }
    }
}

/// How many rows of a whole bulk grant file (every page) have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkCounts {
    pub ready: i64,
    pub invalid: i64,
    pub granted: i64,
    pub already_granted: i64,
}

impl BulkCounts {
    /// How many rows have `status`.
    pub fn of(&self, status: BulkRowStatus) -> i64 {
        match status {
            BulkRowStatus::Ready => self.ready,
            BulkRowStatus::Invalid => self.invalid,
            BulkRowStatus::Granted => self.granted,
            BulkRowStatus::AlreadyGranted => self.already_granted,
        }
    }

    /// How many rows `filter` lists.
    pub fn listed(&self, filter: BulkRowFilter) -> i64 {
        match filter {
            BulkRowFilter::All => self.ready + self.invalid + self.granted + self.already_granted,
            BulkRowFilter::Problems => self.invalid,
        }
    }
}

/// One row of a bulk grant file, checked or applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRowView {
    /// The line of the file the row starts on (the header is line 1).
    pub line: i64,
    pub email: String,
    /// As written in the file.
    pub amount: String,
    pub expiry: String,
    pub reason: String,
    pub status: BulkRowStatus,
    /// Why the row is skipped.
    pub message: Option<String>,
}

/// A bulk grant file, previewed or applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    /// Whether credit was granted (a run) or only checked (a preview).
    pub applied: bool,
    /// The uploaded file: `/admin/credits/bulk?draft=<id>` previews it.
    pub draft: Uuid,
    /// The run this report is of: `/admin/credits/bulk?run=<id>`.
    pub run: Option<Uuid>,
    /// The uploaded file's name; `None` when the text was pasted.
    pub file_name: Option<String>,
    /// When the file was uploaded (a preview) or applied (a run).
    pub at: String,
    /// The email of the admin who uploaded or applied it.
    pub by: String,
    /// SHA-256 of the file, in hex.
    pub file_hash: String,
    /// The rows of the whole file, by status.
    pub counts: BulkCounts,
    /// Which rows `rows` lists.
    pub show: BulkRowFilter,
    /// One page of the rows listed, in file order.
    pub rows: Page<BulkRowView>,
    /// Micro-credits granted by this run (or that applying would grant).
    pub total_micros: i64,
}

impl BulkReport {
    /// How many rows of the whole file have `status`.
    pub fn count(&self, status: BulkRowStatus) -> i64 {
        self.counts.of(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2030-06-15 12:00 UTC);

    #[test]
    fn csv_fields_may_be_quoted_with_commas_quotes_and_line_breaks() {
        let text = "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",  z  \n";
        let records = parse_csv(text).expect("valid csv");
        assert_eq!(
            records,
            vec![
                Record {
                    line: 1,
                    fields: vec!["a".into(), "b".into()]
                },
                Record {
                    line: 2,
                    fields: vec!["x, y".into(), "say \"hi\"".into()]
                },
                Record {
                    line: 4,
                    fields: vec!["two\nlines".into(), "z".into()]
                },
            ]
        );
    }

    #[test]
    fn broken_quotes_are_reported_with_their_line() {
        assert!(parse_csv("a\n\"open,b\n")
            .expect_err("unterminated")
            .contains("Line 2"));
        assert!(parse_csv("a\nb\"c\n").is_err());
        assert!(parse_csv("a\n\"b\"c\n").is_err());
    }

    #[test]
    fn a_bulk_file_keeps_each_rows_problem_with_the_row() {
        let text = "email,amount,expiry,reason\n\
                    ada@example.org,10.5,2030-07-01,Hackathon\n\
                    bob@example.org,ten,,Hackathon\n\
                    cy@example.org,1,2020-01-01,Hackathon\n\
                    di@example.org,1,,\n\
                    ed@example.org,0.0000001,,x\n";
        let rows = parse_bulk(text, NOW).expect("a valid file");
        assert_eq!(rows.len(), 5);
        assert_eq!(
            rows[0].parsed,
            Ok(ParsedGrant {
                amount: Credits::from_micros(10_500_000),
                expires_at: Some(datetime!(2030-07-02 00:00 UTC)),
                reason: "Hackathon".into()
            })
        );
        assert_eq!(rows[1].line, 3);
        assert!(rows[1..].iter().all(|r| r.parsed.is_err()), "{rows:?}");
    }

    #[test]
    fn a_bulk_file_needs_a_header_rows_and_at_most_five_thousand_of_them() {
        assert!(parse_bulk("", NOW).is_err());
        assert!(parse_bulk("ada@example.org,1,,x\n", NOW).is_err());
        assert!(parse_bulk("email,amount,expiry,reason\n", NOW).is_err());
        let columns_reordered = "Reason,Email,Amount\nwelcome,ada@example.org,1\n";
        let rows = parse_bulk(columns_reordered, NOW).expect("any column order");
        assert_eq!(rows[0].email, "ada@example.org");
        let mut big = "email,amount,expiry,reason\n".to_owned();
        for n in 0..=MAX_ROWS {
            big.push_str(&format!("u{n}@example.org,1,,x\n"));
        }
        assert!(parse_bulk(&big, NOW)
            .expect_err("too many")
            .contains("5000"));
    }

    #[test]
    fn a_row_grants_to_a_user_by_email_or_an_organization_by_slug() {
        let text =
            "organization,amount,reason\nacme-labs,100,Pilot\nada@example.org,5,Prize\n,1,x\n";
        let rows = parse_bulk(text, NOW).expect("a valid file");
        assert_eq!(rows[0].email, "acme-labs");
        assert_eq!(recipient_kind(&rows[0].email), RecipientKind::Organization);
        assert_eq!(recipient_kind(&rows[1].email), RecipientKind::User);
        assert!(rows[0].parsed.is_ok() && rows[1].parsed.is_ok());
        assert_eq!(rows[2].parsed, Err("No email or organization.".to_owned()));
        let both = "email,organization,amount,reason\na@b.c,acme,1,x\n";
        assert!(parse_bulk(both, NOW)
            .expect_err("two recipient columns")
            .contains("not several"));
    }

    #[test]
    fn only_problems_is_asked_for_by_name_and_anything_else_lists_every_row() {
        assert_eq!(BulkRowFilter::parse("problems"), BulkRowFilter::Problems);
        for other in ["", "all", "Problems ", "errors"] {
            assert_eq!(BulkRowFilter::parse(other), BulkRowFilter::All, "{other}");
        }
        assert_eq!(
            BulkRowFilter::parse(BulkRowFilter::Problems.as_query()),
            BulkRowFilter::Problems
        );
        assert!(!BulkRowFilter::Problems.lists(BulkRowStatus::AlreadyGranted));
        assert!(BulkRowFilter::Problems.lists(BulkRowStatus::Invalid));
    }
}
