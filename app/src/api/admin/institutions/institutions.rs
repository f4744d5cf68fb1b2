//! Institutions, for Lab staff.

use leptos::prelude::*;

use super::{NewInstitutionForm, StaffInstitutions};
use crate::error::AppError;

/// Every institution with its pool and number of courses.
#[server(endpoint = "admin_list_institutions")]
pub async fn list_institutions() -> Result<StaffInstitutions, AppError> {
    use super::StaffInstitution;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        crate::server::require_admin()?;
        let state = crate::server::state()?;
        Ok(StaffInstitutions {
            institutions: cohorts::institutions(&state.pool)
                .await?
                .into_iter()
                .map(|i| StaffInstitution {
                    slug: i.slug,
                    name: i.name,
                    country: i.country,
                    domains: i.domains,
                    pool: i.pool,
                    cohorts: i.cohorts,
                })
                .collect(),
            form_key: uuid::Uuid::now_v7().to_string(),
        })
    })
    .await
}

/// Creates an institution (name, address, country, website, time zone and
/// its students' email domains).
#[server(endpoint = "admin_create_institution")]
pub async fn create_institution(
    #[server(flatten)] form: NewInstitutionForm,
) -> Result<String, AppError> {
    use crate::domain::organizations::{email_domain, parse_org, OrgFields};
    use crate::error::FieldErrors;
    use crate::server::services::cohorts::{self, NewInstitution};
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
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
        let institution = cohorts::create_institution(
            &state.pool,
            &caller,
            &NewInstitution {
                name: checked.name,
                slug: checked.slug,
                country: checked.country,
                website: checked.website,
                time_zone: checked.time_zone,
                domains,
            },
            None,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_institutions(),
            &[("done", "created")],
        ));
        Ok(institution.slug)
    })
    .await
}

/// Grants credit to the pool of the institution `slug`, optionally expiring
/// at the end of `expiry`; once per form (`idempotency_key`).
#[server(endpoint = "admin_grant_institution_credits")]
pub async fn grant_institution_credits(
    slug: String,
    amount: String,
    #[server(default)] expiry: String,
    reason: String,
    idempotency_key: String,
) -> Result<bool, AppError> {
    use crate::domain::calendar::{parse_expiry, ExpiryRule};
    use crate::domain::credit_grant::{parse_reason, ParsedGrant};
    use crate::domain::credits::Credits;
    use crate::error::FieldErrors;
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let key = crate::api::admin::credits::form_key(&idempotency_key)?;
        let mut errors = FieldErrors::default();
        let institution = cohorts::institution_by_slug(&state.pool, slug.trim()).await?;
        if institution.is_none() {
            errors.add("slug", "There is no institution with this address.");
        }
        let amount = errors.check("amount", Credits::parse(&amount, false));
        if amount.is_some_and(|a| !a.is_positive()) {
            errors.add("amount", "The amount must be more than zero.");
        }
        let now = time::OffsetDateTime::now_utc();
        let expires_at = errors.check(
            "expiry",
            parse_expiry(&expiry, now, ExpiryRule::CreditGrant),
        );
        let reason = errors.check("reason", parse_reason(&reason));
        errors.finish()?;
        let (Some(institution), Some(amount), Some(expires_at), Some(reason)) =
            (institution, amount, expires_at, reason)
        else {
            return Err(AppError::Internal);
        };
        let granted = cohorts::grant_institution(
            &state.pool,
            &caller,
            &institution,
            &ParsedGrant {
                amount,
                expires_at,
                reason,
            },
            &format!("admin-institution-grant:{key}"),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_institutions(),
            &[("done", if granted { "granted" } else { "repeated" })],
        ));
        Ok(granted)
    })
    .await
}

/// Makes the person signed up with `email` an `admin` or `coordinator` of
/// the institution `slug`.
#[server(endpoint = "admin_set_institution_staff")]
pub async fn set_institution_staff(
    slug: String,
    email: String,
    role: String,
) -> Result<(), AppError> {
    use crate::server::services::cohorts;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        let institution = cohorts::institution_by_slug(&state.pool, slug.trim())
            .await?
            .ok_or_else(|| AppError::field("slug", "There is no institution with this address."))?;
        cohorts::set_staff(
            &state.pool,
            &caller,
            &institution,
            &email,
            role.trim(),
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::admin_institutions(),
            &[("done", "staff")],
        ));
        Ok(())
    })
    .await
}
