//! Account roles and states: platform role, user status and application status.

use serde::{Deserialize, Serialize};

/// What a user may do on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformRole {
    /// Uses the platform: keys, usage, their own account.
    Developer,
    /// Also reviews applications and manages users.
    Admin,
}

impl PlatformRole {
    /// Every role.
    pub const ALL: [PlatformRole; 2] = [PlatformRole::Developer, PlatformRole::Admin];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformRole::Developer => "developer",
            PlatformRole::Admin => "admin",
        }
    }

    /// Parses a stored value (surrounding space and case ignored).
    pub fn parse(input: &str) -> Result<PlatformRole, String> {
        let input = input.trim();
        PlatformRole::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| format!("Unknown platform role {input:?}."))
    }

    /// How the admin screens show this role.
    pub fn label(self) -> &'static str {
        match self {
            PlatformRole::Developer => "Developer",
            PlatformRole::Admin => "Administrator",
        }
    }
}

/// Whether a user may sign in and use the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// Blocked by an administrator.
    Suspended,
}

impl UserStatus {
    /// Every status.
    pub const ALL: [UserStatus; 2] = [UserStatus::Active, UserStatus::Suspended];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
        }
    }

    /// Parses a stored value (surrounding space and case ignored).
    pub fn parse(input: &str) -> Result<UserStatus, String> {
        let input = input.trim();
        UserStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| format!("Unknown user status {input:?}."))
    }

    /// How the admin screens show this status.
    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Active => "Active",
            UserStatus::Suspended => "Suspended",
        }
    }
}

/// Where an onboarding application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationStatus {
    /// Waiting for review.
    Pending,
    /// Accepted; the applicant has access.
    Approved,
    /// Declined.
    Rejected,
}

impl ApplicationStatus {
    /// Every status, in review order.
    pub const ALL: [ApplicationStatus; 3] = [
        ApplicationStatus::Pending,
        ApplicationStatus::Approved,
        ApplicationStatus::Rejected,
    ];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Pending => "pending",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Rejected => "rejected",
        }
    }

    /// Parses a stored value (surrounding space and case ignored).
    pub fn parse(input: &str) -> Result<ApplicationStatus, String> {
        let input = input.trim();
        ApplicationStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| format!("Unknown application status {input:?}."))
    }

    /// How pages show this status.
    pub fn label(self) -> &'static str {
        match self {
            ApplicationStatus::Pending => "Pending review",
            ApplicationStatus::Approved => "Approved",
            ApplicationStatus::Rejected => "Rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::de::value::{Error, StrDeserializer};
    use serde::de::IntoDeserializer;

    use super::*;

    fn from_serde<'a, T: Deserialize<'a>>(name: &'a str) -> Result<T, Error> {
        let de: StrDeserializer<'a, Error> = name.into_deserializer();
        T::deserialize(de)
    }

    #[test]
    fn platform_roles_are_stored_as_developer_and_admin() {
        let stored: Vec<_> = PlatformRole::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(stored, ["developer", "admin"]);
    }

    #[test]
    fn platform_roles_round_trip_through_parse_and_serde() {
        for role in PlatformRole::ALL {
            assert_eq!(PlatformRole::parse(role.as_str()), Ok(role));
            assert_eq!(from_serde::<PlatformRole>(role.as_str()), Ok(role));
        }
        assert_eq!(PlatformRole::Admin.label(), "Administrator");
    }

    #[test]
    fn user_statuses_are_stored_as_active_and_suspended() {
        let stored: Vec<_> = UserStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(stored, ["active", "suspended"]);
    }

    #[test]
    fn user_statuses_round_trip_through_parse_and_serde() {
        for status in UserStatus::ALL {
            assert_eq!(UserStatus::parse(status.as_str()), Ok(status));
            assert_eq!(from_serde::<UserStatus>(status.as_str()), Ok(status));
        }
        assert_eq!(UserStatus::Suspended.label(), "Suspended");
    }

    #[test]
    fn application_statuses_are_stored_as_pending_approved_and_rejected() {
        let stored: Vec<_> = ApplicationStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(stored, ["pending", "approved", "rejected"]);
    }

    #[test]
    fn application_statuses_round_trip_through_parse_and_serde() {
        for status in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(status.as_str()), Ok(status));
            assert_eq!(from_serde::<ApplicationStatus>(status.as_str()), Ok(status));
        }
        assert_eq!(ApplicationStatus::Pending.label(), "Pending review");
    }

    #[test]
    fn parsing_ignores_case_and_surrounding_space() {
        assert_eq!(PlatformRole::parse(" ADMIN "), Ok(PlatformRole::Admin));
        assert_eq!(UserStatus::parse("Active"), Ok(UserStatus::Active));
        assert_eq!(
            ApplicationStatus::parse("rejected\n"),
            Ok(ApplicationStatus::Rejected)
        );
    }

    #[test]
    fn unknown_values_are_rejected_with_the_value_named() {
        assert_eq!(
            PlatformRole::parse("root").unwrap_err(),
            "Unknown platform role \"root\"."
        );
        assert!(UserStatus::parse("banned").is_err());
        assert!(ApplicationStatus::parse("").is_err());
    }

    #[test]
    fn serde_rejects_names_that_are_not_lowercase() {
        assert!(from_serde::<PlatformRole>("Admin").is_err());
    }
}
