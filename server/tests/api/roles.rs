//! The role matrix: every route the router serves — server functions from
//! their registry, pages from the app's router, plain routes from their
//! tables — called over HTTP as every role, and each answer checked against
//! the route's access class in [`TABLE`].
//!
//! How to extend it:
//! - A new server function, page or plain route makes this test fail, naming
//!   it, until it has a line in [`TABLE`] with its access class. A server
//!   function also needs arguments there that deserialize (empty strings are
//!   fine for `String`s; numbers, booleans and ids need a value): otherwise
//!   every role gets the framework's 422 and the access check is never
//!   reached, which this test reports as a mismatch.
//! - A new role (organization owner / admin / member, institution admin or
//!   coordinator, student, …): add it to [`Role`] and [`ROLES`], make a user
//!   in that state in [`make_caller`], and answer for it in
//!   [`Access::expect`]. Those matches name every role (no wildcard), so the
//!   compiler asks for the new one in each access class.
//! - A new kind of access (members of an organization, the coordinator of a
//!   cohort, …): add a variant to [`Access`], say in [`Access::expect`] what
//!   each role gets, and classify the area's routes with it. Arguments that
//!   name the organization or cohort the roles belong to can use a
//!   placeholder filled in by [`call`] ([`COURSE`], whose slug is only known
//!   once it is made); a page's path parameters are given with
//!   [`Class::at`] (else they name nothing: [`NIL`]).

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use reqwest::{Client, Method};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{
    create_course, create_institution, create_user, fund_course, multipart_body, open_course,
    posted_ok, set_institution_staff, signed_in, spawn_app_with_metrics, FormPart, NewCourse,
    TestApp,
};

/// Everyone the matrix calls as, one user in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// No session, no API key.
    Anonymous,
    /// Signed up without verifying the email: signing in is refused, so the
    /// browser has no session (and no key).
    Unverified,
    /// Verified and signed in, the onboarding application not yet decided;
    /// has an API key.
    Pending,
    /// Application approved (starter credits), signed in, an API key.
    Developer,
    /// Was signed in and made an API key, then an admin suspended them.
    Suspended,
    /// A platform admin, signed in, with an API key.
    PlatformAdmin,
    /// A developer who created the organization [`ORG`]: its owner.
    OrgOwner,
    /// A developer made an admin of [`ORG`].
    OrgAdmin,
    /// A developer made a member of [`ORG`].
    OrgMember,
    /// The owner of another organization, not a member of [`ORG`].
    OtherOrgOwner,
    /// An admin of the institution [`INST`] (made by Lab staff): runs every
    /// course of it.
    InstitutionAdmin,
    /// A coordinator on [`INST`]'s staff who created the course [`COURSE`]
    /// (funded and open): its coordinator.
    Coordinator,
    /// Another coordinator on [`INST`]'s staff, who created another course
    /// of it: not a coordinator of [`COURSE`].
    OtherCoordinator,
    /// An admin of another institution ([`OTHER_INST`]): runs none of
    /// [`INST`]'s courses.
    OtherInstitutionAdmin,
    /// A developer who joined [`COURSE`] with its code (allocation
    /// received).
    Student,
    /// A developer who joined the other coordinator's course.
    OtherStudent,
}

/// Every role, in the order mismatches are listed (and made: an
/// organization's owner before its other members, an institution before its
/// courses, a course before its students).
const ROLES: [Role; 16] = [
    Role::Anonymous,
    Role::Unverified,
    Role::Pending,
    Role::Developer,
    Role::Suspended,
    Role::PlatformAdmin,
    Role::OrgOwner,
    Role::OrgAdmin,
    Role::OrgMember,
    Role::OtherOrgOwner,
    Role::InstitutionAdmin,
    Role::Coordinator,
    Role::OtherCoordinator,
    Role::OtherInstitutionAdmin,
    Role::Student,
    Role::OtherStudent,
];

/// The organization the organization roles belong to (its slug).
const ORG: &str = "roles-org";

/// What a server function of an organization answers anyone who is not a
/// member of it (404: outsiders learn nothing).
const NOT_A_MEMBER: &str = "There is no such organization, or you are not a member of it.";

/// The institution the course roles belong to (its slug), and another one.
const INST: &str = "roles-uni";
const OTHER_INST: &str = "roles-other-uni";

/// Stands for the slug of [`Role::Coordinator`]'s course (a slug is made
/// up when the course is created): [`call`] puts the real one in.
const COURSE: &str = "{course}";

/// What an institution's server functions and page answer anyone not on its
/// staff.
const NOT_STAFF: &str = "There is no such institution, or you are not one of its staff.";

/// What a course's server functions and page answer anyone who does not run
/// it (students of it included).
const NOT_RUNNING: &str = "There is no such course, or you do not run it.";

/// Every "not found" a refusal may say, by the thing it hides.
const HIDDEN: [&str; 3] = [NOT_A_MEMBER, NOT_STAFF, NOT_RUNNING];

/// Who may use a route, as the server enforces it today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in account. Only verified, active accounts can hold a
    /// session; any application status will do.
    SignedIn,
    /// A signed-in platform admin.
    Admin,
    /// A Bearer API key of an active account (`/v1`).
    ApiKey,
    /// Anyone on this machine; not exposed beyond it (the simulator).
    Loopback,
    /// Whoever sends the metrics token (Prometheus), which no role holds:
    /// neither a session nor an API key opens `/metrics`.
    MetricsToken,
    /// A member of [`ORG`] (any role), named by the call's `slug`.
    OrgMember,
    /// An owner or admin of [`ORG`].
    OrgManager,
    /// An owner of [`ORG`] (its webhooks send its data out; admins and
    /// members are refused).
    OrgOwner,
    /// An admin or coordinator of the institution [`INST`] (any course's
    /// coordinator is on its staff), named by the call's `slug` or
    /// `institution`.
    InstitutionStaff,
    /// Someone who runs the course [`COURSE`]: a coordinator of it, or an
    /// admin of its institution.
    CourseCoordinator,
    /// An admin of the institution [`INST`] (its coordinators are refused).
    InstitutionAdmin,
}

/// The answer a role should get from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Past the access check: whatever the route then says (a 422 for the
    /// empty arguments is fine), but not a refusal and not a server error.
    Allowed,
    /// Refused for want of a sign-in (or of a key): 401, or for a page a
    /// redirect to sign in.
    SignIn,
    /// Refused although signed in (or keyed): 403.
    Forbidden,
    /// Refused as if the thing did not exist: 404 saying this (an
    /// organization to someone who is not a member of it, a course to
    /// someone who does not run it).
    Hidden(&'static str),
}

