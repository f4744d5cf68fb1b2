//! Universities' courses over HTTP: Lab staff make an institution and fund
//! its pool, its staff see it (nobody else does), a coordinator creates,
//! funds, opens a course and rotates its join code, students join (with an
//! address of the institution, while there are seats, waiting when the
//! course's pool runs short), rosters are checked and invite each address
//! once, a student's course key spends their allocation only, top-ups, and
//! the end of a term: keys stop and the unused credit goes back.

use std::time::Duration;

use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{
    create_course, create_institution, create_user, fund_course, open_course, page,
    set_institution_staff, signed_in, spawn_app, NewCourse, TestApp,
};

/// The institution every test makes: students at `uni.edu`.
const UNI: &str = "uni";

/// Micro-credits in a credit.
const C: i64 = 1_000_000;

/// What an institution answers anyone not on its staff.
const NOT_STAFF: &str = "There is no such institution, or you are not one of its staff.";

/// What a course answers anyone who does not run it.
const NOT_RUNNING: &str = "There is no such course, or you do not run it.";

/// The Lab's admin, and a coordinator on the staff of [`UNI`] (made with
/// 1,000 credits in its pool).
struct Uni {
    admin: Client,
    coordinator: Client,
}

async fn uni(app: &TestApp) -> Uni {
    create_user(app, "staff@lab.example", "admin").await;
    let admin = signed_in(app, "staff@lab.example").await;
    create_institution(app, &admin, UNI, "uni.edu", "1000").await;
    let coordinator = person(app, "prof@uni.edu").await;
    set_institution_staff(app, &admin, UNI, "prof@uni.edu", "coordinator").await;
    Uni { admin, coordinator }
}

/// A course of [`UNI`] for its addresses only.
fn course<'a>(code: &'a str, allocation: &'a str, max_students: &'a str) -> NewCourse<'a> {
    NewCourse {
        institution: UNI,
        course_code: code,
        allocation,
        max_students,
        require_institution_email: true,
    }
}

/// A course created, funded with `funds` credits and opened by `coordinator`:
/// its slug and join code.
async fn open(
    app: &TestApp,
    coordinator: &Client,
    new: &NewCourse<'_>,
    funds: &str,
) -> (String, String) {
    let slug = create_course(app, coordinator, new).await;
    fund_course(app, coordinator, &slug, funds).await;
    let code = open_course(app, coordinator, &slug).await;
    (slug, code)
}

/// A verified developer `email`, signed in.
async fn person(app: &TestApp, email: &str) -> Client {
    create_user(app, email, "developer").await;
    signed_in(app, email).await
}

/// The status and JSON error of a call that must fail.
async fn failed(
    app: &TestApp,
    client: &Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    TestApp::error_of(app.call(client, endpoint, form).await).await
}

/// The message of a refusal (403 `Refused`).
fn refused(error: &(u16, Value)) -> &str {
    assert_eq!(error.0, 403, "{}", error.1);
    error.1["Refused"]
        .as_str()
        .unwrap_or_else(|| panic!("a refusal: {}", error.1))
}

/// The message of a 404.
fn not_found(error: &(u16, Value)) -> &str {
    assert_eq!(error.0, 404, "{}", error.1);
    error.1["NotFound"]
        .as_str()
        .unwrap_or_else(|| panic!("not found: {}", error.1))
}

/// The fields and messages of a 422.
fn invalid(error: &(u16, Value)) -> Vec<(String, String)> {
    assert_eq!(error.0, 422, "{}", error.1);
    error.1["Validation"]
        .as_array()
        .unwrap_or_else(|| panic!("field errors: {}", error.1))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Joins the course with `code` as `client`; what it says.
async fn join(app: &TestApp, client: &Client, code: &str) -> String {
    app.call_ok(client, "join_course", &[("code", code)])
        .await
        .as_str()
        .expect("a message")
        .to_owned()
}

/// The course's console as `client` (one who runs it) sees it.
async fn console(app: &TestApp, client: &Client, slug: &str) -> Value {
    app.call_ok(client, "get_cohort", &[("slug", slug)]).await
}

/// The institution's dashboard as one of its staff sees it.
async fn institution(app: &TestApp, client: &Client) -> Value {
    app.call_ok(client, "get_institution", &[("slug", UNI)])
        .await
}

/// The student of the console whose address is `email`.
fn student<'a>(console: &'a Value, email: &str) -> &'a Value {
    console["students"]
        .as_array()
        .expect("students")
        .iter()
        .find(|s| s["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {console}"))
}

/// The caller's courses.
async fn my_courses(app: &TestApp, client: &Client) -> Vec<Value> {
    app.call_ok(client, "my_courses", &[])
        .await
        .as_array()
        .expect("courses")
        .clone()
}

