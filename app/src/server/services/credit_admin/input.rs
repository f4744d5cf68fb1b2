//! What admins type or paste to grant credits, parsed: expiry dates, reasons
//! and CSV files of grants. Pure functions, no database.

use time::{Date, Month, OffsetDateTime};

use crate::domain::credits::Credits;
use crate::error::AppError;
use crate::server::upload::Part;

/// The most data rows one bulk file may have.
pub const MAX_ROWS: usize = 5_000;

/// The longest CSV text accepted, in bytes: 1 MiB (5,000 generous rows).
pub const MAX_CSV_BYTES: usize = 1024 * 1024;

/// The longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// Parses an expiry date typed as `YYYY-MM-DD` (what `<input type="date">`
/// sends). Credit expires at the end of that day, UTC, which must still be
/// ahead of `now`. Blank means "never expires".
pub fn parse_expiry(input: &str, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let malformed = || "Enter the expiry date as YYYY-MM-DD.".to_owned();
    let mut parts = input.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) || !digits(day, 2) {
        return Err(malformed());
    }
    let number = |s: &str| s.parse::<u16>().map_err(|_| malformed());
    let month = u8::try_from(number(month)?)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(malformed)?;
    let day = u8::try_from(number(day)?).map_err(|_| malformed())?;
    let date = Date::from_calendar_date(i32::from(number(year)?), month, day)
        .map_err(|_| "That date does not exist.".to_owned())?;
    // The end of the day is the start of the next one.
    let end = date
        .next_day()
        .ok_or_else(malformed)?
        .midnight()
        .assume_utc();
    if end <= now {
        return Err("The expiry date must be today or later.".to_owned());
    }
    Ok(Some(end))
}

/// A reason for a grant or an adjustment: required, trimmed, not too long.
pub fn parse_reason(input: &str) -> Result<String, String> {
    let reason = input.trim();
    if reason.is_empty() {
        return Err("Give a reason; it is kept in the audit log.".to_owned());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!(
            "Keep the reason under {MAX_REASON_CHARS} characters."
        ));
    }
    Ok(reason.to_owned())
}

/// One record of a CSV text and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits CSV text (RFC 4180: commas, `"quoted, fields"` with `""` for a
/// quote, line breaks inside quotes, CRLF or LF) into records. Blank lines
/// are skipped; every field is trimmed.
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

/// One data row of a bulk grant file, checked on its own (not yet against
/// the users or the other rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRow {
    pub line: usize,
    pub email: String,
    pub amount: String,
    pub expiry: String,
    pub reason: String,
    /// The parsed grant, or why the row cannot be granted.
    pub parsed: Result<ParsedGrant, String>,
}

/// A row's grant, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedGrant {
    pub amount: Credits,
    pub expires_at: Option<OffsetDateTime>,
    pub reason: String,
}

/// The columns a bulk file has, by position.
struct Columns {
    email: usize,
    amount: usize,
    expiry: Option<usize>,
    reason: usize,
}

/// Reads a bulk grant file: a header naming `email`, `amount`, `reason`
/// and optionally `expiry` (any order), then one grant per row. Whole-file
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

fn too_large() -> String {
    format!(
        "The file is larger than {} MiB. Split it into smaller files.",
        MAX_CSV_BYTES / (1024 * 1024)
    )
}

/// A bulk grant file as the form sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUpload {
    pub text: String,
    /// The form field it came in: `file` or `csv` (pasted).
    pub field: &'static str,
    /// The uploaded file's name; `None` for pasted text.
    pub file_name: Option<String>,
}

/// Picks the bulk grant file out of the form's fields: an uploaded `file`
/// or the text pasted in `csv`, exactly one of them, within
/// [`MAX_CSV_BYTES`], UTF-8 (a byte-order mark is fine) and text. Problems
/// are field errors on the field concerned.
pub fn bulk_upload(fields: Vec<(String, Part)>) -> Result<BulkUpload, AppError> {
    let mut file = None;
    let mut pasted = None;
    for (name, part) in fields {
        match name.as_str() {
            // A form without a chosen file sends an empty part with no name.
            "file" if !part.bytes.is_empty() || part.too_large || has_name(&part) => {
                file = Some(part);
            }
            "csv" if part.too_large || !String::from_utf8_lossy(&part.bytes).trim().is_empty() => {
                pasted = Some(part);
            }
            _ => {}
        }
    }
    let (field, part) = match (file, pasted) {
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "file",
                "Choose a file or paste the text, not both.",
            ))
        }
        (None, None) => {
            return Err(AppError::field(
                "file",
                "Choose a CSV file, or paste its text below.",
            ))
        }
        (Some(part), None) => ("file", part),
        (None, Some(part)) => ("csv", part),
    };
    if part.too_large {
        return Err(AppError::field(field, too_large()));
    }
    if part.bytes.is_empty() {
        return Err(AppError::field(field, "The file is empty."));
    }
    let text = String::from_utf8(part.bytes).map_err(|_| {
        AppError::field(
            field,
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
        )
    })?;
    if text.contains('\0') {
        return Err(AppError::field(field, "This is not a CSV text file."));
    }
    let file_name = (field == "file")
        .then(|| part.file_name.unwrap_or_default())
        .map(|name| base_name(&name).to_owned())
        .filter(|name| !name.is_empty());
    Ok(BulkUpload {
        text,
        field,
        file_name,
    })
}