impl Access {
    /// What `role` gets from a route of this class.
    fn expect(self, role: Role) -> Expect {
        use Expect::{Allowed, Forbidden, Hidden, SignIn};
        match self {
            Access::Public | Access::Loopback => Allowed,
            Access::SignedIn => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OrgOwner
                | Role::OrgAdmin
                | Role::OrgMember
                | Role::OtherOrgOwner
                | Role::InstitutionAdmin
                | Role::Coordinator
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Allowed,
            },
            Access::Admin => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                Role::Pending
                | Role::Developer
                | Role::OrgOwner
                | Role::OrgAdmin
                | Role::OrgMember
                | Role::OtherOrgOwner
                // An institution's staff are not the Lab's.
                | Role::InstitutionAdmin
                | Role::Coordinator
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Forbidden,
                Role::PlatformAdmin => Allowed,
            },
            Access::MetricsToken => match role {
                Role::Anonymous
                | Role::Unverified
                | Role::Pending
                | Role::Developer
                | Role::Suspended
                | Role::PlatformAdmin
                | Role::OrgOwner
                | Role::OrgAdmin
                | Role::OrgMember
                | Role::OtherOrgOwner
                | Role::InstitutionAdmin
                | Role::Coordinator
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => SignIn,
            },
            Access::ApiKey => match role {
                // No key at all.
                Role::Anonymous | Role::Unverified => SignIn,
                Role::Suspended => Forbidden,
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OrgOwner
                | Role::OrgAdmin
                | Role::OrgMember
                | Role::OtherOrgOwner
                | Role::InstitutionAdmin
                | Role::Coordinator
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Allowed,
            },
            Access::OrgMember => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                // Lab staff manage organizations from the admin console.
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OtherOrgOwner
                | Role::InstitutionAdmin
                | Role::Coordinator
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Hidden(NOT_A_MEMBER),
                Role::OrgOwner | Role::OrgAdmin | Role::OrgMember => Allowed,
            },
            Access::OrgManager => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OtherOrgOwner
                | Role::InstitutionAdmin
                | Role::Coordinator
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Hidden(NOT_A_MEMBER),
                Role::OrgMember => Forbidden,
                Role::OrgOwner | Role::OrgAdmin => Allowed,
            },
            Access::OrgOwner => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OtherOrgOwner
                | Role::InstitutionAdmin
                | Role::Coordinator
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Hidden(NOT_A_MEMBER),
                Role::OrgAdmin | Role::OrgMember => Forbidden,
                Role::OrgOwner => Allowed,
            },
            Access::InstitutionStaff => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                // Lab staff see institutions in the admin console; another
                // institution's admin and students see nothing of this one.
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OrgOwner
                | Role::OrgAdmin
                | Role::OrgMember
                | Role::OtherOrgOwner
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Hidden(NOT_STAFF),
                // A coordinator of any course of it is on its staff.
                Role::InstitutionAdmin | Role::Coordinator | Role::OtherCoordinator => Allowed,
            },
            Access::CourseCoordinator => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                // Its own students, and coordinators of other courses of
                // the same institution, are told it does not exist.
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OrgOwner
                | Role::OrgAdmin
                | Role::OrgMember
                | Role::OtherOrgOwner
                | Role::OtherCoordinator
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Hidden(NOT_RUNNING),
                Role::InstitutionAdmin | Role::Coordinator => Allowed,
            },
            Access::InstitutionAdmin => match role {
                Role::Anonymous | Role::Unverified | Role::Suspended => SignIn,
                Role::Pending
                | Role::Developer
                | Role::PlatformAdmin
                | Role::OrgOwner
                | Role::OrgAdmin
                | Role::OrgMember
                | Role::OtherOrgOwner
                | Role::OtherInstitutionAdmin
                | Role::Student
                | Role::OtherStudent => Hidden(NOT_STAFF),
                Role::Coordinator | Role::OtherCoordinator => Forbidden,
                Role::InstitutionAdmin => Allowed,
            },
        }
    }
}

/// What a call sends besides the caller's cookies (and key).
#[derive(Debug, Clone, Copy)]
enum Args {
    /// A URL-encoded form (the query string for a `GET`).
    Form(&'static [(&'static str, &'static str)]),
    /// A `multipart/form-data` form of text fields.
    Multipart(&'static [(&'static str, &'static str)]),
    /// A JSON body.
    Json(&'static str),
}

/// The access class of one route: `"METHOD /path"` as the router serves it
/// (axum's path syntax), and how to call it.
struct Class {
    route: &'static str,
    access: Access,
    args: Args,
    /// When it is called: 0 with most routes, 1 after them (leaving an
    /// organization ends the membership other calls use, ending a course's
    /// term its students' enrollments), 2 last of all (signing out ends
    /// the session).
    phase: u8,
    /// The values of its path's parameters, in order ([`NIL`] for those not
    /// given).
    params: &'static [&'static str],
}

const fn class(route: &'static str, access: Access) -> Class {
    Class {
        route,
        access,
        args: Args::Form(&[]),
        phase: 0,
        params: &[],
    }
}

impl Class {
    const fn form(self, args: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            args: Args::Form(args),
            ..self
        }
    }

    const fn multipart(self, args: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            args: Args::Multipart(args),
            ..self
        }
    }

    const fn json(self, body: &'static str) -> Self {
        Self {
            args: Args::Json(body),
            ..self
        }
    }

    /// Calls the route with these path parameters (placeholders such as
    /// [`COURSE`] allowed).
    const fn at(self, params: &'static [&'static str]) -> Self {
        Self { params, ..self }
    }

    const fn after(self) -> Self {
        Self { phase: 1, ..self }
    }

    const fn last(self) -> Self {
        Self { phase: 2, ..self }
    }
}

/// An id that names nothing, for arguments that must parse as one.
const NIL: &str = "00000000-0000-7000-8000-000000000000";

use Access::{
    Admin, ApiKey, CourseCoordinator, InstitutionAdmin, InstitutionStaff, Loopback, MetricsToken,
    OrgManager, OrgMember, OrgOwner, Public, SignedIn,
};

/// The token `/metrics` asks for in the matrix's portal.
const METRICS_TOKEN: &str = "roles-metrics-token";

