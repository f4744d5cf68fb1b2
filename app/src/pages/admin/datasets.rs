//! Curation: `/admin/datasets` (every dataset, published or not),
//! `/admin/datasets/new` (create one) and `/admin/datasets/{slug}` (its
//! console: the draft's card, changelog and files, a preview, publishing
//! and unpublishing versions, featuring, and its description). Every form
//! works without JavaScript; uploads are plain `multipart/form-data` posts.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{admin_frame, done_flag, empty_state, load_error, page_param, pager, query_param};
use crate::api::admin::{
    get_curated_dataset, list_curated_datasets, CreateDataset, CuratedDataset, CuratedRow,
    DatasetForm, DraftView, ImportDataPackage, PublishDatasetVersion, RemoveDatasetFile,
    SaveDatasetDraft, SetDatasetFeatured, StartDatasetVersion, UnpublishDatasetVersion,
    UpdateDataset, UploadDatasetFile,
};
use crate::components::form::{
    action_error, field_error, kept_fields, FormError, KeptFields, Notice, SelectField,
    TextAreaField, TextField,
};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::domain::dataset_forms::UNKNOWN_LICENSE;
use crate::domain::datasets::{Access, DatasetIndustry, TASKS};
use crate::domain::paging::Page;
use crate::error::AppError;
use crate::{format, href};

/// `/admin/datasets`.
#[component]
pub fn AdminDatasetsPage() -> impl IntoView {
    admin_frame("Datasets", || view! { <DatasetList /> })
}

/// `/admin/datasets/new`.
#[component]
pub fn AdminNewDatasetPage() -> impl IntoView {
    admin_frame("New dataset", || view! { <NewDataset /> })
}

/// `/admin/datasets/{slug}`.
#[component]
pub fn AdminDatasetPage() -> impl IntoView {
    admin_frame("Dataset console", || view! { <Console /> })
}

