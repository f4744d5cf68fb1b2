//! Who is signed in, for the header and guarded pages.

use leptos::prelude::*;

use super::SessionUser;
use crate::error::AppError;

/// The signed-in user with what they may spend and the organizations they
/// may act for, or `None`.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use super::OrgChoice;
    use crate::domain::role::PlatformRole;
    use crate::server::services::organizations;
    use crate::server::{acting_for, internal, ledger};
    crate::server::respond(async move {
        let Some(caller) = crate::server::caller() else {
            return Ok(None);
        };
        let state = crate::server::state()?;
        let (available, mine) = tokio::try_join!(
            async {
                ledger::available_of(&state.pool, ledger::Owner::User(caller.user_id))
                    .await
                    .map_err(internal)
            },
            organizations::mine(&state.pool, caller.user_id),
        )?;
        let organizations: Vec<OrgChoice> = mine
            .into_iter()
            .map(|m| OrgChoice {
                slug: m.slug,
                name: m.name,
            })
            .collect();
        // A team they have left is no longer theirs to act for.
        let acting_for =
            acting_for::slug().filter(|slug| organizations.iter().any(|o| &o.slug == slug));
        Ok(Some(SessionUser {
            display_name: caller.display_name,
            email: caller.email,
            is_admin: caller.role == PlatformRole::Admin,
            available,
            organizations,
            acting_for,
        }))
    })
    .await
}