/// Every route the router serves, with its access class.
#[rustfmt::skip]
const TABLE: &[Class] = &[
    // Server functions, app/src/api/account/.
    class("POST /api/current_user", Public),
    class("POST /api/sign_up", Public).form(&[("email", ""), ("password", ""), ("display_name", ""), ("account_kind", ""), ("country", "")]),
    class("POST /api/verify_email", Public).form(&[("token", "")]),
    class("POST /api/resend_verification", Public).form(&[("email", "")]),
    class("POST /api/sign_in", Public).form(&[("email", ""), ("password", "")]),
    class("POST /api/sign_out", Public).last(),
    class("POST /api/forgot_password", Public).form(&[("email", "")]),
    class("POST /api/reset_password", Public).form(&[("token", ""), ("password", "")]),
    class("POST /api/change_email", SignedIn).form(&[("email", ""), ("password", "")]),
    class("POST /api/change_password", SignedIn).form(&[("current_password", ""), ("new_password", "")]),
    // app/src/api/onboarding/.
    class("POST /api/my_application", SignedIn),
    class("POST /api/submit_application", SignedIn).form(&[("building", ""), ("industry", ""), ("expected_usage", "")]),
    // app/src/api/credits/.
    class("POST /api/my_balance", SignedIn),
    class("POST /api/my_dashboard", SignedIn),
    class("POST /api/my_credit_statement", SignedIn).form(&[("page", "1")]),
    // app/src/api/keys/.
    class("POST /api/api_quick_start", SignedIn),
    class("POST /api/list_api_keys", SignedIn),
    class("POST /api/create_api_key", SignedIn).form(&[("name", "")]),
    class("POST /api/take_created_key", SignedIn),
    class("POST /api/revoke_api_key", SignedIn).form(&[("key_id", "")]),
    // app/src/api/organizations/.
    class("POST /api/my_organizations", SignedIn),
    class("POST /api/create_organization", SignedIn).form(&[("name", ""), ("slug", ""), ("country", ""), ("industry", "")]),
    class("POST /api/join_organization", SignedIn).form(&[("slug", ORG)]),
    class("POST /api/get_organization", OrgMember).form(&[("slug", ORG)]),
    class("POST /api/update_organization", OrgManager).form(&[("slug", ORG), ("name", ""), ("country", ""), ("industry", "")]),
    class("POST /api/invite_member", OrgManager).form(&[("slug", ORG), ("email", ""), ("role", "member")]),
    class("POST /api/resend_invitation", OrgManager).form(&[("slug", ORG), ("invitation_id", NIL)]),
    class("POST /api/revoke_invitation", OrgManager).form(&[("slug", ORG), ("invitation_id", NIL)]),
    class("POST /api/get_invitation", Public).form(&[("token", "none")]),
    class("POST /api/accept_invitation", SignedIn).form(&[("token", "none")]),
    class("POST /api/set_member_role", OrgManager).form(&[("slug", ORG), ("user_id", NIL), ("role", "member")]),
    class("POST /api/set_member_budget", OrgManager).form(&[("slug", ORG), ("user_id", NIL), ("amount", "1"), ("period", "day")]),
    class("POST /api/remove_member", OrgManager).form(&[("slug", ORG), ("user_id", NIL)]),
    class("POST /api/leave_organization", OrgMember).form(&[("slug", ORG)]).after(),
    class("POST /api/set_org_domain", OrgManager).form(&[("slug", ORG), ("domain", ""), ("action", "add")]),
    class("POST /api/org_keys", OrgMember).form(&[("slug", ORG)]),
    class("POST /api/revoke_org_key", OrgManager).form(&[("slug", ORG), ("key_id", NIL)]),
    class("POST /api/org_usage", OrgMember).form(&[("slug", ORG)]),
    class("POST /api/org_audit", OrgManager).form(&[("slug", ORG)]),
    // Webhooks: owners only. An empty URL, and ids naming nothing, are
    // refused after the access check.
    class("POST /api/org_webhooks", OrgOwner).form(&[("slug", ORG)]),
    class("POST /api/add_org_webhook", OrgOwner).form(&[("slug", ORG), ("url", "")]),
    class("POST /api/set_org_webhook_active", OrgOwner).form(&[("slug", ORG), ("webhook_id", NIL), ("active", "true")]),
    class("POST /api/delete_org_webhook", OrgOwner).form(&[("slug", ORG), ("webhook_id", NIL)]),
    class("POST /api/send_org_webhook_test", OrgOwner).form(&[("slug", ORG), ("webhook_id", NIL)]),
    // app/src/api/notifications/: the caller's own (another's id is "not
    // found").
    class("POST /api/my_notifications", SignedIn).form(&[("page", "1")]),
    class("POST /api/unread_notifications", SignedIn),
    class("POST /api/open_notification", SignedIn).form(&[("id", NIL)]),
    class("POST /api/mark_all_notifications_read", SignedIn),
    class("POST /api/notification_settings", SignedIn),
    class("POST /api/save_notification_settings", SignedIn).form(&[("low_balance_threshold", "")]),
    // app/src/api/cohorts/: an institution's staff, a course's coordinators
    // and its institution's admins ("not found" to everyone else).
    class("POST /api/get_institution", InstitutionStaff).form(&[("slug", INST)]),
    class("POST /api/create_cohort", InstitutionStaff).form(&[("institution", INST), ("name", ""), ("course_code", ""), ("term_start", ""), ("term_end", ""), ("allocation", ""), ("max_students", "")]),
    class("POST /api/get_cohort", CourseCoordinator).form(&[("slug", COURSE)]),
    // Open already: opening it again changes nothing.
    class("POST /api/set_cohort_status", CourseCoordinator).form(&[("slug", COURSE), ("status", "open")]),
    class("POST /api/rotate_join_code", CourseCoordinator).form(&[("slug", COURSE)]),
    // One credit, once (one key for every caller).
    class("POST /api/fund_cohort", CourseCoordinator).form(&[("slug", COURSE), ("amount", "1"), ("idempotency_key", NIL)]),
    class("POST /api/top_up_students", CourseCoordinator).form(&[("slug", COURSE), ("students", "all"), ("amount", "1"), ("idempotency_key", NIL)]),
    class("POST /api/end_cohort_term", CourseCoordinator).form(&[("slug", COURSE)]).after(),
    // A header without students: refused after the access check.
    class("POST /api/check_roster", CourseCoordinator).form(&[("slug", COURSE), ("roster", "email")]),
    class("POST /api/upload_roster", CourseCoordinator).form(&[("slug", COURSE), ("roster", "email")]),
    // No file: refused on its field after the access check.
    class("POST /api/upload_roster_file", CourseCoordinator).multipart(&[("slug", COURSE)]),
    class("POST /api/roster_draft", CourseCoordinator).form(&[("slug", COURSE), ("draft", NIL)]),
    class("POST /api/invite_roster", CourseCoordinator).form(&[("slug", COURSE), ("draft", NIL)]),
    class("POST /api/course_usage", CourseCoordinator).form(&[("slug", COURSE)]),
    class("POST /api/course_student", CourseCoordinator).form(&[("slug", COURSE), ("id", NIL)]),
    class("POST /api/course_audit", CourseCoordinator).form(&[("slug", COURSE)]),
    class("POST /api/invite_institution_staff", InstitutionAdmin).form(&[("slug", INST), ("email", ""), ("role", "")]),
    class("POST /api/revoke_institution_invitation", InstitutionAdmin).form(&[("slug", INST), ("id", NIL)]),
    // Nobody here has an approved academic application: refused after the
    // access check.
    class("POST /api/create_own_institution", SignedIn).form(&[("name", ""), ("slug", ""), ("country", "")]),
    class("POST /api/join_course", SignedIn).form(&[("code", "NONE")]),
    class("POST /api/my_courses", SignedIn),
    class("POST /api/switch_organization", OrgMember).form(&[("slug", ORG), ("back", "/keys")]),
    // app/src/api/models/.
    class("POST /api/list_models", Public),
    // app/src/api/datasets/.
    class("POST /api/search_datasets", Public),
    class("POST /api/get_dataset", Public).form(&[("slug", "none")]),
    class("POST /api/view_dataset", Public).form(&[("slug", "none")]),
    class("POST /api/accept_dataset_terms", SignedIn).form(&[("slug", "none"), ("version", "1")]),
    class("POST /api/request_dataset_access", SignedIn).form(&[("slug", "none")]),
    // app/src/api/agents/.
    class("POST /api/list_agents", Public),
    class("POST /api/get_agent", Public).form(&[("slug", "none")]),
    // app/src/api/playground/.
    class("POST /api/start_conversation", SignedIn).form(&[("slug", "none")]),
    class("POST /api/my_conversations", SignedIn),
    class("POST /api/get_conversation", SignedIn).form(&[("id", NIL)]),
    class("POST /api/rename_conversation", SignedIn).form(&[("id", NIL), ("title", "x")]),
    class("POST /api/delete_conversation", SignedIn).form(&[("id", NIL)]),
    class("POST /api/set_playground_cap", SignedIn),
    class("POST /api/bill_conversation", SignedIn).form(&[("id", NIL), ("bill_to", "")]),
    class("POST /api/share_conversation", SignedIn).form(&[("id", NIL), ("visibility", "public")]),
    class("POST /api/take_new_share", SignedIn).form(&[("id", NIL)]),
    class("POST /api/revoke_conversation_share", SignedIn).form(&[("id", NIL), ("share", NIL)]),
    class("POST /api/get_shared", Public).form(&[("token", "none")]),
    // app/src/api/usage/.
    class("POST /api/my_usage", SignedIn),
    class("POST /api/my_usage_chart", SignedIn),
    class("POST /api/my_usage_filters", SignedIn),
    // app/src/api/support/: the caller's own requests ("not found" for
    // anyone else's; no request exists here). An empty form is refused
    // after the access check.
    class("POST /api/open_support_request", SignedIn).multipart(&[("category", ""), ("subject", ""), ("body", "")]),
    class("POST /api/my_support_requests", SignedIn),
    class("POST /api/get_support_request", SignedIn).form(&[("number", "1")]),
    class("POST /api/reply_support_request", SignedIn).multipart(&[("number", "1"), ("body", "")]),
    class("POST /api/rate_support_request", SignedIn).form(&[("number", "1"), ("rating", "5")]),
    // app/src/api/admin/.
    class("POST /api/admin_overview", Admin),
    class("POST /api/admin_list_users", Admin),
    class("POST /api/admin_get_user", Admin).form(&[("id", NIL)]),
    class("POST /api/admin_change_role", Admin).form(&[("user_id", NIL), ("role", "developer")]),
    class("POST /api/admin_suspend_user", Admin).form(&[("user_id", NIL)]),
    class("POST /api/admin_reactivate_user", Admin).form(&[("user_id", NIL)]),
    class("POST /api/admin_list_applications", Admin),
    class("POST /api/admin_approve_application", Admin).form(&[("application_id", NIL)]),
    class("POST /api/admin_reject_application", Admin).form(&[("application_id", NIL)]),
    class("POST /api/admin_list_dataset_access", Admin),
    class("POST /api/admin_decide_dataset_access", Admin).form(&[("request_id", NIL), ("decision", "approve")]),
    class("POST /api/admin_list_agents", Admin),
    class("POST /api/admin_get_agent", Admin).form(&[("slug", "none")]),
    class("POST /api/admin_save_agent", Admin).form(&[("file", "{}")]),
    class("POST /api/admin_publish_agent", Admin).form(&[("slug", "none"), ("number", "1")]),
    class("POST /api/admin_unpublish_agent", Admin).form(&[("slug", "none")]),
    class("POST /api/admin_preview_agent", Admin).form(&[("slug", "none")]),
    class("POST /api/admin_list_curated_datasets", Admin),
    class("POST /api/admin_get_curated_dataset", Admin).form(&[("slug", "no-such")]),
    class("POST /api/admin_create_dataset", Admin),
    class("POST /api/admin_update_dataset", Admin),
    class("POST /api/admin_set_dataset_featured", Admin).form(&[("slug", "no-such"), ("featured", "true")]),
    class("POST /api/admin_start_dataset_version", Admin).form(&[("slug", "no-such")]),
    class("POST /api/admin_save_dataset_draft", Admin).form(&[("slug", "no-such")]),
    class("POST /api/admin_upload_dataset_file", Admin).multipart(&[("slug", "no-such")]),
    class("POST /api/admin_import_data_package", Admin).multipart(&[("industry", "energy")]),
    class("POST /api/admin_remove_dataset_file", Admin).form(&[("slug", "no-such"), ("name", "x.csv")]),
    class("POST /api/admin_publish_dataset_version", Admin).form(&[("slug", "no-such"), ("number", "1")]),
    class("POST /api/admin_unpublish_dataset_version", Admin).form(&[("slug", "no-such"), ("number", "1")]),
    class("POST /api/admin_list_organizations", Admin),
    class("POST /api/admin_verify_organization", Admin).form(&[("slug", "no-such"), ("verified", "true")]),
    class("POST /api/admin_grant_org_credits", Admin).form(&[("slug", ""), ("amount", ""), ("reason", ""), ("idempotency_key", "")]),
    class("POST /api/admin_list_institutions", Admin),
    class("POST /api/admin_create_institution", Admin).form(&[("name", ""), ("slug", ""), ("country", "")]),
    class("POST /api/admin_grant_institution_credits", Admin).form(&[("slug", ""), ("amount", ""), ("reason", ""), ("idempotency_key", "")]),
    class("POST /api/admin_set_institution_staff", Admin).form(&[("slug", ""), ("email", ""), ("role", "")]),
    class("POST /api/admin_list_outbox", Admin),
    class("POST /api/admin_list_audit", Admin),
    class("POST /api/admin_credit_account", Admin),
    class("POST /api/admin_uncollected_usage", Admin),
    class("POST /api/admin_grant_credits", Admin).form(&[("email", ""), ("amount", ""), ("reason", ""), ("idempotency_key", "")]),
    class("POST /api/admin_adjust_credits", Admin).form(&[("email", ""), ("amount", ""), ("reason", ""), ("idempotency_key", "")]),
    class("POST /api/admin_upload_bulk_grant", Admin).multipart(&[("csv", "")]),
    class("POST /api/admin_bulk_grant", Admin),
    class("POST /api/admin_apply_bulk_grant", Admin).form(&[("draft", "")]),
    class("POST /api/admin_model_catalog", Admin),
    class("POST /api/admin_create_provider", Admin),
    class("POST /api/admin_update_provider", Admin).form(&[("id", NIL)]),
    class("POST /api/admin_create_model", Admin),
    class("POST /api/admin_update_model", Admin).form(&[("id", NIL)]),
    class("POST /api/admin_set_model_enabled", Admin).form(&[("id", NIL), ("enabled", "false")]),
    // app/src/api/admin/support/ (no request exists: "no such request").
    class("POST /api/admin_support_queue", Admin),
    class("POST /api/admin_get_support_request", Admin).form(&[("number", "1")]),
    class("POST /api/admin_reply_support_request", Admin).multipart(&[("number", "1"), ("body", "")]),
    class("POST /api/admin_add_support_note", Admin).form(&[("number", "1"), ("body", "")]),
    class("POST /api/admin_assign_support_request", Admin).form(&[("number", "1"), ("assignee", "")]),
    class("POST /api/admin_set_support_status", Admin).form(&[("number", "1"), ("status", "closed")]),
    class("POST /api/admin_set_support_priority", Admin).form(&[("number", "1"), ("priority", "urgent")]),
    class("POST /api/admin_grant_support_credits", Admin).form(&[("number", "1"), ("amount", ""), ("reason", ""), ("idempotency_key", "")]),
    class("POST /api/admin_canned_replies", Admin),
    class("POST /api/admin_save_canned_reply", Admin).form(&[("title", ""), ("body", "")]),
    class("POST /api/admin_delete_canned_reply", Admin).form(&[("id", NIL)]),
    // Pages, app/src/lib.rs.
    class("GET /", Public),
    class("GET /agents", Public),
    class("GET /agents/{slug}", Public),
    class("GET /playground", SignedIn),
    class("GET /playground/{id}", SignedIn),
    class("GET /shared/{token}", Public),
    class("GET /datasets", Public),
    class("GET /datasets/{slug}", Public),
    class("GET /datasets/{slug}/v/{version}", Public),
    class("GET /datasets/{slug}/viewer", Public),
    class("GET /datasets/{slug}/v/{version}/viewer", Public),
    class("GET /models", Public),
    class("GET /signin", Public),
    class("GET /signup", Public),
    class("GET /signup/check-email", Public),
    class("GET /verify-email", Public),
    class("GET /forgot-password", Public),
    class("GET /reset-password", Public),
    class("GET /dashboard", SignedIn),
    class("GET /onboarding", SignedIn),
    class("GET /credits", SignedIn),
    class("GET /keys", SignedIn),
    class("GET /orgs", SignedIn),
    class("GET /orgs/{slug}", OrgMember).at(&[ORG]),
    class("GET /orgs/{slug}/keys", OrgMember).at(&[ORG]),
    class("GET /orgs/{slug}/usage", OrgMember).at(&[ORG]),
    class("GET /orgs/{slug}/audit", OrgManager).at(&[ORG]),
    class("GET /orgs/{slug}/webhooks", OrgOwner).at(&[ORG]),
    class("GET /notifications", SignedIn),
    class("GET /notifications/{id}", SignedIn),
    class("GET /settings/notifications", SignedIn),
    class("GET /invitations/{token}", Public),
    class("GET /institutions/{slug}", InstitutionStaff).at(&[INST]),
    class("GET /courses/{slug}", CourseCoordinator).at(&[COURSE]),
    class("GET /courses/{slug}/usage", CourseCoordinator).at(&[COURSE]),
    class("GET /courses/{slug}/students/{id}", CourseCoordinator).at(&[COURSE, NIL]),
    class("GET /courses/{slug}/audit", CourseCoordinator).at(&[COURSE]),
    class("GET /join", SignedIn),
    class("GET /join/{code}", SignedIn),
    class("GET /usage", SignedIn),
    class("GET /profile", SignedIn),
    class("GET /support", SignedIn),
    class("GET /support/new", SignedIn),
    class("GET /support/{number}", SignedIn).at(&["1"]),
    class("GET /admin", Admin),
    class("GET /design", Admin),
    class("GET /admin/users", Admin),
    class("GET /admin/users/{id}", Admin),
    class("GET /admin/applications", Admin),
    class("GET /admin/datasets/access", Admin),
    class("GET /admin/datasets", Admin),
    class("GET /admin/datasets/new", Admin),
    class("GET /admin/datasets/{slug}", Admin),
    class("GET /admin/agents", Admin),
    class("GET /admin/agents/{slug}", Admin),
    class("GET /admin/credits", Admin),
    class("GET /admin/credits/bulk", Admin),
    class("GET /admin/models", Admin),
    class("GET /admin/models/new", Admin),
    class("GET /admin/models/{id}", Admin),
    class("GET /admin/models/providers/new", Admin),
    class("GET /admin/models/providers/{id}", Admin),
    class("GET /admin/outbox", Admin),
    class("GET /admin/audit", Admin),
    class("GET /admin/organizations", Admin),
    class("GET /admin/institutions", Admin),
    class("GET /admin/support", Admin),
    class("GET /admin/support/canned", Admin),
    class("GET /admin/support/{number}", Admin).at(&["1"]),
    // Plain routes, server/src/routes/.
    class("GET /healthz", Public),
    class("GET /readyz", Public),
    class("GET /credits/history.csv", SignedIn),
    class("GET /orgs/{slug}/usage.csv", OrgMember).at(&[ORG]),
    class("GET /courses/{slug}/usage.csv", CourseCoordinator).at(&[COURSE]),
    class("GET /datasets/{slug}/v/{number}/files/{name}", SignedIn),
    class("GET /datasets/{slug}/croissant.json", Public),
    class("GET /api/v1/datasets", Public),
    class("GET /api/v1/datasets/{slug}", Public),
    class("POST /playground/{id}/messages", SignedIn).form(&[("content", "Hello")]),
    class("GET /playground/{id}/export.md", SignedIn),
    class("GET /playground/{id}/export.json", SignedIn),
    class("GET /admin/agents/{slug}/agent.json", Admin),
    class("GET /support/attachments/{id}", SignedIn),
    // The proxy, server/src/proxy/.
    class("GET /v1/models", ApiKey),
    class("POST /v1/chat/completions", ApiKey).json("{}"),
    class("POST /v1/embeddings", ApiKey).json("{}"),
    // The upstream simulator, server/src/simulator.rs.
    class("GET /simulator/v1/models", Loopback),
    class("POST /simulator/v1/chat/completions", Loopback).json("{}"),
    class("POST /simulator/v1/embeddings", Loopback).json("{}"),
    // Prometheus' scrape, server/src/metrics.rs (called with each role's
    // API key as its Bearer token).
    class("GET /metrics", MetricsToken),
];

