//! Universities' courses: a cohort's form and status, its join code, and
//! the roster of students a coordinator uploads, checked as the database
//! checks them.

use serde::{Deserialize, Serialize};
use time::Date;

use super::bulk_grant::parse_csv;
use super::calendar::parse_day;
use super::credits::Credits;
use super::email::Email;
use crate::error::{AppError, FieldErrors};

/// The most students a cohort may have.
pub const MAX_STUDENTS: i32 = 5_000;

/// Where a cohort stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CohortStatus {
    /// Being set up: nobody joins yet.
    Draft,
    /// Students join with the link, the code or a roster invitation.
    Open,
    /// Nobody new joins; students keep their credit until the term ends.
    Closed,
    /// The term is over: keys stopped, credit back with the institution.
    Ended,
}

impl CohortStatus {
    pub const ALL: [CohortStatus; 4] = [Self::Draft, Self::Open, Self::Closed, Self::Ended];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Ended => "ended",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Open => "Open for joining",
            Self::Closed => "Closed to new students",
            Self::Ended => "Ended",
        }
    }
}

/// A cohort as its form describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortForm {
    pub name: String,
    pub course_code: String,
    pub term_start: Date,
    pub term_end: Date,
    /// What each student receives on joining.
    pub allocation: Credits,
    pub max_students: i32,
    pub require_institution_email: bool,
}

/// The cohort form's fields, as posted.
#[derive(Debug, Clone, Copy, Default)]
pub struct CohortFields<'a> {
    pub name: &'a str,
    pub course_code: &'a str,
    pub term_start: &'a str,
    pub term_end: &'a str,
    pub allocation: &'a str,
    pub max_students: &'a str,
    /// A checkbox: present ("on", "true", "1") when ticked.
    pub require_institution_email: &'a str,
}

/// Checks every field of the cohort form.
pub fn parse_cohort(fields: CohortFields<'_>) -> Result<CohortForm, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", text(fields.name, 120, "Give the course's name."));
    let course_code = errors.check(
        "course_code",
        text(fields.course_code, 40, "Give the course code, like CS3244."),
    );
    let day = |input: &str| match parse_day(input) {
        Ok(Some(day)) => Ok(day),
        Ok(None) => Err("Enter the date as YYYY-MM-DD.".to_owned()),
        Err(message) => Err(message),
    };
    let term_start = errors.check("term_start", day(fields.term_start));
    let term_end = errors.check("term_end", day(fields.term_end));
    let allocation = errors.check(
        "allocation",
        Credits::parse(fields.allocation, false).and_then(|c| {
            if c.is_positive() {
                Ok(c)
            } else {
                Err("Each student needs more than zero credits.".to_owned())
            }
        }),
    );
    let max_students = errors.check(
        "max_students",
        fields
            .max_students
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=MAX_STUDENTS).contains(n))
            .ok_or_else(|| format!("Give a number of students from 1 to {MAX_STUDENTS}.")),
    );
    if let (Some(start), Some(end)) = (term_start, term_end) {
        if end < start {
            errors.check::<()>(
                "term_end",
                Err("The term ends on or after it starts.".to_owned()),
            );
        }
    }
    errors.finish()?;
    match (
        name,
        course_code,
        term_start,
        term_end,
        allocation,
        max_students,
    ) {
        (
            Some(name),
            Some(course_code),
            Some(term_start),
            Some(term_end),
            Some(allocation),
            Some(max_students),
        ) => Ok(CohortForm {
            name,
            course_code,
            term_start,
            term_end,
            allocation,
            max_students,
            require_institution_email: checked(fields.require_institution_email),
        }),
        _ => Err(AppError::Internal),
    }
}

fn checked(input: &str) -> bool {
    matches!(input.trim(), "on" | "true" | "1" | "yes")
}

fn text(input: &str, max: usize, empty: &str) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(empty.to_owned());
    }
    if text.chars().count() > max {
        return Err(format!("At most {max} characters."));
    }
    if text.chars().any(char::is_control) {
        return Err("Remove the unusual control characters.".to_owned());
    }
    Ok(text.to_owned())
}

/// The letters a join code is made of: no 0/O or 1/I/L to misread.
pub const CODE_ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A join code's length.
pub const CODE_LEN: usize = 8;

/// A join code from `random` bytes (one letter per byte).
pub fn code_from(random: [u8; CODE_LEN]) -> String {
    random
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect()
}

/// A join code as typed: case, spaces and hyphens ignored ("abcd-efgh").
pub fn parse_code(input: &str) -> Result<String, String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        Ok(code)
    } else {
        Err("A course code has 8 letters and digits, like KX7M-P2QD.".to_owned())
    }
}

/// One student listed in a roster file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The line of the file (the header is line 1).
    pub line: usize,
    /// Lower case.
    pub email: String,
    pub name: Option<String>,
    pub student_id: Option<String>,
    /// Why the row is left out (a bad email, a repeat, another domain).
    pub problem: Option<String>,
}

/// The most students one roster file may list.
pub const MAX_ROSTER_ROWS: usize = MAX_STUDENTS as usize;

