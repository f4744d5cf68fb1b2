//! Creating an institution, with its students' email domains.

use leptos::prelude::*;

use super::NewInstitutionForm;
use crate::error::AppError;

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
