//! Universities' courses, for their staff and students: an institution's
//! dashboard and new courses, a course's console (funding, joining, status,
//! top-ups, the end of the term) and its students, and for students
//! joining a course and their courses. Lab staff create institutions and
//! fund them from `admin/institutions/`.

mod course;
mod institution;
mod roster;
mod student;

pub use course::*;
pub use institution::*;
pub use roster::*;
pub use student::*;

use serde::{Deserialize, Serialize};

use crate::domain::cohorts::CohortStatus;

/// An institution as its staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionView {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub domains: Vec<String>,
    /// Micro-credits in its pool.
    pub pool: i64,
    pub is_admin: bool,
    pub cohorts: Vec<CohortSummary>,
    pub staff: Vec<StaffView>,
}

/// A course in its institution's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortSummary {
    pub slug: String,
    pub name: String,
    pub course_code: String,
    pub status: CohortStatus,
    pub term: String,
    pub students: i64,
    /// Micro-credits.
    pub allocated: i64,
    pub spent: i64,
    pub pool: i64,
}

/// Someone on an institution's staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    pub name: String,
    pub email: String,
    pub role: String,
}

/// A course as its coordinators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortView {
    pub slug: String,
    pub name: String,
    pub course_code: String,
    pub institution_slug: String,
    pub institution_name: String,
    pub status: CohortStatus,
    pub term_start: String,
    pub term_end: String,
    pub time_zone: String,
    /// Micro-credits per student.
    pub allocation: i64,
    pub max_students: i32,
    pub require_institution_email: bool,
    pub join_code: String,
    /// The join link to hand out.
    pub join_url: String,
    /// Micro-credits in the course's pool, and what its open seats need
    /// (seats not yet allocated × allocation).
    pub pool: i64,
    pub needs: i64,
    pub students: Vec<StudentView>,
    /// Students invited (not joined yet), joined, waiting for credit.
    pub invited: i64,
    pub joined: i64,
    pub waiting: i64,
    /// A fresh idempotency key for the money forms.
    pub form_key: String,
}

/// A student as coordinators see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub student_id: String,
    /// "Invited", "Waiting for credit", "Joined", "Ended".
    pub status: String,
    /// Micro-credits.
    pub allocated: i64,
    pub spent: i64,
    pub remaining: i64,
    pub requests: i64,
    pub last_activity: Option<String>,
    /// Less than a fifth of what they received is left.
    pub near_limit: bool,
}

/// One of the caller's courses, for their dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCourseView {
    pub slug: String,
    pub name: String,
    pub course_code: String,
    pub institution_name: String,
    /// "Joined", "Waiting for credit" or "Ended".
    pub status: String,
    /// Micro-credits.
    pub allocated: i64,
    pub remaining: i64,
    /// Days until the term ends (0 on its last day); none once ended.
    pub days_left: Option<i64>,
}

/// A roster checked (and perhaps uploaded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterReport {
    pub rows: Vec<RosterRowView>,
    /// Rows an upload invites (a check) or invited (an upload).
    pub to_invite: usize,
    pub invited: usize,
}

/// One row of a roster as checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRowView {
    pub line: usize,
    pub email: String,
    pub name: String,
    pub student_id: String,
    /// "Will be invited", "Invited before", "Enrolled already" or why it
    /// is left out.
    pub status: String,
    pub left_out: bool,
    /// In another course of the institution (allowed).
    pub elsewhere: bool,
}

#[cfg(feature = "ssr")]
fn roster_report(
    checked: Vec<(
        crate::domain::cohorts::RosterRow,
        crate::server::services::cohorts::RosterCheck,
        bool,
    )>,
    invited: usize,
) -> RosterReport {
    use crate::server::services::cohorts::RosterCheck;
    let to_invite = checked
        .iter()
        .filter(|(_, check, _)| *check == RosterCheck::Invite)
        .count();
    RosterReport {
        rows: checked
            .into_iter()
            .map(|(row, check, elsewhere)| {
                let (status, left_out) = match check {
                    RosterCheck::Invite => ("Will be invited".to_owned(), false),
                    RosterCheck::Invited => ("Invited before".to_owned(), false),
                    RosterCheck::Enrolled => ("Enrolled already".to_owned(), false),
                    RosterCheck::Problem(problem) => (problem, true),
                };
                RosterRowView {
                    line: row.line,
                    email: row.email,
                    name: row.name.unwrap_or_default(),
                    student_id: row.student_id.unwrap_or_default(),
                    status,
                    left_out,
                    elsewhere,
                }
            })
            .collect(),
        to_invite,
        invited,
    }
}

/// What an enrollment's status is called on pages.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "invited" => "Invited",
        "waiting" => "Waiting for credit",
        "joined" => "Joined",
        "ended" => "Ended",
        _ => "Removed",
    }
}

/// Sends a course's console back to itself with `done` (forms posted
/// without JavaScript land there).
#[cfg(feature = "ssr")]
fn back_to(slug: &str, done: &str) {
    crate::server::redirect(&crate::href::with_query(
        &crate::href::course(slug),
        &[("done", done)],
    ));
}
