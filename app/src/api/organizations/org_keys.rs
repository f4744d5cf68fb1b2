//! Keys billed to an organization.

use leptos::prelude::*;

use super::OrgKeyList;
use crate::error::AppError;

/// The keys billed to the organization: every one for owners and admins
/// (name, creator, created, last used, spend), the caller's own for members.
#[server(endpoint = "org_keys")]
pub async fn org_keys(slug: String) -> Result<OrgKeyList, AppError> {
    use super::OrgKeyView;
    use crate::format;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, role) =
            organizations::membership(&state.pool, slug.trim(), caller.user_id).await?;
        let manages = role.manages();
        let rows =
            organizations::keys(&state.pool, &org, (!manages).then_some(caller.user_id)).await?;
        let now = time::OffsetDateTime::now_utc();
        Ok(OrgKeyList {
            organization: org.name,
            slug: org.slug,
            manages,
            keys: rows
                .into_iter()
                .map(|k| OrgKeyView {
                    active: k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now),
                    id: k.id.to_string(),
                    name: k.name,
                    prefix: crate::server::api_keys::display_prefix(&k.public_id),
                    creator: k.creator_name,
                    creator_email: k.creator_email,
                    created: format::time(k.created_at),
                    last_used: k.last_used_at.map(format::time),
                    spent: k.spent,
                    spend_cap: k.spend_cap,
                })
                .collect(),
        })
    })
    .await
}

/// Revokes a key billed to the organization (owners and admins: any of
/// them). The API refuses it within seconds.
#[server(endpoint = "revoke_org_key")]
pub async fn revoke_org_key(slug: String, key_id: String) -> Result<(), AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, _) = organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let key_id = uuid::Uuid::parse_str(key_id.trim())
            .map_err(|_| AppError::NotFound("There is no such key.".to_owned()))?;
        organizations::revoke_key(
            &state.pool,
            &caller,
            &org,
            key_id,
            crate::server::client_addr(),
        )
        .await?;
        crate::server::redirect(&crate::href::with_query(
            &crate::href::organization_keys(&org.slug),
            &[("done", "revoked")],
        ));
        Ok(())
    })
    .await
}
