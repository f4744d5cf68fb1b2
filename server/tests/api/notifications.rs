//! Notifications and organizations' webhooks, over HTTP: what the
//! periodic check fires (once, however many checks run at once), people's
//! choices, the bell, that nobody sees anyone else's, and webhook
//! deliveries to a real receiver — signed, retried, logged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::domain::credits::Credits;
use app::server::ledger::{self, Grant, Memo, Owner};
use app::server::services::notifications::{check, Checked};
use futures_util::stream::{self, StreamExt};
use hmac::{Hmac, Mac};
use reqwest::Client;
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{page, spawn_app, spawn_app_with_private_webhooks, TestApp};
use crate::organizations::{create_org, invitation_token, person};

const SLUG: &str = "acme-labs";

/// Grants `micros` to `owner`'s account, expiring at `expires_at`; the
/// account's id.
async fn grant(
    app: &TestApp,
    owner: Owner,
    micros: i64,
    expires_at: Option<time::OffsetDateTime>,
) -> Uuid {
    let mut conn = app.pool.acquire().await.expect("conn");
    let account = ledger::account_for(&mut conn, owner)
        .await
        .expect("the account");
    drop(conn);
    ledger::grant(
        &app.pool,
        &Grant {
            account,
            amount: Credits::from_micros(micros),
            expires_at,
            memo: Memo {
                idempotency_key: Some(Uuid::new_v4().to_string()),
                ..Memo::default()
            },
        },
    )
    .await
    .expect("grant");
    account
}

/// A key of `client`'s (billed to `bill_to`: "" for their own credit),
/// with `spend_cap` in credits ("" for none); its id and plaintext.
async fn key(app: &TestApp, client: &Client, bill_to: &str, spend_cap: &str) -> (Uuid, String) {
    let created = app
        .call_ok(
            client,
            "create_api_key",
            &[
                ("name", "notified"),
                ("bill_to", bill_to),
                ("spend_cap", spend_cap),
            ],
        )
        .await;
    let id = Uuid::parse_str(created["id"].as_str().expect("id")).expect("a key id");
    (id, created["key"].as_str().expect("the key").to_owned())
}

/// One small chat request with `key`; its status.
async fn chat(app: &TestApp, key: &str) -> u16 {
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
        .status()
        .as_u16()
}

/// Spends with `key`, `at_once` requests at a time, until one is refused
/// for want of credit, cap or budget; how many were served.
async fn spend_until_refused(app: &TestApp, key: &str, at_once: usize) -> usize {
    let mut served = 0;
    for _ in 0..40 {
        let statuses: Vec<u16> = stream::iter(0..at_once)
            .map(|_| chat(app, key))
            .buffer_unordered(at_once)
            .collect()
            .await;
        served += statuses.iter().filter(|s| **s == 200).count();
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 402),
            "{statuses:?}"
        );
        if statuses.contains(&402) {
            return served;
        }
    }
    panic!("nothing refused the requests");
}

/// What `account` has not spent: available, and held by leases less what
/// they charged (charges reach the account's balance when posted).
async fn unspent(app: &TestApp, account: Uuid) -> i64 {
    sqlx::query_scalar(
        "select a.available + a.reserved
                - coalesce((select sum(h.charged - h.posted) from credit_holds h
                            where h.account_id = a.id and h.status = 'open' and h.lease), 0)::bigint
         from credit_accounts a where a.id = $1",
    )
    .bind(account)
    .fetch_one(&app.pool)
    .await
    .expect("the account")
}

/// Spends with `key`, 8 requests at a time, until `account` has less than
/// `micros` left.
async fn spend_below(app: &TestApp, key: &str, account: Uuid, micros: i64) {
    for _ in 0..60 {
        if unspent(app, account).await < micros {
            return;
        }
        let statuses: Vec<u16> = stream::iter(0..8)
            .map(|_| chat(app, key))
            .buffer_unordered(8)
            .collect()
            .await;
        assert!(
            statuses.contains(&200),
            "{statuses:?} with {} left",
            unspent(app, account).await
        );
    }
    panic!("{account} never went below {micros}");
}

