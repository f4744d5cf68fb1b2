//! Notifications: recording one for a person (once per dedupe key) with
//! its email through the outbox when they want it, the list and the
//! bell's count, preferences, and the periodic check that finds what to
//! tell ([`check`]).

mod check;

use std::sync::RwLock;

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::notifications::NotificationKind;
use crate::domain::paging::limit_offset;
use crate::server::services::outbox::{self, OutgoingEmail};

pub use check::{check, Checked};

/// Something to tell one person.
#[derive(Debug, Clone)]
pub struct Notice {
    pub user_id: Uuid,
    pub kind: NotificationKind,
    /// Makes "once" hold: a second notice with the same key for the same
    /// person is dropped (`low_balance:<grant id>`, `support_reply:<id>`, …).
    pub dedupe_key: String,
    pub title: String,
    pub body: String,
    /// The portal path it is about, like `/support/12`.
    pub link: String,
}

/// Longest title and body kept, in characters (the table's checks).
const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 2000;

/// The origin emails link to when there is no request to read it from
/// (the periodic check); set once at start-up.
static ORIGIN: RwLock<String> = RwLock::new(String::new());

/// Sets the origin emails sent outside a request link to.
pub fn set_origin(origin: &str) {
    if let Ok(mut slot) = ORIGIN.write() {
        origin.trim_end_matches('/').clone_into(&mut slot);
    }
}

/// The origin to put in front of a link: the request's when there is one,
/// else the one set at start-up.
fn origin() -> String {
    if let Some(state) = leptos::prelude::use_context::<crate::server::AppState>() {
        return crate::server::origin(&state);
    }
    ORIGIN.read().map(|o| o.clone()).unwrap_or_default()
}

/// A path of the portal, or the notifications page for anything else (a
/// full URL would make the bell a way to send people elsewhere).
fn portal_path(link: &str) -> &str {
    let local = link.starts_with('/') && !link.starts_with("//") && !link.contains('\\');
    if local && link.len() <= 500 {
        link
    } else {
        crate::href::notifications()
    }
}

fn clipped(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Who a new notice went to, when they want it by email.
struct Recipient {
    email: String,
    name: String,
}

/// Records `notice` once per (user, dedupe_key), without any email:
/// `None` when it was known already, else whether the person wants email
/// for its kind. For callers that send a richer email of their own.
pub async fn record(conn: &mut PgConnection, notice: &Notice) -> Result<Option<bool>, sqlx::Error> {
    Ok(insert(conn, notice).await?.map(|r| r.is_some()))
}

/// Inserts the notice; `None` for a duplicate, else its recipient when
/// they want it by email (and are active).
async fn insert(
    conn: &mut PgConnection,
    notice: &Notice,
) -> Result<Option<Option<Recipient>>, sqlx::Error> {
    // The preference is read in the insert itself, so a notice whose kind
    // is switched off in the app is still stored (hidden): its dedupe key
    // must hold even then, or switching the kind back on would fire it
    // again.
    let inserted: Option<(bool, String, String)> = sqlx::query_as(
        "with pref as (
             select coalesce(p.in_app, true) as in_app, coalesce(p.email, true) as email
             from (select 1) one
             left join notification_preferences p on p.user_id = $2 and p.kind = $3
         ), ins as (
             insert into notifications (id, user_id, kind, dedupe_key, title, body, link, in_app)
             select $1, $2, $3, $4, $5, $6, $7, pref.in_app from pref
             on conflict (user_id, dedupe_key) do nothing
             returning user_id
         )
         select pref.email and u.status = 'active', u.email, u.display_name
         from ins join users u on u.id = ins.user_id, pref",
    )
    .bind(Uuid::now_v7())
    .bind(notice.user_id)
    .bind(notice.kind.as_str())
    .bind(&notice.dedupe_key)
    .bind(clipped(&notice.title, MAX_TITLE))
    .bind(clipped(&notice.body, MAX_BODY))
    .bind(portal_path(&notice.link))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(inserted.map(|(wants_email, email, name)| wants_email.then_some(Recipient { email, name })))
}

/// Records `notice` once per (user, dedupe_key) and, when the user wants
/// email for its kind, queues an email through the outbox in the same
/// transaction. Returns whether it was new.
#[tracing::instrument(skip_all, fields(user = %notice.user_id, kind = %notice.kind, key = %notice.dedupe_key))]
pub async fn notify(conn: &mut PgConnection, notice: &Notice) -> Result<bool, sqlx::Error> {
    let Some(recipient) = insert(conn, notice).await? else {
        return Ok(false);
    };
    let Some(Recipient { email, name }) = recipient else {
        return Ok(true);
    };
    let origin = origin();
    let url = format!("{origin}{}", portal_path(&notice.link));
    let settings_url = format!("{origin}{}", crate::href::notification_settings());
    let Ok(body) = crate::server::emails::render(
        "notification.txt",
        minijinja::context! { name, body => notice.body, url, settings_url },
    ) else {
        // A compiled-in template that does not render is a bug a test
        // catches (and `render` logged); the notice itself is kept.
        return Ok(true);
    };
    outbox::enqueue(
        conn,
        &OutgoingEmail {
            recipient: email,
            subject: clipped(&notice.title, MAX_TITLE),
            body_text: body,
            secret_body_text: None,
        },
    )
    .await?;
    Ok(true)
}

