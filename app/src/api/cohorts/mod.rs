//! Universities' courses, for their staff and students: an institution's
//! dashboard and new courses, a course's console (funding, joining, status,
//! top-ups, the end of the term) and its students, and for students
//! joining a course and their courses. Lab staff create institutions and
//! fund them from `admin/institutions/`.

mod console;
mod course;
mod institution;
mod roster;
mod student;

pub use console::*;
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
    /// Open invitations to its staff (its admins see them).
    pub invitations: Vec<StaffInvitationView>,
}

/// An open invitation to an institution's staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInvitationView {
    pub id: String,
    pub email: String,
    pub role: String,
    pub invited_by: String,
    pub expires: String,
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
    /// Students who made a request in the last seven days.
    pub active: i64,
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

/// A course's usage page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseUsageView {
    pub slug: String,
    pub name: String,
    pub course_code: String,
    /// The days covered (`YYYY-MM-DD`, UTC).
    pub from: String,
    pub to: String,
    pub chart: crate::api::usage::UsageChart,
    pub by_model: Vec<crate::api::organizations::UsageTotalView>,
    /// Per playground agent; requests made with keys are one line.
    pub by_agent: Vec<crate::api::organizations::UsageTotalView>,
}

/// One student's page in a course's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseStudentView {
    pub course_slug: String,
    pub course_name: String,
    pub id: String,
    pub name: String,
    pub email: String,
    pub student_id: String,
    pub status: String,
    pub invited_at: Option<String>,
    pub joined_at: Option<String>,
    pub ended_at: Option<String>,
    /// Micro-credits.
    pub allocated: i64,
    pub reclaimed: i64,
    pub spent: i64,
    pub remaining: i64,
    pub requests: i64,
    pub last_activity: Option<String>,
    /// Credit moved to and from their allocation, newest first.
    pub moves: Vec<MoveView>,
    /// Their latest requests, newest first.
    pub recent: Vec<StudentRequestView>,
}

/// Credit moved to or from a student's allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveView {
    pub time: String,
    pub what: String,
    /// Formatted credits, negative when taken back.
    pub amount: String,
    /// Who moved it (none: the course itself, on joining or at term end).
    pub by: String,
}

/// One request of a student.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentRequestView {
    pub time: String,
    pub model: String,
    /// "Key “name”" or "Playground: agent".
    pub via: String,
    pub tokens: i64,
    /// Micro-credits.
    pub credits: i64,
    pub status: i16,
}

/// A page of a course's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseAuditView {
    pub slug: String,
    pub name: String,
    pub entries: crate::domain::paging::Page<crate::api::organizations::OrgAuditEntry>,
}

/// A roster checked (and perhaps uploaded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterReport {
    pub rows: Vec<RosterRowView>,
    /// Rows an upload invites (a check) or invited (an upload).
    pub to_invite: usize,
    pub invited: usize,
}

/// A roster file uploaded to a course, checked against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterDraftView {
    pub id: String,
    pub file_name: String,
    /// Read from a OneRoster 1.1 bundle.
    pub oneroster: bool,
    pub uploaded: String,
    /// How many it invited, once invited.
    pub invited: Option<i64>,
    pub report: RosterReport,
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