/// Runs `runs` checks at the same time; what they fired in all.
async fn checks_at_once(app: &TestApp, runs: usize) -> Checked {
    let results: Vec<Checked> = stream::iter(0..runs)
        .map(|_| async { check(&app.pool).await.expect("check") })
        .buffer_unordered(runs)
        .collect()
        .await;
    results
        .into_iter()
        .fold(Checked::default(), |mut all, one| {
            all += one;
            all
        })
}

/// `(kind, dedupe key, shown in the app)` of `user`'s notifications, oldest first.
async fn stored(app: &TestApp, user: Uuid) -> Vec<(String, String, bool)> {
    sqlx::query_as(
        "select kind, dedupe_key, in_app from notifications where user_id = $1 order by created_at, id",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .expect("notifications")
}

/// How many emails to `email` have a subject like `pattern`.
async fn emails(app: &TestApp, email: &str, pattern: &str) -> i64 {
    sqlx::query_scalar("select count(*) from outbox where recipient = $1 and subject like $2")
        .bind(email)
        .bind(pattern)
        .fetch_one(&app.pool)
        .await
        .expect("outbox")
}

#[sqlx::test(migrations = false)]
async fn a_low_balance_is_told_once_under_concurrent_spending_and_again_after_a_new_grant(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let (ann, browser) = person(&app, "ann@lab.test").await;
    // 0.01 credits, about 150 small requests; told below 10 % of it.
    let account = grant(&app, Owner::User(ann), 10_000, None).await;
    let (_, key) = key(&app, &browser, "", "").await;
    spend_below(&app, &key, account, 1_000).await;

    let fired = checks_at_once(&app, 6).await;
    assert_eq!(fired.notified, 1, "{fired:?}");
    let low: Vec<_> = stored(&app, ann)
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "low_balance")
        .collect();
    assert_eq!(low.len(), 1, "{low:?}");
    assert!(low[0].1.starts_with("low_balance:"), "{low:?}");
    assert_eq!(
        emails(&app, "ann@lab.test", "Your credit balance is low").await,
        1
    );
    // Nothing new on the next rounds.
    assert_eq!(checks_at_once(&app, 3).await.notified, 0);

    // A new grant arms it again: spent down below 10 % of that grant, it is
    // told once more.
    grant(&app, Owner::User(ann), 10_000, None).await;
    assert_eq!(check(&app.pool).await.expect("check").notified, 0);
    spend_below(&app, &key, account, 1_000).await;
    assert_eq!(checks_at_once(&app, 4).await.notified, 1);
    let keys: Vec<String> = stored(&app, ann)
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "low_balance")
        .map(|(_, key, _)| key)
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
    assert_eq!(
        emails(&app, "ann@lab.test", "Your credit balance is low").await,
        2
    );
}

/// Invites `email` as a member of [`SLUG`] (by `owner`) and accepts; their
/// id and browser.
async fn member(app: &TestApp, owner: &Client, email: &str) -> (Uuid, Client) {
    app.call_ok(
        owner,
        "invite_member",
        &[("slug", SLUG), ("email", email), ("role", "member")],
    )
    .await;
    let token = invitation_token(app, email).await;
    let (id, client) = person(app, email).await;
    app.call_ok(&client, "accept_invitation", &[("token", &token)])
        .await;
    (id, client)
}

