//! Business organizations over HTTP: invitations by email (for their own
//! verified address only, once, until they expire or are revoked), the
//! email-domain rule, the last owner, removing a member (their keys stop
//! working within seconds), members' budgets refused by the proxy with 402,
//! and what outsiders and members may see and do; acting for an
//! organization (the header's switch), and playground conversations billed
//! to its pool under the member's budget.

use std::sync::Arc;
use std::time::Duration;

use app::domain::credits::Credits;
use app::server::ledger::{self, Grant, Memo, Owner};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{create_user, sign_in, signed_in, spawn_app, TestApp};

const SLUG: &str = "acme-labs";
const NO_SUCH_ORG: &str = "There is no such organization, or you are not a member of it.";

/// The status and JSON error of a call that must fail.
async fn failed(
    app: &TestApp,
    client: &Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    TestApp::error_of(app.call(client, endpoint, form).await).await
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
pub(crate) async fn person(app: &TestApp, email: &str) -> (Uuid, Client) {
    let id = create_user(app, email, "developer").await;
    (id, signed_in(app, email).await)
}

/// Creates the organization `slug` owned by `owner`'s user, in `time_zone`.
pub(crate) async fn create_org(app: &TestApp, owner: &Client, slug: &str, time_zone: &str) -> Uuid {
    let created = app
        .call_ok(
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
pub(crate) async fn invitation_token(app: &TestApp, email: &str) -> String {
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
    app.call_ok(
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
        app.call_ok(&client, "accept_invitation", &[("token", &token)])
            .await,
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
    app.call_ok(client, "get_organization", &[("slug", SLUG)])
        .await
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
    let created = app
        .call_ok(
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
    let info = app
        .call_ok(&bob_client, "get_invitation", &[("token", &token)])
        .await;
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
    let info = app
        .call_ok(&ann_client, "get_invitation", &[("token", &token)])
        .await;
    assert_eq!(info["refusal"], Value::Null, "{info}");
    assert_eq!(
        app.call_ok(&ann_client, "accept_invitation", &[("token", &token)])
            .await,
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
    app.call_ok(
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
    app.call_ok(
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
    let mine = app.call_ok(&dev_client, "my_organizations", &[]).await;
    assert_eq!(mine["organizations"], json!([]));
    assert_eq!(
        mine["joinable"],
        json!([{"slug": SLUG, "name": "Acme Labs", "domain": "example.com"}])
    );
    assert_eq!(
        app.call_ok(&dev_client, "join_organization", &[("slug", SLUG)])
            .await,
        json!(SLUG)
    );
    assert_eq!(role_in_db(&app, team, dev).await.as_deref(), Some("member"));
    let mine = app.call_ok(&dev_client, "my_organizations", &[]).await;
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
    let mine = app
        .call_ok(&unverified_client, "my_organizations", &[])
        .await;
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
    let mine = app.call_ok(&outsider_client, "my_organizations", &[]).await;
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
    app.call_ok(
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
    app.call_ok(
        &owner,
        "set_member_role",
        &[("slug", SLUG), ("user_id", &ann_text), ("role", "owner")],
    )
    .await;
    assert_eq!(role_in_db(&app, team, ann).await.as_deref(), Some("owner"));
    app.call_ok(&owner, "leave_organization", &[("slug", SLUG)])
        .await;
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
    app.call_ok(
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

    let keys = app.call_ok(&owner, "org_keys", &[("slug", SLUG)]).await;
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
    app.call_ok(
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
    let listed = app
        .call_ok(&ann_client, "org_keys", &[("slug", SLUG)])
        .await;
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
    let listed = app.call_ok(&owner, "org_keys", &[("slug", SLUG)]).await;
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

/// The cookie naming the organization a browser acts for.
const ACTING_FOR: &str = "lab_acting_for";

/// A verified developer at `email` and a browser signed in as them whose
/// cookies the test reads (`jar`).
async fn person_with_jar(app: &TestApp, email: &str) -> (Uuid, Client, Arc<Jar>) {
    let id = create_user(app, email, "developer").await;
    let jar = Arc::new(Jar::default());
    let client = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    assert_eq!(sign_in(app, &client, email).await.status(), 200);
    (id, client, jar)
}

/// The value of the cookie `name` the browser of `jar` sends to the site.
fn cookie_in(app: &TestApp, jar: &Jar, name: &str) -> Option<String> {
    let url: reqwest::Url = app.address.parse().expect("url");
    let header = jar.cookies(&url)?;
    let prefix = format!("{name}=");
    header
        .to_str()
        .expect("ascii")
        .split("; ")
        .find_map(|cookie| cookie.strip_prefix(prefix.as_str()))
        .map(str::to_owned)
}

/// The `Set-Cookie` header of `response` for the cookie `name`.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(str::to_owned)
}

/// Posts the header's switch as a browser without JavaScript does.
async fn switch_without_javascript(
    app: &TestApp,
    client: &Client,
    slug: &str,
    back: &str,
) -> Response {
    client
        .post(format!("{}/api/switch_organization", app.address))
        .header("origin", &app.address)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("referer", format!("{}/dashboard", app.address))
        .form(&[("slug", slug), ("back", back)])
        .send()
        .await
        .expect("request failed")
}

/// Whom `client` acts for, as `current_user` says.
async fn acting_for(app: &TestApp, client: &Client) -> Value {
    let me = app.call_ok(client, "current_user", &[]).await;
    assert!(me.is_object(), "signed in: {me}");
    me["acting_for"].clone()
}

#[sqlx::test(migrations = false)]
async fn a_member_acts_for_their_organization_until_removed_and_an_outsider_never_does(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    create_org(&app, &owner, SLUG, "UTC").await;
    let token = invite(&app, &owner, "ann@acme.test", "member").await;
    let (ann, ann_client, jar) = person_with_jar(&app, "ann@acme.test").await;
    assert_eq!(
        app.call_ok(&ann_client, "accept_invitation", &[("token", &token)])
            .await,
        json!(SLUG)
    );

    // The header lists her organizations; she acts for herself at first.
    let me = app.call_ok(&ann_client, "current_user", &[]).await;
    assert_eq!(
        me["organizations"],
        json!([{"slug": SLUG, "name": "Acme Labs"}])
    );
    assert_eq!(me["acting_for"], Value::Null);

    // Switching sets an HttpOnly cookie for the whole site.
    let response = app
        .call(
            &ann_client,
            "switch_organization",
            &[("slug", SLUG), ("back", "/keys")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(&response, ACTING_FOR).expect("the cookie is set");
    let attributes: Vec<&str> = cookie.split("; ").collect();
    assert_eq!(attributes[0], format!("{ACTING_FOR}={SLUG}"), "{cookie}");
    assert!(attributes.contains(&"Path=/"), "{cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert_eq!(cookie_in(&app, &jar, ACTING_FOR).as_deref(), Some(SLUG));
    assert_eq!(acting_for(&app, &ann_client).await, json!(SLUG));

    // An empty slug: for herself again, the cookie cleared.
    let response = app
        .call(
            &ann_client,
            "switch_organization",
            &[("slug", ""), ("back", "")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let cleared = set_cookie(&response, ACTING_FOR).expect("the cookie is cleared");
    assert!(cleared.starts_with(&format!("{ACTING_FOR}=;")), "{cleared}");
    assert_eq!(cookie_in(&app, &jar, ACTING_FOR), None);
    assert_eq!(acting_for(&app, &ann_client).await, Value::Null);

    // Without JavaScript: back to the page it was posted from, if it is one
    // of this site's; another site's address is never followed.
    for (slug, back, expected, now) in [
        (SLUG, "https://evil.test/", "/dashboard", json!(SLUG)),
        ("", "/keys?x=1", "/keys?x=1", Value::Null),
        (SLUG, "//evil.test/keys", "/dashboard", json!(SLUG)),
        ("", "", "/dashboard", Value::Null),
        (SLUG, "/orgs/acme-labs", "/orgs/acme-labs", json!(SLUG)),
    ] {
        let response = switch_without_javascript(&app, &ann_client, slug, back).await;
        assert!(
            response.status().is_redirection(),
            "{back}: {}",
            response.status()
        );
        assert_eq!(response.headers()["location"], expected, "{back}");
        assert_eq!(acting_for(&app, &ann_client).await, now, "{back}");
    }
    assert_eq!(cookie_in(&app, &jar, ACTING_FOR).as_deref(), Some(SLUG));

    // Someone outside it cannot act for it, nor tell it from none at all.
    let (_, stranger) = person(&app, "stranger@elsewhere.org").await;
    for slug in [SLUG, "no-such-org"] {
        let response = app
            .call(
                &stranger,
                "switch_organization",
                &[("slug", slug), ("back", "/keys")],
            )
            .await;
        assert_eq!(set_cookie(&response, ACTING_FOR), None, "{slug}");
        let error = TestApp::error_of(response).await;
        assert_eq!(error, (404, json!({ "NotFound": NO_SUCH_ORG })), "{slug}");
    }
    let me = app.call_ok(&stranger, "current_user", &[]).await;
    assert_eq!(me["organizations"], json!([]));
    assert_eq!(me["acting_for"], Value::Null);

    // Once removed, she acts for herself though her browser still names it.
    let ann_text = ann.to_string();
    app.call_ok(
        &owner,
        "remove_member",
        &[("slug", SLUG), ("user_id", &ann_text)],
    )
    .await;
    let me = app.call_ok(&ann_client, "current_user", &[]).await;
    assert_eq!(me["organizations"], json!([]));
    assert_eq!(me["acting_for"], Value::Null);
    assert_eq!(cookie_in(&app, &jar, ACTING_FOR).as_deref(), Some(SLUG));
    let error = failed(
        &app,
        &ann_client,
        "switch_organization",
        &[("slug", SLUG), ("back", "")],
    )
    .await;
    assert_eq!(error, (404, json!({ "NotFound": NO_SUCH_ORG })));
}

/// Grants `credits` from the Lab to `user`'s own account; its id.
async fn grant_user(app: &TestApp, user: Uuid, credits: i64) -> Uuid {
    let mut conn = app.pool.acquire().await.expect("conn");
    let account = ledger::account_for(&mut conn, Owner::User(user))
        .await
        .expect("the user's account");
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

/// (available, reserved) of the account, in micro-credits.
async fn balance_of(app: &TestApp, account: Uuid) -> (i64, i64) {
    sqlx::query_as("select available, reserved from credit_accounts where id = $1")
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .expect("the account")
}

/// Starts a conversation with the published agent `agent` from the
/// playground's form; its id.
async fn start_conversation(app: &TestApp, client: &Client, agent: &str) -> Uuid {
    let id = app
        .call_ok(client, "start_conversation", &[("slug", agent)])
        .await;
    Uuid::parse_str(id.as_str().expect("the conversation's id")).expect("an id")
}

async fn get_conversation(app: &TestApp, client: &Client, id: Uuid) -> Value {
    app.call_ok(client, "get_conversation", &[("id", &id.to_string())])
        .await
}

/// Sends a message in conversation `id` as the page's script does: the
/// status and, for a reply, its events; for a refusal, its JSON error.
async fn reply(app: &TestApp, client: &Client, id: Uuid) -> (u16, Value) {
    let response = crate::playground::stream(
        app,
        client,
        id,
        &[("action", "send"), ("content", "Draft a memo for Acme.")],
    )
    .await;
    let status = response.status().as_u16();
    if status != 200 {
        return (status, response.json().await.expect("a JSON refusal"));
    }
    let all = crate::playground::events(&response.text().await.expect("body"));
    let (name, done) = all.last().expect("events");
    assert_eq!(name, "done", "{all:?}");
    assert_eq!(done["status"], "complete", "{all:?}");
    (status, done.clone())
}

/// Sends a message in conversation `id` as a browser without JavaScript:
/// where it is sent back to.
async fn reply_without_javascript(app: &TestApp, client: &Client, id: Uuid) -> String {
    let response = client
        .post(format!("{}/playground/{id}/messages", app.address))
        .header("origin", &app.address)
        .form(&[("action", "send"), ("content", "Draft a memo for Acme.")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 303);
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// (status, account, key, user, credits) of the conversation's usage
/// records, oldest first.
async fn conversation_usage(app: &TestApp, id: Uuid) -> Vec<(i16, Uuid, Option<Uuid>, Uuid, i64)> {
    sqlx::query_as(
        "select status, account_id, key_id, user_id, credits from usage_records
         where conversation_id = $1 order by created_at, id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .expect("usage")
}

#[sqlx::test(migrations = false)]
async fn a_conversation_billed_to_the_organization_spends_its_pool_within_the_members_budget(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    crate::playground::agent_on(&app, "memo-org", "simulator-chat").await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "UTC").await;
    let pool_account = grant_pool(&app, team, 10).await;
    let (ann, ann_client) = member(&app, &owner, "ann@acme.test", "member").await;
    let own_account = grant_user(&app, ann, 5).await;
    let (_, rival) = person(&app, "rival@globex.test").await;
    create_org(&app, &rival, "globex", "UTC").await;

    // Acting for herself, a conversation spends her own credit.
    let personal = start_conversation(&app, &ann_client, "memo-org").await;
    let view = get_conversation(&app, &ann_client, personal).await;
    assert_eq!(view["bill_to"], Value::Null, "{view}");
    assert_eq!(
        view["bill_choices"],
        json!([{"slug": SLUG, "name": "Acme Labs", "course": false}])
    );

    // Acting for the organization, a new one bills its pool.
    app.call_ok(
        &ann_client,
        "switch_organization",
        &[("slug", SLUG), ("back", "")],
    )
    .await;
    let id = start_conversation(&app, &ann_client, "memo-org").await;
    let view = get_conversation(&app, &ann_client, id).await;
    assert_eq!(
        view["bill_to"],
        json!({"slug": SLUG, "name": "Acme Labs", "course": false})
    );
    let billed: Option<Uuid> =
        sqlx::query_scalar("select bill_to from conversations where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("the conversation");
    assert_eq!(billed, Some(team));

    // Billing is changed to her own credit and back; never to a team she is
    // not in, nor for a conversation that is not hers.
    let id_text = id.to_string();
    app.call_ok(
        &ann_client,
        "bill_conversation",
        &[("id", &id_text), ("bill_to", "")],
    )
    .await;
    assert_eq!(
        get_conversation(&app, &ann_client, id).await["bill_to"],
        Value::Null
    );
    let error = failed(
        &app,
        &ann_client,
        "bill_conversation",
        &[("id", &id_text), ("bill_to", "globex")],
    )
    .await;
    assert_eq!(invalid_fields(&error), vec!["bill_to"]);
    assert_eq!(
        get_conversation(&app, &ann_client, id).await["bill_to"],
        Value::Null
    );
    for unknown in [Uuid::now_v7().to_string(), "not-an-id".to_owned()] {
        let error = failed(
            &app,
            &ann_client,
            "bill_conversation",
            &[("id", &unknown), ("bill_to", SLUG)],
        )
        .await;
        assert_eq!(error.0, 404, "{unknown}: {}", error.1);
    }
    let error = failed(
        &app,
        &rival,
        "bill_conversation",
        &[("id", &id_text), ("bill_to", "globex")],
    )
    .await;
    assert_eq!(error.0, 404, "someone else's conversation: {}", error.1);
    app.call_ok(
        &ann_client,
        "bill_conversation",
        &[("id", &id_text), ("bill_to", SLUG)],
    )
    .await;
    let view = get_conversation(&app, &ann_client, id).await;
    assert_eq!(
        view["bill_to"],
        json!({"slug": SLUG, "name": "Acme Labs", "course": false})
    );

    // A hundredth of a credit a day: a few replies.
    let ann_text = ann.to_string();
    app.call_ok(
        &owner,
        "set_member_budget",
        &[
            ("slug", SLUG),
            ("user_id", &ann_text),
            ("amount", "0.01"),
            ("period", "day"),
        ],
    )
    .await;
    let mut served = 0;
    let refusal = loop {
        assert!(served < 50, "the budget never refused");
        let (status, body) = reply(&app, &ann_client, id).await;
        let (available, _) = balance_of(&app, pool_account).await;
        assert!(available >= 0, "the pool went negative: {available}");
        if status == 200 {
            served += 1;
            continue;
        }
        break (status, body);
    };
    assert!(served > 0, "the budget allowed no reply at all");
    let (status, body) = refusal;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"]["code"], "budget", "{body}");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains("daily budget"), "{message}");
    assert!(message.contains("resets at"), "{message}");
    // Without JavaScript: back to the conversation, told why.
    assert_eq!(
        reply_without_javascript(&app, &ann_client, id).await,
        format!("/playground/{id}?notice=budget")
    );

    // Every reply was paid by the pool, without a key, as hers.
    let records = conversation_usage(&app, id).await;
    let paid: Vec<_> = records.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(paid.len(), served, "{records:?}");
    assert!(
        paid.iter()
            .all(|r| (r.1, r.2, r.3) == (pool_account, None, ann) && r.4 > 0),
        "{records:?}"
    );
    assert!(
        records
            .iter()
            .filter(|r| r.0 != 200)
            .all(|r| r.0 == 402 && r.4 == 0),
        "{records:?}"
    );
    let used: i64 = paid.iter().map(|r| r.4).sum();
    assert!(used > 0 && used <= 10_000, "within her budget: {used}");
    leases_returned(&app, pool_account).await;
    assert_eq!(balance_of(&app, pool_account).await, (10_000_000 - used, 0));
    assert_eq!(
        balance_of(&app, own_account).await,
        (5_000_000, 0),
        "her own credit is untouched"
    );
    let (period_spent, period_held): (i64, i64) = sqlx::query_as(
        "select spent, held from member_budget_periods where team_id = $1 and user_id = $2",
    )
    .bind(team)
    .bind(ann)
    .fetch_one(&app.pool)
    .await
    .expect("her budget's period");
    assert_eq!((period_spent, period_held), (used, 0));
    let org = get_org(&app, &owner).await;
    assert_eq!(member_in(&org, ann)["spent"], used);
    let view = get_conversation(&app, &ann_client, id).await;
    assert_eq!(
        view["balance"],
        app::format::credits(Credits::from_micros(10_000_000 - used)),
        "the conversation shows the pool's balance"
    );

    // Once removed from the organization, its pool pays nothing more.
    app.call_ok(
        &owner,
        "remove_member",
        &[("slug", SLUG), ("user_id", &ann_text)],
    )
    .await;
    let (status, body) = reply(&app, &ann_client, id).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "not-member", "{body}");
    assert_eq!(
        reply_without_javascript(&app, &ann_client, id).await,
        format!("/playground/{id}?notice=not-member")
    );
    leases_returned(&app, pool_account).await;
    assert_eq!(balance_of(&app, pool_account).await, (10_000_000 - used, 0));
    let view = get_conversation(&app, &ann_client, id).await;
    assert_eq!(view["bill_choices"], json!([]));
    let error = failed(
        &app,
        &ann_client,
        "bill_conversation",
        &[("id", &id_text), ("bill_to", SLUG)],
    )
    .await;
    assert_eq!(invalid_fields(&error), vec!["bill_to"]);
    // Her browser still names the organization, but a new conversation
    // spends her own credit.
    let after = start_conversation(&app, &ann_client, "memo-org").await;
    assert_eq!(
        get_conversation(&app, &ann_client, after).await["bill_to"],
        Value::Null
    );

    // Billed to herself again, the conversation goes on with her credit.
    app.call_ok(
        &ann_client,
        "bill_conversation",
        &[("id", &id_text), ("bill_to", "")],
    )
    .await;
    let (status, body) = reply(&app, &ann_client, id).await;
    assert_eq!(status, 200, "{body}");
    let records = conversation_usage(&app, id).await;
    let last = records.last().expect("the reply's record");
    assert_eq!((last.0, last.1, last.2), (200, own_account, None));
    leases_returned(&app, own_account).await;
    assert_eq!(balance_of(&app, own_account).await, (5_000_000 - last.4, 0));
    assert_eq!(balance_of(&app, pool_account).await, (10_000_000 - used, 0));
    verify_ledger(&app).await;
}

#[sqlx::test(migrations = false)]
async fn a_member_removed_during_a_conversation_billed_to_the_organization_is_refused_at_once(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    crate::playground::agent_on(&app, "memo-org", "simulator-chat").await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "UTC").await;
    let pool_account = grant_pool(&app, team, 10).await;
    // No budget: nothing but membership limits what she spends.
    let (bob, bob_client) = member(&app, &owner, "bob@acme.test", "member").await;
    app.call_ok(
        &bob_client,
        "switch_organization",
        &[("slug", SLUG), ("back", "")],
    )
    .await;
    let id = start_conversation(&app, &bob_client, "memo-org").await;
    let (status, body) = reply(&app, &bob_client, id).await;
    assert_eq!(status, 200, "{body}");

    let bob_text = bob.to_string();
    app.call_ok(
        &owner,
        "remove_member",
        &[("slug", SLUG), ("user_id", &bob_text)],
    )
    .await;
    let (status, body) = reply(&app, &bob_client, id).await;
    assert_eq!(status, 403, "the pool pays nothing more: {body}");
    assert_eq!(body["error"]["code"], "not-member", "{body}");
    let paid = conversation_usage(&app, id)
        .await
        .iter()
        .filter(|r| r.0 == 200)
        .count();
    assert_eq!(paid, 1);
    leases_returned(&app, pool_account).await;
    verify_ledger(&app).await;
}
