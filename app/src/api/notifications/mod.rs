//! Notifications, for the signed-in person: the list and the bell's
//! count, opening one (marks it read), marking all read, and what they
//! want told (per kind, in the app and by email, and the low-balance
//! threshold).

mod mark_all_notifications_read;
mod my_notifications;
mod notification_settings;
mod open_notification;
mod save_notification_settings;
mod unread_notifications;

pub use mark_all_notifications_read::*;
pub use my_notifications::*;
pub use notification_settings::*;
pub use open_notification::*;
pub use save_notification_settings::*;
pub use unread_notifications::*;

use serde::{Deserialize, Serialize};

use crate::domain::notifications::NotificationKind;
use crate::domain::paging::Page;

/// Notifications per page of the list.
pub const PER_PAGE: i64 = 25;

/// A notification as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: String,
    pub kind: Option<NotificationKind>,
    pub title: String,
    pub body: String,
    /// Where opening it leads (through `/notifications/{id}`, which marks
    /// it read).
    pub link: String,
    pub time: String,
    pub unread: bool,
}

/// A page of the signed-in person's notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub notifications: Page<NotificationView>,
    /// Unread in all (not only on this page).
    pub unread: i64,
}

/// One kind as the settings page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindSetting {
    pub kind: NotificationKind,
    pub in_app: bool,
    pub email: bool,
}

/// The settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettingsView {
    pub kinds: Vec<KindSetting>,
    /// The person's own threshold in credits as typed back into the form;
    /// empty for the default.
    pub low_balance_threshold: String,
}

/// The settings form as posted: a checkbox per kind and channel (present,
/// `on`, when ticked) and the threshold in credits (empty: the default).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotificationSettingsForm {
    #[serde(default)]
    pub low_balance_in_app: Option<String>,
    #[serde(default)]
    pub low_balance_email: Option<String>,
    #[serde(default)]
    pub credits_expiring_in_app: Option<String>,
    #[serde(default)]
    pub credits_expiring_email: Option<String>,
    #[serde(default)]
    pub key_cap_reached_in_app: Option<String>,
    #[serde(default)]
    pub key_cap_reached_email: Option<String>,
    #[serde(default)]
    pub budget_threshold_in_app: Option<String>,
    #[serde(default)]
    pub budget_threshold_email: Option<String>,
    #[serde(default)]
    pub course_ending_in_app: Option<String>,
    #[serde(default)]
    pub course_ending_email: Option<String>,
    #[serde(default)]
    pub support_reply_in_app: Option<String>,
    #[serde(default)]
    pub support_reply_email: Option<String>,
    #[serde(default)]
    pub access_decided_in_app: Option<String>,
    #[serde(default)]
    pub access_decided_email: Option<String>,
    #[serde(default)]
    pub low_balance_threshold: String,
}

impl NotificationSettingsForm {
    /// Whether `kind`'s boxes are ticked: `(in_app, email)`.
    pub fn ticked(&self, kind: NotificationKind) -> (bool, bool) {
        let (in_app, email) = match kind {
            NotificationKind::LowBalance => (&self.low_balance_in_app, &self.low_balance_email),
            NotificationKind::CreditsExpiring => {
                (&self.credits_expiring_in_app, &self.credits_expiring_email)
            }
            NotificationKind::KeyCapReached => {
                (&self.key_cap_reached_in_app, &self.key_cap_reached_email)
            }
            NotificationKind::BudgetThreshold => {
                (&self.budget_threshold_in_app, &self.budget_threshold_email)
            }
            NotificationKind::CourseEnding => {
                (&self.course_ending_in_app, &self.course_ending_email)
            }
            NotificationKind::SupportReply => {
                (&self.support_reply_in_app, &self.support_reply_email)
            }
            NotificationKind::AccessDecided => {
                (&self.access_decided_in_app, &self.access_decided_email)
            }
        };
        (in_app.is_some(), email.is_some())
    }
}

/// A notification id from a form or a path; "not found" otherwise, as for
/// one that is someone else's.
#[cfg(feature = "ssr")]
fn notification_id(input: &str) -> Result<uuid::Uuid, crate::error::AppError> {
    uuid::Uuid::parse_str(input.trim()).map_err(|_| not_found())
}

#[cfg(feature = "ssr")]
fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound("There is no such notification.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_two_boxes_in_the_form() {
        let form: NotificationSettingsForm = serde_json::from_value(serde_json::json!({
            "low_balance_in_app": "on",
            "access_decided_email": "on",
        }))
        .expect("form");
        assert_eq!(form.ticked(NotificationKind::LowBalance), (true, false));
        assert_eq!(form.ticked(NotificationKind::AccessDecided), (false, true));
        assert_eq!(form.ticked(NotificationKind::SupportReply), (false, false));
        // The page names the boxes `<kind>_in_app` and `<kind>_email`.
        for kind in NotificationKind::ALL {
            let mut fields = serde_json::Map::new();
            fields.insert(format!("{}_in_app", kind.as_str()), "on".into());
            fields.insert(format!("{}_email", kind.as_str()), "on".into());
            let form: NotificationSettingsForm =
                serde_json::from_value(fields.into()).expect("form");
            assert_eq!(form.ticked(kind), (true, true), "{kind}");
        }
    }
}