/// The percentages of `user`'s budget notifications, in the order told.
async fn budget_percents(app: &TestApp, user: Uuid) -> Vec<String> {
    stored(app, user)
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "budget_threshold")
        .map(|(_, key, _)| key.rsplit(':').next().unwrap_or_default().to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_members_budget_is_told_at_50_80_and_100_percent_once_each_per_period(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner_id, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "Asia/Singapore").await;
    grant(&app, Owner::Organization(team), 10_000_000, None).await;
    let (ann, ann_browser) = member(&app, &owner, "ann@acme.test").await;
    let ann_text = ann.to_string();
    app.call_ok(
        &owner,
        "set_member_budget",
        &[
            ("slug", SLUG),
            ("user_id", &ann_text),
            ("amount", "0.005"),
            ("period", "month"),
        ],
    )
    .await;
    // The owner's webhook hears each crossing too (queued by the check).
    app.call_ok(
        &owner,
        "add_org_webhook",
        &[
            ("slug", SLUG),
            ("url", "https://hooks.example.com/lab"),
            ("event_budget_threshold", "on"),
        ],
    )
    .await;
    let (_, key) = key(&app, &ann_browser, SLUG, "").await;

    // One request at a time, checked after each (by two checkers at once).
    // A request reserves about a tenth of this budget, so it is refused
    // past 90 % of it.
    let mut refused = false;
    for _ in 0..200 {
        let status = chat(&app, &key).await;
        assert!(status == 200 || status == 402, "{status}");
        checks_at_once(&app, 2).await;
        if status == 402 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the budget never refused");
    assert_eq!(budget_percents(&app, ann).await, ["50", "80", "100"]);
    assert_eq!(budget_percents(&app, owner_id).await, ["50", "80", "100"]);
    // Each once: more checks, and more refused requests, tell nothing new.
    assert_eq!(chat(&app, &key).await, 402);
    assert_eq!(checks_at_once(&app, 3).await, Checked::default());
    assert_eq!(budget_percents(&app, ann).await.len(), 3);
    // Once per period: the period's first instant is in the key.
    let (_, key_text, _) = stored(&app, ann)
        .await
        .into_iter()
        .find(|(kind, _, _)| kind == "budget_threshold")
        .expect("a budget notification");
    let period_start: i64 = sqlx::query_scalar(
        "select extract(epoch from period_start)::bigint from member_budget_periods
         where team_id = $1 and user_id = $2",
    )
    .bind(team)
    .bind(ann)
    .fetch_one(&app.pool)
    .await
    .expect("the period");
    assert_eq!(
        key_text,
        format!("budget:{team}:{ann}:{period_start}:50"),
        "{key_text}"
    );
    assert_eq!(
        emails(&app, "owner@acme.test", "% of their budget in Acme Labs").await,
        3
    );
    let deliveries: Vec<(String, Value)> =
        sqlx::query_as("select event, payload from webhook_deliveries order by created_at")
            .fetch_all(&app.pool)
            .await
            .expect("deliveries");
    let percents: Vec<&Value> = deliveries
        .iter()
        .map(|(event, payload)| {
            assert_eq!(event, "budget.threshold");
            assert_eq!(payload["organization"]["slug"], SLUG);
            assert_eq!(payload["data"]["member"]["id"], json!(ann));
            &payload["data"]["percent"]
        })
        .collect();
    assert_eq!(percents, [&json!(50), &json!(80), &json!(100)]);

    // A new period starts over. The budget is raised so requests go
    // through again, and the clock moved into the next month, where Ann
    // has spent 60 % and then 85 % of it: 50 and 80 are told again, under
    // the new period's key.
    app.call_ok(
        &owner,
        "set_member_budget",
        &[
            ("slug", SLUG),
            ("user_id", &ann_text),
            ("amount", "0.1"),
            ("period", "month"),
        ],
    )
    .await;
    let later = {
        let at = time::OffsetDateTime::from_unix_timestamp(period_start).expect("the start")
            + time::Duration::days(40);
        let at = at
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a time");
        let options = (*app.pool.connect_options())
            .clone()
            .options([("lab.now", at.as_str())]);
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_lazy_with(options)
    };
    let next_start: i64 = sqlx::query_scalar(
        "select extract(epoch from budget_period_start('month', 'Asia/Singapore', lab_now()))::bigint",
    )
    .fetch_one(&later)
    .await
    .expect("the next period");
    assert!(next_start > period_start, "{next_start} <= {period_start}");
    for spent in [60_000_i64, 85_000] {
        sqlx::query(
            "insert into member_budget_periods (team_id, user_id, period_start, spent)
             values ($1, $2, to_timestamp($3), $4)
             on conflict (team_id, user_id, period_start) do update set spent = excluded.spent",
        )
        .bind(team)
        .bind(ann)
        .bind(next_start as f64)
        .bind(spent)
        .execute(&app.pool)
        .await
        .expect("the next period's spending");
        assert_eq!(chat(&app, &key).await, 200);
        check(&later).await.expect("check");
        check(&later).await.expect("check");
    }
    assert_eq!(
        budget_percents(&app, ann).await,
        ["50", "80", "100", "50", "80"]
    );
    let newest = stored(&app, ann)
        .await
        .into_iter()
        .rfind(|(kind, _, _)| kind == "budget_threshold")
        .expect("a budget notification");
    assert_eq!(newest.1, format!("budget:{team}:{ann}:{next_start}:80"));
    assert_eq!(budget_percents(&app, owner_id).await.len(), 5);
}

#[sqlx::test(migrations = false)]
async fn a_key_that_spends_its_cap_is_told_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (bob, browser) = person(&app, "bob@lab.test").await;
    grant(&app, Owner::User(bob), 1_000_000, None).await;
    let (key_id, key) = key(&app, &browser, "", "0.0005").await;
    spend_until_refused(&app, &key, 4).await;
    let fired = checks_at_once(&app, 4).await;
    assert_eq!(fired.notified, 1, "{fired:?}");
    assert_eq!(
        stored(&app, bob).await,
        [(
            "key_cap_reached".to_owned(),
            format!("key_cap:{key_id}:500"),
            true
        )]
    );
    assert_eq!(check(&app.pool).await.expect("check").notified, 0);
}

