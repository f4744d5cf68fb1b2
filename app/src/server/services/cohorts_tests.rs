//! The money of a course against real PostgreSQL: funding, joining with an
//! allocation (or waiting for one), top-ups, and the end of a term giving
//! every unused credit back, with requests in flight and a frozen clock.

use sqlx::PgPool;
use time::macros::date;
use uuid::Uuid;

use super::*;
use crate::domain::credit_grant::ParsedGrant;
use crate::domain::role::PlatformRole;
use crate::server::ledger::{verify, Batcher, Spender};

fn c(credits: i64) -> Credits {
    Credits::from_credits(credits).expect("small amount")
}

/// A verified person with `email`, as the caller the services take.
async fn person(pool: &PgPool, email: &str) -> Caller {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, account_kind, country, email_verified_at)
         values ($1, $2, 'x', $2, 'academic', 'SG', now())",
    )
    .bind(id)
    .bind(email)
    .execute(pool)
    .await
    .expect("user");
    Caller {
        user_id: id,
        login_id: Uuid::now_v7(),
        email: email.to_owned(),
        display_name: email.to_owned(),
        role: PlatformRole::Admin,
        email_verified: true,
    }
}

async fn available(pool: &PgPool, owner: Owner) -> i64 {
    ledger::available_of(pool, owner).await.expect("balance")
}

async fn assert_verified(pool: &PgPool) {
    let violations = verify(pool).await.expect("verify");
    assert!(violations.is_empty(), "{violations:?}");
}

/// An institution at `nus.edu.sg` holding `credits`, and a coordinator.
async fn institution(pool: &PgPool, credits: i64) -> (InstitutionRow, Caller) {
    let admin = person(pool, "staff@lab.test").await;
    let new = NewInstitution {
        name: "National University".to_owned(),
        slug: "nus".to_owned(),
        country: "SG".to_owned(),
        website: None,
        time_zone: "Asia/Singapore".to_owned(),
        domains: vec!["nus.edu.sg".to_owned()],
    };
    let nus = create_institution(pool, &admin, &new, None, None)
        .await
        .expect("institution");
    let grant = ParsedGrant {
        amount: c(credits),
        expires_at: None,
        reason: "Teaching credits".to_owned(),
    };
    assert!(
        grant_institution(pool, &admin, &nus, &grant, "nus-grant", None)
            .await
            .expect("grant")
    );
    let coordinator = person(pool, "prof@nus.edu.sg").await;
    set_staff(pool, &admin, &nus, &coordinator.email, "coordinator", None)
        .await
        .expect("staff");
    (nus, coordinator)
}

/// An open cohort of `nus` giving each of up to `seats` students `each`
/// credits, its term 11 January to 8 May 2027.
async fn cohort(
    pool: &PgPool,
    nus: &InstitutionRow,
    coordinator: &Caller,
    each: i64,
    seats: i32,
) -> CohortRow {
    let form = CohortForm {
        name: "Machine learning".to_owned(),
        course_code: "CS3244".to_owned(),
        term_start: date!(2027 - 01 - 11),
        term_end: date!(2027 - 05 - 08),
        allocation: c(each),
        max_students: seats,
        require_institution_email: true,
    };
    let cohort = create_cohort(pool, coordinator, nus, &form, None)
        .await
        .expect("cohort");
    set_status(pool, coordinator, &cohort, CohortStatus::Open, None)
        .await
        .expect("open");
    cohort_by_slug(pool, &cohort.slug)
        .await
        .expect("read")
        .expect("there")
}

async fn enrollment_of(pool: &PgPool, cohort: &CohortRow, student: &Caller) -> (Uuid, String) {
    sqlx::query_as("select id, status from enrollments where cohort_id = $1 and user_id = $2")
        .bind(cohort.id)
        .bind(student.user_id)
        .fetch_one(pool)
        .await
        .expect("enrollment")
}

/// A pool whose sessions see the clock at `at` (`lab_now()`).
fn frozen(pool: &PgPool, at: &str) -> PgPool {
    let options = (*pool.connect_options()).clone().options([("lab.now", at)]);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(3)
        .connect_lazy_with(options)
}

