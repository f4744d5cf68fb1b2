//! One agent's page.

use leptos::prelude::*;

use super::AgentView;
use crate::error::AppError;

/// The published agent `slug` (for staff, its newest version, draft or
/// not), with its description rendered, its linked datasets and its
/// model's price. Public.
#[server(endpoint = "get_agent")]
pub async fn get_agent(slug: String) -> Result<AgentView, AppError> {
    use super::{LinkedDatasetView, PriceView};
    use crate::components::snippets::{agent_snippets, AgentRequest};
    use crate::domain::agents::{render_prompt, Tool};
    use crate::domain::datasets::DatasetIndustry;
    use crate::server::datasets::card;
    use crate::server::services::agents;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let (row, datasets, price) =
            agents::agent(&state.pool, slug.trim(), crate::server::is_staff())
                .await
                .map_err(crate::server::internal)?
                .ok_or_else(|| {
                    AppError::NotFound("There is no published agent at this address.".to_owned())
                })?;
        let industry = DatasetIndustry::parse(&row.industry);
        let user_name = crate::server::caller()
            .map_or_else(|| "a developer".to_owned(), |caller| caller.display_name);
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let system_prompt = render_prompt(&row.system_prompt, &user_name, &today);
        let max_tokens = u32::try_from(row.max_tokens).unwrap_or(1);
        let code = agent_snippets(
            &crate::server::api_base_url(&state),
            &AgentRequest {
                model: &row.model,
                system_prompt: &system_prompt,
                temperature: row.temperature,
                top_p: row.top_p,
                max_tokens,
                question: row.example_prompts.first().map_or("Hello!", String::as_str),
            },
        )
        .into_iter()
        .map(|(language, code)| (language.to_owned(), code))
        .collect();
        Ok(AgentView {
            preview: row.published_version != Some(row.number),
            industry: industry
                .map_or(row.industry.as_str(), |i| i.label())
                .to_owned(),
            industry_value: row.industry.clone(),
            description_html: card::render(&row.description),
            price: price.map(|(i, o)| PriceView::of(i, o)),
            temperature: row.temperature,
            top_p: row.top_p,
            max_tokens,
            code,
            datasets: datasets
                .into_iter()
                .map(|d| LinkedDatasetView {
                    slug: d.slug,
                    title: d.title,
                    summary: d.summary,
                })
                .collect(),
            tools: row
                .tools
                .iter()
                .filter_map(|t| Tool::parse(t))
                .map(|t| t.label().to_owned())
                .collect(),
            version: row.number,
            featured: row.featured,
            slug: row.slug,
            name: row.name,
            summary: row.summary,
            icon: row.icon,
            model: row.model,
            opening_message: row.opening_message,
            example_prompts: row.example_prompts,
        })
    })
    .await
}