/// Which part of the router serves a route: how it is called and how its
/// refusals look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// A server function: a same-origin form post; refusals are the app's
    /// own `AppError` body (`"Unauthorized"` with 401, `"Forbidden"` with 403).
    ServerFn,
    /// A page: an HTML `GET`; anonymous visitors are redirected to sign in,
    /// signed-in ones without the role get a 403 page.
    Page,
    /// A plain axum route, with the browser's cookies.
    Plain,
    /// An API route (the proxy, the simulator), with the caller's API key.
    Api,
}

/// One route the router serves.
#[derive(Debug, Clone)]
struct Served {
    method: Method,
    path: String,
    surface: Surface,
}

impl Served {
    fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path to call: path parameters are `params` in order (filled in
    /// from `courses`); those not given name nothing that exists.
    fn concrete_path(&self, params: &[&'static str], courses: &Courses) -> String {
        let mut given = params.iter();
        let segments: Vec<&str> = self
            .path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    given.next().map_or(NIL, |param| courses.fill(param))
                } else {
                    segment
                }
            })
            .collect();
        segments.join("/")
    }
}

/// Every route the router serves, from the lists the router is built from.
fn served() -> Vec<Served> {
    use lab_portal::{metrics, proxy, routes, simulator, startup};
    let listed = |surface, prefix: &str, routes: Vec<(Method, String)>| {
        routes
            .into_iter()
            .map(|(method, path)| Served {
                method,
                path: format!("{prefix}{path}"),
                surface,
            })
            .collect::<Vec<_>>()
    };
    let mut served = listed(Surface::ServerFn, "", startup::server_fn_routes());
    served.extend(listed(Surface::Page, "", startup::page_routes()));
    served.extend(listed(Surface::Plain, "", table(routes::probes())));
    served.extend(listed(Surface::Plain, "", table(routes::portal())));
    served.extend(listed(Surface::Api, proxy::PREFIX, table(proxy::routes())));
    served.extend(listed(
        Surface::Api,
        simulator::PREFIX,
        table(simulator::routes()),
    ));
    served.extend(listed(Surface::Api, "", table(metrics::routes())));
    served
}

