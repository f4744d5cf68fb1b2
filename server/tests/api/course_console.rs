//! A course's console over HTTP: usage by model and agent, a student's
//! page, the streamed export and the audit trail for its coordinator (and
//! nobody else), and rosters uploaded as files — our CSV or a OneRoster
//! 1.1 bundle — previewed, then invited once.

use std::io::Write;

use reqwest::Client;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{create_user, page, signed_in, spawn_app, FormPart, TestApp};

/// A course `ml-<code>` of an institution at `uni.edu`, funded and open,
/// its coordinator's browser, and a student who joined it (their browser).
struct Course {
    slug: String,
    coordinator: Client,
    student: Client,
    outsider: Client,
}

async fn ok(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "{what}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn course(app: &TestApp) -> Course {
    create_user(app, "staff@lab.example", "admin").await;
    let admin = signed_in(app, "staff@lab.example").await;
    let post = |client: &Client, path: &'static str, form: Vec<(&'static str, String)>| {
        let client = client.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form_with(&client, path, &form).await
        }
    };
    let s = |v: &str| v.to_owned();
    ok(
        post(
            &admin,
            "/api/admin_create_institution",
            vec![
                ("name", s("Example University")),
                ("slug", s("uni")),
                ("country", s("SG")),
                ("website", s("")),
                ("time_zone", s("UTC")),
                ("domains", s("uni.edu")),
            ],
        )
        .await,
        "institution",
    )
    .await;
    ok(
        post(
            &admin,
            "/api/admin_grant_institution_credits",
            vec![
                ("slug", s("uni")),
                ("amount", s("1000")),
                ("reason", s("Teaching credits")),
                ("idempotency_key", uuid::Uuid::now_v7().to_string()),
            ],
        )
        .await,
        "grant",
    )
    .await;
    create_user(app, "prof@uni.edu", "developer").await;
    ok(
        post(
            &admin,
            "/api/admin_set_institution_staff",
            vec![
                ("slug", s("uni")),
                ("email", s("prof@uni.edu")),
                ("role", s("coordinator")),
            ],
        )
        .await,
        "staff",
    )
    .await;
    let coordinator = signed_in(app, "prof@uni.edu").await;
    let term_start = time::OffsetDateTime::now_utc().date() - time::Duration::days(10);
    let term_end = term_start + time::Duration::days(90);
    let slug = ok(
        post(
            &coordinator,
            "/api/create_cohort",
            vec![
                ("institution", s("uni")),
                ("name", s("Machine learning")),
                ("course_code", s("ML101")),
                ("term_start", term_start.to_string()),
                ("term_end", term_end.to_string()),
                ("allocation", s("10")),
                ("max_students", s("30")),
                ("require_institution_email", s("on")),
            ],
        )
        .await,
        "course",
    )
    .await
    .as_str()
    .expect("the course's slug")
    .to_owned();
    ok(
        post(
            &coordinator,
            "/api/fund_cohort",
            vec![
                ("slug", slug.clone()),
                ("amount", s("100")),
                ("idempotency_key", uuid::Uuid::now_v7().to_string()),
            ],
        )
        .await,
        "fund",
    )
    .await;
    ok(
        post(
            &coordinator,
            "/api/set_cohort_status",
            vec![("slug", slug.clone()), ("status", s("open"))],
        )
        .await,
        "open",
    )
    .await;
    let view = ok(
        post(
            &coordinator,
            "/api/get_cohort",
            vec![("slug", slug.clone())],
        )
        .await,
        "console",
    )
    .await;
    let code = view["join_code"].as_str().expect("code").to_owned();
    create_user(app, "ann@uni.edu", "developer").await;
    let student = signed_in(app, "ann@uni.edu").await;
    ok(
        post(&student, "/api/join_course", vec![("code", code)]).await,
        "join",
    )
    .await;
    create_user(app, "eve@elsewhere.example", "developer").await;
    let outsider = signed_in(app, "eve@elsewhere.example").await;
    Course {
        slug,
        coordinator,
        student,
        outsider,
    }
}

