//! `/admin/agents`: every agent with its state, and importing one from its
//! file; `/admin/agents/{slug}`: one agent's console: its file edited (a
//! draft saved, or saved and published), its version history (any version
//! published again), taking it out of the gallery, a preview of the newest
//! version in the playground, and its file to download.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{admin_frame, done_flag, empty_state, load_error};
use crate::api::admin::{
    get_staff_agent, list_staff_agents, PreviewAgent, PublishAgent, SaveAgent, StaffAgentRow,
    StaffAgentView, StaffVersionRow, UnpublishAgent,
};
use crate::components::form::{action_error, field_error, FormError, Notice};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::error::AppError;
use crate::href;

/// `/admin/agents`.
#[component]
pub fn AdminAgentsPage() -> impl IntoView {
    admin_frame("Agents", || view! { <Agents /> })
}

#[component]
fn Agents() -> impl IntoView {
    let agents = Resource::new(|| (), |_| list_staff_agents());
    let save = ServerAction::<SaveAgent>::new();
    let error = action_error(save.value());
    view! {
        <PageHeader
            title="Agents"
            lead="Every agent, published or not. Open one to edit it, publish a version or preview it."
        />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading agents…"</p> }
        }>
            {move || Suspend::new(async move {
                match agents.await {
                    Ok(rows) => agents_table(rows).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
        <section class="agent-admin-section" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import an agent"</h2>
            <p class="muted">
                "Paste an agent file (format " <code>"lab-portal-agent/1"</code>
                ", documented in the repository's " <code>"server/seed/agents/README.md"</code>
                "). A new slug makes a new agent; a known slug drafts its next version."
            </p>
            <FormError error />
            <ActionForm action=save attr:class="form">
                {file_fields(error, String::new(), 14)}
                <button type="submit" class="button button-primary">
                    "Import"
                </button>
            </ActionForm>
        </section>
    }
}

/// The fields of an agent file form (import and edit): the file, what
/// changed, and whether to publish it.
fn file_fields(error: Signal<Option<AppError>>, file: String, rows: u32) -> impl IntoView {
    view! {
        <div class="field">
            <label for="file">"Agent file (JSON)"</label>
            <textarea
                id="file"
                name="file"
                rows=rows
                class="code-input"
                required
                aria-describedby="file-error"
            >
                {file}
            </textarea>
            <p id="file-error" class="field-error" role="alert">
                {move || field_error(error, "file").get()}
            </p>
        </div>
        <div class="field">
            <label for="changelog">"What changed"</label>
            <input id="changelog" name="changelog" maxlength="500" />
        </div>
        <label class="checkbox">
            <input type="checkbox" name="publish" value="on" />
            " Publish it at once"
        </label>
    }
}

fn agents_table(rows: Vec<StaffAgentRow>) -> impl IntoView {
    if rows.is_empty() {
        return empty_state(
            "No agents",
            "No agent has been imported yet: paste an agent file below.".to_owned(),
        )
        .into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Agents, by name"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Industry"</th>
                        <th scope="col">"In the gallery"</th>
                        <th scope="col">"Newest version"</th>
                        <th scope="col">"Changed"</th>
                    </tr>
                </thead>
                <tbody>{rows.into_iter().map(agent_row).collect_view()}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn agent_row(row: StaffAgentRow) -> impl IntoView {
    let gallery = match row.published {
        Some(number) => {
            view! { <Badge tone=Tone::Good text=format!("Version {number}") /> }.into_any()
        }
        None => view! { <Badge tone=Tone::Warning text="Not published" /> }.into_any(),
    };
    let newest = if row.draft {
        format!("{} (draft)", row.newest)
    } else {
        row.newest.to_string()
    };
    view! {
        <tr>
            <td data-label="Agent">
                <span aria-hidden="true">{format!("{} ", row.icon)}</span>
                <a href=href::admin_agent(&row.slug)>{row.name}</a>
                {row
                    .featured
                    .then(|| {
                        view! {
                            " "
                            <Badge tone=Tone::Accent text="Featured" />
                        }
                    })}
            </td>
            <td data-label="Industry">{row.industry}</td>
            <td data-label="In the gallery">{gallery}</td>
            <td data-label="Newest version">{newest}</td>
            <td data-label="Changed" class="admin-nowrap">
                {row.updated}
            </td>
        </tr>
    }
}

/// `/admin/agents/{slug}`.
#[component]
pub fn AdminAgentPage() -> impl IntoView {
    admin_frame("Agent", || view! { <Agent /> })
}

#[component]
fn Agent() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let save = ServerAction::<SaveAgent>::new();
    let publish = ServerAction::<PublishAgent>::new();
    let unpublish = ServerAction::<UnpublishAgent>::new();
    let preview = ServerAction::<PreviewAgent>::new();
    let agent = Resource::new(
        move || {
            (
                slug.get(),
                save.version().get(),
                publish.version().get(),
                unpublish.version().get(),
            )
        },
        |(slug, ..)| get_staff_agent(slug),
    );
    let actions = Actions {
        save,
        publish,
        unpublish,
        preview,
    };
    view! {
        <Notice show=done_flag("saved") message="The draft is saved." />
        <Notice
            show=done_flag("unchanged")
            message="Nothing changed: the newest version holds this file already."
        />
        <Notice show=done_flag("published") message="Published: the gallery shows this version." />
        <Notice show=done_flag("unpublished") message="The agent is out of the gallery." />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading the agent…"</p> }
        }>
            {move || Suspend::new(async move {
                match agent.await {
                    Ok(view) => agent_console(view, actions).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveAgent>,
    publish: ServerAction<PublishAgent>,
    unpublish: ServerAction<UnpublishAgent>,
    preview: ServerAction<PreviewAgent>,
}

fn agent_console(view: StaffAgentView, actions: Actions) -> impl IntoView {
    let Actions {
        save,
        publish,
        unpublish,
        preview,
    } = actions;
    let save_error = action_error(save.value());
    let publish_error = action_error(publish.value());
    let unpublish_error = action_error(unpublish.value());
    let preview_error = action_error(preview.value());
    let StaffAgentView {
        slug,
        name,
        icon,
        published,
        newest,
        draft,
        file,
        versions,
    } = view;
    let state = match published {
        Some(number) => format!("The gallery shows version {number}."),
        None => "Not in the gallery.".to_owned(),
    };
    let (slug_save, slug_unpublish, slug_preview, slug_history) =
        (slug.clone(), slug.clone(), slug.clone(), slug.clone());
    view! {
        <PageHeader eyebrow="Agent" title=format!("{icon} {name}") lead=state>
            {published
                .map(|_| {
                    view! {
                        <a class="button" href=href::agent(&slug)>
                            "Gallery page"
                        </a>
                    }
                })}
            <a class="button" href=href::admin_agent_file(&slug) download>
                "Download the file"
            </a>
        </PageHeader>
        <FormError error=preview_error />
        <FormError error=unpublish_error />
        <div class="agent-actions">
            <ActionForm action=preview attr:class="inline-form">
                <input type="hidden" name="slug" value=slug_preview />
                <button type="submit" class="button">
                    {format!(
                        "Preview version {newest}{} in the playground",
                        if draft { " (draft)" } else { "" },
                    )}
                </button>
            </ActionForm>
            {published
                .map(|_| {
                    view! {
                        <ActionForm action=unpublish attr:class="inline-form">
                            <input type="hidden" name="slug" value=slug_unpublish />
                            <button type="submit" class="button button-danger">
                                "Take out of the gallery"
                            </button>
                        </ActionForm>
                    }
                })}
        </div>
        <section class="agent-admin-section" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Edit"</h2>
            <p class="muted">
                {if draft {
                    format!("Saving rewrites the draft, version {newest}.")
                } else {
                    format!(
                        "Version {newest} is published and never changes: saving drafts version {}.",
                        newest + 1,
                    )
                }}
            </p>
            <FormError error=save_error />
            <ActionForm action=save attr:class="form">
                <input type="hidden" name="slug" value=slug_save />
                {file_fields(save_error, file, 24)}
                <button type="submit" class="button button-primary">
                    "Save"
                </button>
            </ActionForm>
        </section>
        <section class="agent-admin-section" aria-labelledby="history-heading">
            <h2 id="history-heading">"Versions"</h2>
            <FormError error=publish_error />
            <ol class="agent-history" reversed>
                {versions
                    .into_iter()
                    .map(|version| version_row(&slug_history, version, publish))
                    .collect_view()}
            </ol>
        </section>
    }
}

fn version_row(
    slug: &str,
    version: StaffVersionRow,
    publish: ServerAction<PublishAgent>,
) -> impl IntoView {
    let (tone, label) = match (version.live, version.draft) {
        (true, _) => (Tone::Good, "In the gallery".to_owned()),
        (false, true) => (Tone::Warning, "Draft".to_owned()),
        (false, false) => (
            Tone::Neutral,
            format!(
                "Published {}",
                version.published.clone().unwrap_or_default()
            ),
        ),
    };
    let can_publish = !version.live;
    let slug = slug.to_owned();
    let number = version.number;
    view! {
        <li class="agent-version">
            <p>
                <strong>{format!("Version {number}")}</strong>
                " "
                <Badge tone text=label />
                <span class="muted">{format!(" · {}", version.model)}</span>
            </p>
            {(!version.changelog.is_empty()).then(|| view! { <p>{version.changelog}</p> })}
            {can_publish
                .then(|| {
                    view! {
                        <ActionForm action=publish attr:class="inline-form">
                            <input type="hidden" name="slug" value=slug />
                            <input type="hidden" name="number" value=number.to_string() />
                            <button type="submit" class="button">
                                {if version.draft {
                                    "Publish this draft"
                                } else {
                                    "Show this version again"
                                }}
                            </button>
                        </ActionForm>
                    }
                })}
        </li>
    }
}