/// How many notifications `user` has not read: the bell, on every page
/// (an index-only count over the unread index).
pub async fn unread(pool: &PgPool, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from notifications where user_id = $1 and in_app and read_at is null",
    )
    .bind(user)
    .fetch_one(pool)
    .await
}

/// A notification as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

/// A page of `user`'s notifications, newest first, and how many there are.
pub async fn list(
    pool: &PgPool,
    user: Uuid,
    page: i64,
    per_page: i64,
) -> Result<(Vec<NotificationRow>, i64), sqlx::Error> {
    let (limit, offset) = limit_offset(page, per_page);
    let rows: Vec<NotificationRow> = sqlx::query_as(
        "select id, kind, title, body, link, created_at, read_at from notifications
         where user_id = $1 and in_app
         order by created_at desc, id desc limit $2 offset $3",
    )
    .bind(user)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 =
        sqlx::query_scalar("select count(*) from notifications where user_id = $1 and in_app")
            .bind(user)
            .fetch_one(pool)
            .await?;
    Ok((rows, total))
}

/// Marks `user`'s notification `id` read and returns where it leads;
/// `None` when `user` has no such notification (another's included).
pub async fn open(pool: &PgPool, user: Uuid, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "update notifications set read_at = coalesce(read_at, now())
         where id = $1 and user_id = $2 and in_app returning link",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(pool)
    .await
}

/// Marks every notification of `user` read; returns how many were unread.
pub async fn mark_all_read(pool: &PgPool, user: Uuid) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notifications set read_at = now() where user_id = $1 and in_app and read_at is null",
    )
    .bind(user)
    .execute(pool)
    .await?
    .rows_affected())
}

/// One kind as a person wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preference {
    pub kind: NotificationKind,
    pub in_app: bool,
    pub email: bool,
}

/// Everything a person chose about notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Every kind, in [`NotificationKind::ALL`]'s order.
    pub kinds: Vec<Preference>,
    /// Micro-credits; `None`: 10 % of the last grant.
    pub low_balance_threshold: Option<i64>,
}

/// `user`'s preferences (both on for a kind never changed).
pub async fn preferences(pool: &PgPool, user: Uuid) -> Result<Preferences, sqlx::Error> {
    let stored: Vec<(String, bool, bool)> = sqlx::query_as(
        "select kind, in_app, email from notification_preferences where user_id = $1",
    )
    .bind(user)
    .fetch_all(pool)
    .await?;
    let threshold: Option<i64> = sqlx::query_scalar(
        "select low_balance_threshold from notification_settings where user_id = $1",
    )
    .bind(user)
    .fetch_optional(pool)
    .await?
    .flatten();
    let kinds = NotificationKind::ALL
        .into_iter()
        .map(|kind| {
            let row = stored.iter().find(|(k, _, _)| k == kind.as_str());
            Preference {
                kind,
                in_app: row.is_none_or(|r| r.1),
                email: row.is_none_or(|r| r.2),
            }
        })
        .collect();
    Ok(Preferences {
        kinds,
        low_balance_threshold: threshold,
    })
}

/// Saves every kind's choice and the threshold, in one transaction.
pub async fn save_preferences(
    pool: &PgPool,
    user: Uuid,
    preferences: &Preferences,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for preference in &preferences.kinds {
        sqlx::query(
            "insert into notification_preferences (user_id, kind, in_app, email) values ($1, $2, $3, $4)
             on conflict (user_id, kind) do update set in_app = excluded.in_app, email = excluded.email",
        )
        .bind(user)
        .bind(preference.kind.as_str())
        .bind(preference.in_app)
        .bind(preference.email)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "insert into notification_settings (user_id, low_balance_threshold) values ($1, $2)
         on conflict (user_id) do update set low_balance_threshold = excluded.low_balance_threshold",
    )
    .bind(user)
    .bind(preferences.low_balance_threshold)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::portal_path;

    #[test]
    fn only_paths_of_the_portal_are_kept_as_links() {
        assert_eq!(portal_path("/support/12"), "/support/12");
        assert_eq!(portal_path("https://evil.example/"), "/notifications");
        assert_eq!(portal_path("//evil.example/"), "/notifications");
        assert_eq!(portal_path("/\\evil.example"), "/notifications");
    }
}
