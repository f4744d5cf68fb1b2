//! Universities for Lab staff: every institution, creating one (with its
//! students' email domains), its staff, and grants to its pool.

mod create_institution;
mod grant_institution_credits;
mod list_institutions;
mod set_institution_staff;

pub use create_institution::*;
pub use grant_institution_credits::*;
pub use list_institutions::*;
pub use set_institution_staff::*;

use serde::{Deserialize, Serialize};

/// An institution in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInstitution {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub domains: Vec<String>,
    /// Micro-credits in its pool.
    pub pool: i64,
    pub cohorts: i64,
}

/// Every institution, and the idempotency key of the page's grant form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInstitutions {
    pub institutions: Vec<StaffInstitution>,
    pub form_key: String,
}

/// The new institution form, as posted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewInstitutionForm {
    pub name: String,
    pub slug: String,
    pub country: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub time_zone: String,
    /// Its students' email domains, separated by commas or spaces.
    #[serde(default)]
    pub domains: String,
}

/// The institution `form` describes, checked field by field (the
/// organization form's rules for the fields they share).
#[cfg(feature = "ssr")]
pub(crate) fn checked_institution(
    form: &NewInstitutionForm,
) -> Result<crate::server::services::cohorts::NewInstitution, crate::error::AppError> {
    use crate::domain::organizations::{email_domain, parse_org, OrgFields};
    use crate::error::{AppError, FieldErrors};
    // The organization form's rules for the shared fields.
    let time_zone = if form.time_zone.trim().is_empty() {
        "UTC"
    } else {
        form.time_zone.trim()
    };
    let checked = parse_org(OrgFields {
        name: &form.name,
        slug: &form.slug,
        website: &form.website,
        country: &form.country,
        industry: "cross-industry",
        time_zone,
    });
    let mut errors = FieldErrors::default();
    let typed: Vec<&str> = form
        .domains
        .split([',', ' ', '\n'])
        .filter(|d| !d.trim().is_empty())
        .collect();
    let domains: Vec<String> = typed
        .iter()
        .filter_map(|d| errors.check("domains", email_domain(d)))
        .collect();
    if typed.is_empty() {
        errors.add(
            "domains",
            "Give at least one email domain of its students, like nus.edu.sg.",
        );
    }
    let checked = match (checked, errors.finish()) {
        (Ok(checked), Ok(())) => checked,
        (Err(AppError::Validation(mut first)), second) => {
            if let Err(AppError::Validation(more)) = second {
                first.extend(more);
            }
            return Err(AppError::Validation(first));
        }
        (Err(other), _) | (Ok(_), Err(other)) => return Err(other),
    };
    Ok(crate::server::services::cohorts::NewInstitution {
        name: checked.name,
        slug: checked.slug,
        country: checked.country,
        website: checked.website,
        time_zone: checked.time_zone,
        domains,
    })
}
