//! Members: roles, budgets, removing, leaving, and the email-domain rule.

use leptos::prelude::*;

use crate::error::AppError;

/// Gives a member another role (owners and admins; only owners make or
/// unmake owners; the last owner stays an owner).
#[server(endpoint = "set_member_role")]
pub async fn set_member_role(slug: String, user_id: String, role: String) -> Result<(), AppError> {
    use crate::domain::organizations::OrgRole;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, actor_role) =
            organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let role =
            OrgRole::parse(&role).ok_or_else(|| AppError::field("role", "Choose a role."))?;
        let user_id = super::user_id(&user_id)?;
        organizations::set_role(
            &state.pool,
            &caller,
            actor_role,
            &org,
            user_id,
            role,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&org.slug, "role");
        Ok(())
    })
    .await
}

/// Sets a member's budget: an amount in credits per day, week, calendar
/// month (in the organization's time zone) or in total; an empty amount
/// removes it (owners and admins).
#[server(endpoint = "set_member_budget")]
pub async fn set_member_budget(
    slug: String,
    user_id: String,
    #[server(default)] amount: String,
    #[server(default)] period: String,
) -> Result<(), AppError> {
    use crate::domain::organizations::parse_budget;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, actor_role) =
            organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let user_id = super::user_id(&user_id)?;
        let budget = parse_budget(&amount, &period).map_err(|e| match e {
            AppError::Validation(mut errors) => {
                for error in &mut errors {
                    error.field = error.field.trim_start_matches("budget_").to_owned();
                }
                AppError::Validation(errors)
            }
            other => other,
        })?;
        organizations::set_budget(
            &state.pool,
            (&caller, actor_role),
            &org,
            user_id,
            budget,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&org.slug, "budget");
        Ok(())
    })
    .await
}

/// Removes a member (owners and admins; only owners remove owners): their
/// keys billed to the organization are revoked at once (the API refuses
/// them within the 3 s it trusts a key lookup).
#[server(endpoint = "remove_member")]
pub async fn remove_member(slug: String, user_id: String) -> Result<(), AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, actor_role) =
            organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let user_id = super::user_id(&user_id)?;
        if user_id == caller.user_id {
            return Err(AppError::Refused(
                "To leave the organization yourself, use “Leave” instead.".to_owned(),
            ));
        }
        organizations::remove(
            &state.pool,
            &caller,
            actor_role,
            &org,
            user_id,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&org.slug, "removed");
        Ok(())
    })
    .await
}

/// The signed-in member leaves the organization (not its last owner); their
/// keys billed to it are revoked.
#[server(endpoint = "leave_organization")]
pub async fn leave_organization(slug: String) -> Result<(), AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, role) =
            organizations::membership(&state.pool, slug.trim(), caller.user_id).await?;
        organizations::remove(
            &state.pool,
            &caller,
            role,
            &org,
            caller.user_id,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            crate::href::organizations(),
            &[("done", "left")],
        ));
        Ok(())
    })
    .await
}

/// Adds (`action` = "add") or removes ("remove") an email domain whose
/// verified addresses may join as members (owners and admins; one may add
/// only their own address's domain).
#[server(endpoint = "set_org_domain")]
pub async fn set_org_domain(slug: String, domain: String, action: String) -> Result<(), AppError> {
    use crate::domain::organizations::email_domain;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, _) = organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let domain = email_domain(&domain).map_err(|m| AppError::field("domain", m))?;
        let add = match action.trim() {
            "add" => true,
            "remove" => false,
            _ => {
                return Err(AppError::InvalidRequest(
                    "Add or remove a domain.".to_owned(),
                ))
            }
        };
        organizations::set_domain(
            &state.pool,
            &caller,
            &org,
            &domain,
            add,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(
            &org.slug,
            if add {
                "domain_added"
            } else {
                "domain_removed"
            },
        );
        Ok(())
    })
    .await
}