#[sqlx::test(migrations = false)]
async fn credit_expiring_within_a_week_is_told_once_per_lot_as_each_person_chose(pool: PgPool) {
    let app = spawn_app(pool).await;
    let now = time::OffsetDateTime::now_utc();
    // Ann keeps the defaults; Bob wants it in the app only; Cy not at all.
    let (ann, _) = person(&app, "ann@lab.test").await;
    let (bob, bob_browser) = person(&app, "bob@lab.test").await;
    let (cy, cy_browser) = person(&app, "cy@lab.test").await;
    let everything_but = |kind: &'static str, keep_in_app: bool| {
        let mut form: Vec<(String, String)> = app::domain::notifications::NotificationKind::ALL
            .into_iter()
            .flat_map(|k| {
                [
                    (format!("{}_in_app", k.as_str()), "on".to_owned()),
                    (format!("{}_email", k.as_str()), "on".to_owned()),
                ]
            })
            .filter(|(name, _)| {
                !name.starts_with(kind) || (keep_in_app && name.ends_with("_in_app"))
            })
            .collect();
        form.push(("low_balance_threshold".to_owned(), String::new()));
        form
    };
    for (browser, form) in [
        (&bob_browser, everything_but("credits_expiring", true)),
        (&cy_browser, everything_but("credits_expiring", false)),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        app.call_ok(browser, "save_notification_settings", &form)
            .await;
    }
    let settings = app.call_ok(&cy_browser, "notification_settings", &[]).await;
    let expiring = settings["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "credits_expiring")
        .expect("the kind");
    assert_eq!(
        (&expiring["in_app"], &expiring["email"]),
        (&json!(false), &json!(false))
    );

    for user in [ann, bob, cy] {
        grant(
            &app,
            Owner::User(user),
            5_000_000,
            Some(now + time::Duration::days(3)),
        )
        .await;
        // A month away: not yet.
        grant(
            &app,
            Owner::User(user),
            5_000_000,
            Some(now + time::Duration::days(30)),
        )
        .await;
    }
    let fired = checks_at_once(&app, 3).await;
    assert_eq!(fired.notified, 3, "{fired:?}");
    assert_eq!(check(&app.pool).await.expect("check").notified, 0);
    for (user, shown) in [(ann, true), (bob, true), (cy, false)] {
        let all = stored(&app, user).await;
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].0, "credits_expiring");
        assert_eq!(all[0].2, shown);
    }
    assert_eq!(
        emails(&app, "ann@lab.test", "%credits expire soon").await,
        1
    );
    assert_eq!(
        emails(&app, "bob@lab.test", "%credits expire soon").await,
        0
    );
    assert_eq!(emails(&app, "cy@lab.test", "%credits expire soon").await, 0);
    // Cy sees none of it, not even in the count.
    let cy_list = app.call_ok(&cy_browser, "my_notifications", &[]).await;
    assert_eq!(cy_list["notifications"]["total"], 0);
    assert_eq!(
        app.call_ok(&cy_browser, "unread_notifications", &[]).await,
        json!(0)
    );
    // A threshold that does not parse is the field's error.
    let response = app
        .call(
            &cy_browser,
            "save_notification_settings",
            &[("low_balance_threshold", "lots")],
        )
        .await;
    let (status, body) = TestApp::error_of(response).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Validation"][0]["field"], "low_balance_threshold");
}