fn has_name(part: &Part) -> bool {
    part.file_name
        .as_deref()
        .is_some_and(|n| !n.trim().is_empty())
}

/// A file name without any folders a browser may have sent with it.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name).trim()
}

fn columns(header: &[String]) -> Result<Columns, String> {
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let missing = || "The first row must be the header email,amount,expiry,reason.".to_owned();
    Ok(Columns {
        email: find("email").ok_or_else(missing)?,
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
        return Err("No email.".to_owned());
    }
    let amount = Credits::parse(amount, false)?;
    if !amount.is_positive() {
        return Err("The amount must be more than zero.".to_owned());
    }
    Ok(ParsedGrant {
        amount,
        expires_at: parse_expiry(expiry, now)?,
        reason: parse_reason(reason)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2030-06-15 12:00 UTC);

    #[test]
    fn an_expiry_date_means_the_end_of_that_day_in_utc() {
        assert_eq!(
            parse_expiry("2030-06-15", NOW),
            Ok(Some(datetime!(2030-06-16 00:00 UTC)))
        );
        assert_eq!(
            parse_expiry(" 2031-01-31 ", NOW),
            Ok(Some(datetime!(2031-02-01 00:00 UTC)))
        );
        assert_eq!(parse_expiry("", NOW), Ok(None));
    }

    #[test]
    fn past_malformed_and_impossible_expiry_dates_are_refused() {
        assert!(parse_expiry("2030-06-14", NOW).is_err());
        assert!(parse_expiry("2030-6-20", NOW).is_err());
        assert!(parse_expiry("20/06/2030", NOW).is_err());
        assert!(parse_expiry("2030-02-30", NOW).is_err());
        assert!(parse_expiry("2030-13-01", NOW).is_err());
        assert!(parse_expiry("2030-06-20-1", NOW).is_err());
        assert!(parse_expiry("+030-06-20", NOW).is_err());
    }

    #[test]
    fn a_reason_is_required_and_trimmed() {
        assert_eq!(parse_reason("  hackathon "), Ok("hackathon".to_owned()));
        assert!(parse_reason("   ").is_err());
        assert!(parse_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
    }

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

    fn part(name: Option<&str>, bytes: &[u8]) -> Part {
        Part {
            file_name: name.map(str::to_owned),
            bytes: bytes.to_vec(),
            too_large: false,
        }
    }

    fn field_of(result: Result<BulkUpload, AppError>) -> (String, String) {
        match result {
            Err(AppError::Validation(errors)) if errors.len() == 1 => {
                (errors[0].field.clone(), errors[0].message.clone())
            }
            other => panic!("expected one field error, got {other:?}"),
        }
    }

    #[test]
    fn an_upload_is_the_chosen_file_or_the_pasted_text() {
        let csv = b"email,amount,expiry,reason\na@b.c,1,,x\n";
        let upload = bulk_upload(vec![
            ("file".into(), part(Some("C:\\Users\\ada\\grants.csv"), csv)),
            ("csv".into(), part(None, b"  \r\n")),
        ])
        .expect("the file");
        assert_eq!(
            (upload.field, upload.file_name.as_deref()),
            ("file", Some("grants.csv"))
        );
        assert_eq!(upload.text.as_bytes(), csv);

        let upload = bulk_upload(vec![
            ("file".into(), part(Some(""), b"")),
            ("csv".into(), part(None, csv)),
        ])
        .expect("the pasted text");
        assert_eq!((upload.field, upload.file_name), ("csv", None));
    }

    #[test]
    fn a_bad_upload_is_a_field_error_on_the_field_used() {
        let csv: &[u8] = b"email,amount,expiry,reason\na@b.c,1,,x\n";
        type Fields = Vec<(String, Part)>;
        let cases: Vec<(Fields, &str, &str)> = vec![
            (vec![], "file", "Choose a CSV file"),
            (
                vec![
                    ("file".into(), part(Some("a.csv"), csv)),
                    ("csv".into(), part(None, csv)),
                ],
                "file",
                "not both",
            ),
            (
                vec![("file".into(), part(Some("a.csv"), b""))],
                "file",
                "empty",
            ),
            (
                vec![("file".into(), part(Some("a.csv"), b"email\xff,amount"))],
                "file",
                "UTF-8",
            ),
            (
                vec![("csv".into(), part(None, b"email,amount\0"))],
                "csv",
                "not a CSV",
            ),
            (
                vec![(
                    "csv".into(),
                    Part {
                        too_large: true,
                        ..Part::default()
                    },
                )],
                "csv",
                "larger than 1 MiB",
            ),
        ];
        for (fields, field, message) in cases {
            let (got_field, got_message) = field_of(bulk_upload(fields));
            assert_eq!(got_field, field, "{got_message}");
            assert!(got_message.contains(message), "{got_message}");
        }
    }
}
