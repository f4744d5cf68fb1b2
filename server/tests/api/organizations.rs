//! Business organizations over HTTP: invitations by email (for their own
//! verified address only, once, until they expire or are revoked), the
//! email-domain rule, the last owner, removing a member (their keys stop
//! working within seconds), members' budgets refused by the proxy with 402,
//! and what outsiders and members may see and do.

use std::time::Duration;

use app::domain::credits::Credits;
use app::server::ledger::{self, Grant, Memo, Owner};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{create_user, signed_in, spawn_app, TestApp};

const SLUG: &str = "acme-labs";
const NO_SUCH_ORG: &str = "There is no such organization, or you are not a member of it.";

/// Calls the server function `endpoint` from `client`.
async fn call(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
    app.post_form_with(client, &format!("/api/{endpoint}"), form)
        .await
}

/// The JSON answer of a call that must succeed.
async fn ok(app: &TestApp, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let response = call(app, client, endpoint, form).await;
    let status = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(status, 200, "{endpoint}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The status and JSON error of a call that must fail.
async fn failed(
    app: &TestApp,
    client: &Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    TestApp::error_of(call(app, client, endpoint, form).await).await
}

/// The message of a `Refused` error answered with 403.
fn refused(error: &(u16, Value)) -> &str {
    assert_eq!(error.0, 403, "{}", error.1);
    error.1["Refused"].as_str().unwrap_or_else(|| {
        panic!("a refusal: {}", error.1);
    })
}

/// The fields named by a 422 answer.
fn invalid_fields(error: &(u16, Value)) -> Vec<String> {
    assert_eq!(error.0, 422, "{}", error.1);
    error.1["Validation"]
        .as_array()
        .unwrap_or_else(|| panic!("field errors: {}", error.1))
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

/// A verified developer and a browser signed in as them.
async fn person(app: &TestApp, email: &str) -> (Uuid, Client) {
    let id = create_user(app, email, "developer").await;
    (id, signed_in(app, email).await)
}

/// Creates the organization `slug` owned by `owner`'s user, in `time_zone`.
async fn create_org(app: &TestApp, owner: &Client, slug: &str, time_zone: &str) -> Uuid {
    let created = ok(
        app,
        owner,
        "create_organization",
        &[
            ("name", "Acme Labs"),
            ("slug", slug),
            ("website", "https://acme.example"),
            ("country", "SG"),
            ("industry", "finance"),
            ("time_zone", time_zone),
        ],
    )
    .await;
    assert_eq!(created, json!(slug));
    sqlx::query_scalar("select id from teams where kind = 'organization' and slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .expect("the organization's team")
}

/// The token of the newest invitation link emailed to `email`.
async fn invitation_token(app: &TestApp, email: &str) -> String {
    let mut body: Option<String> = None;
    for _ in 0..100 {
        body = sqlx::query_scalar(
            "select secret_body_text from outbox where lower(recipient) = lower($1)
               and secret_body_text like '%/invitations/%'
             order by created_at desc limit 1",
        )
        .bind(email)
        .fetch_optional(&app.pool)
        .await
        .expect("the outbox");
        if body.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = body.expect("an invitation email with its link");
    let start = body.find("/invitations/").expect("the link") + "/invitations/".len();
    let token = body[start..]
        .split_whitespace()
        .next()
        .expect("a token")
        .to_owned();
    assert!(
        token.len() >= 32
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{token}"
    );
    token
}

/// Invites `email` as `role` (by `inviter`), and the emailed link's token.
async fn invite(app: &TestApp, inviter: &Client, email: &str, role: &str) -> String {
    ok(
        app,
        inviter,
        "invite_member",
        &[("slug", SLUG), ("email", email), ("role", role)],
    )
    .await;
    invitation_token(app, email).await
}

/// A new verified person at `email`, invited as `role` by `owner`, who has
/// accepted; their id and browser.
async fn member(app: &TestApp, owner: &Client, email: &str, role: &str) -> (Uuid, Client) {
    let token = invite(app, owner, email, role).await;
    let (id, client) = person(app, email).await;
    assert_eq!(
        ok(app, &client, "accept_invitation", &[("token", &token)]).await,
        json!(SLUG)
    );
    (id, client)
}

async fn role_in_db(app: &TestApp, team: Uuid, user: Uuid) -> Option<String> {
    sqlx::query_scalar("select role from team_members where team_id = $1 and user_id = $2")
        .bind(team)
        .bind(user)
        .fetch_optional(&app.pool)
        .await
        .expect("role")
}

async fn get_org(app: &TestApp, client: &Client) -> Value {
    ok(app, client, "get_organization", &[("slug", SLUG)]).await
}

/// The member `user` as `org` (a `get_organization` answer) shows them.
fn member_in(org: &Value, user: Uuid) -> &Value {
    org["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["user_id"] == json!(user.to_string()))
        .unwrap_or_else(|| panic!("{user} is a member: {org}"))
}

/// Grants `credits` from the Lab to the organization's pool; its account.
async fn grant_pool(app: &TestApp, team: Uuid, credits: i64) -> Uuid {
    let mut conn = app.pool.acquire().await.expect("conn");
    let account = ledger::account_for(&mut conn, Owner::Organization(team))
        .await
        .expect("the pool's account");
    drop(conn);
    ledger::grant(
        &app.pool,
        &Grant {
            account,
            amount: Credits::from_credits(credits).expect("small"),
            expires_at: None,
            memo: Memo::default(),
        },
    )
    .await
    .expect("grant");
    account
}

/// A key named `name` billed to the organization, created by `client`:
/// its id and plaintext.
async fn org_key(app: &TestApp, client: &Client, name: &str) -> (Uuid, String) {
    let created = ok(
        app,
        client,
        "create_api_key",
        &[("name", name), ("bill_to", SLUG)],
    )
    .await;
    let id = Uuid::parse_str(created["id"].as_str().expect("id")).expect("a key id");
    (id, created["key"].as_str().expect("the key").to_owned())
}

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

/// Waits until the proxy has returned the account's idle leases.
async fn leases_returned(app: &TestApp, account: Uuid) {
    for _ in 0..150 {
        let open: i64 = sqlx::query_scalar(
            "select count(*) from credit_holds where account_id = $1 and lease and status = 'open'",
        )
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .expect("leases");
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the leases of {account} are still open");
}

async fn verify_ledger(app: &TestApp) {
    let violations = ledger::verify(&app.pool).await.expect("verify");
    assert!(violations.is_empty(), "{violations:?}");
}

#[sqlx::test(migrations = false)]
async fn an_invitation_is_accepted_once_by_its_own_verified_address_until_it_expires_or_is_revoked(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "Asia/Singapore").await;

    let token = invite(&app, &owner, "Ann@Acme.test", "admin").await;
    let link: String = sqlx::query_scalar(
        "select secret_body_text from outbox where recipient = 'ann@acme.test'
         order by created_at desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the invitation email, to the address as normalized");
    assert!(link.contains(&format!("/invitations/{token}")), "{link}");
    // Only the token's hash is kept.
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from team_invitations
         where team_id = $1 and email = 'ann@acme.test' and role = 'admin'
           and token_hash = sha256(convert_to($2, 'UTF8'))",
    )
    .bind(team)
    .bind(&token)
    .fetch_one(&app.pool)
    .await
    .expect("the invitation");
    assert_eq!(stored, 1);

    // Someone else holding the link is told whose it is.
    let (bob, bob_client) = person(&app, "bob@acme.test").await;
    let info = ok(&app, &bob_client, "get_invitation", &[("token", &token)]).await;
    assert_eq!(info["slug"], SLUG);
    assert_eq!(info["role"], "Admin");
    assert!(
        info["refusal"]
            .as_str()
            .is_some_and(|r| r.contains("ann@acme.test")),
        "{info}"
    );
    let error = failed(&app, &bob_client, "accept_invitation", &[("token", &token)]).await;
    let message = refused(&error);
    assert!(message.contains("ann@acme.test"), "{message}");
    assert!(message.contains("bob@acme.test"), "{message}");
    assert_eq!(role_in_db(&app, team, bob).await, None);

    // The right verified address joins in the invitation's role.
    let (ann, ann_client) = person(&app, "ann@acme.test").await;
    let info = ok(&app, &ann_client, "get_invitation", &[("token", &token)]).await;
    assert_eq!(info["refusal"], Value::Null, "{info}");
    assert_eq!(
        ok(&app, &ann_client, "accept_invitation", &[("token", &token)]).await,
        json!(SLUG)
    );
    assert_eq!(role_in_db(&app, team, ann).await.as_deref(), Some("admin"));
    let seen = get_org(&app, &ann_client).await;
    assert_eq!(seen["my_role"], "Admin");
    assert_eq!(seen["manages"], true);
    let org = get_org(&app, &owner).await;
    assert_eq!(member_in(&org, ann)["role"], "Admin");
    let accepted = org["invitations"]
        .as_array()
        .expect("invitations")
        .iter()
        .find(|i| i["email"] == "ann@acme.test")
        .expect("the invitation is listed");
    assert_eq!(accepted["status"], "Accepted");

    // Once only.
    let error = failed(&app, &ann_client, "accept_invitation", &[("token", &token)]).await;
    let message = refused(&error);
    assert!(message.contains("accepted already"), "{message}");

    // An expired invitation is refused.
    let expired = invite(&app, &owner, "carl@acme.test", "member").await;
    sqlx::query(
        "update team_invitations set expires_at = now() - interval '1 hour'
         where team_id = $1 and email = 'carl@acme.test'",
    )
    .bind(team)
    .execute(&app.pool)
    .await
    .expect("expire");
    let (carl, carl_client) = person(&app, "carl@acme.test").await;
    let error = failed(
        &app,
        &carl_client,
        "accept_invitation",
        &[("token", &expired)],
    )
    .await;
    let message = refused(&error);
    assert!(message.contains("expired"), "{message}");
    assert_eq!(role_in_db(&app, team, carl).await, None);

    // A revoked one too.
    let revoked = invite(&app, &owner, "dora@acme.test", "member").await;
    let org = get_org(&app, &owner).await;
    let id = org["invitations"]
        .as_array()
        .expect("invitations")
        .iter()
        .find(|i| i["email"] == "dora@acme.test")
        .expect("dora's invitation")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    ok(
        &app,
        &owner,
        "revoke_invitation",
        &[("slug", SLUG), ("invitation_id", &id)],
    )
    .await;
    let (dora, dora_client) = person(&app, "dora@acme.test").await;
    let error = failed(
        &app,
        &dora_client,
        "accept_invitation",
        &[("token", &revoked)],
    )
    .await;
    let message = refused(&error);
    assert!(message.contains("revoked"), "{message}");
    assert_eq!(role_in_db(&app, team, dora).await, None);

    // A member is not invited again.
    let error = failed(
        &app,
        &owner,
        "invite_member",
        &[
            ("slug", SLUG),
            ("email", "ann@acme.test"),
            ("role", "member"),
        ],
    )
    .await;
    assert_eq!(invalid_fields(&error), vec!["email"]);

    // An admin invites members and admins, never owners.
    let error = failed(
        &app,
        &ann_client,
        "invite_member",
        &[
            ("slug", SLUG),
            ("email", "erin@acme.test"),
            ("role", "owner"),
        ],
    )
    .await;
    assert_eq!(invalid_fields(&error), vec!["role"]);
    let open: i64 = sqlx::query_scalar(
        "select count(*) from team_invitations where team_id = $1 and email = 'erin@acme.test'",
    )
    .bind(team)
    .fetch_one(&app.pool)
    .await
    .expect("invitations");
    assert_eq!(open, 0);
    invite(&app, &ann_client, "erin@acme.test", "member").await;
}

#[sqlx::test(migrations = false)]
async fn verified_people_at_an_organizations_own_domain_may_join_it_and_nobody_else(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, owner) = person(&app, "owner@example.com").await;
    let team = create_org(&app, &owner, SLUG, "UTC").await;

    // Only the domain of the owner's own address.
    let error = failed(
        &app,
        &owner,
        "set_org_domain",
        &[("slug", SLUG), ("domain", "other.org"), ("action", "add")],
    )
    .await;
    assert_eq!(invalid_fields(&error), vec!["domain"]);
    ok(
        &app,
        &owner,
        "set_org_domain",
        &[("slug", SLUG), ("domain", "example.com"), ("action", "add")],
    )
    .await;
    assert_eq!(
        get_org(&app, &owner).await["domains"],
        json!(["example.com"])
    );

    // A verified address there sees it and joins as a member.
    let (dev, dev_client) = person(&app, "dev@example.com").await;
    let mine = ok(&app, &dev_client, "my_organizations", &[]).await;
    assert_eq!(mine["organizations"], json!([]));
    assert_eq!(
        mine["joinable"],
        json!([{"slug": SLUG, "name": "Acme Labs", "domain": "example.com"}])
    );
    assert_eq!(
        ok(&app, &dev_client, "join_organization", &[("slug", SLUG)]).await,
        json!(SLUG)
    );
    assert_eq!(role_in_db(&app, team, dev).await.as_deref(), Some("member"));
    let mine = ok(&app, &dev_client, "my_organizations", &[]).await;
    assert_eq!(mine["joinable"], json!([]));
    assert_eq!(mine["organizations"][0]["slug"], SLUG);
    assert_eq!(mine["organizations"][0]["role"], "Member");
    assert_eq!(mine["organizations"][0]["members"], 2);
    let error = failed(&app, &dev_client, "join_organization", &[("slug", SLUG)]).await;
    assert_eq!(error.0, 404, "{}", error.1);

    // An unconfirmed address at the domain cannot.
    let (unverified, unverified_client) = person(&app, "new@example.com").await;
    sqlx::query("update users set email_verified_at = null where id = $1")
        .bind(unverified)
        .execute(&app.pool)
        .await
        .expect("unverify");
    let mine = ok(&app, &unverified_client, "my_organizations", &[]).await;
    assert_eq!(mine["joinable"], json!([]));
    let error = failed(
        &app,
        &unverified_client,
        "join_organization",
        &[("slug", SLUG)],
    )
    .await;
    assert_eq!(error.0, 404, "{}", error.1);
    assert_eq!(role_in_db(&app, team, unverified).await, None);

    // Nor can an address at another domain.
    let (outsider, outsider_client) = person(&app, "someone@elsewhere.org").await;
    let mine = ok(&app, &outsider_client, "my_organizations", &[]).await;
    assert_eq!(mine["joinable"], json!([]));
    let error = failed(
        &app,
        &outsider_client,
        "join_organization",
        &[("slug", SLUG)],
    )
    .await;
    assert_eq!(error.0, 404, "{}", error.1);
    assert!(error.1["NotFound"].is_string(), "{}", error.1);
    assert_eq!(role_in_db(&app, team, outsider).await, None);
}

#[sqlx::test(migrations = false)]
async fn the_last_owner_can_neither_leave_nor_be_demoted_and_admins_cannot_change_owners(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let (owner_id, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "UTC").await;

    let error = failed(&app, &owner, "leave_organization", &[("slug", SLUG)]).await;
    let message = refused(&error);
    assert!(message.contains("at least one owner"), "{message}");
    let owner_text = owner_id.to_string();
    let error = failed(
        &app,
        &owner,
        "set_member_role",
        &[("slug", SLUG), ("user_id", &owner_text), ("role", "admin")],
    )
    .await;
    let message = refused(&error);
    assert!(message.contains("at least one owner"), "{message}");
    assert_eq!(
        role_in_db(&app, team, owner_id).await.as_deref(),
        Some("owner")
    );

    // Admins change neither an owner's role nor anyone's into an owner.
    let (ann, _) = member(&app, &owner, "ann@acme.test", "member").await;
    let (_, admin) = member(&app, &owner, "adam@acme.test", "admin").await;
    for role in ["admin", "member"] {
        let error = failed(
            &app,
            &admin,
            "set_member_role",
            &[("slug", SLUG), ("user_id", &owner_text), ("role", role)],
        )
        .await;
        let message = refused(&error);
        assert!(message.contains("Only owners"), "{message}");
    }
    let ann_text = ann.to_string();
    let error = failed(
        &app,
        &admin,
        "set_member_role",
        &[("slug", SLUG), ("user_id", &ann_text), ("role", "owner")],
    )
    .await;
    refused(&error);
    let error = failed(
        &app,
        &admin,
        "remove_member",
        &[("slug", SLUG), ("user_id", &owner_text)],
    )
    .await;
    refused(&error);
    // Nor an owner's budget; a member's they may set.
    let error = failed(
        &app,
        &admin,
        "set_member_budget",
        &[
            ("slug", SLUG),
            ("user_id", &owner_text),
            ("amount", "1"),
            ("period", "day"),
        ],
    )
    .await;
    let message = refused(&error);
    assert!(message.contains("Only owners"), "{message}");
    ok(
        &app,
        &admin,
        "set_member_budget",
        &[
            ("slug", SLUG),
            ("user_id", &ann_text),
            ("amount", "1"),
            ("period", "day"),
        ],
    )
    .await;
    let owner_budget: Option<i64> = sqlx::query_scalar(
        "select budget_amount from team_members where team_id = $1 and user_id = $2",
    )
    .bind(team)
    .bind(owner_id)
    .fetch_one(&app.pool)
    .await
    .expect("owner");
    assert_eq!(owner_budget, None);
    assert_eq!(
        role_in_db(&app, team, owner_id).await.as_deref(),
        Some("owner")
    );
    assert_eq!(role_in_db(&app, team, ann).await.as_deref(), Some("member"));

    // With a second owner, the first may go.
    ok(
        &app,
        &owner,
        "set_member_role",
        &[("slug", SLUG), ("user_id", &ann_text), ("role", "owner")],
    )
    .await;
    assert_eq!(role_in_db(&app, team, ann).await.as_deref(), Some("owner"));
    ok(&app, &owner, "leave_organization", &[("slug", SLUG)]).await;
    assert_eq!(role_in_db(&app, team, owner_id).await, None);
    let error = failed(&app, &owner, "get_organization", &[("slug", SLUG)]).await;
    assert_eq!(error, (404, json!({ "NotFound": NO_SUCH_ORG })));
    let owners: i64 = sqlx::query_scalar(
        "select count(*) from team_members where team_id = $1 and role = 'owner'",
    )
    .bind(team)
    .fetch_one(&app.pool)
    .await
    .expect("owners");
    assert_eq!(owners, 1);
}

#[sqlx::test(migrations = false)]
async fn removing_a_member_revokes_their_organization_keys_within_seconds(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "UTC").await;
    let account = grant_pool(&app, team, 10).await;
    let (ann, ann_client) = member(&app, &owner, "ann@acme.test", "member").await;

    let (key_id, key) = org_key(&app, &ann_client, "ann's org key").await;
    let (billed_to, key_account): (Option<Uuid>, Uuid) =
        sqlx::query_as("select team_id, account_id from api_keys where id = $1")
            .bind(key_id)
            .fetch_one(&app.pool)
            .await
            .expect("the key");
    assert_eq!(billed_to, Some(team));
    assert_eq!(key_account, account);
    let response = chat(&app, &key).await;
    assert_eq!(response.status(), 200);
    let charged: i64 = sqlx::query_scalar(
        "select coalesce(sum(credits), 0)::bigint from usage_records where key_id = $1",
    )
    .bind(key_id)
    .fetch_one(&app.pool)
    .await
    .expect("usage");
    assert!(charged > 0);

    let ann_text = ann.to_string();
    ok(
        &app,
        &owner,
        "remove_member",
        &[("slug", SLUG), ("user_id", &ann_text)],
    )
    .await;
    assert_eq!(role_in_db(&app, team, ann).await, None);
    let revoked: bool =
        sqlx::query_scalar("select revoked_at is not null from api_keys where id = $1")
            .bind(key_id)
            .fetch_one(&app.pool)
            .await
            .expect("the key");
    assert!(revoked);

    // The proxy trusts a key lookup for 3 s.
    let started = std::time::Instant::now();
    let refused_with = loop {
        let response = chat(&app, &key).await;
        let status = response.status().as_u16();
        if status != 200 {
            let body: Value = response.json().await.expect("an OpenAI error");
            break (status, body);
        }
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "the removed member's key still works"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(refused_with.0, 401, "{}", refused_with.1);
    assert_eq!(refused_with.1["error"]["code"], "invalid_api_key");

    let keys = ok(&app, &owner, "org_keys", &[("slug", SLUG)]).await;
    assert_eq!(keys["keys"][0]["id"], key_id.to_string());
    assert_eq!(keys["keys"][0]["active"], false);
    // Nor can they bill the organization again.
    let error = failed(
        &app,
        &ann_client,
        "create_api_key",
        &[("name", "again"), ("bill_to", SLUG)],
    )
    .await;
    assert_eq!(invalid_fields(&error), vec!["bill_to"]);

    leases_returned(&app, account).await;
    verify_ledger(&app).await;
}

/// The first instant of next month in UTC+8 (Singapore has no summer time).
fn next_month_in_singapore(now: time::OffsetDateTime) -> time::OffsetDateTime {
    let offset = time::UtcOffset::from_hms(8, 0, 0).expect("offset");
    let local = now.to_offset(offset);
    let (year, month) = match local.month() {
        time::Month::December => (local.year() + 1, time::Month::January),
        month => (local.year(), month.next()),
    };
    time::Date::from_calendar_date(year, month, 1)
        .expect("a date")
        .midnight()
        .assume_offset(offset)
}

#[sqlx::test(migrations = false)]
async fn a_members_monthly_budget_is_refused_with_402_until_next_month_in_the_organizations_time_zone(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "Asia/Singapore").await;
    let account = grant_pool(&app, team, 10).await;
    let (ann, ann_client) = member(&app, &owner, "ann@acme.test", "member").await;
    let ann_text = ann.to_string();

    // 0.001 credits a month: a dozen small requests.
    ok(
        &app,
        &owner,
        "set_member_budget",
        &[
            ("slug", SLUG),
            ("user_id", &ann_text),
            ("amount", "0.001"),
            ("period", "month"),
        ],
    )
    .await;
    let org = get_org(&app, &owner).await;
    assert_eq!(
        member_in(&org, ann)["budget"],
        json!({"amount": 1000, "period": "Month"})
    );
    let (key_id, key) = org_key(&app, &ann_client, "budgeted").await;

    let mut served = 0;
    let refusal = loop {
        assert!(served < 100, "the budget never refused");
        let response = chat(&app, &key).await;
        let status = response.status().as_u16();
        let available: i64 =
            sqlx::query_scalar("select available from credit_accounts where id = $1")
                .bind(account)
                .fetch_one(&app.pool)
                .await
                .expect("the pool");
        assert!(available >= 0, "the pool went negative: {available}");
        if status == 200 {
            served += 1;
            continue;
        }
        break (
            status,
            response.json::<Value>().await.expect("an OpenAI error"),
        );
    };
    let checked_at = time::OffsetDateTime::now_utc();
    assert!(served > 0, "the budget allowed no request at all");
    let (status, body) = refusal;
    assert_eq!(status, 402, "{body}");
    let error = &body["error"];
    assert_eq!(error["code"], "member_budget_exceeded", "{body}");
    assert_eq!(error["type"], "insufficient_credits", "{body}");
    let resets_at = error["resets_at"].as_str().expect("resets_at");
    let parsed =
        time::OffsetDateTime::parse(resets_at, &time::format_description::well_known::Rfc3339)
            .expect("an RFC 3339 time");
    assert_eq!(parsed, next_month_in_singapore(checked_at), "{resets_at}");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("monthly budget"), "{message}");
    assert!(message.contains(resets_at), "{message}");

    // Still refused once the leases are back.
    leases_returned(&app, account).await;
    assert_eq!(chat(&app, &key).await.status(), 402);
    leases_returned(&app, account).await;

    // What the member spent is what the usage records charged, within budget.
    let used: i64 = sqlx::query_scalar(
        "select coalesce(sum(credits), 0)::bigint from usage_records where key_id = $1",
    )
    .bind(key_id)
    .fetch_one(&app.pool)
    .await
    .expect("usage");
    let ok_requests: i64 =
        sqlx::query_scalar("select count(*) from usage_records where key_id = $1 and status = 200")
            .bind(key_id)
            .fetch_one(&app.pool)
            .await
            .expect("usage");
    assert_eq!(ok_requests, served);
    assert!(used > 0 && used <= 1000, "{used}");
    let seen_by_owner = get_org(&app, &owner).await;
    assert_eq!(member_in(&seen_by_owner, ann)["spent"], used);
    let seen_by_ann = get_org(&app, &ann_client).await;
    assert_eq!(member_in(&seen_by_ann, ann)["spent"], used);
    assert_eq!(member_in(&seen_by_ann, ann)["budget"]["amount"], 1000);
    let (period_spent, period_held): (i64, i64) = sqlx::query_as(
        "select spent, held from member_budget_periods where team_id = $1 and user_id = $2",
    )
    .bind(team)
    .bind(ann)
    .fetch_one(&app.pool)
    .await
    .expect("the budget's period");
    assert_eq!((period_spent, period_held), (used, 0));

    // The pool paid exactly that, and never went below nothing.
    let (available, reserved): (i64, i64) =
        sqlx::query_as("select available, reserved from credit_accounts where id = $1")
            .bind(account)
            .fetch_one(&app.pool)
            .await
            .expect("the pool");
    assert_eq!((available, reserved), (10_000_000 - used, 0));
    assert_eq!(seen_by_owner["pool"], available);
    verify_ledger(&app).await;
}

#[sqlx::test(migrations = false)]
async fn outsiders_learn_nothing_members_manage_nothing_and_see_only_their_own_keys(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "UTC").await;
    grant_pool(&app, team, 10).await;
    let (_, ann_client) = member(&app, &owner, "ann@acme.test", "member").await;

    // Outsiders cannot tell a private organization from none at all.
    let (_, stranger) = person(&app, "stranger@elsewhere.org").await;
    for slug in [SLUG, "no-such-org"] {
        let error = failed(&app, &stranger, "get_organization", &[("slug", slug)]).await;
        assert_eq!(error, (404, json!({ "NotFound": NO_SUCH_ORG })));
    }
    let error = failed(&app, &stranger, "org_keys", &[("slug", SLUG)]).await;
    assert_eq!(error, (404, json!({ "NotFound": NO_SUCH_ORG })));
    let error = failed(
        &app,
        &stranger,
        "invite_member",
        &[
            ("slug", SLUG),
            ("email", "x@elsewhere.org"),
            ("role", "member"),
        ],
    )
    .await;
    assert_eq!(error, (404, json!({ "NotFound": NO_SUCH_ORG })));

    // A member sees the organization but manages nothing.
    let seen = get_org(&app, &ann_client).await;
    assert_eq!(seen["my_role"], "Member");
    assert_eq!(seen["manages"], false);
    assert_eq!(seen["invitations"], json!([]));
    let error = failed(
        &app,
        &ann_client,
        "invite_member",
        &[("slug", SLUG), ("email", "x@acme.test"), ("role", "member")],
    )
    .await;
    assert_eq!(error, (403, json!("Forbidden")));
    let invited: i64 =
        sqlx::query_scalar("select count(*) from team_invitations where email = 'x@acme.test'")
            .fetch_one(&app.pool)
            .await
            .expect("invitations");
    assert_eq!(invited, 0);

    // Keys: each member their own; owners all of them.
    let (ann_key, _) = org_key(&app, &ann_client, "ann-key").await;
    let (owner_key, _) = org_key(&app, &owner, "owner-key").await;
    let listed = ok(&app, &ann_client, "org_keys", &[("slug", SLUG)]).await;
    assert_eq!(listed["manages"], false);
    let names: Vec<&str> = listed["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["ann-key"]);
    assert_eq!(listed["keys"][0]["id"], ann_key.to_string());
    assert_eq!(listed["keys"][0]["creator_email"], "ann@acme.test");
    let listed = ok(&app, &owner, "org_keys", &[("slug", SLUG)]).await;
    assert_eq!(listed["manages"], true);
    let mut ids: Vec<String> = listed["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    let mut expected = vec![ann_key.to_string(), owner_key.to_string()];
    expected.sort();
    assert_eq!(ids, expected);
    // A member cannot revoke another's key.
    let owner_key_text = owner_key.to_string();
    let error = failed(
        &app,
        &ann_client,
        "revoke_org_key",
        &[("slug", SLUG), ("key_id", &owner_key_text)],
    )
    .await;
    assert_eq!(error, (403, json!("Forbidden")));
}
