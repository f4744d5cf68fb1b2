//! The periodic check: what spending and time have made worth telling
//! (low balances, credit about to expire, spent key caps, budgets past 50,
//! 80 and 100 %), found from the usage recorded since the last check and
//! from the lots expiring within a week — never on a request's own path.
//!
//! "Once" is the notification's dedupe key (a unique index per person),
//! and a webhook event's key per webhook: checks running at the same time,
//! on one server or several, can each find the same thing, and only the
//! first insert fires.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{notify, Notice};
use crate::domain::credits::Credits;
use crate::domain::notifications::{
    budget_threshold, default_low_balance, NotificationKind, WebhookEvent,
};
use crate::domain::organizations::BudgetPeriod;
use crate::href;
use crate::server::services::webhooks;

/// What one check fired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checked {
    /// Notifications recorded (per person).
    pub notified: u64,
    /// Webhook deliveries queued.
    pub webhooks: u64,
}

impl std::ops::AddAssign for Checked {
    fn add_assign(&mut self, other: Self) {
        self.notified += other.notified;
        self.webhooks += other.webhooks;
    }
}

/// How far back before the last check's start usage is read again: a
/// batch whose transaction began before that start may commit after it,
/// with an older `created_at`. Reading twice is harmless (dedupe keys).
const OVERLAP: &str = "2 minutes";

/// How soon an expiry is told.
const EXPIRING_DAYS: i32 = 7;

/// Runs one check and moves its mark forward. Called by the server's jobs
/// every round; any number may run at once.
#[tracing::instrument(skip_all)]
pub async fn check(pool: &PgPool) -> Result<Checked, sqlx::Error> {
    let (since, started): (OffsetDateTime, OffsetDateTime) = sqlx::query_as(
        "select coalesce((select checked_at from notification_checks where name = 'usage'), now())
                - $1::interval, now()",
    )
    .bind(OVERLAP)
    .fetch_one(pool)
    .await?;
    let activity = recent_activity(pool, since).await?;
    let mut checked = Checked::default();
    checked += low_balances(pool, &activity).await?;
    checked += key_caps(pool, &activity).await?;
    checked += budgets(pool, &activity).await?;
    checked += expiring(pool).await?;
    sqlx::query(
        "insert into notification_checks (name, checked_at) values ('usage', $1)
         on conflict (name) do update
         set checked_at = greatest(notification_checks.checked_at, excluded.checked_at)",
    )
    .bind(started)
    .execute(pool)
    .await?;
    Ok(checked)
}

/// Who spent what since the last check, per account, person and key, with
/// what stands now: the account's balance, the key's cap and the person's
/// budget in the organization paying.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Activity {
    account_id: Uuid,
    user_id: Uuid,
    /// Some request was refused for want of credit, cap or budget.
    refused: bool,
    /// Some request was refused in the member's current budget period (a
    /// refusal of the period before, still among the recent records, says
    /// nothing of the new one).
    refused_this_period: bool,
    owner_kind: String,
    owner_id: Option<Uuid>,
    /// What the account has not spent: available, and held by leases
    /// less what they charged.
    balance: i64,
    key_id: Option<Uuid>,
    key_name: Option<String>,
    spend_cap: Option<i64>,
    key_spent: Option<i64>,
    /// What the key's leases hold for requests in flight (or idle).
    key_held: Option<i64>,
    team_slug: Option<String>,
    team_name: Option<String>,
    member_name: String,
    budget_amount: Option<i64>,
    budget_period: Option<String>,
    /// The budget period's first instant as Unix seconds, `total` for a
    /// budget in total.
    period_key: Option<String>,
    budget_spent: Option<i64>,
    budget_held: Option<i64>,
}

// Leases hold part of a cap or budget ahead of the requests they serve,
// so what is *held* says nothing of what is used: a cap or budget is used
// up when what is *spent* reaches it, or when a request was refused and
// its room (spent and held taken off) is the smallest that could have
// refused it.
impl Activity {
    /// What the key may still take, when it has a cap.
    fn key_room(&self) -> Option<i64> {
        Some(self.spend_cap? - self.key_spent.unwrap_or(0) - self.key_held.unwrap_or(0))
    }