/// The method and path of every route of a plain route table.
fn table<S>(table: Vec<lab_portal::routes::Route<S>>) -> Vec<(Method, String)> {
    table
        .into_iter()
        .map(|route| (route.method, route.path.to_owned()))
        .collect()
}

/// One role's browser (with its cookies) and API key.
struct Caller {
    role: Role,
    browser: Client,
    key: Option<String>,
}

/// What a call answered.
#[derive(Debug)]
struct Got {
    status: u16,
    location: Option<String>,
    body: String,
}

impl std::fmt::Display for Got {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(location) = &self.location {
            write!(f, " to {location}")?;
        }
        // A transport error's whole chain: it says what went wrong.
        let shown = if self.status == 0 { usize::MAX } else { 160 };
        let body: String = self.body.chars().take(shown).collect();
        write!(f, " {body:?}")
    }
}

#[sqlx::test(migrations = false)]
async fn every_route_answers_every_role_as_its_access_class_says(pool: PgPool) {
    // With `/metrics` on the portal's address, behind its token.
    let (app, _) = spawn_app_with_metrics(pool, Some(METRICS_TOKEN), false).await;
    let served = served();
    let (pairs, mut problems) = classify(&served);
    let (callers, courses) = callers(&app).await;

    let calls = |phase: u8| {
        pairs
            .iter()
            .filter(move |(_, class)| class.phase == phase)
            .flat_map(|(served, class)| callers.iter().map(move |c| (*served, *class, c)))
            .collect::<Vec<_>>()
    };
    for phase in [calls(0), calls(1), calls(2)] {
        let answers: Vec<_> = stream::iter(phase)
            .map(|(served, class, caller)| {
                let (app, courses) = (&app, &courses);
                async move {
                    let path = served.concrete_path(class.params, courses);
                    let got = call(app, served, &path, class, caller, courses).await;
                    (served, path, class, caller.role, got)
                }
            })
            .buffer_unordered(12)
            .collect()
            .await;
        for (served, path, class, role, got) in answers {
            let expected = class.access.expect(role);
            if !answers_as(served, &path, expected, &got) {
                problems.push(format!(
                    "{} as {role:?} ({:?}): expected {}, got {got}",
                    served.route(),
                    class.access,
                    describe(served.surface, expected),
                ));
            }
        }
    }
    problems.sort();
    assert!(
        problems.is_empty(),
        "the role matrix has {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Pairs every served route with its class; the problems are routes without
/// one, classes naming a route that is not served, and classes given twice.
fn classify(served: &[Served]) -> (Vec<(&Served, &'static Class)>, Vec<String>) {
    let mut problems = Vec::new();
    let mut classes: BTreeMap<&str, &'static Class> = BTreeMap::new();
    for class in TABLE {
        if classes.insert(class.route, class).is_some() {
            problems.push(format!(
                "{} is classified twice in TABLE (server/tests/api/roles.rs)",
                class.route
            ));
        }
    }
    let mut pairs = Vec::new();
    for route in served {
        match classes.remove(route.route().as_str()) {
            Some(class) => pairs.push((route, class)),
            None => problems.push(format!(
                "{} ({:?}) is served but has no access class: add it to TABLE in \
                 server/tests/api/roles.rs, with arguments that deserialize",
                route.route(),
                route.surface
            )),
        }
    }
    for route in classes.keys() {
        problems.push(format!(
            "{route} is classified in TABLE (server/tests/api/roles.rs) but the router \
             does not serve it: remove or rename it there"
        ));
    }
    (pairs, problems)
}

/// Whether `got` is what `expected` means on `served`'s surface, called at
/// `path`.
fn answers_as(served: &Served, path: &str, expected: Expect, got: &Got) -> bool {
    let refusal = refusal(served.surface, got);
    match expected {
        // A transport error (status 0) is no answer at all.
        Expect::Allowed => (100..500).contains(&got.status) && refusal.is_none(),
        Expect::SignIn if served.surface == Surface::Page => {
            refusal == Some(Expect::SignIn)
                && got.location.as_deref() == Some(&format!("/signin?next={path}"))
        }
        refusing => refusal == Some(refusing),
    }
}

/// Which refusal `got` is, if it is one.
fn refusal(surface: Surface, got: &Got) -> Option<Expect> {
    match surface {
        Surface::ServerFn => {
            let body: Value = serde_json::from_str(&got.body).unwrap_or(Value::Null);
            match (got.status, body) {
                (401, body) if body == json!("Unauthorized") => Some(Expect::SignIn),
                (403, body) if body == json!("Forbidden") => Some(Expect::Forbidden),
                (404, body) => HIDDEN
                    .into_iter()
                    .find(|hidden| body == json!({ "NotFound": hidden }))
                    .map(Expect::Hidden),
                _ => None,
            }
        }
        Surface::Page => match got.status {
            303 if got
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/signin")) =>
            {
                Some(Expect::SignIn)
            }
            403 => Some(Expect::Forbidden),
            // The page's own words for what it hides.
            404 => HIDDEN
                .into_iter()
                .find(|hidden| got.body.contains(hidden))
                .map(Expect::Hidden),
            _ => None,
        },
        Surface::Plain | Surface::Api => match got.status {
            401 => Some(Expect::SignIn),
            403 => Some(Expect::Forbidden),
            404 => HIDDEN
                .into_iter()
                .find(|hidden| got.body.contains(hidden))
                .map(Expect::Hidden),
            _ => None,
        },
    }
}

/// The answer `expected` means on `surface`, for the failure message.
fn describe(surface: Surface, expected: Expect) -> String {
    match (surface, expected) {
        (_, Expect::Allowed) => "an answer past the access check (no refusal, no 5xx)".into(),
        (Surface::ServerFn, Expect::SignIn) => "401 \"Unauthorized\"".into(),
        (Surface::ServerFn, Expect::Forbidden) => "403 \"Forbidden\"".into(),
        (_, Expect::Hidden(hidden)) => format!("404 saying {hidden:?}"),
        (Surface::Page, Expect::SignIn) => "303 See Other to /signin?next=<the page>".into(),
        (Surface::Page, Expect::Forbidden) => "the 403 page".into(),
        (Surface::Plain | Surface::Api, Expect::SignIn) => "401".into(),
        (Surface::Plain | Surface::Api, Expect::Forbidden) => "403".into(),
    }
}

/// Calls `served` at `path` as `caller`, with `class`'s arguments (their
/// placeholders filled in from `courses`).
async fn call(
    app: &TestApp,
    served: &Served,
    path: &str,
    class: &Class,
    caller: &Caller,
    courses: &Courses,
) -> Got {
    let url = format!("{}{path}", app.address);
    let fill = |args: &'static [(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        args.iter()
            .map(|(name, value)| (*name, courses.fill(value)))
            .collect()
    };
    let mut request = caller
        .browser
        .request(served.method.clone(), url)
        .timeout(Duration::from_secs(20));
    match served.surface {
        Surface::ServerFn => request = request.header("origin", &app.address),
        Surface::Page => {
            request = request.header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        }
        // A plain post comes from the portal's own pages.
        Surface::Plain if served.method != Method::GET => {
            request = request.header("origin", &app.address)
        }
        Surface::Plain => {}
        Surface::Api => {
            if let Some(key) = &caller.key {
                request = request.bearer_auth(key);
            }
        }
    }
    request = match class.args {
        Args::Form([]) => request,
        Args::Form(args) if served.method == Method::GET => request.query(&fill(args)),
        Args::Form(args) => request.form(&fill(args)),
        Args::Multipart(args) => {
            let parts: Vec<FormPart<'_>> = fill(args)
                .into_iter()
                .map(|(name, value)| FormPart {
                    name,
                    file_name: None,
                    content: value.as_bytes(),
                })
                .collect();
            let (content_type, body) = multipart_body(&parts);
            request.header("content-type", content_type).body(body)
        }
        Args::Json(body) => request
            .header("content-type", "application/json")
            .body(body),
    };
    // A pooled connection the server closed as it was reused fails before
    // any answer; such a call is made again once, on a new connection (a
    // refusal is an answer, never a transport error). A call that timed
    // out is not: the server had it, and did not answer.
    let again = request.try_clone();
    let started = std::time::Instant::now();
    let mut sent = request.send().await;
    let mut first_error = None;
    if let (Err(error), Some(again)) = (&sent, again) {
        if !error.is_timeout() && (error.is_request() || error.is_connect()) {
            first_error = Some(format!(
                "{} after {:.1} s",
                error_chain(error),
                started.elapsed().as_secs_f32()
            ));
            sent = again.send().await;
        }
    }
    match sent {
        Ok(response) => Got {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned),
            body: response.text().await.unwrap_or_default(),
        },
        Err(error) => Got {
            status: 0,
            location: None,
            body: match first_error {
                Some(first) => format!(
                    "no answer: {first}; again: {} after {:.1} s in all",
                    error_chain(&error),
                    started.elapsed().as_secs_f32()
                ),
                None => format!(
                    "no answer: {} after {:.1} s",
                    error_chain(&error),
                    started.elapsed().as_secs_f32()
                ),
            },
        },
    }
}

/// `error` and every error under it (`source`), outermost first: reqwest's
/// own says only "error sending request"; the cause (a timeout, a reset
/// connection, an answer that is no HTTP) is further down.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

/// The courses the course roles run and joined: their slugs are made up as
/// they are created.
#[derive(Debug, Default)]
struct Courses {
    /// [`COURSE`], [`Role::Coordinator`]'s, and its join code.
    course: String,
    code: String,
    /// [`Role::OtherCoordinator`]'s course's join code.
    other_code: String,
}

impl Courses {
    /// `value`, or what it stands for when it is a placeholder.
    fn fill<'a>(&'a self, value: &'a str) -> &'a str {
        if value == COURSE {
            &self.course
        } else {
            value
        }
    }
}

/// One caller per role, made the way people get there, and the courses
/// they made.
async fn callers(app: &TestApp) -> (Vec<Caller>, Courses) {
    create_user(app, "platform-admin@roles.example", "admin").await;
    let admin = signed_in(app, "platform-admin@roles.example").await;
    let mut courses = Courses::default();
    let mut callers = Vec::new();
    for role in ROLES {
        callers.push(make_caller(app, role, &admin, &mut courses).await);
    }
    (callers, courses)
}

/// A user in `role`'s state; `admin` approves, suspends and makes
/// institutions. A coordinator's course goes in `courses`; a student joins
/// the one there.
async fn make_caller(app: &TestApp, role: Role, admin: &Client, courses: &mut Courses) -> Caller {
    let email = format!("{role:?}@roles.example").to_lowercase();
    let (browser, key) = match role {
        Role::Anonymous => (app.new_browser(), None),
        Role::Unverified => {
            let browser = app.new_browser();
            let form = [
                ("email", email.as_str()),
                ("password", crate::helpers::PASSWORD),
                ("display_name", "Una Verified"),
                ("account_kind", "developer"),
                ("organization", ""),
                ("country", "DE"),
            ];
            let signed_up = app.post_form_with(&browser, "/api/sign_up", &form).await;
            assert_eq!(signed_up.status(), 200, "sign-up");
            let sign_in = [
                ("email", email.as_str()),
                ("password", crate::helpers::PASSWORD),
            ];
            let refused = app.post_form_with(&browser, "/api/sign_in", &sign_in).await;
            assert_eq!(
                refused.status(),
                403,
                "an unverified account cannot sign in"
            );
            (browser, None)
        }
        Role::Pending => {
            let browser = developer(app, &email).await;
            apply(app, &browser).await;
            let key = create_key(app, &browser).await;
            (browser, Some(key))
        }
        Role::Developer => {
            let browser = developer(app, &email).await;
            let application = apply(app, &browser).await;
            let approve = [("application_id", application.as_str()), ("note", "")];
            let approved = app
                .post_form_with(admin, "/api/admin_approve_application", &approve)
                .await;
            assert_eq!(approved.status(), 200, "approval");
            let key = create_key(app, &browser).await;
            (browser, Some(key))
        }
        Role::Suspended => {
            let browser = developer(app, &email).await;
            let user = user_id(app, &email).await;
            let key = create_key(app, &browser).await;
            let suspend = [("user_id", user.as_str())];
            let suspended = app
                .post_form_with(admin, "/api/admin_suspend_user", &suspend)
                .await;
            assert_eq!(suspended.status(), 200, "suspension");
            (browser, Some(key))
        }
        Role::PlatformAdmin => (admin.clone(), Some(create_key(app, admin).await)),
        Role::OrgOwner | Role::OtherOrgOwner => {
            let browser = developer(app, &email).await;
            let slug = if role == Role::OrgOwner {
                ORG
            } else {
                "other-org"
            };
            let form = [
                ("name", slug),
                ("slug", slug),
                ("website", ""),
                ("country", "SG"),
                ("industry", "finance"),
                ("time_zone", "Asia/Singapore"),
            ];
            let created = app
                .post_form_with(&browser, "/api/create_organization", &form)
                .await;
            assert_eq!(created.status(), 200, "an organization is created");
            let key = create_key(app, &browser).await;
            (browser, Some(key))
        }
        Role::OrgAdmin | Role::OrgMember => {
            let browser = developer(app, &email).await;
            let user = user_id(app, &email).await;
            let role_name = if role == Role::OrgAdmin {
                "admin"
            } else {
                "member"
            };
            sqlx::query(
                "insert into team_members (team_id, user_id, role)
                 select t.id, $2::uuid, $3 from teams t where t.kind = 'organization' and t.slug = $1",
            )
            .bind(ORG)
            .bind(&user)
            .bind(role_name)
            .execute(&app.pool)
            .await
            .expect("a member of the organization");
            let key = create_key(app, &browser).await;
            (browser, Some(key))
        }
        Role::InstitutionAdmin | Role::OtherInstitutionAdmin => {
            let browser = developer(app, &email).await;
            let (slug, domain) = if role == Role::InstitutionAdmin {
                (INST, "roles.example")
            } else {
                (OTHER_INST, "other-uni.example")
            };
            create_institution(app, admin, slug, domain, "1000").await;
            set_institution_staff(app, admin, slug, &email, "admin").await;
            let key = create_key(app, &browser).await;
            (browser, Some(key))
        }
        Role::Coordinator | Role::OtherCoordinator => {
            let browser = developer(app, &email).await;
            set_institution_staff(app, admin, INST, &email, "coordinator").await;
            let course = NewCourse {
                institution: INST,
                course_code: if role == Role::Coordinator {
                    "RM101"
                } else {
                    "RM102"
                },
                allocation: "10",
                max_students: "50",
                // Every role's address is at the institution's domain.
                require_institution_email: true,
            };
            let slug = create_course(app, &browser, &course).await;
            fund_course(app, &browser, &slug, "100").await;
            let code = open_course(app, &browser, &slug).await;
            if role == Role::Coordinator {
                (courses.course, courses.code) = (slug, code);
            } else {
                courses.other_code = code;
            }
            let key = create_key(app, &browser).await;
            (browser, Some(key))
        }
        Role::Student | Role::OtherStudent => {
            let browser = developer(app, &email).await;
            let code = if role == Role::Student {
                &courses.code
            } else {
                &courses.other_code
            };
            let joined = posted_ok(app, &browser, "/api/join_course", &[("code", code)]).await;
            assert!(
                joined.as_str().is_some_and(|m| m.starts_with("You joined")),
                "{role:?} joins with their allocation: {joined}"
            );
            let key = create_key(app, &browser).await;
            (browser, Some(key))
        }
    };
    Caller { role, browser, key }
}

/// A verified, active developer account `email`, and a browser signed in as it.
async fn developer(app: &TestApp, email: &str) -> Client {
    create_user(app, email, "developer").await;
    signed_in(app, email).await
}

async fn user_id(app: &TestApp, email: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .expect("user");
    id.to_string()
}

/// Sends an onboarding application from `browser`; its id.
async fn apply(app: &TestApp, browser: &Client) -> String {
    let form = [
        ("building", "A support assistant for our helpdesk."),
        ("industry", "retail"),
        ("expected_usage", "prototype"),
    ];
    let sent = app
        .post_form_with(browser, "/api/submit_application", &form)
        .await;
    assert_eq!(sent.status(), 200, "application");
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from applications order by created_at desc limit 1")
            .fetch_one(&app.pool)
            .await
            .expect("application");
    id.to_string()
}

/// A new API key of `browser`'s user, in plain text.
async fn create_key(app: &TestApp, browser: &Client) -> String {
    let created = app
        .post_form_with(browser, "/api/create_api_key", &[("name", "matrix")])
        .await;
    assert_eq!(created.status(), 200, "key");
    let body: Value = created.json().await.expect("json");
    body["key"].as_str().expect("the key").to_owned()
}