#[sqlx::test(migrations = false)]
async fn the_bell_counts_and_nobody_opens_anyone_elses_notifications(pool: PgPool) {
    let app = spawn_app(pool).await;
    let now = time::OffsetDateTime::now_utc();
    let (ann, ann_browser) = person(&app, "ann@lab.test").await;
    let (_, bob_browser) = person(&app, "bob@lab.test").await;
    for days in [2, 3] {
        grant(
            &app,
            Owner::User(ann),
            1_000_000,
            Some(now + time::Duration::days(days)),
        )
        .await;
    }
    assert_eq!(check(&app.pool).await.expect("check").notified, 2);

    let html = page(&app, &ann_browser, "/dashboard")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        html.contains(r#"aria-label="Notifications, 2 unread""#),
        "{html}"
    );
    let bob_html = page(&app, &bob_browser, "/dashboard")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        bob_html.contains(r#"aria-label="Notifications""#),
        "{bob_html}"
    );

    let list = app.call_ok(&ann_browser, "my_notifications", &[]).await;
    assert_eq!(list["unread"], 2);
    let items = list["notifications"]["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let id = items[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(items[0]["link"], "/credits");
    let listed = page(&app, &ann_browser, "/notifications")
        .await
        .text()
        .await
        .expect("page");
    assert!(listed.contains("of your credits expire soon"), "{listed}");
    assert!(listed.contains("Mark all read"), "{listed}");

    // Bob cannot open, or even see, Ann's: by id too.
    let (status, body) = TestApp::error_of(
        app.call(&bob_browser, "open_notification", &[("id", &id)])
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (404, json!({"NotFound": "There is no such notification."}))
    );
    let bob_page = page(&app, &bob_browser, &format!("/notifications/{id}")).await;
    assert_eq!(bob_page.status(), 404);
    let bob_list = app.call_ok(&bob_browser, "my_notifications", &[]).await;
    assert_eq!(bob_list["notifications"]["total"], 0);
    assert_eq!(list_unread(&app, &ann_browser).await, 2);

    // Ann opens one from its page: read, and on to where it leads.
    let opened = page(&app, &ann_browser, &format!("/notifications/{id}")).await;
    assert_eq!(opened.status(), 303);
    assert_eq!(
        opened
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok()),
        Some("/credits")
    );
    assert_eq!(list_unread(&app, &ann_browser).await, 1);
    let html = page(&app, &ann_browser, "/dashboard")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        html.contains(r#"aria-label="Notifications, 1 unread""#),
        "{html}"
    );

    // "Mark all read", as a form without JavaScript.
    let marked = ann_browser
        .post(format!("{}/api/mark_all_notifications_read", app.address))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .form(&Vec::<(String, String)>::new())
        .send()
        .await
        .expect("request");
    assert_eq!(marked.status(), 302);
    assert_eq!(marked.headers()["location"], "/notifications?done=read");
    assert_eq!(list_unread(&app, &ann_browser).await, 0);
    let empty = page(&app, &bob_browser, "/notifications")
        .await
        .text()
        .await
        .expect("page");
    assert!(empty.contains("No notifications yet"), "{empty}");
}

async fn list_unread(app: &TestApp, client: &Client) -> i64 {
    app.call_ok(client, "unread_notifications", &[])
        .await
        .as_i64()
        .expect("a count")
}