/// The body of a page as `client` sees it, after checking its status.
async fn page_text(app: &TestApp, client: &Client, path: &str, status: u16) -> String {
    let response = page(app, client, path).await;
    let got = response.status().as_u16();
    let body = response.text().await.expect("body");
    assert_eq!(got, status, "{path}: {body}");
    body
}

/// Emails in the outbox to `recipient` whose subject starts with `subject`.
async fn emails(app: &TestApp, recipient: &str, subject: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select body_text from outbox where lower(recipient) = lower($1)
           and starts_with(subject, $2) order by created_at",
    )
    .bind(recipient)
    .bind(subject)
    .fetch_all(&app.pool)
    .await
    .expect("the outbox")
}

#[sqlx::test(migrations = false)]
async fn an_institutions_pool_and_courses_are_shown_to_its_staff_and_to_nobody_else(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;

    // Lab staff see it in their list with its pool and domain.
    let listed = app
        .call_ok(&uni.admin, "admin_list_institutions", &[])
        .await;
    let row = listed["institutions"]
        .as_array()
        .expect("institutions")
        .iter()
        .find(|i| i["slug"] == UNI)
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(row["pool"], 1000 * C, "{row}");
    assert_eq!(row["domains"], json!(["uni.edu"]), "{row}");

    // Its coordinator sees the pool and the staff, then the course they make.
    let view = institution(&app, &uni.coordinator).await;
    assert_eq!(view["pool"], 1000 * C, "{view}");
    assert_eq!(view["domains"], json!(["uni.edu"]), "{view}");
    assert_eq!(view["is_admin"], false, "{view}");
    assert_eq!(
        view["staff"],
        json!([{"name": "User prof@uni.edu", "email": "prof@uni.edu", "role": "coordinator"}])
    );
    assert_eq!(view["cohorts"], json!([]), "{view}");
    let (slug, code) = open(&app, &uni.coordinator, &course("ML101", "10", "30"), "100").await;
    let ann = person(&app, "ann@uni.edu").await;
    join(&app, &ann, &code).await;
    let view = institution(&app, &uni.coordinator).await;
    assert_eq!(view["pool"], 900 * C, "{view}");
    let courses = view["cohorts"].as_array().expect("courses");
    assert_eq!(courses.len(), 1, "{view}");
    assert_eq!(courses[0]["slug"], slug.as_str());
    assert_eq!(courses[0]["status"], "open");
    assert_eq!(courses[0]["students"], 1);
    assert_eq!(courses[0]["allocated"], 10 * C);
    assert_eq!(courses[0]["pool"], 90 * C);
    let body = page_text(&app, &uni.coordinator, "/institutions/uni", 200).await;
    for shown in ["Credit pool", "900", "Course ML101", "prof@uni.edu"] {
        assert!(body.contains(shown), "{shown} on the page");
    }

    // An admin of the institution runs every course of it.
    let dean = person(&app, "dean@uni.edu").await;
    set_institution_staff(&app, &uni.admin, UNI, "dean@uni.edu", "admin").await;
    assert_eq!(institution(&app, &dean).await["is_admin"], true);
    assert_eq!(console(&app, &dean, &slug).await["slug"], slug.as_str());

    // Everyone else is told there is no such institution: a developer, the
    // admin of another institution, a student of its course, Lab staff.
    create_institution(&app, &uni.admin, "other", "other.edu", "10").await;
    let other_admin = person(&app, "dean@other.edu").await;
    set_institution_staff(&app, &uni.admin, "other", "dean@other.edu", "admin").await;
    let outsider = person(&app, "eve@example.com").await;
    for (who, client) in [
        ("a developer", &outsider),
        ("another institution's admin", &other_admin),
        ("a student", &ann),
        ("Lab staff", &uni.admin),
    ] {
        let error = failed(&app, client, "get_institution", &[("slug", UNI)]).await;
        assert_eq!(not_found(&error), NOT_STAFF, "{who}");
        let body = page_text(&app, client, "/institutions/uni", 404).await;
        assert!(body.contains(NOT_STAFF), "{who}: {body}");
        assert!(!body.contains("ML101"), "{who} sees no course");
        let error = failed(
            &app,
            client,
            "create_cohort",
            &[
                ("institution", UNI),
                ("name", "Sneaky"),
                ("course_code", "X1"),
                ("term_start", "2027-01-01"),
                ("term_end", "2027-02-01"),
                ("allocation", "1"),
                ("max_students", "1"),
            ],
        )
        .await;
        assert_eq!(not_found(&error), NOT_STAFF, "{who} creates no course");
    }
    // A name that is nobody's says the same to staff.
    let error = failed(
        &app,
        &uni.coordinator,
        "get_institution",
        &[("slug", "nope")],
    )
    .await;
    assert_eq!(not_found(&error), NOT_STAFF);
    let cohorts: i64 = sqlx::query_scalar("select count(*) from cohorts")
        .fetch_one(&app.pool)
        .await
        .expect("cohorts");
    assert_eq!(cohorts, 1);
    // Signed out: the page asks to sign in first.
    let response = page(&app, &app.new_browser(), "/institutions/uni").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/signin?next=/institutions/uni"
    );
}

