//! Choosing what a conversation spends: the user's own credit or the pool
//! of an organization they belong to.

use leptos::prelude::*;

use crate::error::AppError;

/// Bills the signed-in user's conversation `id` to the organization
/// `bill_to` (a slug; they must belong to it), to their allocation in a
/// course (`course:<slug>`, one they joined) or, when empty, to their own
/// credit. Replies from then on spend it (an organization's under their
/// budget there).
#[server(endpoint = "bill_conversation")]
pub async fn bill_conversation(
    id: String,
    #[server(default)] bill_to: String,
) -> Result<(), AppError> {
    use crate::server::services::{cohorts, conversations, organizations};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let not_found = || AppError::NotFound("There is no such conversation.".to_owned());
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
        if let Some(course) = bill_to.trim().strip_prefix("course:") {
            let (enrollment, _) =
                cohorts::spendable_enrollment(&state.pool, caller.user_id, course)
                    .await?
                    .ok_or_else(|| {
                        AppError::field(
                            "bill_to",
                            "You have no credit in that course: join it first, or it has ended.",
                        )
                    })?;
            if !conversations::set_bill_to_course(&state.pool, caller.user_id, id, enrollment)
                .await
                .map_err(crate::server::internal)?
            {
                return Err(not_found());
            }
            crate::server::redirect(&crate::href::with_query(
                &crate::href::playground(&id.to_string()),
                &[("done", "billing")],
            ));
            return Ok(());
        }
        let team = match bill_to.trim() {
            "" | "personal" => None,
            slug => Some(
                organizations::membership(&state.pool, slug, caller.user_id)
                    .await
                    .map_err(|_| {
                        AppError::field("bill_to", "You are not a member of that organization.")
                    })?
                    .0
                    .id,
            ),
        };
        if !conversations::set_bill_to(&state.pool, caller.user_id, id, team)
            .await
            .map_err(crate::server::internal)?
        {
            return Err(not_found());
        }
        crate::server::redirect(&crate::href::with_query(
            &crate::href::playground(&id.to_string()),
            &[("done", "billing")],
        ));
        Ok(())
    })
    .await
}