    /// What the member's budget may still take this period, when they
    /// have one.
    fn budget_room(&self) -> Option<i64> {
        Some(self.budget_amount? - self.budget_spent.unwrap_or(0) - self.budget_held.unwrap_or(0))
    }

    /// Whether a refusal was most likely the key's cap: the smallest of
    /// the rooms left is the one a reservation did not fit into.
    fn refused_by_key(&self) -> bool {
        let (Some(cap), Some(key)) = (self.spend_cap, self.key_room()) else {
            return false;
        };
        self.key_spent.unwrap_or(0) >= cap
            || (self.refused && key <= self.balance && self.budget_room().is_none_or(|b| key <= b))
    }

    /// Whether a refusal was most likely the member's budget.
    fn refused_by_budget(&self) -> bool {
        let (Some(amount), Some(budget)) = (self.budget_amount, self.budget_room()) else {
            return false;
        };
        self.budget_spent.unwrap_or(0) >= amount
            || (self.refused_this_period
                && budget <= self.balance
                && self.key_room().is_none_or(|k| budget <= k))
    }
}

async fn recent_activity(
    pool: &PgPool,
    since: OffsetDateTime,
) -> Result<Vec<Activity>, sqlx::Error> {
    sqlx::query_as(
        "with recent as (
             select account_id, user_id, key_id, bool_or(status = 402) as refused,
                    max(created_at) filter (where status = 402) as last_refused
             from usage_records where created_at > $1
             group by account_id, user_id, key_id
         ), unposted as (
             -- Charged on open leases, not yet posted to the account: still
             -- counted in its reserved credit, already spent.
             select account_id, sum(charged - posted)::bigint as unposted from credit_holds
             where status = 'open' and lease and account_id in (select account_id from recent)
             group by account_id
         )
         select r.account_id, r.user_id, r.refused,
                coalesce(r.last_refused >= budget_period_start(m.budget_period, t.time_zone, lab_now()),
                         false) as refused_this_period,
                a.owner_kind, a.owner_id,
                a.available + a.reserved - coalesce(x.unposted, 0) as balance,
                k.id as key_id, k.name as key_name, k.spend_cap, k.spent as key_spent, k.held as key_held,
                t.slug as team_slug, t.name as team_name, u.display_name as member_name,
                m.budget_amount, m.budget_period,
                case when m.budget_period = 'total' then 'total'
                     else extract(epoch from budget_period_start(m.budget_period, t.time_zone, lab_now()))::bigint::text
                end as period_key,
                p.spent as budget_spent, p.held as budget_held
         from recent r
         join credit_accounts a on a.id = r.account_id
         left join unposted x on x.account_id = r.account_id
         join users u on u.id = r.user_id
         left join api_keys k on k.id = r.key_id and k.spend_cap is not null and k.revoked_at is null
         left join teams t on a.owner_kind = 'organization' and t.id = a.owner_id
         left join team_members m on m.team_id = t.id and m.user_id = r.user_id
                                 and m.budget_amount is not null and m.budget_amount > 0
         left join member_budget_periods p on p.team_id = m.team_id and p.user_id = m.user_id
              and p.period_start = budget_period_start(m.budget_period, t.time_zone, lab_now())",
    )
    .bind(since)
    .fetch_all(pool)
    .await
}

fn credits(micros: i64) -> String {
    crate::format::credits(Credits::from_micros(micros))
}

/// The owners of the organization `team_id`.
async fn owners(pool: &PgPool, team_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select user_id from team_members where team_id = $1 and role = 'owner' order by user_id",
    )
    .bind(team_id)
    .fetch_all(pool)
    .await
}

/// An account's last incoming credit: the ledger transaction that made
/// its newest lots, and how much it brought.
#[derive(Debug, Clone, sqlx::FromRow)]
struct LastGrant {
    transaction_id: Uuid,
    amount: i64,
    threshold: Option<i64>,
}