#[sqlx::test(migrations = false)]
async fn a_coordinator_sees_what_a_course_needs_funds_it_once_per_key_opens_it_and_rotates_its_code(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let prof = &uni.coordinator;
    let slug = create_course(&app, prof, &course("ML101", "10", "30")).await;
    let view = console(&app, prof, &slug).await;
    assert_eq!(view["status"], "draft", "{view}");
    assert_eq!(view["pool"], 0);
    assert_eq!(view["needs"], 300 * C, "30 seats of 10 credits");
    let old_code = view["join_code"].as_str().expect("a code").to_owned();
    let body = page_text(&app, prof, &format!("/courses/{slug}"), 200).await;
    assert!(body.contains("Fund 300 more credits to cover every open seat."));

    // Nobody joins a course in draft.
    let ann = person(&app, "ann@uni.edu").await;
    let error = failed(&app, &ann, "join_course", &[("code", &old_code)]).await;
    assert!(
        refused(&error).contains("not open for joining"),
        "{error:?}"
    );

    // Funding moves credit once per form, however often it is posted.
    let key = Uuid::now_v7().to_string();
    let fund = [
        ("slug", slug.as_str()),
        ("amount", "100"),
        ("idempotency_key", &key),
    ];
    assert_eq!(app.call_ok(prof, "fund_cohort", &fund).await, true);
    assert_eq!(app.call_ok(prof, "fund_cohort", &fund).await, false);
    assert_eq!(console(&app, prof, &slug).await["pool"], 100 * C);
    assert_eq!(institution(&app, prof).await["pool"], 900 * C);
    let moves: i64 = sqlx::query_scalar(
        "select count(*) from ledger_transactions where idempotency_key like '%' || $1",
    )
    .bind(&key)
    .fetch_one(&app.pool)
    .await
    .expect("transactions");
    assert_eq!(moves, 1);
    let body = page_text(&app, prof, &format!("/courses/{slug}"), 200).await;
    assert!(body.contains("Fund 200 more credits to cover every open seat."));
    // More than the institution holds is refused, and nothing moves.
    let error = failed(
        &app,
        prof,
        "fund_cohort",
        &[
            ("slug", &slug),
            ("amount", "901"),
            ("idempotency_key", &Uuid::now_v7().to_string()),
        ],
    )
    .await;
    assert_eq!(invalid(&error)[0].0, "amount");
    assert_eq!(institution(&app, prof).await["pool"], 900 * C);

    // Open: Ann joins with the code, and the seat's credit leaves the pool.
    open_course(&app, prof, &slug).await;
    let said = join(&app, &ann, &old_code).await;
    assert_eq!(
        said,
        "You joined Course ML101 (ML101): 10 credits are yours to use until the term ends."
    );
    let view = console(&app, prof, &slug).await;
    assert_eq!(view["status"], "open");
    assert_eq!(view["pool"], 90 * C);
    assert_eq!(view["joined"], 1);
    assert_eq!(view["needs"], 290 * C, "29 open seats");

    // A new code: the old one no longer joins anyone, the new one does
    // (typed in lower case, with a hyphen).
    let new_code = app
        .call_ok(prof, "rotate_join_code", &[("slug", &slug)])
        .await
        .as_str()
        .expect("the new code")
        .to_owned();
    assert_ne!(new_code, old_code);
    let view = console(&app, prof, &slug).await;
    assert_eq!(view["join_code"], new_code.as_str());
    assert!(view["join_url"]
        .as_str()
        .is_some_and(|url| url.ends_with(&format!("/join/{new_code}"))));
    let bob = person(&app, "bob@uni.edu").await;
    let error = failed(&app, &bob, "join_course", &[("code", &old_code)]).await;
    assert_eq!(invalid(&error)[0].0, "code", "{error:?}");
    let typed = format!("{}-{}", &new_code[..4], &new_code[4..]).to_lowercase();
    assert!(join(&app, &bob, &typed).await.starts_with("You joined"));
    assert_eq!(console(&app, prof, &slug).await["joined"], 2);
}