/// Ann's enrollment and its credit account.
async fn enrollment(app: &TestApp) -> (uuid::Uuid, uuid::Uuid) {
    sqlx::query_as(
        "select e.id, a.id from enrollments e
         join credit_accounts a on a.owner_kind = 'enrollment' and a.owner_id = e.id
         join users u on u.id = e.user_id where u.email = 'ann@uni.edu'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("Ann's enrollment")
}

#[sqlx::test(migrations = false)]
async fn a_coordinator_reads_usage_a_students_page_the_export_and_the_audit_trail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let course = course(&app).await;
    let (enrollment, account) = enrollment(&app).await;
    let user: uuid::Uuid = sqlx::query_scalar("select id from users where email = 'ann@uni.edu'")
        .fetch_one(&app.pool)
        .await
        .expect("Ann");
    // Three requests on her allocation, as the ledger's writer records
    // them (spending through /v1 is tested with the proxy).
    sqlx::query(
        "insert into usage_records (id, user_id, account_id, model, endpoint, credits, input_tokens,
                                    output_tokens, status, created_at)
         values (gen_random_uuid(), $1, $2, 'small', 'chat', 300000, 10, 5, 200, now() - interval '2 days'),
                (gen_random_uuid(), $1, $2, 'large', 'chat', 200000, 20, 5, 200, now() - interval '1 day'),
                (gen_random_uuid(), $1, $2, 'small', 'chat', 100000, 1, 1, 200, now())",
    )
    .bind(user)
    .bind(account)
    .execute(&app.pool)
    .await
    .expect("usage");

    let slug = course.slug.as_str();
    let console = ok(
        app.post_form_with(&course.coordinator, "/api/get_cohort", &[("slug", slug)])
            .await,
        "console",
    )
    .await;
    assert_eq!(
        (console["joined"].as_i64(), console["active"].as_i64()),
        (Some(1), Some(1)),
        "Ann made requests this week"
    );
    let usage = ok(
        app.post_form_with(&course.coordinator, "/api/course_usage", &[("slug", slug)])
            .await,
        "usage",
    )
    .await;
    let by_model: Vec<(String, i64, i64)> = usage["by_model"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| {
            (
                m["label"].as_str().expect("label").to_owned(),
                m["requests"].as_i64().expect("requests"),
                m["credits"].as_i64().expect("credits"),
            )
        })
        .collect();
    assert_eq!(
        by_model,
        [
            ("small".to_owned(), 2, 400_000),
            ("large".to_owned(), 1, 200_000)
        ]
    );
    assert_eq!(usage["by_agent"][0]["label"], "API (keys)");
    assert_eq!(usage["by_agent"][0]["requests"], 3);
    let bad = app
        .post_form_with(
            &course.coordinator,
            "/api/course_usage",
            &[("slug", slug), ("from", "2026-02-30")],
        )
        .await;
    assert_eq!(bad.status(), 422, "a day that does not exist");

    let id = enrollment.to_string();
    let student = ok(
        app.post_form_with(
            &course.coordinator,
            "/api/course_student",
            &[("slug", slug), ("id", &id)],
        )
        .await,
        "student",
    )
    .await;
    assert_eq!(student["email"], "ann@uni.edu");
    assert_eq!(student["spent"], 600_000);
    // Bare usage records move no credit: what is left is the ledger's.
    assert_eq!(student["remaining"], 10_000_000);
    assert_eq!(student["allocated"], 10_000_000);
    assert_eq!(student["moves"].as_array().expect("moves").len(), 1);
    assert_eq!(student["moves"][0]["what"], "Course allocation");
    assert_eq!(student["recent"].as_array().expect("recent").len(), 3);
    assert_eq!(student["recent"][0]["model"], "small", "newest first");

    let audit = ok(
        app.post_form_with(&course.coordinator, "/api/course_audit", &[("slug", slug)])
            .await,
        "audit",
    )
    .await;
    let actions: Vec<&str> = audit["entries"]["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["cohort.create", "cohort.fund"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    let csv = course
        .coordinator
        .get(format!("{}/courses/{slug}/usage.csv", app.address))
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/csv"));
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("time_utc,request_id,email,name,student_id,via"));
    assert!(lines[1].contains(",ann@uni.edu,") && lines[1].contains(",small,"));
    assert!(lines[1].ends_with(",0.3,200"), "{}", lines[1]);

    for path in [
        format!("/courses/{slug}/usage"),
        format!("/courses/{slug}/students/{id}"),
        format!("/courses/{slug}/audit"),
    ] {
        let shown = page(&app, &course.coordinator, &path).await;
        assert_eq!(shown.status(), 200, "{path}");
        // Neither the student nor someone else sees any of it.
        for other in [&course.student, &course.outsider] {
            assert_eq!(page(&app, other, &path).await.status(), 404, "{path}");
        }
    }
    let html = page(&app, &course.coordinator, &format!("/courses/{slug}/usage"))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Export every request (CSV)"), "{html}");
    for other in [&course.student, &course.outsider] {
        let refused = other
            .get(format!("{}/courses/{slug}/usage.csv", app.address))
            .send()
            .await
            .expect("export");
        assert_eq!(refused.status(), 404);
        for (path, form) in [
            ("/api/course_usage", vec![("slug", slug)]),
            (
                "/api/course_student",
                vec![("slug", slug), ("id", id.as_str())],
            ),
            ("/api/course_audit", vec![("slug", slug)]),
        ] {
            assert_eq!(
                app.post_form_with(other, path, &form).await.status(),
                404,
                "{path}"
            );
        }
    }
    // Another course's student is not this course's.
    let stranger = uuid::Uuid::now_v7().to_string();
    let missing = app
        .post_form_with(
            &course.coordinator,
            "/api/course_student",
            &[("slug", slug), ("id", &stranger)],
        )
        .await;
    assert_eq!(missing.status(), 404);
}