/// Reads a roster: a header naming `email` and optionally `name` and
/// `student_id` (any order, any case), then one student per row. Emails
/// are compared in lower case; a repeated email, a malformed one, or one
/// outside `domains` (when given) is kept with its problem.
pub fn parse_roster(text: &str, domains: &[String]) -> Result<Vec<RosterRow>, String> {
    let mut records = parse_csv(text)?.into_iter();
    let header = records.next().ok_or_else(|| {
        "The file is empty. Start with the header row email,name,student_id.".to_owned()
    })?;
    let find = |name: &str| {
        header.fields.iter().position(|h| {
            h.trim_start_matches('\u{feff}')
                .replace([' ', '-'], "_")
                .eq_ignore_ascii_case(name)
        })
    };
    let email_at = find("email").ok_or_else(|| {
        "The first row must be a header naming the email column: email,name,student_id.".to_owned()
    })?;
    let (name_at, id_at) = (find("name"), find("student_id"));
    let records: Vec<_> = records.collect();
    if records.is_empty() {
        return Err("The file has a header but no students.".to_owned());
    }
    if records.len() > MAX_ROSTER_ROWS {
        return Err(format!(
            "The file lists {} students; a course has at most {MAX_ROSTER_ROWS}.",
            records.len()
        ));
    }
    let mut seen = std::collections::HashMap::new();
    Ok(records
        .into_iter()
        .map(|record| {
            let get = |at: Option<usize>| {
                at.and_then(|i| record.fields.get(i))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            let raw = get(Some(email_at)).unwrap_or_default();
            let email = Email::parse(&raw).map(|e| e.as_str().to_lowercase());
            let problem = match &email {
                Err(_) if raw.is_empty() => Some("No email.".to_owned()),
                Err(_) => Some("Not an email address.".to_owned()),
                Ok(email) => match seen.get(email) {
                    Some(first) => Some(format!("Listed already on line {first}.")),
                    None => {
                        seen.insert(email.clone(), record.line);
                        let domain = email.rsplit('@').next().unwrap_or_default();
                        (!domains.is_empty() && !domains.iter().any(|d| d == domain)).then(|| {
                            format!(
                                "Not an address of the institution ({}).",
                                domains.join(", ")
                            )
                        })
                    }
                },
            };
            RosterRow {
                line: record.line,
                email: email.unwrap_or_else(|_| raw.to_lowercase()),
                name: get(name_at).map(|n| n.chars().take(120).collect()),
                student_id: get(id_at).map(|s| s.chars().take(64).collect()),
                problem,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> CohortFields<'static> {
        CohortFields {
            name: "Machine learning",
            course_code: "CS3244",
            term_start: "2027-01-11",
            term_end: "2027-05-08",
            allocation: "25",
            max_students: "300",
            require_institution_email: "on",
        }
    }

    #[test]
    fn a_cohort_form_is_checked_field_by_field() {
        let form = parse_cohort(fields()).expect("valid");
        assert_eq!(form.allocation, Credits::from_micros(25_000_000));
        assert!(form.require_institution_email);
        assert!(
            !parse_cohort(CohortFields {
                require_institution_email: "",
                ..fields()
            })
            .expect("valid")
            .require_institution_email
        );
        let Err(AppError::Validation(errors)) = parse_cohort(CohortFields {
            name: " ",
            term_end: "2026-12-31",
            allocation: "0",
            max_students: "5001",
            ..fields()
        }) else {
            panic!("invalid");
        };
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["name", "allocation", "max_students", "term_end"]);
    }

    #[test]
    fn join_codes_are_read_however_they_are_typed() {
        let code = code_from([0, 1, 2, 3, 4, 5, 6, 200]);
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(parse_code(&code), Ok(code.clone()));
        assert_eq!(parse_code(" kx7m-p2qd "), Ok("KX7MP2QD".to_owned()));
        for bad in ["", "KX7MP2Q", "KX7MP2QD9", "KX7MP2Q0", "KX7MP2QI"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_roster_flags_repeats_bad_addresses_and_other_domains() {
        let text = "Email,Name,Student ID\n\
                    Ann@NUS.edu.sg,Ann Tan,A001\n\
                    ann@nus.edu.sg,Ann again,A001\n\
                    not-an-email,Bob,A002\n\
                    cy@gmail.com,Cy,A003\n\
                    ,Nobody,\n\
                    di@nus.edu.sg,,\n";
        let rows = parse_roster(text, &["nus.edu.sg".to_owned()]).expect("a roster");
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].email, "ann@nus.edu.sg");
        assert_eq!(rows[0].name.as_deref(), Some("Ann Tan"));
        assert_eq!(rows[0].student_id.as_deref(), Some("A001"));
        assert_eq!(rows[0].problem, None);
        assert_eq!(
            rows[1].problem.as_deref(),
            Some("Listed already on line 2.")
        );
        assert_eq!(rows[2].problem.as_deref(), Some("Not an email address."));
        assert!(rows[3]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("nus.edu.sg")));
        assert_eq!(rows[4].problem.as_deref(), Some("No email."));
        assert_eq!(
            (rows[5].problem.as_deref(), rows[5].name.as_deref()),
            (None, None)
        );
        // Without domains, any address will do.
        let any = parse_roster("email\ncy@gmail.com\n", &[]).expect("a roster");
        assert_eq!(any[0].problem, None);
        assert!(parse_roster("name\nAnn\n", &[]).is_err());
        assert!(parse_roster("email\n", &[]).is_err());
    }
}
