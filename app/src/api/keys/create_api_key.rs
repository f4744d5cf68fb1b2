//! Creating an API key.

use leptos::prelude::*;

use super::CreatedKey;
use crate::error::AppError;

/// Creates a key for the signed-in user. The answer carries the key's
/// plaintext, the only copy there is. Limits and the expiry are optional
/// (empty: none); the spend cap is in credits, up to 6 decimals. `bill_to`
/// is empty (the caller's own credit), the slug of an organization they
/// may create keys for (its pool pays, within their budget there), or
/// `course:<slug>` of a course they joined (their allocation pays, and
/// nothing else: the key stops when the term ends).
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(
    name: String,
    #[server(default)] spend_cap: String,
    #[server(default)] rpm_limit: String,
    #[server(default)] tpm_limit: String,
    #[server(default)] expires_on: String,
    #[server(default)] bill_to: String,
) -> Result<CreatedKey, AppError> {
    use crate::server::api_keys::display_prefix;
    use crate::server::services::keys::{self, BillTo};
    use crate::server::services::{cohorts, organizations};
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let caller = crate::server::require_user()?;
        let settings = crate::domain::keys::parse_settings(
            &name,
            &spend_cap,
            &rpm_limit,
            &tpm_limit,
            &expires_on,
            time::OffsetDateTime::now_utc(),
        )?;
        let bill_to = match bill_to.trim() {
            "" | "personal" => BillTo::Personal,
            course if course.starts_with("course:") => {
                let slug = course.trim_start_matches("course:");
                let (enrollment, _) =
                    cohorts::spendable_enrollment(&state.pool, caller.user_id, slug)
                        .await?
                        .ok_or_else(|| {
                            AppError::field(
                        "bill_to",
                        "You have no credit in that course: join it first, or it has ended.",
                    )
                        })?;
                BillTo::Course(enrollment)
            }
            slug => {
                let (org, role) = organizations::membership(&state.pool, slug, caller.user_id)
                    .await
                    .map_err(|_| {
                        AppError::field("bill_to", "You are not a member of that organization.")
                    })?;
                if !organizations::may_create_keys(&org, role) {
                    return Err(AppError::field(
                        "bill_to",
                        "Only owners and admins may create keys billed to this organization.",
                    ));
                }
                BillTo::Organization(org.id)
            }
        };
        let (row, key) = keys::create(&state.pool, caller.user_id, &settings, bill_to).await?;
        let created = CreatedKey {
            id: row.id.to_string(),
            name: row.name,
            prefix: display_prefix(&row.public_id),
            key: key.plaintext,
        };
        super::no_store();
        if crate::server::plain_form_post() {
            super::flash::set(
                &created.key,
                crate::server::cookies::secure(&state.public_url),
            );
            crate::server::redirect(&crate::href::with_query(
                crate::href::keys(),
                &[("created", "1")],
            ));
        }
        Ok(created)
    })
    .await
}