#[sqlx::test(migrations = false)]
async fn a_course_for_the_institutions_addresses_refuses_others(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let (_, code) = open(&app, &uni.coordinator, &course("ML101", "10", "30"), "100").await;
    let ann = person(&app, "ann@uni.edu").await;
    assert!(join(&app, &ann, &code).await.starts_with("You joined"));
    for email in [
        "eve@gmail.example",
        "mallory@cs.uni.edu",
        "trudy@uni.edu.evil.example",
    ] {
        let other = person(&app, email).await;
        let error = failed(&app, &other, "join_course", &[("code", &code)]).await;
        assert_eq!(
            refused(&error),
            "This course is for uni.edu addresses: sign in with yours (add it on your profile) to join.",
            "{email}"
        );
        assert!(my_courses(&app, &other).await.is_empty(), "{email}");
    }
    // A course open to any address takes them.
    let open_to_all = NewCourse {
        require_institution_email: false,
        ..course("PY100", "10", "30")
    };
    let (_, code) = open(&app, &uni.coordinator, &open_to_all, "100").await;
    let eve = signed_in(&app, "eve@gmail.example").await;
    assert!(join(&app, &eve, &code).await.starts_with("You joined"));
}

#[sqlx::test(migrations = false)]
async fn a_full_course_refuses_the_next_student(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let (slug, code) = open(&app, &uni.coordinator, &course("ML101", "10", "2"), "100").await;
    for email in ["ann@uni.edu", "bob@uni.edu"] {
        let student = person(&app, email).await;
        assert!(join(&app, &student, &code).await.starts_with("You joined"));
    }
    // Joining again takes no second seat.
    let ann = signed_in(&app, "ann@uni.edu").await;
    assert_eq!(
        join(&app, &ann, &code).await,
        "You are in Course ML101 already."
    );
    let cy = person(&app, "cy@uni.edu").await;
    let error = failed(&app, &cy, "join_course", &[("code", &code)]).await;
    assert_eq!(
        refused(&error),
        "This course is full; ask its coordinator for a seat."
    );
    let view = console(&app, &uni.coordinator, &slug).await;
    assert_eq!(view["joined"], 2);
    assert_eq!(view["pool"], 80 * C);
    assert!(my_courses(&app, &cy).await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn a_join_the_course_cannot_cover_waits_until_funding_brings_the_allocation(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let prof = &uni.coordinator;
    let (slug, code) = open(&app, prof, &course("ML101", "10", "5"), "15").await;
    let ann = person(&app, "ann@uni.edu").await;
    assert!(join(&app, &ann, &code).await.starts_with("You joined"));

    // 5 credits left: Bob waits, is told so, and the coordinator is told.
    let bob = person(&app, "bob@uni.edu").await;
    assert_eq!(
        join(&app, &bob, &code).await,
        "You joined Course ML101, but its credit has run out for now: your coordinator is told, and your 10 credits arrive once they add more."
    );
    let mine = my_courses(&app, &bob).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["slug"], slug.as_str());
    assert_eq!(mine[0]["status"], "Waiting for credit");
    assert_eq!(
        (&mine[0]["allocated"], &mine[0]["remaining"]),
        (&json!(0), &json!(0))
    );
    let told = emails(
        &app,
        "prof@uni.edu",
        "A student is waiting for credit in ML101",
    )
    .await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("User bob@uni.edu joined Course ML101"),
        "{}",
        told[0]
    );
    let view = console(&app, prof, &slug).await;
    assert_eq!((&view["joined"], &view["waiting"]), (&json!(1), &json!(1)));
    assert_eq!(
        student(&view, "bob@uni.edu")["status"],
        "Waiting for credit"
    );
    assert_eq!(view["pool"], 5 * C);
    // Nothing to spend yet: no key bills the course.
    let error = failed(
        &app,
        &bob,
        "create_api_key",
        &[("name", "ml"), ("bill_to", &format!("course:{slug}"))],
    )
    .await;
    assert_eq!(invalid(&error)[0].0, "bill_to");

    // Funding the course gives Bob his allocation.
    fund_course(&app, prof, &slug, "5").await;
    let mine = my_courses(&app, &bob).await;
    assert_eq!(mine[0]["status"], "Joined");
    assert_eq!(
        (&mine[0]["allocated"], &mine[0]["remaining"]),
        (&json!(10 * C), &json!(10 * C))
    );
    let view = console(&app, prof, &slug).await;
    assert_eq!((&view["joined"], &view["waiting"]), (&json!(2), &json!(0)));
    assert_eq!(view["pool"], 0);
}