/// What the receiver was sent: headers and body of each request.
type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// An HTTP receiver on 127.0.0.1 that records every request and answers
/// 500 the first time, 200 after; its URL and what it received.
async fn receiver() -> (String, Received) {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    let received: Received = Arc::default();
    let router = axum::Router::new()
        .route(
            "/hooks/lab",
            axum::routing::post(
                |State(received): State<Received>, headers: HeaderMap, body: String| async move {
                    let mut all = received.lock().expect("lock");
                    all.push((headers, body));
                    if all.len() == 1 {
                        (StatusCode::INTERNAL_SERVER_ERROR, "not ready yet")
                    } else {
                        (StatusCode::OK, "thanks")
                    }
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}/hooks/lab"), received)
}

/// Runs delivery passes (the server's own may run meanwhile) until the
/// receiver has `count` requests.
async fn delivered(app: &TestApp, received: &Received, count: usize) {
    for _ in 0..100 {
        if received.lock().expect("lock").len() >= count {
            return;
        }
        lab_portal::webhooks::deliver_due(&app.pool)
            .await
            .expect("a delivery pass");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the receiver never got {count} requests");
}

fn header<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("the {name} header"))
}

/// Checks `X-Lab-Signature` as a receiver would, with the secret it was shown.
fn verify_signature(secret: &str, headers: &axum::http::HeaderMap, body: &str) {
    let signature = header(headers, "x-lab-signature");
    let (t, v1) = signature
        .split_once(',')
        .and_then(|(t, v1)| Some((t.strip_prefix("t=")?, v1.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("t=…,v1=…: {signature}"));
    let sent: i64 = t.parse().expect("unix seconds");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - sent).abs() < 300, "{sent} vs {now}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "the signature of {body}");
}

#[sqlx::test(migrations = false)]
async fn a_webhook_delivery_is_signed_retried_after_a_failure_and_logged(pool: PgPool) {
    let app = spawn_app_with_private_webhooks(pool).await;
    let (url, received) = receiver().await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    let team = create_org(&app, &owner, SLUG, "UTC").await;
    let added = app
        .call_ok(
            &owner,
            "add_org_webhook",
            &[("slug", SLUG), ("url", &url), ("event_balance_low", "on")],
        )
        .await;
    let secret = added["secret"].as_str().expect("the secret").to_owned();
    let webhook = added["webhook_id"].as_str().expect("the id").to_owned();
    // Shown once: the page does not show it again.
    let page_view = app.call_ok(&owner, "org_webhooks", &[("slug", SLUG)]).await;
    assert_eq!(page_view["new_secret"], Value::Null);
    assert_eq!(page_view["webhooks"][0]["events"], json!(["balance.low"]));

    app.call_ok(
        &owner,
        "send_org_webhook_test",
        &[("slug", SLUG), ("webhook_id", &webhook)],
    )
    .await;
    delivered(&app, &received, 1).await;
    // The 500 is retried after its back-off, not before.
    let (attempts, next, last_status): (i32, Option<time::OffsetDateTime>, Option<i16>) =
        sqlx::query_as("select attempts, next_attempt_at, last_status from webhook_deliveries")
            .fetch_one(&app.pool)
            .await
            .expect("the delivery");
    assert_eq!((attempts, last_status), (1, Some(500)));
    let wait = next.expect("due again") - time::OffsetDateTime::now_utc();
    assert!(wait > time::Duration::seconds(20), "{wait}");
    lab_portal::webhooks::deliver_due(&app.pool)
        .await
        .expect("a pass");
    assert_eq!(received.lock().expect("lock").len(), 1);
    // Time passes.
    sqlx::query("update webhook_deliveries set next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .expect("moved");
    delivered(&app, &received, 2).await;

    let requests = received.lock().expect("lock").clone();
    assert_eq!(requests.len(), 2);
    for (headers, body) in &requests {
        verify_signature(&secret, headers, body);
        assert_eq!(header(headers, "x-lab-event"), "webhook.test");
        assert_eq!(header(headers, "content-type"), "application/json");
        let payload: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(payload["event"], "webhook.test");
        assert_eq!(payload["organization"]["slug"], SLUG);
        assert_eq!(payload["id"], header(headers, "x-lab-delivery"));
    }
    // A retry is the same delivery.
    assert_eq!(
        header(&requests[0].0, "x-lab-delivery"),
        header(&requests[1].0, "x-lab-delivery")
    );

    // The log shows both answers.
    let log = app.call_ok(&owner, "org_webhooks", &[("slug", SLUG)]).await;
    let delivery = &log["deliveries"][0];
    assert_eq!(delivery["status"], "Delivered");
    assert_eq!(delivery["attempts"], 2);
    let answers: Vec<(Value, Value)> = delivery["attempt_log"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| (a["status"].clone(), a["response"].clone()))
        .collect();
    assert_eq!(
        answers,
        [
            (json!(500), json!("not ready yet")),
            (json!(200), json!("thanks"))
        ]
    );
    let html = page(&app, &owner, "/orgs/acme-labs/webhooks")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        html.contains("not ready yet") && html.contains("thanks"),
        "{html}"
    );

    // A low pool fires `balance.low`, signed the same way.
    let pool_account = grant(&app, Owner::Organization(team), 10_000, None).await;
    let (_, key) = key(&app, &owner, SLUG, "").await;
    spend_below(&app, &key, pool_account, 1_000).await;
    let fired = checks_at_once(&app, 3).await;
    assert_eq!(fired.webhooks, 1, "{fired:?}");
    delivered(&app, &received, 3).await;
    let (headers, body) = received.lock().expect("lock")[2].clone();
    verify_signature(&secret, &headers, &body);
    assert_eq!(header(&headers, "x-lab-event"), "balance.low");
    let payload: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(payload["data"]["last_grant"]["micros"], 10_000);

    // Every change is in the organization's audit trail.
    let audit = app.call_ok(&owner, "org_audit", &[("slug", SLUG)]).await;
    let actions: Vec<&str> = audit["entries"]["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("webhook."))
        .collect();
    assert_eq!(actions, ["webhook.test", "webhook.create"]);
    app.call_ok(
        &owner,
        "set_org_webhook_active",
        &[
            ("slug", SLUG),
            ("webhook_id", &webhook),
            ("active", "false"),
        ],
    )
    .await;
    app.call_ok(
        &owner,
        "delete_org_webhook",
        &[("slug", SLUG), ("webhook_id", &webhook)],
    )
    .await;
    let left: i64 = sqlx::query_scalar("select count(*) from webhook_deliveries")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

#[sqlx::test(migrations = false)]
async fn webhooks_reach_only_public_https_addresses_and_only_owners_manage_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, owner) = person(&app, "owner@acme.test").await;
    create_org(&app, &owner, SLUG, "UTC").await;
    let add = |url: &'static str| {
        let owner = owner.clone();
        let app = &app;
        async move {
            app.call(
                &owner,
                "add_org_webhook",
                &[("slug", SLUG), ("url", url), ("event_balance_low", "on")],
            )
            .await
        }
    };
    let (status, body) = TestApp::error_of(add("http://127.0.0.1:9/hook").await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Validation"][0]["field"], "url");
    assert_eq!(body["Validation"][0]["message"], "Use an https:// URL.");
    let (status, body) = TestApp::error_of(
        app.call(
            &owner,
            "add_org_webhook",
            &[("slug", SLUG), ("url", "https://hooks.example.com/")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &body["Validation"][0]["field"]),
        (422, &json!("events"))
    );

    // An https URL naming a loopback address is taken, and refused when sent
    // (the address is checked as it resolves then).
    for url in ["https://127.0.0.1:9/hook", "https://localhost:9/hook"] {
        let added = add(url).await;
        assert_eq!(added.status(), 200);
        let id: Value = added.json().await.expect("json");
        app.call_ok(
            &owner,
            "send_org_webhook_test",
            &[
                ("slug", SLUG),
                ("webhook_id", id["webhook_id"].as_str().expect("id")),
            ],
        )
        .await;
    }
    lab_portal::webhooks::deliver_due(&app.pool)
        .await
        .expect("a pass");
    let outcomes: Vec<(Option<i16>, Option<String>)> =
        sqlx::query_as("select last_status, last_error from webhook_deliveries")
            .fetch_all(&app.pool)
            .await
            .expect("deliveries");
    assert_eq!(outcomes.len(), 2);
    for (status, error) in outcomes {
        assert_eq!(status, None);
        let error = error.expect("why");
        assert!(error.contains("loopback, private or link-local"), "{error}");
    }

    // Admins and members of the organization are refused; outsiders learn
    // nothing.
    app.call_ok(
        &owner,
        "invite_member",
        &[
            ("slug", SLUG),
            ("email", "ada@acme.test"),
            ("role", "admin"),
        ],
    )
    .await;
    let token = invitation_token(&app, "ada@acme.test").await;
    let (_, ada) = person(&app, "ada@acme.test").await;
    app.call_ok(&ada, "accept_invitation", &[("token", &token)])
        .await;
    let (status, body) =
        TestApp::error_of(app.call(&ada, "org_webhooks", &[("slug", SLUG)]).await).await;
    assert_eq!((status, body), (403, json!("Forbidden")));
    let (_, outsider) = person(&app, "eve@else.test").await;
    let (status, _) =
        TestApp::error_of(app.call(&outsider, "org_webhooks", &[("slug", SLUG)]).await).await;
    assert_eq!(status, 404);
}
