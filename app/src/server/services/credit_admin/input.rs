//! What admins type or paste to grant credits, parsed: expiry dates, reasons
//! and CSV files of grants. Pure functions, no database.

use time::{Date, Month, OffsetDateTime};

use crate::domain::credits::Credits;

/// The most data rows one bulk file may have.
pub const MAX_ROWS: usize = 5_000;

/// The longest CSV text accepted, in bytes (5,000 generous rows).
pub const MAX_CSV_BYTES: usize = 2_000_000;

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
        return Err(format!(
            "The file is too large: at most {} MB.",
            MAX_CSV_BYTES / 1_000_000
        ));
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
}