#[sqlx::test(migrations = false)]
async fn a_student_sees_their_own_courses_and_never_other_students(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let (ml, ml_code) = open(&app, &uni.coordinator, &course("ML101", "10", "30"), "100").await;
    let other_prof = person(&app, "prof2@uni.edu").await;
    set_institution_staff(&app, &uni.admin, UNI, "prof2@uni.edu", "coordinator").await;
    let (py, py_code) = open(&app, &other_prof, &course("PY100", "10", "30"), "100").await;
    let ann = person(&app, "ann@uni.edu").await;
    let bob = person(&app, "bob@uni.edu").await;
    let cy = person(&app, "cy@uni.edu").await;
    join(&app, &ann, &ml_code).await;
    join(&app, &bob, &ml_code).await;
    join(&app, &cy, &py_code).await;

    // Ann's own course, and nothing of Bob's or Cy's.
    let mine = my_courses(&app, &ann).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["slug"], ml.as_str());
    assert_eq!(mine[0]["status"], "Joined");
    assert_eq!(mine[0]["allocated"], 10 * C);
    let text = serde_json::to_string(&mine).expect("json");
    assert!(!text.contains("bob") && !text.contains("cy@"), "{text}");
    let theirs = my_courses(&app, &cy).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["slug"], py.as_str());

    // The console of her course, its page and roster are not hers: "not
    // found", as for any course she does not run.
    for endpoint in ["get_cohort", "rotate_join_code", "end_cohort_term"] {
        let error = failed(&app, &ann, endpoint, &[("slug", &ml)]).await;
        assert_eq!(not_found(&error), NOT_RUNNING, "{endpoint}");
    }
    let error = failed(
        &app,
        &ann,
        "check_roster",
        &[("slug", &ml), ("roster", "email\nbob@uni.edu")],
    )
    .await;
    assert_eq!(not_found(&error), NOT_RUNNING);
    let body = page_text(&app, &ann, &format!("/courses/{ml}"), 404).await;
    assert!(body.contains(NOT_RUNNING));
    assert!(!body.contains("bob@uni.edu"));
    // Nor is it the other course's coordinator's.
    let error = failed(&app, &other_prof, "get_cohort", &[("slug", &ml)]).await;
    assert_eq!(not_found(&error), NOT_RUNNING);
    // The coordinator sees both of their students; the course is unchanged.
    let view = console(&app, &uni.coordinator, &ml).await;
    assert_eq!(view["status"], "open");
    assert_eq!(view["join_code"], ml_code.as_str());
    let emails: Vec<&str> = view["students"]
        .as_array()
        .expect("students")
        .iter()
        .filter_map(|s| s["email"].as_str())
        .collect();
    assert_eq!(emails, ["ann@uni.edu", "bob@uni.edu"]);
}

#[sqlx::test(migrations = false)]
async fn checking_a_roster_flags_repeats_bad_and_foreign_addresses_and_students_enrolled_already(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let prof = &uni.coordinator;
    let (slug, code) = open(&app, prof, &course("ML101", "10", "30"), "100").await;
    let (_, other_code) = open(&app, prof, &course("PY100", "10", "30"), "100").await;
    let ann = person(&app, "ann@uni.edu").await;
    join(&app, &ann, &code).await;
    let cy = person(&app, "cy@uni.edu").await;
    join(&app, &cy, &other_code).await;
    let roster = "Email,Name,Student ID\n\
                  ANN@uni.edu,Ann,A1\n\
                  Bob@Uni.EDU,Bob,B2\n\
                  bob@uni.edu,Bob again,B2\n\
                  not-an-email,X,X3\n\
                  eve@gmail.example,Eve,E4\n\
                  ,Nobody,N5\n\
                  cy@uni.edu,Cy,C6\n";
    let report = app
        .call_ok(prof, "check_roster", &[("slug", &slug), ("roster", roster)])
        .await;
    let rows: Vec<(String, String, bool, bool)> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["left_out"] == true,
                r["elsewhere"] == true,
            )
        })
        .collect();
    let row = |email: &str, status: &str, left_out: bool, elsewhere: bool| {
        (email.to_owned(), status.to_owned(), left_out, elsewhere)
    };
    assert_eq!(
        rows,
        vec![
            row("ann@uni.edu", "Enrolled already", false, false),
            row("bob@uni.edu", "Will be invited", false, false),
            row("bob@uni.edu", "Listed already on line 3.", true, false),
            row("not-an-email", "Not an email address.", true, false),
            row(
                "eve@gmail.example",
                "Not an address of the institution (uni.edu).",
                true,
                false
            ),
            row("", "No email.", true, false),
            row("cy@uni.edu", "Will be invited", false, true),
        ]
    );
    assert_eq!(
        (&report["to_invite"], &report["invited"]),
        (&json!(2), &json!(0))
    );
    // A check changes nothing.
    let invited: i64 =
        sqlx::query_scalar("select count(*) from enrollments where status = 'invited'")
            .fetch_one(&app.pool)
            .await
            .expect("enrollments");
    assert_eq!(invited, 0);
    assert!(emails(&app, "bob@uni.edu", "Join").await.is_empty());
    // A header without an email column is refused as a whole.
    let error = failed(
        &app,
        prof,
        "check_roster",
        &[("slug", &slug), ("roster", "name\nBob")],
    )
    .await;
    assert_eq!(invalid(&error)[0].0, "roster");
}