/// Posts the roster form, as a browser without JavaScript would with
/// `html` (a redirect), else as a script (JSON).
async fn upload(
    app: &TestApp,
    client: &Client,
    slug: &str,
    file: Option<(&str, &[u8])>,
    class: &str,
    html: bool,
) -> reqwest::Response {
    let mut parts = vec![
        FormPart {
            name: "slug",
            file_name: None,
            content: slug.as_bytes(),
        },
        FormPart {
            name: "class",
            file_name: None,
            content: class.as_bytes(),
        },
    ];
    if let Some((name, content)) = file {
        parts.push(FormPart {
            name: "file",
            file_name: Some(name),
            content,
        });
    }
    app.post_multipart_with(client, "/api/upload_roster_file", &parts, html)
        .await
}

/// The roster draft a redirect after an upload names.
fn draft_of(response: &reqwest::Response) -> String {
    let location = response.headers()["location"].to_str().expect("location");
    location
        .split_once("roster=")
        .map(|(_, id)| id.to_owned())
        .unwrap_or_else(|| panic!("no draft in {location}"))
}

async fn invitations(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "select recipient from outbox where subject like 'Join Machine learning%' order by recipient",
    )
    .fetch_all(&app.pool)
    .await
    .expect("outbox")
}

#[sqlx::test(migrations = false)]
async fn a_roster_file_is_previewed_without_javascript_then_invites_each_address_once(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let course = course(&app).await;
    let slug = course.slug.as_str();
    let csv = b"Email,Name,Student ID\nbo@uni.edu,Bo Chen,A1\nBO@uni.edu,Bo again,A2\nann@uni.edu,Ann,A3\nnot-an-address,X,A4\ncy@gmail.com,Cy,A5\n";
    let uploaded = upload(
        &app,
        &course.coordinator,
        slug,
        Some(("roster.csv", csv)),
        "",
        true,
    )
    .await;
    assert!(uploaded.status().is_redirection(), "{}", uploaded.status());
    let draft = draft_of(&uploaded);
    assert!(
        invitations(&app).await.is_empty(),
        "a preview invites nobody"
    );

    // The preview is on the course page itself, rendered on the server.
    let html = page(
        &app,
        &course.coordinator,
        &format!("/courses/{slug}?roster={draft}"),
    )
    .await
    .text()
    .await
    .expect("html");
    assert!(html.contains("1 of 5 rows would be invited"), "{html}");
    assert!(html.contains("Invite 1 students"), "{html}");
    let preview = ok(
        app.post_form_with(
            &course.coordinator,
            "/api/roster_draft",
            &[("slug", slug), ("draft", &draft)],
        )
        .await,
        "preview",
    )
    .await;
    let statuses: Vec<(&str, &str)> = preview["report"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["email"].as_str().expect("email"),
                r["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(statuses[0], ("bo@uni.edu", "Will be invited"));
    assert_eq!(statuses[2], ("ann@uni.edu", "Enrolled already"));
    assert!(preview["report"]["rows"][1]["left_out"]
        .as_bool()
        .expect("repeat"));
    assert!(preview["report"]["rows"][3]["left_out"]
        .as_bool()
        .expect("bad"));
    assert!(preview["report"]["rows"][4]["left_out"]
        .as_bool()
        .expect("domain"));

    // Others can neither see nor invite it.
    for other in [&course.student, &course.outsider] {
        for path in ["/api/roster_draft", "/api/invite_roster"] {
            let refused = app
                .post_form_with(other, path, &[("slug", slug), ("draft", &draft)])
                .await;
            assert_eq!(refused.status(), 404, "{path}");
        }
        let refused = upload(&app, other, slug, Some(("roster.csv", csv)), "", false).await;
        assert_eq!(refused.status(), 404, "an outsider's upload is refused");
    }

    let invited = ok(
        app.post_form_with(
            &course.coordinator,
            "/api/invite_roster",
            &[("slug", slug), ("draft", &draft)],
        )
        .await,
        "invite",
    )
    .await;
    assert_eq!(invited, 1);
    assert_eq!(invitations(&app).await, ["bo@uni.edu"]);
    // The same file again invites nobody twice.
    let again = draft_of(
        &upload(
            &app,
            &course.coordinator,
            slug,
            Some(("roster.csv", csv)),
            "",
            true,
        )
        .await,
    );
    let invited = ok(
        app.post_form_with(
            &course.coordinator,
            "/api/invite_roster",
            &[("slug", slug), ("draft", &again)],
        )
        .await,
        "invite again",
    )
    .await;
    assert_eq!(invited, 0);
    assert_eq!(invitations(&app).await, ["bo@uni.edu"]);

    // A file that is no roster, or no file, is refused on its field and
    // kept nowhere; without JavaScript the error goes back with the page.
    let drafts = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from roster_drafts")
            .fetch_one(&app.pool)
            .await
            .expect("drafts")
    };
    let before = drafts().await;
    let wrong = upload(
        &app,
        &course.coordinator,
        slug,
        Some(("notes.csv", b"hello\nworld\n")),
        "",
        false,
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.expect("body").contains("file"));
    let none = upload(&app, &course.coordinator, slug, None, "", false).await;
    assert_eq!(none.status(), 422);
    let plain = upload(&app, &course.coordinator, slug, None, "", true).await;
    assert!(plain.status().is_redirection());
    assert!(!plain.headers()["location"]
        .to_str()
        .expect("location")
        .contains("roster="));
    assert!(plain
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().is_ok_and(|c| c.starts_with("lab_form_error="))));
    assert_eq!(drafts().await, before);
}