#[component]
fn DatasetList() -> impl IntoView {
    let q = query_param("q");
    let page = page_param();
    let datasets = Resource::new(
        move || (q.get(), page.get()),
        |(q, page)| list_curated_datasets(q, page),
    );
    view! {
        <PageHeader
            title="Datasets"
            lead="Every dataset, published or not. Open one to prepare its next version, publish it, or change what it says about itself."
        >
            <p>
                <a class="button button-primary" href=href::admin_new_dataset()>
                    "New dataset"
                </a>
            </p>
        </PageHeader>
        <Form method="GET" action=href::admin_datasets() attr:class="filter-bar">
            <div class="field">
                <label for="datasets-q">"Title or slug"</label>
                <input id="datasets-q" name="q" type="search" value=move || q.get() />
            </div>
            <button type="submit" class="button">
                "Search"
            </button>
        </Form>
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading datasets…"</p> }
        }>
            {move || Suspend::new(async move {
                let search = q.get_untracked();
                match datasets.await {
                    Ok(found) => dataset_table(found, search).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
        {import_form()}
    }
}

/// Importing a Frictionless data package (a plain `multipart/form-data`
/// post, with or without JavaScript).
fn import_form() -> impl IntoView {
    let error = posted_error(<ImportDataPackage as ServerFn>::PATH);
    let file_error = field_error(error, "file");
    let general = Signal::derive(move || error.get().filter(|e| e.field_message("file").is_none()));
    let industries: Vec<(String, String)> = DatasetIndustry::ALL
        .iter()
        .map(|i| (i.as_str().to_owned(), i.label().to_owned()))
        .collect();
    let action = <ImportDataPackage as ServerFn>::PATH;
    view! {
        <section aria-labelledby="import-heading">
            <h2 id="import-heading">"Import a data package"</h2>
            <p>
                "A Frictionless data package as a .zip: " <code>"datapackage.json"</code>
                " (name, title, description, licenses, sources, keywords, resources and their schemas), its data files, and a "
                <code>"README.md"</code>
                " for the card if it has one. It becomes a new dataset with a draft version 1 to preview and publish."
            </p>
            <form
                method="post"
                action=action
                enctype="multipart/form-data"
                class="form admin-upload-form"
            >
                <FormError error=general />
                <SelectField
                    label="Industry"
                    name="industry"
                    options=industries
                    placeholder="Choose an industry"
                    hint="Used when the package does not say (packages from elsewhere do not)."
                />
                <div class="field">
                    <label for="package-file">"Package (.zip)"</label>
                    <input
                        id="package-file"
                        name="file"
                        type="file"
                        accept=".zip,application/zip"
                        required
                        aria-invalid=move || file_error.get().map(|_| "true")
                        aria-describedby=move || file_error.get().map(|_| "package-file-error")
                    />
                    <Show when=move || file_error.get().is_some()>
                        <p class="field-error" id="package-file-error">
                            {move || file_error.get()}
                        </p>
                    </Show>
                </div>
                <button type="submit" class="button">
                    "Import"
                </button>
            </form>
        </section>
    }
}

fn dataset_table(found: Page<CuratedRow>, q: String) -> impl IntoView {
    if found.total == 0 {
        let text = if q.is_empty() {
            "Create the first one, or start the portal with the starter catalog."
        } else {
            "No dataset's title or slug contains this."
        };
        return empty_state("No datasets", text.to_owned()).into_any();
    }
    let nav = pager(&found, href::admin_datasets(), &[("q", q)]);
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">"Datasets"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Dataset"</th>
                        <th scope="col">"Industry"</th>
                        <th scope="col">"Access"</th>
                        <th scope="col">"In the catalog"</th>
                        <th scope="col">"Draft"</th>
                        <th scope="col" class="num">
                            "Downloads"
                        </th>
                        <th scope="col">"Changed"</th>
                    </tr>
                </thead>
                <tbody>
                    {found
                        .items
                        .into_iter()
                        .map(|d| {
                            let featured = d
                                .featured
                                .then(|| view! { <Badge tone=Tone::Accent text="Featured" /> });
                            view! {
                                <tr>
                                    <td data-label="Dataset">
                                        <a href=href::admin_dataset(&d.slug)>{d.title}</a>
                                        " "
                                        {featured}
                                        <br />
                                        <code class="muted">{d.slug}</code>
                                    </td>
                                    <td data-label="Industry">{d.industry}</td>
                                    <td data-label="Access">{d.access}</td>
                                    <td data-label="In the catalog">
                                        {d
                                            .latest
                                            .map_or_else(
                                                || "No".to_owned(),
                                                |n| format!("Version {n}"),
                                            )}
                                    </td>
                                    <td data-label="Draft">
                                        {d
                                            .draft
                                            .map_or_else(
                                                || "—".to_owned(),
                                                |n| format!("Version {n}"),
                                            )}
                                    </td>
                                    <td data-label="Downloads" class="num">
                                        {format::grouped(d.downloads)}
                                    </td>
                                    <td data-label="Changed">{d.updated}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn back_link() -> impl IntoView {
    view! {
        <p>
            <a href=href::admin_datasets()>"← All datasets"</a>
        </p>
    }
}

#[component]
fn NewDataset() -> impl IntoView {
    let action = ServerAction::<CreateDataset>::new();
    let error = action_error(action.value());
    let values = kept_form(
        &kept_fields(<CreateDataset as ServerFn>::PATH),
        DatasetForm {
            access: Access::Open.as_str().to_owned(),
            publisher: "AI Innovation Lab".to_owned(),
            ..DatasetForm::default()
        },
    );
    view! {
        {back_link()}
        <PageHeader
            title="New dataset"
            lead="Describe it first. It stays out of the catalog until you upload its files and publish its first version."
        />
        <ActionForm action attr:class="form admin-edit-form" attr:novalidate=true>
            <FormError error />
            {dataset_fields(error, values, true)}
            <button
                type="submit"
                class="button button-primary"
                disabled=move || action.pending().get()
            >
                "Create dataset"
            </button>
        </ActionForm>
    }
}

/// `base` with what a failed post without JavaScript kept in its place.
fn kept_form(kept: &KeptFields, base: DatasetForm) -> DatasetForm {
    if kept.is_empty() {
        return base;
    }
    let text = |name: &str, base: String| kept.get(name).unwrap_or(base);
    DatasetForm {
        slug: text("slug", base.slug),
        title: text("title", base.title),
        summary: text("summary", base.summary),
        industry: text("industry", base.industry),
        tasks: TASKS
            .iter()
            .filter_map(|(task, _)| {
                kept.get(&format!("tasks[{task}]"))
                    .map(|v| ((*task).to_owned(), v))
            })
            .collect(),
        license_id: text("license_id", base.license_id),
        license_name: text("license_name", base.license_name),
        license_url: text("license_url", base.license_url),
        languages: text("languages", base.languages),
        tags: text("tags", base.tags),
        publisher: text("publisher", base.publisher),
        source_name: text("source_name", base.source_name),
        source_url: text("source_url", base.source_url),
        citation: text("citation", base.citation),
        access: text("access", base.access),
        terms: text("terms", base.terms),
        request_fields: text("request_fields", base.request_fields),
    }
}

/// The dataset form's fields, filled with `values`; the slug is asked for
/// only when creating (it never changes after).
fn dataset_fields(
    error: Signal<Option<AppError>>,
    values: DatasetForm,
    creating: bool,
) -> impl IntoView {
    let industries = DatasetIndustry::ALL
        .iter()
        .map(|i| (i.as_str().to_owned(), i.label().to_owned()))
        .collect();
    let levels = Access::ALL
        .iter()
        .map(|a| (a.as_str().to_owned(), a.label().to_owned()))
        .collect();
    let slug = if creating {
        view! {
            <TextField
                label="Slug"
                name="slug"
                required=true
                maxlength=64
                autocomplete="off"
                hint="Its name in every link, like grid-load: lower-case letters, digits and hyphens. It cannot change later."
                value=values.slug.clone()
                error=field_error(error, "slug")
            />
        }
        .into_any()
    } else {
        view! { <input type="hidden" name="slug" value=values.slug.clone() /> }.into_any()
    };
    let tasks_error = field_error(error, "tasks");
    let ticked = values.tasks.clone();
    view! {
        {slug}
        <TextField
            label="Title"
            name="title"
            required=true
            maxlength=120
            autocomplete="off"
            value=values.title
            error=field_error(error, "title")
        />
        <TextField
            label="Summary"
            name="summary"
            required=true
            maxlength=300
            autocomplete="off"
            hint="One line: what it is, for whom."
            value=values.summary
            error=field_error(error, "summary")
        />
        <SelectField
            label="Industry"
            name="industry"
            options=industries
            placeholder="Choose an industry"
            required=true
            selected=values.industry
            error=field_error(error, "industry")
        />
        <fieldset
            class="field admin-checkboxes"
            aria-describedby=move || tasks_error.get().map(|_| "tasks-error")
        >
            <legend>"Tasks it suits"</legend>
            {TASKS
                .iter()
                .map(|(value, label)| {
                    let id = format!("task-{value}");
                    let label_for = id.clone();
                    let checked = ticked.contains_key(*value);
                    view! {
                        <label for=label_for class="checkbox">
                            <input
                                id=id
                                type="checkbox"
                                name=format!("tasks[{value}]")
                                checked=checked
                            />
                            {*label}
                        </label>
                    }
                })
                .collect_view()}
            <Show when=move || tasks_error.get().is_some()>
                <p class="field-error" id="tasks-error">
                    {move || tasks_error.get()}
                </p>
            </Show>
        </fieldset>
        <TextField
            label="License SPDX id"
            name="license_id"
            maxlength=100
            autocomplete="off"
            hint="Like CC-BY-4.0, CC0-1.0 or MIT. Leave it empty when the source publishes no license or none with an SPDX id."
            value=values.license_id
            error=field_error(error, "license_id")
        />
        <TextField
            label="License name"
            name="license_name"
            required=true
            maxlength=200
            autocomplete="off"
            hint="Exactly as the source publishes it; when it publishes none, write: unknown — see source"
            value=if values.license_name.is_empty() && !creating {
                UNKNOWN_LICENSE.to_owned()
            } else {
                values.license_name
            }
            error=field_error(error, "license_name")
        />
        <TextField
            label="License link"
            name="license_url"
            kind="url"
            maxlength=500
            autocomplete="off"
            value=values.license_url
            error=field_error(error, "license_url")
        />
        <TextField
            label="Publisher"
            name="publisher"
            required=true
            maxlength=200
            autocomplete="off"
            hint="Who publishes it here."
            value=values.publisher
            error=field_error(error, "publisher")
        />
        <TextField
            label="Source"
            name="source_name"
            required=true
            maxlength=300
            autocomplete="off"
            hint="Who made the data, where it came from."
            value=values.source_name
            error=field_error(error, "source_name")
        />
        <TextField
            label="Source link"
            name="source_url"
            kind="url"
            maxlength=500
            autocomplete="off"
            value=values.source_url
            error=field_error(error, "source_url")
        />
        <TextAreaField
            label="Citation"
            name="citation"
            rows=3
            maxlength=2000
            value=values.citation
            error=field_error(error, "citation")
        />
        <TextField
            label="Languages"
            name="languages"
            maxlength=900
            autocomplete="off"
            hint="Separated by commas, like en, fr. Leave empty for data without words."
            value=values.languages
            error=field_error(error, "languages")
        />
        <TextField
            label="Tags"
            name="tags"
            maxlength=900
            autocomplete="off"
            hint="Separated by commas; searched like the summary."
            value=values.tags
            error=field_error(error, "tags")
        />
        <SelectField
            label="Access"
            name="access"
            options=levels
            required=true
            hint="Open: any signed-in user downloads. Accept terms: after accepting the terms below. Approval required: after staff approve a request."
            selected=values.access
            error=field_error(error, "access")
        />
        <TextAreaField
            label="Terms (Markdown)"
            name="terms"
            rows=6
            hint="For access \"Accept terms\". Changing them asks everyone to accept again."
            value=values.terms
            error=field_error(error, "terms")
        />
        <TextAreaField
            label="Request form questions (JSON)"
            name="request_fields"
            rows=6
            code=true
            hint="For access \"Approval required\": a list like [{\"name\": \"purpose\", \"label\": \"What will you use it for?\", \"kind\": \"text\", \"required\": true}]. Kinds: text, select (with \"options\"), country, checkbox."
            value=values.request_fields
            error=field_error(error, "request_fields")
        />
    }
}

/// The `:slug` of the current URL.
fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}

/// The console's forms, which reload it when they succeed.
#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateDataset>,
    featured: ServerAction<SetDatasetFeatured>,
    start: ServerAction<StartDatasetVersion>,
    save: ServerAction<SaveDatasetDraft>,
    remove: ServerAction<RemoveDatasetFile>,
    publish: ServerAction<PublishDatasetVersion>,
    unpublish: ServerAction<UnpublishDatasetVersion>,
}

impl Actions {
    fn new() -> Self {
        Self {
            update: ServerAction::new(),
            featured: ServerAction::new(),
            start: ServerAction::new(),
            save: ServerAction::new(),
            remove: ServerAction::new(),
            publish: ServerAction::new(),
            unpublish: ServerAction::new(),
        }
    }

    /// Changes whenever one of them succeeds or fails.
    fn version(&self) -> usize {
        self.update.version().get()
            + self.featured.version().get()
            + self.start.version().get()
            + self.save.version().get()
            + self.remove.version().get()
            + self.publish.version().get()
            + self.unpublish.version().get()
    }

    /// The error of the last failed action but the forms' own.
    fn general_error(&self) -> Signal<Option<AppError>> {
        let errors = [
            action_error(self.featured.value()),
            action_error(self.start.value()),
            action_error(self.remove.value()),
            action_error(self.publish.value()),
            action_error(self.unpublish.value()),
            {
                let upload = upload_error();
                Signal::derive(move || upload.get().filter(|e| e.field_message("file").is_none()))
            },
        ];
        Signal::derive(move || errors.iter().find_map(|e| e.get()))
    }
}

/// The error of the last post to `path` when the server sent the browser
/// back here with it (uploads are plain form posts).
fn posted_error(path: &'static str) -> Signal<Option<AppError>> {
    let query = use_query_map();
    Signal::derive(move || {
        let query = query.read();
        if query.get_str("__path") != Some(path) {
            return None;
        }
        query
            .get_str("__err")
            .map(ServerFnUrlError::<AppError>::decode_err)
    })
}

/// The error of the last file upload into the draft.
fn upload_error() -> Signal<Option<AppError>> {
    posted_error(<UploadDatasetFile as ServerFn>::PATH)
}

#[component]
fn Console() -> impl IntoView {
    let slug = slug_param();
    let actions = Actions::new();
    let dataset = Resource::new(
        move || (slug.get(), actions.version()),
        |(slug, _)| get_curated_dataset(slug),
    );
    let general = actions.general_error();
    view! {
        {back_link()}
        <Notice
            show=done_flag("created")
            message="Dataset created. Upload its files, then publish version 1."
        />
        <Notice
            show=done_flag("imported")
            message="Package imported as a draft. Preview it, then publish version 1."
        />
        <Notice show=done_flag("saved") message="Description saved." />
        <Notice show=done_flag("featured") message="Featured in the catalog." />
        <Notice show=done_flag("unfeatured") message="No longer featured." />
        <Notice show=done_flag("started") message="Draft started from the latest version." />
        <Notice show=done_flag("draft-saved") message="Draft saved." />
        <Notice show=done_flag("uploaded") message="File added to the draft." />
        <Notice show=done_flag("file-removed") message="File removed from the draft." />
        <Notice show=done_flag("published") message="Published: the catalog shows it now." />
        <Notice show=done_flag("unpublished") message="Unpublished." />
        <FormError error=general />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match dataset.await {
                    Ok(d) => console_view(d, actions).into_any(),
                    Err(e) => load_error(e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn console_view(d: CuratedDataset, actions: Actions) -> impl IntoView {
    let status = match d.latest {
        Some(n) => format!("In the catalog at version {n}."),
        None => "Not in the catalog: no version is published.".to_owned(),
    };
    let public = d.latest.map(|_| {
        view! { <a href=href::dataset(&d.slug)>"Its page in the catalog"</a> }
    });
    let draft = match d.draft.clone() {
        Some(draft) => draft_view(d.slug.clone(), draft, &d.upload_limit, actions).into_any(),
        None => start_form(d.slug.clone(), actions).into_any(),
    };
    let versions = versions_view(&d, actions);
    let featured_form = featured_form(d.slug.clone(), d.featured, actions);
    let update_error = action_error(actions.update.value());
    let update = actions.update;
    let form = kept_form(
        &kept_fields(<UpdateDataset as ServerFn>::PATH),
        d.form.clone(),
    );
    view! {
        <PageHeader eyebrow="Dataset" title=d.title.clone() lead=status>
            <p>{public}</p>
        </PageHeader>
        {featured_form}
        {draft}
        {versions}
        <section aria-labelledby="describe-heading">
            <h2 id="describe-heading">"Description"</h2>
            <p class="muted">
                "What the dataset says about itself, whatever the version. Saved at once for every version."
            </p>
            <ActionForm action=update attr:class="form admin-edit-form" attr:novalidate=true>
                <FormError error=update_error />
                {dataset_fields(update_error, form, false)}
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || update.pending().get()
                >
                    "Save description"
                </button>
            </ActionForm>
        </section>
    }
}

fn featured_form(slug: String, featured: bool, actions: Actions) -> impl IntoView {
    let (text, button) = if featured {
        (
            "Featured: listed first when the catalog is browsed.",
            "Stop featuring",
        )
    } else {
        ("Not featured.", "Feature in the catalog")
    };
    view! {
        <ActionForm action=actions.featured attr:class="admin-inline-form">
            <input type="hidden" name="slug" value=slug.clone() />
            <input type="hidden" name="featured" value=(!featured).to_string() />
            <span>{text}</span>
            " "
            <button type="submit" class="button">
                {button}
            </button>
        </ActionForm>
    }
}

fn start_form(slug: String, actions: Actions) -> impl IntoView {
    view! {
        <section aria-labelledby="draft-heading">
            <h2 id="draft-heading">"Next version"</h2>
            <p>
                "Published versions never change. To change files or the card, start a draft: it begins as a copy of the newest version."
            </p>
            <ActionForm action=actions.start attr:class="admin-inline-form">
                <input type="hidden" name="slug" value=slug.clone() />
                <button type="submit" class="button button-primary">
                    "Start the next version"
                </button>
            </ActionForm>
        </section>
    }
}

fn draft_view(slug: String, draft: DraftView, limit: &str, actions: Actions) -> impl IntoView {
    let heading = format!("Draft: version {}", draft.number);
    let save_error = action_error(actions.save.value());
    let publish_error = action_error(actions.publish.value());
    let changelog_error = Signal::derive(move || {
        field_error(save_error, "changelog")
            .get()
            .or_else(|| field_error(publish_error, "changelog").get())
    });
    let upload_file_error = field_error(upload_error(), "file");
    let files = draft_files(&slug, &draft, actions);
    let preview = href::dataset_version(&slug, draft.number);
    let save = actions.save;
    let upload_path = <UploadDatasetFile as ServerFn>::PATH;
    let upload_hint = format!(
        "CSV, TSV, JSON Lines, Parquet or any other file, at most {limit}. Tabular files are checked row by row; a file with the same name is replaced."
    );
    let number = draft.number.to_string();
    let (save_slug, publish_slug, upload_slug) = (slug.clone(), slug.clone(), slug.clone());
    view! {
        <section aria-labelledby="draft-heading" class="admin-draft">
            <h2 id="draft-heading">{heading}</h2>
            <p>
                "Only staff see a draft. " <a href=preview>"Preview it as users will see it"</a> "."
            </p>
            <h3>"Files"</h3>
            {files}
            <form
                method="post"
                action=upload_path
                enctype="multipart/form-data"
                class="form admin-upload-form"
            >
                <input type="hidden" name="slug" value=upload_slug />
                <div class="field">
                    <label for="dataset-file">"Add a file"</label>
                    <input
                        id="dataset-file"
                        name="file"
                        type="file"
                        required
                        aria-invalid=move || upload_file_error.get().map(|_| "true")
                        aria-describedby=move || {
                            if upload_file_error.get().is_some() {
                                "dataset-file-hint dataset-file-error"
                            } else {
                                "dataset-file-hint"
                            }
                        }
                    />
                    <p class="field-hint" id="dataset-file-hint">
                        {upload_hint}
                    </p>
                    <Show when=move || upload_file_error.get().is_some()>
                        <p class="field-error" id="dataset-file-error">
                            {move || upload_file_error.get()}
                        </p>
                    </Show>
                </div>
                <button type="submit" class="button">
                    "Upload"
                </button>
            </form>
            <h3>"Card and changelog"</h3>
            <ActionForm action=save attr:class="form admin-edit-form" attr:novalidate=true>
                <FormError error=save_error />
                <input type="hidden" name="slug" value=save_slug />
                <TextField
                    label="Changelog line"
                    name="changelog"
                    maxlength=500
                    autocomplete="off"
                    hint="What this version changes, in one line. Needed to publish."
                    value=draft.changelog
                    error=changelog_error
                />
                <TextAreaField
                    label="Card (Markdown)"
                    name="card"
                    rows=14
                    hint="What it is, where it comes from, its columns, how to use it. Tables allowed; scripts, event handlers and images from elsewhere are removed."
                    value=draft.card
                    error=field_error(save_error, "card")
                />
                <button type="submit" class="button" disabled=move || save.pending().get()>
                    "Save draft"
                </button>
            </ActionForm>
            <ActionForm action=actions.publish attr:class="admin-inline-form">
                <input type="hidden" name="slug" value=publish_slug />
                <input type="hidden" name="number" value=number />
                <button type="submit" class="button button-primary">
                    {format!("Publish version {}", draft.number)}
                </button>
                " "
                <span class="muted">"Save the draft first: publishing freezes what is saved."</span>
            </ActionForm>
        </section>
    }
}

fn draft_files(slug: &str, draft: &DraftView, actions: Actions) -> impl IntoView {
    if draft.files.is_empty() {
        return view! { <p class="muted">"No files yet: upload the first below."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">"Files of the draft"</caption>
                <thead>
                    <tr>
                        <th scope="col">"File"</th>
                        <th scope="col">"Format"</th>
                        <th scope="col" class="num">
                            "Size"
                        </th>
                        <th scope="col" class="num">
                            "Rows"
                        </th>
                        <th scope="col" class="num">
                            "Columns"
                        </th>
                        <th scope="col">"SHA-256"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {draft
                        .files
                        .iter()
                        .map(|f| {
                            let label = format!("Remove {}", f.name);
                            let slug = slug.to_owned();
                            let name = f.name.clone();
                            view! {
                                <tr>
                                    <td data-label="File">
                                        <code>{f.name.clone()}</code>
                                    </td>
                                    <td data-label="Format">{f.format.clone()}</td>
                                    <td data-label="Size" class="num">
                                        {format::bytes(f.bytes)}
                                    </td>
                                    <td data-label="Rows" class="num">
                                        {f.rows.map_or_else(|| "—".to_owned(), format::grouped)}
                                    </td>
                                    <td data-label="Columns" class="num">
                                        {if f.columns == 0 {
                                            "—".to_owned()
                                        } else {
                                            f.columns.to_string()
                                        }}
                                    </td>
                                    <td data-label="SHA-256" class="admin-break">
                                        <code>{f.sha256.clone()}</code>
                                    </td>
                                    <td data-label="Actions">
                                        <ActionForm
                                            action=actions.remove
                                            attr:class="admin-inline-form"
                                        >
                                            <input type="hidden" name="slug" value=slug.clone() />
                                            <input type="hidden" name="name" value=name />
                                            <button
                                                type="submit"
                                                class="button admin-danger"
                                                aria-label=label
                                            >
                                                "Remove"
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

fn versions_view(d: &CuratedDataset, actions: Actions) -> impl IntoView {
    let published: Vec<_> = d.versions.iter().filter(|v| v.status != "draft").collect();
    if published.is_empty() {
        return view! {
            <section aria-labelledby="versions-heading">
                <h2 id="versions-heading">"Versions"</h2>
                <p class="muted">"None published yet."</p>
            </section>
        }
        .into_any();
    }
    let slug = d.slug.clone();
    view! {
        <section aria-labelledby="versions-heading">
            <h2 id="versions-heading">"Versions"</h2>
            <div class="table-wrap">
                <table class="data-table">
                    <caption class="visually-hidden">"Versions"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Version"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Changelog"</th>
                            <th scope="col">"Published"</th>
                            <th scope="col" class="num">
                                "Files"
                            </th>
                            <th scope="col" class="num">
                                "Downloads"
                            </th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {published
                            .into_iter()
                            .map(|v| {
                                let live = v.status == "published";
                                let (status, tone) = if live {
                                    ("Published", Tone::Good)
                                } else {
                                    ("Unpublished", Tone::Neutral)
                                };
                                let name = format!("Version {}", v.number);
                                let link = if live {
                                    view! {
                                        <a href=href::dataset_version(&slug, v.number)>{name}</a>
                                    }
                                        .into_any()
                                } else {
                                    view! { <span>{name}</span> }.into_any()
                                };
                                let (label, button) = if live {
                                    (format!("Unpublish version {}", v.number), "Unpublish")
                                } else {
                                    (format!("Publish version {} again", v.number), "Publish again")
                                };
                                let slug = slug.clone();
                                let number = v.number.to_string();
                                let form = if live {
                                    view! {
                                        <ActionForm
                                            action=actions.unpublish
                                            attr:class="admin-inline-form"
                                        >
                                            <input type="hidden" name="slug" value=slug.clone() />
                                            <input type="hidden" name="number" value=number />
                                            <button
                                                type="submit"
                                                class="button admin-danger"
                                                aria-label=label
                                            >
                                                {button}
                                            </button>
                                        </ActionForm>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <ActionForm
                                            action=actions.publish
                                            attr:class="admin-inline-form"
                                        >
                                            <input type="hidden" name="slug" value=slug.clone() />
                                            <input type="hidden" name="number" value=number />
                                            <button type="submit" class="button" aria-label=label>
                                                {button}
                                            </button>
                                        </ActionForm>
                                    }
                                        .into_any()
                                };
                                view! {
                                    <tr>
                                        <td data-label="Version">{link}</td>
                                        <td data-label="Status">
                                            <Badge tone=tone text=status />
                                        </td>
                                        <td data-label="Changelog">{v.changelog.clone()}</td>
                                        <td data-label="Published">
                                            {v.published.clone().unwrap_or_default()}
                                        </td>
                                        <td data-label="Files" class="num">
                                            {v.files}
                                        </td>
                                        <td data-label="Downloads" class="num">
                                            {format::grouped(v.downloads)}
                                        </td>
                                        <td data-label="Actions">{form}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