#[sqlx::test(migrations = false)]
async fn uploading_a_roster_again_invites_nobody_twice(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let prof = &uni.coordinator;
    let (slug, code) = open(&app, prof, &course("ML101", "10", "30"), "100").await;
    let roster = "email,name\nbob@uni.edu,Bob\ncarol@uni.edu,Carol\nBOB@uni.edu,Bob\n";
    let report = app
        .call_ok(
            prof,
            "upload_roster",
            &[("slug", &slug), ("roster", roster)],
        )
        .await;
    assert_eq!(report["invited"], 2, "{report}");
    for email in ["bob@uni.edu", "carol@uni.edu"] {
        let sent = emails(&app, email, "Join Course ML101 (ML101) on Lab Portal").await;
        assert_eq!(sent.len(), 1, "{email}: {sent:?}");
        assert!(sent[0].contains(&format!("/join/{code}")), "{}", sent[0]);
    }
    let statuses: Vec<&str> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "Invited before",
            "Invited before",
            "Listed already on line 2."
        ]
    );

    // Again, with one more address: only that one is invited.
    let roster = format!("{roster}dave@uni.edu,Dave\n");
    let report = app
        .call_ok(
            prof,
            "upload_roster",
            &[("slug", &slug), ("roster", &roster)],
        )
        .await;
    assert_eq!(report["invited"], 1, "{report}");
    for (email, count) in [
        ("bob@uni.edu", 1),
        ("carol@uni.edu", 1),
        ("dave@uni.edu", 1),
    ] {
        let sent = emails(&app, email, "Join Course ML101").await;
        assert_eq!(sent.len(), count, "{email}");
    }
    let view = console(&app, prof, &slug).await;
    assert_eq!(view["invited"], 3);
    assert_eq!(student(&view, "carol@uni.edu")["status"], "Invited");
    // An invitation takes no credit until the student joins.
    assert_eq!(view["pool"], 100 * C);
}

#[sqlx::test(migrations = false)]
async fn a_student_invited_by_roster_who_signs_up_with_that_address_is_matched_to_the_invitation(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let prof = &uni.coordinator;
    let (slug, _) = open(&app, prof, &course("ML101", "10", "30"), "100").await;
    let roster = "email,name,student_id\nCarol@uni.edu,Carol Chen,A0123\n";
    let report = app
        .call_ok(
            prof,
            "upload_roster",
            &[("slug", &slug), ("roster", roster)],
        )
        .await;
    assert_eq!(report["invited"], 1);
    let invitation = emails(&app, "carol@uni.edu", "Join Course ML101").await;
    let link = invitation
        .first()
        .and_then(|body| body.split_whitespace().find(|w| w.contains("/join/")))
        .expect("the join link")
        .to_owned();
    let code = link.rsplit('/').next().expect("the code");

    // Carol signs up with that address, verifies it and joins by the link.
    app.signed_in_developer("carol@uni.edu").await;
    assert!(join(&app, &app.client, code)
        .await
        .starts_with("You joined"));

    let view = console(&app, prof, &slug).await;
    let students = view["students"].as_array().expect("students");
    assert_eq!(
        students.len(),
        1,
        "one student, not an invitation and a student: {view}"
    );
    let carol = &students[0];
    assert_eq!(carol["email"], "carol@uni.edu");
    assert_eq!(carol["name"], "Carol Chen", "the roster's name is kept");
    assert_eq!(carol["student_id"], "A0123");
    assert_eq!(carol["status"], "Joined");
    assert_eq!(carol["allocated"], 10 * C);
    assert_eq!((&view["invited"], &view["joined"]), (&json!(0), &json!(1)));
    let mine = my_courses(&app, &app.client).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["slug"], slug.as_str());
}

/// A chat completion on the simulator with `key`.
async fn chat(app: &TestApp, key: &str) -> Response {
    app.client
        .post(format!("{}/v1/chat/completions", app.address))
        .bearer_auth(key)
        .json(&json!({
            "model": "simulator-chat",
            "messages": [{"role": "user", "content": "Tell me about the lab."}],
            "max_tokens": 7,
        }))
        .send()
        .await
        .expect("request")
}

/// A new key of `client`'s, billed to `bill_to` (empty: their own credit).
async fn key(app: &TestApp, client: &Client, bill_to: &str) -> String {
    let created = app
        .call_ok(
            client,
            "create_api_key",
            &[("name", "coursework"), ("bill_to", bill_to)],
        )
        .await;
    created["key"].as_str().expect("the key").to_owned()
}