#[sqlx::test(migrations = "../migrations")]
async fn students_join_with_their_allocation_wait_when_the_course_is_short_and_get_it_back_at_term_end(
    pool: PgPool,
) {
    let (nus, prof) = institution(&pool, 1_000).await;
    let course = cohort(&pool, &nus, &prof, 10, 3).await;
    assert!(fund(&pool, &prof, &course, c(25), "fund-1", None)
        .await
        .expect("fund"));
    assert!(
        !fund(&pool, &prof, &course, c(25), "fund-1", None)
            .await
            .expect("again"),
        "a funding key moves credit once"
    );
    assert_eq!(
        available(&pool, Owner::Institution(nus.id)).await,
        c(975).micros()
    );

    let ann = person(&pool, "ann@nus.edu.sg").await;
    let bob = person(&pool, "bob@nus.edu.sg").await;
    let cy = person(&pool, "cy@nus.edu.sg").await;
    assert_eq!(
        join(&pool, &ann, &course, None).await.expect("join"),
        Joined::Now
    );
    assert_eq!(
        join(&pool, &ann, &course, None).await.expect("again"),
        Joined::Already
    );
    assert_eq!(
        join(&pool, &bob, &course, None).await.expect("join"),
        Joined::Now
    );
    // 5 credits left in the course: Cy waits, and the coordinator is told.
    assert_eq!(
        join(&pool, &cy, &course, None).await.expect("join"),
        Joined::Waiting
    );
    let told: i64 = sqlx::query_scalar(
        "select count(*) from outbox where recipient = $1 and subject like 'A student is waiting%'",
    )
    .bind(&prof.email)
    .fetch_one(&pool)
    .await
    .expect("outbox");
    assert_eq!(told, 1);
    let (cy_enrollment, status) = enrollment_of(&pool, &course, &cy).await;
    assert_eq!(status, "waiting");
    assert_eq!(available(&pool, Owner::Enrollment(cy_enrollment)).await, 0);
    // The course is full now.
    let dan = person(&pool, "dan@nus.edu.sg").await;
    assert!(matches!(
        join(&pool, &dan, &course, None).await,
        Err(AppError::Refused(message)) if message.contains("full")
    ));
    // Funding it gives Cy the allocation.
    fund(&pool, &prof, &course, c(5), "fund-2", None)
        .await
        .expect("fund");
    assert_eq!(enrollment_of(&pool, &course, &cy).await.1, "joined");
    assert_eq!(
        available(&pool, Owner::Enrollment(cy_enrollment)).await,
        c(10).micros()
    );
    assert_eq!(available(&pool, Owner::Cohort(course.id)).await, 0);

    // A top-up the course cannot cover moves nothing; funded, it does.
    let (ann_enrollment, _) = enrollment_of(&pool, &course, &ann).await;
    assert!(top_up(
        &pool,
        &prof,
        &course,
        &[ann_enrollment],
        c(3),
        "top-1",
        None
    )
    .await
    .is_err());
    fund(&pool, &prof, &course, c(3), "fund-3", None)
        .await
        .expect("fund");
    assert_eq!(
        top_up(
            &pool,
            &prof,
            &course,
            &[ann_enrollment],
            c(3),
            "top-1",
            None
        )
        .await
        .expect("top up"),
        1
    );
    assert_eq!(
        available(&pool, Owner::Enrollment(ann_enrollment)).await,
        c(13).micros()
    );

    // Ann spends 4 credits of it; only she may spend it.
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = time::Duration::minutes(5);
    let account = {
        let mut conn = pool.acquire().await.expect("conn");
        ledger::account_for(&mut conn, Owner::Enrollment(ann_enrollment))
            .await
            .expect("account")
    };
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Member(bob.user_id))
            .await,
        Err(LedgerError::NotMember)
    );
    let held = batcher
        .reserve_for(account, c(4), ttl, Spender::Member(ann.user_id))
        .await
        .expect("hers");
    batcher
        .settle(account, held.hold, c(4), "ann-1")
        .await
        .expect("settle");
    batcher.return_leases().await;

    // The day after the term's last day in Singapore, the job ends it.
    let before_end = frozen(&pool, "2027-05-08T15:59:00Z");
    assert_eq!(
        run_due(&before_end).await.expect("job"),
        0,
        "8 May is still term"
    );
    let after_end = frozen(&pool, "2027-05-08T16:00:00Z");
    assert_eq!(run_due(&after_end).await.expect("job"), 1);
    let ended = cohort_by_slug(&pool, &course.slug)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(ended.status(), CohortStatus::Ended);
    assert!(ended.reclaimed_at.is_some(), "nothing was in flight");
    for student in [&ann, &bob, &cy] {
        let (enrollment, status) = enrollment_of(&pool, &course, student).await;
        assert_eq!(status, "ended");
        assert_eq!(available(&pool, Owner::Enrollment(enrollment)).await, 0);
    }
    assert_eq!(available(&pool, Owner::Cohort(course.id)).await, 0);
    // Everything granted, less what Ann spent, is back with the institution.
    assert_eq!(
        available(&pool, Owner::Institution(nus.id)).await,
        c(996).micros()
    );
    let reclaimed: i64 =
        sqlx::query_scalar("select sum(reclaimed)::bigint from enrollments where cohort_id = $1")
            .bind(course.id)
            .fetch_one(&pool)
            .await
            .expect("reclaimed");
    assert_eq!(reclaimed, c(29).micros());
    // Nobody spends an ended course's credit.
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Member(ann.user_id))
            .await,
        Err(LedgerError::EnrollmentEnded)
    );
    let summary: i64 = sqlx::query_scalar(
        "select count(*) from outbox where recipient = $1 and subject like 'CS3244 has ended%'",
    )
    .bind(&prof.email)
    .fetch_one(&pool)
    .await
    .expect("outbox");
    assert_eq!(summary, 1);
    // Running the job again moves nothing twice.
    assert_eq!(run_due(&after_end).await.expect("job"), 0);
    assert_eq!(
        available(&pool, Owner::Institution(nus.id)).await,
        c(996).micros()
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_term_ended_while_requests_are_in_flight_gets_back_what_they_do_not_spend(pool: PgPool) {
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 10, 5).await;
    fund(&pool, &prof, &course, c(10), "fund", None)
        .await
        .expect("fund");
    let ann = person(&pool, "ann@nus.edu.sg").await;
    join(&pool, &ann, &course, None).await.expect("join");
    let (enrollment, _) = enrollment_of(&pool, &course, &ann).await;
    let account = {
        let mut conn = pool.acquire().await.expect("conn");
        ledger::account_for(&mut conn, Owner::Enrollment(enrollment))
            .await
            .expect("account")
    };
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = time::Duration::minutes(5);
    let in_flight = batcher
        .reserve_for(account, c(5), ttl, Spender::Member(ann.user_id))
        .await
        .expect("a request");

    // Ended early by the coordinator while the request runs: its lease's
    // credit stays with it.
    let first = end_term(&pool, Some(&prof), &course, None)
        .await
        .expect("end");
    assert!(!first.done, "a request holds credit");
    assert_eq!(
        first.from_students + available(&pool, Owner::Enrollment(enrollment)).await,
        c(10).micros() - balance_reserved(&pool, account).await
    );
    // It spends 2 and finishes; its lease goes back.
    batcher
        .settle(account, in_flight.hold, c(2), "in-flight")
        .await
        .expect("settle");
    batcher.return_leases().await;
    let second = reclaim(&pool, course.id).await.expect("reclaim");
    assert!(second.done);
    assert_eq!(
        first.from_students + second.from_students,
        c(8).micros(),
        "all of it but what was spent, once"
    );
    assert_eq!(
        available(&pool, Owner::Institution(nus.id)).await,
        c(98).micros()
    );
    let reclaimed: i64 = sqlx::query_scalar("select reclaimed from enrollments where id = $1")
        .bind(enrollment)
        .fetch_one(&pool)
        .await
        .expect("reclaimed");
    assert_eq!(reclaimed, c(8).micros());
    assert_verified(&pool).await;
}