async fn last_grant(
    pool: &PgPool,
    account: Uuid,
    user: Option<Uuid>,
) -> Result<Option<LastGrant>, sqlx::Error> {
    sqlx::query_as(
        "with last as (
             select transaction_id from credit_lots where account_id = $1
             order by created_at desc, id desc limit 1
         )
         select last.transaction_id,
                (select sum(original) from credit_lots l
                 where l.account_id = $1 and l.transaction_id = last.transaction_id)::bigint as amount,
                (select low_balance_threshold from notification_settings where user_id = $2) as threshold
         from last",
    )
    .bind(account)
    .bind(user)
    .fetch_optional(pool)
    .await
}

/// Balances below their threshold (a person's own, else 10 % of the last
/// grant), once per last grant: a new grant arms it again.
async fn low_balances(pool: &PgPool, activity: &[Activity]) -> Result<Checked, sqlx::Error> {
    let mut seen = HashSet::new();
    let mut checked = Checked::default();
    for row in activity {
        if !seen.insert(row.account_id) {
            continue;
        }
        let Some(owner) = row.owner_id else { continue };
        let person = (row.owner_kind == "user").then_some(owner);
        if person.is_none() && row.owner_kind != "organization" {
            continue;
        }
        let Some(grant) = last_grant(pool, row.account_id, person).await? else {
            continue;
        };
        let threshold = grant
            .threshold
            .unwrap_or_else(|| default_low_balance(grant.amount));
        if row.balance >= threshold {
            continue;
        }
        let key = format!("low_balance:{}", grant.transaction_id);
        let mut tx = pool.begin().await?;
        if let Some(user) = person {
            let notice = Notice {
                user_id: user,
                kind: NotificationKind::LowBalance,
                dedupe_key: key,
                title: "Your credit balance is low".to_owned(),
                body: format!(
                    "You have {} credits left, below your threshold of {} credits. Requests are refused once nothing is left.",
                    credits(row.balance),
                    credits(threshold)
                ),
                link: href::credits().to_owned(),
            };
            checked.notified += u64::from(notify(&mut tx, &notice).await?);
        } else {
            let (slug, name) = (
                row.team_slug.clone().unwrap_or_default(),
                row.team_name.clone().unwrap_or_default(),
            );
            for user in owners(pool, owner).await? {
                let notice = Notice {
                    user_id: user,
                    kind: NotificationKind::LowBalance,
                    dedupe_key: key.clone(),
                    title: format!("{name} is low on credit"),
                    body: format!(
                        "The pool of {name} has {} credits left, below 10 % of the last credit it received ({} credits). Members' requests are refused once nothing is left.",
                        credits(row.balance),
                        credits(grant.amount)
                    ),
                    link: href::organization(&slug),
                };
                checked.notified += u64::from(notify(&mut tx, &notice).await?);
            }
            checked.webhooks += webhooks::enqueue(
                &mut tx,
                owner,
                WebhookEvent::BalanceLow,
                &format!("balance.low:{}", grant.transaction_id),
                json!({
                    "balance": credits_json(row.balance),
                    "threshold": credits_json(threshold),
                    "last_grant": credits_json(grant.amount),
                }),
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(checked)
}

/// An amount for a webhook's body: micro-credits exactly, and credits as
/// people read them.
fn credits_json(micros: i64) -> serde_json::Value {
    json!({ "micros": micros, "credits": crate::format::credits_plain(Credits::from_micros(micros)) })
}

/// Keys whose spend cap is used up (or refused a request for it), once
/// per key and cap: raising the cap arms it again.
async fn key_caps(pool: &PgPool, activity: &[Activity]) -> Result<Checked, sqlx::Error> {
    let mut seen = HashSet::new();
    let mut checked = Checked::default();
    for row in activity {
        let (Some(key), Some(cap)) = (row.key_id, row.spend_cap) else {
            continue;
        };
        if !row.refused_by_key() || !seen.insert(key) {
            continue;
        }
        let name = row.key_name.clone().unwrap_or_default();
        let notice = Notice {
            user_id: row.user_id,
            kind: NotificationKind::KeyCapReached,
            dedupe_key: format!("key_cap:{key}:{cap}"),
            title: format!("Your key “{name}” reached its spend cap"),
            body: format!(
                "The API key “{name}” has used its cap of {} credits: requests with it are refused until the cap is raised.",
                credits(cap)
            ),
            link: href::keys().to_owned(),
        };
        let mut conn = pool.acquire().await?;
        checked.notified += u64::from(notify(&mut conn, &notice).await?);
    }
    Ok(checked)
}

/// Members' budgets past 50, 80 and 100 % of a period: the member and the
/// organization's owners are told, once per threshold and period, and
/// the organization's webhooks get `budget.threshold`.
async fn budgets(pool: &PgPool, activity: &[Activity]) -> Result<Checked, sqlx::Error> {
    // A member may have spent through several keys: the highest threshold
    // any of their rows shows is theirs.
    let mut reached: HashMap<(Uuid, Uuid), (i64, &Activity)> = HashMap::new();
    for row in activity {
        let (Some(team), Some(budget)) = (row.owner_id, row.budget_amount) else {
            continue;
        };
        if row.owner_kind != "organization" || row.period_key.is_none() {
            continue;
        }
        // A budget whose request was refused for it is used up even if
        // what is spent falls short of it by less than a request costs.
        let percent = if row.refused_by_budget() {
            Some(100)
        } else {
            budget_threshold(row.budget_spent.unwrap_or(0), budget)
        };
        let Some(percent) = percent else { continue };
        let entry = reached.entry((team, row.user_id)).or_insert((percent, row));
        if percent > entry.0 {
            *entry = (percent, row);
        }
    }
    let mut checked = Checked::default();
    for ((team, user), (percent, row)) in reached {
        let period_key = row.period_key.as_deref().unwrap_or_default();
        let key = format!("budget:{team}:{user}:{period_key}:{percent}");
        checked += budget_crossed(pool, row, team, percent, &key).await?;
    }
    Ok(checked)
}

async fn budget_crossed(
    pool: &PgPool,
    row: &Activity,
    team: Uuid,
    percent: i64,
    key: &str,
) -> Result<Checked, sqlx::Error> {
    let mut checked = Checked::default();
    let budget = row.budget_amount.unwrap_or(0);
    let spent = row.budget_spent.unwrap_or(0);
    let slug = row.team_slug.clone().unwrap_or_default();
    let org = row.team_name.clone().unwrap_or_default();
    let period = row
        .budget_period
        .as_deref()
        .and_then(BudgetPeriod::parse)
        .map_or("", BudgetPeriod::label);
    let amounts = format!("{} of {} credits {period}", credits(spent), credits(budget));
    let mut recipients = vec![row.user_id];
    recipients.extend(
        owners(pool, team)
            .await?
            .into_iter()
            .filter(|o| *o != row.user_id),
    );
    let mut tx = pool.begin().await?;
    for user in recipients {
        let (title, body) = if user == row.user_id {
            (
                format!("You have used {percent} % of your budget in {org}"),
                format!("You have spent {amounts} in {org}. At 100 % your requests billed to it are refused until the budget starts again or is raised."),
            )
        } else {
            (
                format!(
                    "{} has used {percent} % of their budget in {org}",
                    row.member_name
                ),
                format!("{} has spent {amounts} in {org}.", row.member_name),
            )
        };
        let notice = Notice {
            user_id: user,
            kind: NotificationKind::BudgetThreshold,
            dedupe_key: key.to_owned(),
            title,
            body,
            link: href::organization(&slug),
        };
        checked.notified += u64::from(notify(&mut tx, &notice).await?);
    }
    checked.webhooks += webhooks::enqueue(
        &mut tx,
        team,
        WebhookEvent::BudgetThreshold,
        key,
        json!({
            "member": { "id": row.user_id, "name": row.member_name },
            "percent": percent,
            "period": row.budget_period,
            "budget": credits_json(budget),
            "spent": credits_json(spent),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(checked)
}

/// A lot of granted credit expiring soon, with someone to tell.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Expiring {
    lot_id: Uuid,
    remaining: i64,
    expires_at: OffsetDateTime,
    user_id: Uuid,
    team_slug: Option<String>,
    team_name: Option<String>,
}

/// Lots with credit left that expire within [`EXPIRING_DAYS`], once per
/// lot and person (a person's own, and an organization's pool to its
/// owners). Those already told are skipped by the unique index.
async fn expiring(pool: &PgPool) -> Result<Checked, sqlx::Error> {
    let lots: Vec<Expiring> = sqlx::query_as(
        "select l.id as lot_id, l.remaining, l.expires_at, r.user_id,
                t.slug as team_slug, t.name as team_name
         from credit_lots l
         join credit_accounts a on a.id = l.account_id
         left join teams t on a.owner_kind = 'organization' and t.id = a.owner_id
         cross join lateral (
             select a.owner_id as user_id where a.owner_kind = 'user'
             union all
             select o.user_id from team_members o
             where a.owner_kind = 'organization' and o.team_id = a.owner_id and o.role = 'owner'
         ) r
         where l.expires_at > lab_now() and l.expires_at <= lab_now() + make_interval(days => $1)
           and l.remaining > 0
           and not exists (select 1 from notifications n
                           where n.user_id = r.user_id and n.dedupe_key = 'credits_expiring:' || l.id::text)
         order by l.expires_at limit 1000",
    )
    .bind(EXPIRING_DAYS)
    .fetch_all(pool)
    .await?;
    let mut checked = Checked::default();
    for lot in lots {
        let day = crate::format::time(lot.expires_at);
        let amount = credits(lot.remaining);
        let (title, body, link) = match (&lot.team_slug, &lot.team_name) {
            (Some(slug), Some(name)) => (
                format!("{amount} credits of {name} expire soon"),
                format!("{amount} credits in the pool of {name} expire at {day}. What is not spent by then goes back to the Lab."),
                href::organization(slug),
            ),
            _ => (
                format!("{amount} of your credits expire soon"),
                format!("{amount} credits granted to you expire at {day}. What you have not spent by then goes back to the Lab."),
                href::credits().to_owned(),
            ),
        };
        let notice = Notice {
            user_id: lot.user_id,
            kind: NotificationKind::CreditsExpiring,
            dedupe_key: format!("credits_expiring:{}", lot.lot_id),
            title,
            body,
            link,
        };
        let mut conn = pool.acquire().await?;
        checked.notified += u64::from(notify(&mut conn, &notice).await?);
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity() -> Activity {
        Activity {
            account_id: Uuid::nil(),
            user_id: Uuid::nil(),
            refused: false,
            refused_this_period: false,
            owner_kind: "organization".to_owned(),
            owner_id: Some(Uuid::nil()),
            balance: 1_000,
            key_id: None,
            key_name: None,
            spend_cap: None,
            key_spent: None,
            key_held: None,
            team_slug: None,
            team_name: None,
            member_name: String::new(),
            budget_amount: None,
            budget_period: None,
            period_key: None,
            budget_spent: None,
            budget_held: None,
        }
    }

    #[test]
    fn a_refusal_is_put_down_to_the_smallest_room_left() {
        let mut row = Activity {
            refused: true,
            refused_this_period: true,
            key_id: Some(Uuid::nil()),
            spend_cap: Some(100),
            key_spent: Some(90),
            key_held: Some(5),
            budget_amount: Some(500),
            budget_spent: Some(100),
            ..activity()
        };
        assert!(row.refused_by_key() && !row.refused_by_budget());
        row.key_spent = Some(0);
        row.key_held = Some(0);
        row.budget_spent = Some(490);
        assert!(!row.refused_by_key() && row.refused_by_budget());
        // Refused in the period before: nothing of this one.
        row.refused_this_period = false;
        assert!(!row.refused_by_budget());
        row.refused_this_period = true;
        // The pool itself ran dry: neither the key nor the budget.
        row.balance = 1;
        assert!(!row.refused_by_key() && !row.refused_by_budget());
    }

    #[test]
    fn a_spent_cap_counts_without_a_refusal_and_a_held_one_does_not() {
        let mut row = Activity {
            key_id: Some(Uuid::nil()),
            spend_cap: Some(100),
            key_spent: Some(10),
            key_held: Some(90),
            budget_amount: Some(50),
            budget_spent: Some(5),
            budget_held: Some(45),
            ..activity()
        };
        assert!(!row.refused_by_key() && !row.refused_by_budget());
        row.key_spent = Some(100);
        row.budget_spent = Some(50);
        assert!(row.refused_by_key() && row.refused_by_budget());
    }
}