/// `email`'s enrollment account, once the proxy has given back its idle
/// leases (what is left is then all in `available`).
async fn enrollment_account(app: &TestApp, email: &str) -> Uuid {
    let account: Uuid = sqlx::query_scalar(
        "select a.id from enrollments e
         join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
         where e.email = $1",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .expect("the enrollment's account");
    for _ in 0..150 {
        let open: i64 = sqlx::query_scalar(
            "select count(*) from credit_holds where account_id = $1 and status = 'open'",
        )
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .expect("holds");
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    account
}

/// What the requests billed to the credit account `account` cost.
async fn spent_by(app: &TestApp, account: Uuid) -> i64 {
    sqlx::query_scalar(
        "select coalesce(sum(credits), 0)::bigint from usage_records where account_id = $1",
    )
    .bind(account)
    .fetch_one(&app.pool)
    .await
    .expect("usage")
}

/// What `client`'s own account holds (available).
async fn own_credit(app: &TestApp, client: &Client) -> Value {
    app.call_ok(client, "my_balance", &[]).await["available"].clone()
}

#[sqlx::test(migrations = false)]
async fn a_course_key_spends_the_allocation_only_and_top_ups_add_to_it_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let prof = &uni.coordinator;
    // 0.001 credits each: a dozen small requests.
    let (slug, code) = open(&app, prof, &course("ML101", "0.001", "30"), "0.01").await;
    let ann = person(&app, "ann@uni.edu").await;
    join(&app, &ann, &code).await;
    let grant = [
        ("email", "ann@uni.edu"),
        ("amount", "5"),
        ("reason", "Her own credit"),
        ("idempotency_key", &Uuid::now_v7().to_string()),
    ];
    app.call_ok(&uni.admin, "admin_grant_credits", &grant).await;
    assert_eq!(own_credit(&app, &ann).await, 5 * C);
    let course_key = key(&app, &ann, &format!("course:{slug}")).await;

    let mut served = 0;
    let (status, body) = loop {
        assert!(served < 100, "the allocation never ran out");
        let response = chat(&app, &course_key).await;
        if response.status() == 200 {
            served += 1;
            continue;
        }
        let status = response.status().as_u16();
        break (
            status,
            response.json::<Value>().await.expect("an OpenAI error"),
        );
    };
    assert!(served > 0, "the allocation paid for nothing");
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"]["type"], "insufficient_credits", "{body}");
    let account = enrollment_account(&app, "ann@uni.edu").await;
    let spent = spent_by(&app, account).await;
    let mine = my_courses(&app, &ann).await;
    assert!(spent > 0 && spent <= 1000, "{spent}");
    assert_eq!(mine[0]["remaining"], 1000 - spent, "{mine:?}");
    // Her own credit paid for none of it.
    assert_eq!(own_credit(&app, &ann).await, 5 * C);

    // A top-up of Ann alone, posted twice: once.
    let view = console(&app, prof, &slug).await;
    let ann_id = student(&view, "ann@uni.edu")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let pool_before = view["pool"].as_i64().expect("pool");
    let top_up = Uuid::now_v7().to_string();
    let one = [
        ("slug", slug.as_str()),
        ("students", ann_id.as_str()),
        ("amount", "0.001"),
        ("idempotency_key", &top_up),
    ];
    assert_eq!(app.call_ok(prof, "top_up_students", &one).await, 1);
    assert_eq!(app.call_ok(prof, "top_up_students", &one).await, 0);
    let mine = my_courses(&app, &ann).await;
    assert_eq!(mine[0]["allocated"], 2000);
    assert_eq!(mine[0]["remaining"], 2000 - spent);
    assert_eq!(console(&app, prof, &slug).await["pool"], pool_before - 1000);
    assert_eq!(chat(&app, &course_key).await.status(), 200, "topped up");

    // Every joined student, posted twice: once each.
    let bob = person(&app, "bob@uni.edu").await;
    join(&app, &bob, &code).await;
    let pool_before = console(&app, prof, &slug).await["pool"]
        .as_i64()
        .expect("pool");
    let all = [
        ("slug", slug.as_str()),
        ("students", "all"),
        ("amount", "0.002"),
        ("idempotency_key", &Uuid::now_v7().to_string()),
    ];
    assert_eq!(app.call_ok(prof, "top_up_students", &all).await, 2);
    assert_eq!(app.call_ok(prof, "top_up_students", &all).await, 0);
    assert_eq!(console(&app, prof, &slug).await["pool"], pool_before - 4000);
    assert_eq!(my_courses(&app, &bob).await[0]["allocated"], 3000);
    assert_eq!(my_courses(&app, &ann).await[0]["allocated"], 4000);
    // More than the course holds for everyone: nobody gets any.
    let error = failed(
        &app,
        prof,
        "top_up_students",
        &[
            ("slug", &slug),
            ("students", "all"),
            ("amount", "1"),
            ("idempotency_key", &Uuid::now_v7().to_string()),
        ],
    )
    .await;
    assert_eq!(invalid(&error)[0].0, "amount");
    assert_eq!(my_courses(&app, &bob).await[0]["allocated"], 3000);
    assert_eq!(own_credit(&app, &ann).await, 5 * C);
}

#[sqlx::test(migrations = false)]
async fn the_end_of_term_stops_course_keys_and_gives_the_unused_credit_back(pool: PgPool) {
    let app = spawn_app(pool).await;
    let uni = uni(&app).await;
    let prof = &uni.coordinator;
    let (slug, code) = open(&app, prof, &course("ML101", "1", "30"), "5").await;
    let ann = person(&app, "ann@uni.edu").await;
    let bob = person(&app, "bob@uni.edu").await;
    join(&app, &ann, &code).await;
    join(&app, &bob, &code).await;
    let grant = [
        ("email", "ann@uni.edu"),
        ("amount", "1"),
        ("reason", "Her own credit"),
        ("idempotency_key", &Uuid::now_v7().to_string()),
    ];
    app.call_ok(&uni.admin, "admin_grant_credits", &grant).await;
    let course_key = key(&app, &ann, &format!("course:{slug}")).await;
    let own_key = key(&app, &ann, "").await;
    for _ in 0..2 {
        assert_eq!(chat(&app, &course_key).await.status(), 200);
    }
    let account = enrollment_account(&app, "ann@uni.edu").await;
    let spent = spent_by(&app, account).await;
    assert!(spent > 0);
    assert_eq!(institution(&app, prof).await["pool"], 995 * C);

    app.call_ok(prof, "end_cohort_term", &[("slug", &slug)])
        .await;

    // Her course key stops (within the key cache's few seconds), saying
    // why; her own goes on.
    let mut refusal = None;
    for _ in 0..50 {
        let response = chat(&app, &course_key).await;
        if response.status() != 200 {
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("an OpenAI error");
            refusal = Some((status, body["error"]["code"].clone()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let refusal = refusal.expect("the course key still works after the term");
    assert_eq!(refusal, (403, json!("course_ended")));
    // Still so once the proxy's few seconds of trust in the key lapse: the
    // key is revoked, yet the student is told why.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let later = chat(&app, &course_key).await;
    assert_eq!(later.status(), 403);
    let body: Value = later.json().await.expect("an OpenAI error");
    assert_eq!(body["error"]["code"], "course_ended");
    assert_eq!(chat(&app, &own_key).await.status(), 200);
    let revoked: bool = sqlx::query_scalar(
        "select bool_and(revoked_at is not null) from api_keys k
         join enrollments e on e.id = k.enrollment_id where e.email = 'ann@uni.edu'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("keys");
    assert!(revoked);

    // Every unused credit is back with the institution: the students', and
    // what the course still held.
    let view = console(&app, prof, &slug).await;
    assert_eq!(view["status"], "ended");
    assert_eq!(view["pool"], 0);
    for email in ["ann@uni.edu", "bob@uni.edu"] {
        let row = student(&view, email);
        assert_eq!(
            (&row["status"], &row["remaining"]),
            (&json!("Ended"), &json!(0)),
            "{email}"
        );
    }
    assert_eq!(institution(&app, prof).await["pool"], 1000 * C - spent);
    let reclaims: i64 =
        sqlx::query_scalar("select count(*) from ledger_transactions where kind = 'reclaim'")
            .fetch_one(&app.pool)
            .await
            .expect("transactions");
    assert_eq!(reclaims, 3, "Ann's, Bob's, then the course's");
    let violations = app::server::ledger::verify(&app.pool)
        .await
        .expect("verify");
    assert!(violations.is_empty(), "{violations:?}");

    // Ann keeps her history: the course, ended, with what she received,
    // and her requests.
    let mine = my_courses(&app, &ann).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "Ended");
    assert_eq!(mine[0]["allocated"], C);
    assert_eq!(mine[0]["remaining"], 0);
    assert_eq!(mine[0]["days_left"], Value::Null);
    let usage = app.call_ok(&ann, "my_usage", &[("status", "ok")]).await;
    assert_eq!(
        usage["requests"]["total"], 3,
        "two on the course, one her own"
    );
    assert!(
        usage["credits"].as_i64().is_some_and(|c| c > spent),
        "{usage}"
    );
    // And nothing bills the course any more; nobody joins it.
    let error = failed(
        &app,
        &ann,
        "create_api_key",
        &[("name", "again"), ("bill_to", &format!("course:{slug}"))],
    )
    .await;
    assert_eq!(invalid(&error)[0].0, "bill_to");
    let cy = person(&app, "cy@uni.edu").await;
    let error = failed(&app, &cy, "join_course", &[("code", &code)]).await;
    assert!(refused(&error).contains("not open"), "{error:?}");
    // Ending it again changes nothing.
    app.call_ok(prof, "end_cohort_term", &[("slug", &slug)])
        .await;
    assert_eq!(institution(&app, prof).await["pool"], 1000 * C - spent);
}
