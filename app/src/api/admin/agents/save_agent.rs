//! Importing or editing an agent as its file.

use leptos::prelude::*;

use crate::error::AppError;

/// Saves the agent file `file` (JSON, format `lab-portal-agent/1`): a new
/// agent at version 1, or the agent's draft rewritten, or its next version
/// drafted when the newest is published. Its model must be served and its
/// datasets in the catalog. With `slug` (editing an agent), the file must
/// keep that slug. With `publish`, the saved version goes live. Audited.
#[server(endpoint = "admin_save_agent")]
pub async fn save_agent(
    file: String,
    #[server(default)] slug: String,
    #[server(default)] changelog: String,
    #[server(default)] publish: Option<String>,
) -> Result<i32, AppError> {
    use crate::domain::agents::parse_file;
    use crate::server::services::agents;
    crate::server::respond(async move {
        let caller = crate::server::require_admin()?;
        let state = crate::server::state()?;
        if file.len() > 200_000 {
            return Err(AppError::field("file", "Keep an agent file under 200 kB."));
        }
        let spec = parse_file(&file).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            AppError::field("file", lines.join(" · "))
        })?;
        let slug = slug.trim();
        if !slug.is_empty() && spec.slug != slug {
            return Err(AppError::field(
                "file",
                format!(
                    "This file is for `{}`, not `{slug}`: keep the slug, or import it as a new agent from the agents list.",
                    spec.slug
                ),
            ));
        }
        let changelog = changelog.trim();
        if changelog.chars().count() > 500 {
            return Err(AppError::field(
                "changelog",
                "Keep the changelog to 500 characters.",
            ));
        }
        let served: bool = sqlx::query_scalar(
            "select exists (select 1 from models where public_id = $1 and enabled and kind = 'chat')",
        )
        .bind(&spec.model)
        .fetch_one(&state.pool)
        .await
        .map_err(crate::server::internal)?;
        if !served {
            return Err(AppError::field(
                "file",
                format!(
                    "model: `{}` is not a chat model the API serves now; choose one from the models page.",
                    spec.model
                ),
            ));
        }
        let known: Vec<String> =
            sqlx::query_scalar("select slug from datasets where slug = any($1)")
                .bind(&spec.datasets)
                .fetch_all(&state.pool)
                .await
                .map_err(crate::server::internal)?;
        let unknown: Vec<&str> = spec
            .datasets
            .iter()
            .filter(|d| !known.contains(d))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::field(
                "file",
                format!(
                    "datasets: {} not in the catalog.",
                    unknown.join(", ")
                ),
            ));
        }
        let imported = agents::import(
            &state.pool,
            &spec,
            changelog,
            publish.is_some(),
            Some(super::actor(&caller)),
        )
        .await
        .map_err(crate::server::internal)?;
        let done = match (imported, publish.is_some()) {
            (_, true) => "published",
            (agents::Imported::Unchanged { .. }, false) => "unchanged",
            _ => "saved",
        };
        super::back_to(&spec.slug, done);
        Ok(imported.version())
    })
    .await
}