async fn balance_reserved(pool: &PgPool, account: Uuid) -> i64 {
    ledger::balance(pool, account)
        .await
        .expect("balance")
        .reserved
}

#[sqlx::test(migrations = "../migrations")]
async fn only_an_open_course_with_a_seat_takes_a_verified_student_of_its_institution(pool: PgPool) {
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 1, 1).await;
    fund(&pool, &prof, &course, c(5), "fund", None)
        .await
        .expect("fund");
    let outsider = person(&pool, "eve@gmail.com").await;
    assert!(matches!(
        join(&pool, &outsider, &course, None).await,
        Err(AppError::Refused(message)) if message.contains("nus.edu.sg")
    ));
    let mut unverified = person(&pool, "fay@nus.edu.sg").await;
    unverified.email_verified = false;
    assert!(join(&pool, &unverified, &course, None).await.is_err());
    set_status(&pool, &prof, &course, CohortStatus::Closed, None)
        .await
        .expect("close");
    let ann = person(&pool, "ann@nus.edu.sg").await;
    assert!(matches!(
        join(&pool, &ann, &course, None).await,
        Err(AppError::Refused(message)) if message.contains("not open")
    ));
    set_status(&pool, &prof, &course, CohortStatus::Open, None)
        .await
        .expect("open");
    assert_eq!(
        join(&pool, &ann, &course, None).await.expect("join"),
        Joined::Now
    );
    // Someone else with the code: no institution staff role, no seat.
    assert!(coordinated(&pool, &course.slug, ann.user_id).await.is_err());
    assert_eq!(
        coordinated(&pool, &course.slug, prof.user_id)
            .await
            .expect("runs it")
            .1,
        CohortRole::Coordinator
    );
    let old = course.join_code.clone();
    let new = rotate_code(&pool, &prof, &course, None)
        .await
        .expect("rotate");
    assert_ne!(old, new);
    assert!(cohort_by_code(&pool, &old).await.expect("read").is_none());
    assert!(cohort_by_code(&pool, &new).await.expect("read").is_some());
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_course_key_spends_only_its_students_allocation_and_stops_when_the_term_ends(
    pool: PgPool,
) {
    use crate::domain::keys::KeySettings;
    use crate::server::services::keys::{self, BillTo};
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 10, 5).await;
    fund(&pool, &prof, &course, c(20), "fund", None)
        .await
        .expect("fund");
    let ann = person(&pool, "ann@nus.edu.sg").await;
    let bob = person(&pool, "bob@nus.edu.sg").await;
    join(&pool, &ann, &course, None).await.expect("join");
    join(&pool, &bob, &course, None).await.expect("join");
    let (enrollment, account) = spendable_enrollment(&pool, ann.user_id, &course.slug)
        .await
        .expect("read")
        .expect("joined");
    assert!(
        spendable_enrollment(&pool, prof.user_id, &course.slug)
            .await
            .expect("read")
            .is_none(),
        "only students have course credit"
    );
    let settings = KeySettings {
        name: "coursework".to_owned(),
        spend_cap: None,
        rpm_limit: None,
        tpm_limit: None,
        expires_at: None,
    };
    let (key, _) = keys::create(&pool, ann.user_id, &settings, BillTo::Course(enrollment))
        .await
        .expect("a course key");
    assert_eq!(key.organization.as_deref(), Some("Machine learning"));
    let batcher = Batcher::start(pool.clone(), 1);
    let ttl = time::Duration::minutes(5);
    // Ten credits, and not one more: never her own credit.
    let all = batcher
        .reserve_for(account, c(10), ttl, Spender::Key(key.id))
        .await
        .expect("her allocation");
    assert!(matches!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Key(key.id))
            .await,
        Err(LedgerError::InsufficientCredits)
    ));
    batcher
        .settle(account, all.hold, c(3), "coursework")
        .await
        .expect("settle");
    batcher.return_leases().await;
    end_term(&pool, Some(&prof), &course, None)
        .await
        .expect("end");
    let revoked: bool =
        sqlx::query_scalar("select revoked_at is not null from api_keys where id = $1")
            .bind(key.id)
            .fetch_one(&pool)
            .await
            .expect("key");
    assert!(revoked, "the term's end stops course keys");
    assert_eq!(
        batcher
            .reserve_for(account, c(1), ttl, Spender::Key(key.id))
            .await,
        Err(LedgerError::EnrollmentEnded)
    );
    // 100 granted; Ann spent 3 of her 10; Bob none of his.
    assert_eq!(
        available(&pool, Owner::Institution(nus.id)).await,
        c(97).micros()
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_roster_invites_each_new_address_once_and_a_listed_student_joins_as_themselves(
    pool: PgPool,
) {
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 5, 10).await;
    let other = cohort(&pool, &nus, &prof, 5, 10).await;
    fund(&pool, &prof, &course, c(20), "fund", None)
        .await
        .expect("fund");
    let bob = person(&pool, "bob@nus.edu.sg").await;
    join(&pool, &bob, &course, None).await.expect("join");
    let cy = person(&pool, "cy@nus.edu.sg").await;
    fund(&pool, &prof, &other, c(5), "fund-other", None)
        .await
        .expect("fund");
    join(&pool, &cy, &other, None).await.expect("join");
    let roster = "email,name,student_id\n\
                  Ann@NUS.edu.sg,Ann Tan,A1\n\
                  ann@nus.edu.sg,Ann again,A1\n\
                  bob@nus.edu.sg,Bob,A2\n\
                  cy@nus.edu.sg,Cy,A3\n\
                  eve@gmail.com,Eve,A4\n\
                  nonsense,X,A5\n";
    let checked = check_roster(&pool, &course, roster).await.expect("checked");
    let checks: Vec<(&str, &RosterCheck, bool)> = checked
        .iter()
        .map(|(row, check, elsewhere)| (row.email.as_str(), check, *elsewhere))
        .collect();
    assert_eq!(checks[0], ("ann@nus.edu.sg", &RosterCheck::Invite, false));
    assert!(matches!(checks[1].1, RosterCheck::Problem(p) if p.contains("line 2")));
    assert_eq!(checks[2], ("bob@nus.edu.sg", &RosterCheck::Enrolled, false));
    assert_eq!(
        checks[3],
        ("cy@nus.edu.sg", &RosterCheck::Invite, true),
        "in another course"
    );
    assert!(matches!(checks[4].1, RosterCheck::Problem(p) if p.contains("nus.edu.sg")));
    assert!(matches!(checks[5].1, RosterCheck::Problem(_)));

    let url = "http://lab.test/join/CODE";
    assert_eq!(
        apply_roster(&pool, &prof, &course, roster, url, None)
            .await
            .expect("apply"),
        2
    );
    assert_eq!(
        apply_roster(&pool, &prof, &course, roster, url, None)
            .await
            .expect("again"),
        0,
        "nobody is invited twice"
    );
    let emails: i64 = sqlx::query_scalar(
        "select count(*) from outbox where subject like 'Join Machine learning%' and body_text like '%/join/CODE%'",
    )
    .fetch_one(&pool)
    .await
    .expect("outbox");
    assert_eq!(emails, 2);
    // Ann signs up with the listed address and joins: her roster entry
    // (name, student id) becomes her enrollment.
    let ann = person(&pool, "ann@nus.edu.sg").await;
    assert_eq!(
        join(&pool, &ann, &course, None).await.expect("join"),
        Joined::Now
    );
    let (status, student_id): (String, Option<String>) = sqlx::query_as(
        "select status, student_id from enrollments where cohort_id = $1 and user_id = $2",
    )
    .bind(course.id)
    .bind(ann.user_id)
    .fetch_one(&pool)
    .await
    .expect("enrollment");
    assert_eq!(
        (status.as_str(), student_id.as_deref()),
        ("joined", Some("A1"))
    );
    assert_verified(&pool).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_students_spend_requests_and_last_activity_follow_their_usage_records(pool: PgPool) {
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 10, 5).await;
    fund(&pool, &prof, &course, c(20), "fund", None)
        .await
        .expect("fund");
    let ann = person(&pool, "ann@nus.edu.sg").await;
    let bob = person(&pool, "bob@nus.edu.sg").await;
    join(&pool, &ann, &course, None).await.expect("join");
    join(&pool, &bob, &course, None).await.expect("join");
    let (_, account) = spendable_enrollment(&pool, ann.user_id, &course.slug)
        .await
        .expect("read")
        .expect("joined");
    let own = {
        let mut conn = pool.acquire().await.expect("conn");
        ledger::account_for(&mut conn, Owner::User(ann.user_id))
            .await
            .expect("account")
    };
    // Two requests on her course credit in one statement, as the ledger's
    // writer batches them, and one on her own credit, which is not the
    // course's business.
    sqlx::query(
        "insert into usage_records (id, user_id, account_id, model, endpoint, credits, status, created_at)
         values (gen_random_uuid(), $1, $2, 'm', 'chat', 300, 200, '2027-02-01T10:00:00Z'),
                (gen_random_uuid(), $1, $2, 'm', 'chat', 200, 200, '2027-02-03T10:00:00Z'),
                (gen_random_uuid(), $1, $3, 'm', 'chat', 999, 200, '2027-02-04T10:00:00Z')",
    )
    .bind(ann.user_id)
    .bind(account)
    .bind(own)
    .execute(&pool)
    .await
    .expect("usage");
    let list = students(&pool, course.id).await.expect("students");
    let ann_row = list.iter().find(|s| s.email == ann.email).expect("Ann");
    assert_eq!((ann_row.spent, ann_row.requests), (500, 2));
    assert_eq!(
        ann_row.last_activity,
        Some(time::macros::datetime!(2027-02-03 10:00 UTC))
    );
    let bob_row = list.iter().find(|s| s.email == bob.email).expect("Bob");
    assert_eq!(
        (bob_row.spent, bob_row.requests, bob_row.last_activity),
        (0, 0, None)
    );
    let summary = cohorts_of(&pool, nus.id).await.expect("courses");
    assert_eq!(summary[0].spent, 500);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_courses_usage_by_day_model_and_agent_and_each_students_requests_follow_the_records(
    pool: PgPool,
) {
    use crate::server::services::course_console;
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 10, 5).await;
    fund(&pool, &prof, &course, c(20), "fund", None)
        .await
        .expect("fund");
    let ann = person(&pool, "ann@nus.edu.sg").await;
    join(&pool, &ann, &course, None).await.expect("join");
    let (_, account) = spendable_enrollment(&pool, ann.user_id, &course.slug)
        .await
        .expect("read")
        .expect("joined");
    // One batch over two days and two models; a later batch adds to the
    // same day and model rather than writing a second line.
    sqlx::query(
        "insert into usage_records (id, user_id, account_id, model, endpoint, credits, input_tokens,
                                    output_tokens, status, created_at)
         values (gen_random_uuid(), $1, $2, 'small', 'chat', 300, 10, 5, 200, '2027-02-01T10:00:00Z'),
                (gen_random_uuid(), $1, $2, 'large', 'chat', 200, 20, 5, 200, '2027-02-01T11:00:00Z'),
                (gen_random_uuid(), $1, $2, 'small', 'chat', 100, 1, 1, 200, '2027-02-03T10:00:00Z')",
    )
    .bind(ann.user_id)
    .bind(account)
    .execute(&pool)
    .await
    .expect("usage");
    sqlx::query(
        "insert into usage_records (id, user_id, account_id, model, endpoint, credits, input_tokens,
                                    output_tokens, status, created_at)
         values (gen_random_uuid(), $1, $2, 'small', 'chat', 50, 2, 2, 200, '2027-02-01T12:00:00Z')",
    )
    .bind(ann.user_id)
    .bind(account)
    .execute(&pool)
    .await
    .expect("usage");
    let lines: i64 =
        sqlx::query_scalar("select count(*) from cohort_usage_daily where cohort_id = $1")
            .bind(course.id)
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(lines, 3, "one line per day, model and agent");
    let (first, last) = (date!(2027 - 02 - 01), date!(2027 - 02 - 03));
    let daily = course_console::daily(&pool, course.id, first, last)
        .await
        .expect("daily");
    let day_one: Vec<_> = daily
        .iter()
        .filter(|d| d.day == first)
        .map(|d| (d.model.as_str(), d.requests, d.tokens, d.credits))
        .collect();
    assert_eq!(day_one, [("large", 1, 25, 200), ("small", 2, 19, 350)]);
    let models = course_console::by_model(&pool, course.id, first, last)
        .await
        .expect("models");
    let models: Vec<_> = models
        .iter()
        .map(|m| (m.label.as_str(), m.requests, m.credits))
        .collect();
    assert_eq!(models, [("small", 3, 450), ("large", 1, 200)]);
    // The window leaves the third day out.
    let agents = course_console::by_agent(&pool, course.id, first, first)
        .await
        .expect("agents");
    let agents: Vec<_> = agents
        .iter()
        .map(|a| (a.label.as_str(), a.requests, a.credits))
        .collect();
    assert_eq!(agents, [("API (keys)", 3, 550)]);

    let mut conn = pool.acquire().await.expect("conn");
    let exported = course_console::exported_students(&mut conn, course.id)
        .await
        .expect("students");
    assert_eq!(exported.len(), 1);
    let page = course_console::requests(&mut conn, account, None, false, 2)
        .await
        .expect("requests");
    let after = page.last().map(|r| (r.created_at, r.id));
    let rest = course_console::requests(&mut conn, account, after, false, 10)
        .await
        .expect("requests");
    let credits: Vec<i64> = page.iter().chain(&rest).map(|r| r.credits).collect();
    assert_eq!(credits, [300, 200, 50, 100], "oldest first, each once");
    let detail = course_console::student(
        &pool,
        course.id,
        enrollment_of(&pool, &course, &ann).await.0,
    )
    .await
    .expect("student")
    .expect("there");
    assert_eq!((detail.spent, detail.requests), (650, 4));
    let moves = course_console::moves(&pool, account).await.expect("moves");
    assert_eq!(
        moves
            .iter()
            .map(|m| (m.kind.as_str(), m.amount))
            .collect::<Vec<_>>(),
        [("allocation", 10_000_000)]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn students_are_told_once_a_week_before_their_term_ends(pool: PgPool) {
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 10, 5).await;
    fund(&pool, &prof, &course, c(20), "fund", None)
        .await
        .expect("fund");
    let ann = person(&pool, "ann@nus.edu.sg").await;
    join(&pool, &ann, &course, None).await.expect("join");
    let outbox = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "select recipient from outbox where subject like 'Machine learning (CS3244) ends%'",
        )
        .fetch_all(&pool)
        .await
        .expect("outbox")
    };
    // The term ends at midnight 8/9 May in Singapore; eight days before,
    // nobody is told.
    let early = frozen(&pool, "2027-05-01T12:00:00+08:00");
    assert_eq!(send_notices(&early).await.expect("notices"), 0);
    assert!(outbox(pool.clone()).await.is_empty());
    // A week before, each joined student is told, once.
    let week = frozen(&pool, "2027-05-02T00:30:00+08:00");
    assert_eq!(send_notices(&week).await.expect("notices"), 1);
    assert_eq!(send_notices(&week).await.expect("notices"), 0);
    assert_eq!(outbox(pool.clone()).await, ["ann@nus.edu.sg"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn coordinators_hear_of_the_first_student_left_waiting_not_of_each(pool: PgPool) {
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 10, 5).await;
    for email in ["ann@nus.edu.sg", "bob@nus.edu.sg", "cy@nus.edu.sg"] {
        let student = person(&pool, email).await;
        assert_eq!(
            join(&pool, &student, &course, None).await.expect("join"),
            Joined::Waiting
        );
    }
    let told = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from outbox where recipient = $1 and subject like 'A student is waiting%'",
        )
        .bind(&prof.email)
        .fetch_one(&pool)
        .await
        .expect("outbox")
    };
    assert_eq!(told().await, 1);
    // Funded, they all get theirs; the next one left waiting is news again.
    fund(&pool, &prof, &course, c(30), "fund", None)
        .await
        .expect("fund");
    let dan = person(&pool, "dan@nus.edu.sg").await;
    assert_eq!(
        join(&pool, &dan, &course, None).await.expect("join"),
        Joined::Waiting
    );
    assert_eq!(told().await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn rosters_nobody_invited_are_forgotten_after_a_week(pool: PgPool) {
    use crate::server::services::rosters::{self, Format, Upload};
    let (nus, prof) = institution(&pool, 100).await;
    let course = cohort(&pool, &nus, &prof, 10, 5).await;
    let upload = Upload {
        roster: "email\nann@nus.edu.sg\n".to_owned(),
        format: Format::Csv,
        file_name: None,
        field: "roster",
    };
    let old = rosters::create_draft(&pool, &prof, course.id, &upload)
        .await
        .expect("draft");
    let invited = rosters::create_draft(&pool, &prof, course.id, &upload)
        .await
        .expect("draft");
    let fresh = rosters::create_draft(&pool, &prof, course.id, &upload)
        .await
        .expect("draft");
    rosters::mark_invited(&pool, invited, 1)
        .await
        .expect("invited");
    sqlx::query(
        "update roster_drafts set created_at = now() - interval '8 days' where id = any($1)",
    )
    .bind([old, invited])
    .execute(&pool)
    .await
    .expect("aged");
    assert_eq!(rosters::prune_drafts(&pool).await.expect("prune"), 1);
    for (id, kept) in [(old, false), (invited, true), (fresh, true)] {
        let found = rosters::draft(&pool, course.id, id).await.expect("read");
        assert_eq!(found.is_some(), kept, "{id}");
    }
}