/// A OneRoster 1.1 CSV bundle of two classes, as a `.zip`.
fn oneroster_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let files = [
        (
            "users.csv",
            "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n\
             u1,,,true,org1,student,dee,,Dee,Ng,,S001,dee@uni.edu,,,,,\n\
             u2,,,true,org1,student,eli,,Eli,Tan,,S002,eli@uni.edu,,,,,\n\
             u3,,,true,org1,teacher,tea,,Tea,Cher,,T001,tea@uni.edu,,,,,\n",
        ),
        (
            "classes.csv",
            "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
             c1,,,Machine learning,,k1,ML101,scheduled,,org1,t1,,,\n\
             c2,,,Statistics,,k2,ST201,scheduled,,org1,t1,,,\n",
        ),
        (
            "enrollments.csv",
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n\
             e1,,,c1,org1,u1,student,false,,\n\
             e2,,,c2,org1,u2,student,false,,\n\
             e3,,,c1,org1,u3,teacher,true,,\n",
        ),
    ];
    for (name, text) in files {
        zip.start_file(name, options).expect("entry");
        zip.write_all(text.as_bytes()).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

#[sqlx::test(migrations = false)]
async fn a_oneroster_bundle_imports_the_students_of_the_class_chosen(pool: PgPool) {
    let app = spawn_app(pool).await;
    let course = course(&app).await;
    let slug = course.slug.as_str();
    let bundle = oneroster_zip();
    // Two classes: the coordinator is asked which.
    let ask = upload(
        &app,
        &course.coordinator,
        slug,
        Some(("export.zip", &bundle)),
        "",
        false,
    )
    .await;
    assert_eq!(ask.status(), 422);
    let error = ask.text().await.expect("body");
    assert!(
        error.contains("ML101") && error.contains("ST201"),
        "{error}"
    );

    let chosen = upload(
        &app,
        &course.coordinator,
        slug,
        Some(("export.zip", &bundle)),
        "ml101",
        true,
    )
    .await;
    let draft = draft_of(&chosen);
    let preview = ok(
        app.post_form_with(
            &course.coordinator,
            "/api/roster_draft",
            &[("slug", slug), ("draft", &draft)],
        )
        .await,
        "preview",
    )
    .await;
    assert_eq!(preview["oneroster"], true);
    assert_eq!(preview["file_name"], "export.zip");
    let rows = preview["report"]["rows"].as_array().expect("rows");
    assert_eq!(
        rows.len(),
        1,
        "ML101's one student, not its teacher: {rows:?}"
    );
    assert_eq!(rows[0]["email"], "dee@uni.edu");
    assert_eq!(rows[0]["name"], "Dee Ng");
    assert_eq!(rows[0]["student_id"], "S001");
}

#[sqlx::test(migrations = false)]
async fn an_institutions_admin_invites_staff_by_email_as_organizations_invite_members(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let course = course(&app).await;
    let lab = signed_in(&app, "staff@lab.example").await;
    create_user(&app, "dean@uni.edu", "developer").await;
    ok(
        app.post_form_with(
            &lab,
            "/api/admin_set_institution_staff",
            &[
                ("slug", "uni"),
                ("email", "dean@uni.edu"),
                ("role", "admin"),
            ],
        )
        .await,
        "an institution admin",
    )
    .await;
    let dean = signed_in(&app, "dean@uni.edu").await;
    let invite = [
        ("slug", "uni"),
        ("email", "New.Prof@uni.edu"),
        ("role", "coordinator"),
    ];
    // A coordinator does not invite staff; someone off the staff learns
    // nothing of the institution.
    let refused = app
        .post_form_with(
            &course.coordinator,
            "/api/invite_institution_staff",
            &invite,
        )
        .await;
    assert_eq!(refused.status(), 403);
    let hidden = app
        .post_form_with(&course.outsider, "/api/invite_institution_staff", &invite)
        .await;
    assert_eq!(hidden.status(), 404);
    let bad = app
        .post_form_with(
            &dean,
            "/api/invite_institution_staff",
            &[
                ("slug", "uni"),
                ("email", "new.prof@uni.edu"),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);

    ok(
        app.post_form_with(&dean, "/api/invite_institution_staff", &invite)
            .await,
        "invite",
    )
    .await;
    let again = app
        .post_form_with(&dean, "/api/invite_institution_staff", &invite)
        .await;
    assert_eq!(again.status(), 422, "one open invitation per address");
    let view = ok(
        app.post_form_with(&dean, "/api/get_institution", &[("slug", "uni")])
            .await,
        "institution",
    )
    .await;
    assert_eq!(view["invitations"][0]["email"], "new.prof@uni.edu");
    assert_eq!(view["invitations"][0]["role"], "coordinator");
    let coordinator_view = ok(
        app.post_form_with(
            &course.coordinator,
            "/api/get_institution",
            &[("slug", "uni")],
        )
        .await,
        "institution",
    )
    .await;
    assert_eq!(coordinator_view["invitations"], serde_json::json!([]));

    // The invited person signs up with the address and accepts.
    let token = crate::organizations::invitation_token(&app, "new.prof@uni.edu").await;
    let info = ok(
        app.post_form("/api/get_invitation", &[("token", &token)])
            .await,
        "invitation",
    )
    .await;
    assert_eq!(info["institution"], true);
    assert_eq!(info["organization"], "Example University");
    assert_eq!(info["role"], "Coordinator");
    create_user(&app, "new.prof@uni.edu", "developer").await;
    let newcomer = signed_in(&app, "new.prof@uni.edu").await;
    let before = app
        .post_form_with(&newcomer, "/api/get_institution", &[("slug", "uni")])
        .await;
    assert_eq!(before.status(), 404);
    let accepted = app
        .post_form_with(&newcomer, "/api/accept_invitation", &[("token", &token)])
        .await;
    assert_eq!(accepted.status(), 200);
    let now = ok(
        app.post_form_with(&newcomer, "/api/get_institution", &[("slug", "uni")])
            .await,
        "on the staff",
    )
    .await;
    assert!(now["staff"]
        .as_array()
        .expect("staff")
        .iter()
        .any(|s| s["email"] == "new.prof@uni.edu" && s["role"] == "coordinator"));
    let twice = app
        .post_form_with(&newcomer, "/api/accept_invitation", &[("token", &token)])
        .await;
    assert_eq!(twice.status(), 403, "a link works once");

    // A revoked invitation's link stops working.
    let other = [
        ("slug", "uni"),
        ("email", "late@uni.edu"),
        ("role", "admin"),
    ];
    ok(
        app.post_form_with(&dean, "/api/invite_institution_staff", &other)
            .await,
        "invite",
    )
    .await;
    let view = ok(
        app.post_form_with(&dean, "/api/get_institution", &[("slug", "uni")])
            .await,
        "institution",
    )
    .await;
    let id = view["invitations"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let revoked = app
        .post_form_with(
            &course.coordinator,
            "/api/revoke_institution_invitation",
            &[("slug", "uni"), ("id", &id)],
        )
        .await;
    assert_eq!(revoked.status(), 403, "a coordinator revokes nothing");
    ok(
        app.post_form_with(
            &dean,
            "/api/revoke_institution_invitation",
            &[("slug", "uni"), ("id", &id)],
        )
        .await,
        "revoke",
    )
    .await;
    let late = crate::organizations::invitation_token(&app, "late@uni.edu").await;
    create_user(&app, "late@uni.edu", "developer").await;
    let latecomer = signed_in(&app, "late@uni.edu").await;
    let refused = app
        .post_form_with(&latecomer, "/api/accept_invitation", &[("token", &late)])
        .await;
    assert_eq!(refused.status(), 403);
    let actions: Vec<String> = sqlx::query_scalar(
        "select l.action from audit_log l join teams t on t.id = l.team_id
         where t.slug = 'uni' and l.action like 'institution.%' order by l.id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("audit");
    for action in [
        "institution.invite",
        "institution.join",
        "institution.invite_revoke",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}
