//! Invitations by email: sending, resending, revoking, and the invited
//! person's side (reading the invitation, accepting it).

use leptos::prelude::*;

use super::InvitationInfo;
use crate::error::AppError;

/// Invites `email` to the organization as `role`, by an email whose link
/// works for 7 days and only for that verified address (owners and admins;
/// only owners invite owners).
#[server(endpoint = "invite_member")]
pub async fn invite_member(slug: String, email: String, role: String) -> Result<(), AppError> {
    use crate::domain::organizations::parse_invitation;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, actor_role) =
            organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let (email, role) = parse_invitation(&email, &role)?;
        organizations::invite(
            &state.pool,
            &caller,
            actor_role,
            &org,
            &email,
            role,
            &crate::server::origin(&state),
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&org.slug, "invited");
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn invitation_id(input: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(input.trim())
        .map_err(|_| AppError::NotFound("There is no such invitation.".to_owned()))
}

/// Sends an open invitation again, with a new link and 7 more days.
#[server(endpoint = "resend_invitation")]
pub async fn resend_invitation(slug: String, invitation_id: String) -> Result<(), AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, actor_role) =
            organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let id = self::invitation_id(&invitation_id)?;
        organizations::resend(
            &state.pool,
            &caller,
            actor_role,
            &org,
            id,
            &crate::server::origin(&state),
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&org.slug, "resent");
        Ok(())
    })
    .await
}

/// Revokes an open invitation: its link stops working.
#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(slug: String, invitation_id: String) -> Result<(), AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let (org, _) = organizations::managed(&state.pool, slug.trim(), caller.user_id).await?;
        let id = self::invitation_id(&invitation_id)?;
        organizations::revoke_invitation(
            &state.pool,
            &caller,
            &org,
            id,
            crate::server::client_addr(),
        )
        .await?;
        super::back_to(&org.slug, "invitation_revoked");
        Ok(())
    })
    .await
}

/// The invitation whose link carries `token`, for anyone holding the link:
/// which organization, for which address and role, and whether the caller
/// can accept it (a signed-out visitor is told to sign in, or sign up, with
/// that address).
#[server(endpoint = "get_invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationInfo, AppError> {
    use crate::domain::organizations::OrgRole;
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let invitation = organizations::invitation(&state.pool, &token)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(
                    "This invitation link is not valid. Check that you copied all of it, or ask for a new one."
                        .to_owned(),
                )
            })?;
        let caller = crate::server::caller();
        let now = time::OffsetDateTime::now_utc();
        let refusal = match &caller {
            Some(caller) => organizations::refusal(&invitation, caller, now),
            None if invitation.revoked_at.is_some()
                || invitation.accepted_at.is_some()
                || invitation.expires_at <= now =>
            {
                Some("This invitation can no longer be accepted. Ask whoever invited you for a new one.".to_owned())
            }
            None => None,
        };
        let role = match invitation.role.as_str() {
            "coordinator" => "Coordinator".to_owned(),
            role => OrgRole::parse(role)
                .unwrap_or(OrgRole::Member)
                .label()
                .to_owned(),
        };
        Ok(InvitationInfo {
            institution: invitation.kind == "institution",
            organization: invitation.organization,
            slug: invitation.slug,
            email: invitation.email,
            role,
            invited_by: invitation.invited_by,
            expires: crate::format::time(invitation.expires_at),
            signed_in: caller.is_some(),
            refusal,
        })
    })
    .await
}

/// Accepts the invitation carrying `token`: the signed-in user (with the
/// invitation's address, verified) joins in its role. Answers the
/// organization's slug.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String) -> Result<String, AppError> {
    use crate::server::services::organizations;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let joined =
            organizations::accept(&state.pool, &caller, &token, crate::server::client_addr())
                .await?;
        match joined {
            organizations::Joined::Organization(slug) => {
                super::back_to(&slug, "joined");
                Ok(slug)
            }
            organizations::Joined::Institution(slug) => {
                crate::server::redirect(&crate::href::institution(&slug));
                Ok(slug)
            }
        }
    })
    .await
}
