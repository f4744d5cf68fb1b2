//! The dataset catalog (`/datasets`: search, facets, sorting, paging) and a
//! dataset's page (`/datasets/{slug}` for the latest version,
//! `/datasets/{slug}/v/{n}` for any published one): card, metadata, files
//! with sizes and checksums, versions, how to load it, and its schema.org
//! description. Public, rendered on the server, every state a URL: they
//! work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{done_flag, load_error};
use crate::api::datasets::{
    get_dataset, search_datasets, AcceptDatasetTerms, AccessView, CatalogView, DatasetCard,
    DatasetView, FacetView, FileView, RequestDatasetAccess,
};
use crate::components::form::{action_error, kept_fields, FormError, Notice};
use crate::components::pager::pager;
use crate::components::snippets::CodeBlock;
use crate::components::ui::{Badge, EmptyState, PageHeader, Tone};
use crate::domain::dataset_access::{FieldKind, RequestField, RequestStatus};
use crate::domain::datasets::Access;
use crate::domain::datasets::{CatalogParams, CatalogQuery, Sort};
use crate::format;
use crate::href;
use leptos::form::ActionForm;
use leptos::server_fn::ServerFn;

/// The catalog parameters a URL carries.
const PARAMS: [&str; 7] = [
    "q", "industry", "task", "license", "format", "size", "access",
];

/// `/datasets`.
#[component]
pub fn DatasetsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let query = query.read();
        let get = |name: &str| query.get(name).unwrap_or_default();
        CatalogParams {
            q: get("q"),
            industry: get("industry"),
            task: get("task"),
            license: get("license"),
            format: get("format"),
            size: get("size"),
            access: get("access"),
            sort: get("sort"),
            page: get("page"),
        }
    });
    let catalog = Resource::new(move || params.get(), search_datasets);
    view! {
        <Title text="Datasets" />
        <section class="container page">
            <PageHeader
                title="Dataset catalog"
                lead="Curated, real open datasets for industry AI work, each with a card describing its source, license and columns."
            />
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match catalog.await {
                        Ok(view) => catalog_view(view).into_any(),
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The URL of the catalog with `query`, changed by `change`.
fn catalog_href(query: &CatalogQuery, change: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("q", query.q.clone()),
        (
            "industry",
            query
                .industry
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default(),
        ),
        ("task", query.task.clone().unwrap_or_default()),
        ("license", query.license.clone().unwrap_or_default()),
        (
            "format",
            query
                .format
                .map(|f| f.as_str().to_owned())
                .unwrap_or_default(),
        ),
        ("size", query.size.clone().unwrap_or_default()),
        (
            "access",
            query
                .access
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default(),
        ),
        (
            "sort",
            if query.sort == Sort::Relevance {
                String::new()
            } else {
                query.sort.as_str().to_owned()
            },
        ),
    ];
    for (name, value) in change {
        if let Some(pair) = pairs.iter_mut().find(|(n, _)| n == name) {
            pair.1 = (*value).to_owned();
        }
    }
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    href::with_query(href::datasets(), &borrowed)
}

fn catalog_view(view: CatalogView) -> impl IntoView {
    let CatalogView {
        query,
        results,
        facets,
    } = view;
    let filtered = !query.q.is_empty()
        || query.industry.is_some()
        || query.task.is_some()
        || query.license.is_some()
        || query.format.is_some()
        || query.size.is_some()
        || query.access.is_some();
    let hidden: Vec<(&'static str, String)> = PARAMS[1..]
        .iter()
        .map(|name| {
            let value = match *name {
                "industry" => query.industry.map(|i| i.as_str().to_owned()),
                "task" => query.task.clone(),
                "license" => query.license.clone(),
                "format" => query.format.map(|f| f.as_str().to_owned()),
                "size" => query.size.clone(),
                _ => query.access.map(|a| a.as_str().to_owned()),
            };
            (*name, value.unwrap_or_default())
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let nav_params: Vec<(&'static str, String)> = {
        let mut all = vec![("q", query.q.clone())];
        all.extend(hidden.iter().cloned());
        if query.sort != Sort::Relevance {
            all.push(("sort", query.sort.as_str().to_owned()));
        }
        all
    };
    let shown = if results.total == 0 {
        if filtered {
            view! {
                <EmptyState title="No dataset matches">
                    <p>"Try other words, or remove a filter."</p>
                    <a class="button" href=href::datasets()>
                        "Show every dataset"
                    </a>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No datasets are published yet">
                    <p>"Datasets appear here once Lab staff have curated and published them."</p>
                </EmptyState>
            }
            .into_any()
        }
    } else {
        let nav = pager(&results, href::datasets(), &nav_params);
        let count = if results.total == 1 {
            "1 dataset".to_owned()
        } else {
            format!("{} datasets", format::grouped(results.total))
        };
        view! {
            <p class="muted" role="status">
                {count}
            </p>
            <ul class="dataset-list">
                {results.items.into_iter().map(dataset_card).collect_view()}
            </ul>
            {nav}
        }
        .into_any()
    };
    let sort = query.sort;
    let facet_views = facets
        .into_iter()
        .filter(|f| !f.values.is_empty())
        .map(|facet| facet_view(facet, &query))
        .collect_view();
    view! {
        <Form method="GET" action=href::datasets() attr:class="filter-bar" attr:role="search">
            <div class="field">
                <label for="dataset-q">"Search datasets"</label>
                <input
                    id="dataset-q"
                    name="q"
                    type="search"
                    value=query.q.clone()
                    placeholder="e.g. flights, electricity, diabetes"
                />
            </div>
            <div class="field">
                <label for="dataset-sort">"Order"</label>
                <select id="dataset-sort" name="sort">
                    {Sort::ALL
                        .into_iter()
                        .map(|s| {
                            view! {
                                <option value=s.as_str() selected=s == sort>
                                    {s.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            {hidden
                .into_iter()
                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                .collect_view()}
            <button type="submit" class="button">
                "Search"
            </button>
        </Form>
        <div class="catalog">
            <nav class="catalog-facets" aria-label="Filters">
                {facet_views}
            </nav>
            <div class="catalog-results">{shown}</div>
        </div>
    }
}

fn facet_view(facet: FacetView, query: &CatalogQuery) -> impl IntoView {
    let param = facet.param.clone();
    let items = facet
        .values
        .into_iter()
        .map(|value| {
            let target = if value.chosen {
                ""
            } else {
                value.value.as_str()
            };
            let link = catalog_href(query, &[(param.as_str(), target), ("page", "")]);
            let current = value.chosen.then_some("true");
            view! {
                <li>
                    <a href=link aria-current=current class:facet-chosen=value.chosen>
                        <span>{value.label}</span>
                        <span class="facet-count">{format::grouped(value.count)}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="facet">
            <h2 class="facet-title">{facet.label}</h2>
            <ul>{items}</ul>
        </section>
    }
}

fn dataset_card(card: DatasetCard) -> impl IntoView {
    let rows = card
        .rows
        .map(|r| format!("{} rows", format::grouped(r)))
        .unwrap_or_default();
    let facts = [
        card.license.clone(),
        card.formats.join(", "),
        rows,
        format!("{} downloads", format::grouped(card.downloads)),
    ]
    .into_iter()
    .filter(|f| !f.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li>
            <article class="card dataset-card">
                <h2 class="dataset-card-title">
                    <a href=href::dataset(&card.slug)>{card.title}</a>
                </h2>
                <p>{card.summary}</p>
                <p class="dataset-badges">
                    <Badge tone=Tone::Accent text=card.industry />
                    {card.featured.then(|| view! { <Badge tone=Tone::Good text="Featured" /> })}
                    <Badge tone=Tone::Neutral text=card.access />
                    {card
                        .tasks
                        .into_iter()
                        .map(|t| view! { <Badge tone=Tone::Neutral text=t /> })
                        .collect_view()}
                </p>
                <p class="muted dataset-facts">{facts}</p>
            </article>
        </li>
    }
}

/// `/datasets/{slug}` and `/datasets/{slug}/v/{n}`.
#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let wanted = Memo::new(move |_| {
        let params = params.read();
        (
            params.get("slug").unwrap_or_default(),
            params
                .get("version")
                .and_then(|v| v.parse::<i32>().ok())
                .unwrap_or(0),
        )
    });
    let actions = AccessActions {
        accept: ServerAction::new(),
        request: ServerAction::new(),
    };
    // A decision made here shows at once, with JavaScript too.
    let dataset = Resource::new(
        move || {
            (
                wanted.get(),
                actions.accept.version().get(),
                actions.request.version().get(),
            )
        },
        |((slug, version), ..)| get_dataset(slug, version),
    );
    view! {
        <section class="container page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match dataset.await {
                        Ok(d) => dataset_view(d, actions).into_any(),
                        Err(e) => {
                            view! {
                                <Title text="Dataset not found" />
                                {load_error(e)}
                                <p>
                                    <a href=href::datasets()>"Back to the catalog"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The access forms of a dataset's page.
#[derive(Clone, Copy)]
struct AccessActions {
    accept: ServerAction<AcceptDatasetTerms>,
    request: ServerAction<RequestDatasetAccess>,
}

fn dataset_view(d: DatasetView, actions: AccessActions) -> impl IntoView {
    let older = if d.draft {
        Some(
            view! {
                <p class="notice" role="note">
                    {format!(
                        "Preview of draft version {}: only staff see it until it is published. ",
                        d.version,
                    )}
                    <a href=href::admin_dataset(&d.slug)>"Back to its console"</a>
                </p>
            }
            .into_any(),
        )
    } else {
        (d.version != d.latest).then(|| {
            view! {
                <p class="notice" role="note">
                    {format!("You are looking at version {} of {}. ", d.version, d.latest)}
                    <a href=href::dataset(&d.slug)>"See the latest version"</a>
                </p>
            }
            .into_any()
        })
    };
    let snippets = load_snippets(&d);
    let files = d.files.clone();
    let versions = d.versions.clone();
    let slug = d.slug.clone();
    let lead = d.summary.clone();
    let (industry, access) = (d.industry.clone(), d.access.clone());
    let version_badge = format!("Version {}", d.version);
    let meta = metadata(&d);
    view! {
        <Title text=d.title.clone() />
        <script type="application/ld+json" inner_html=d.json_ld.clone()></script>
        <PageHeader eyebrow="Dataset" title=d.title.clone() lead=lead>
            <p class="dataset-badges">
                <Badge tone=Tone::Accent text=industry />
                <Badge tone=Tone::Neutral text=access />
                <Badge tone=Tone::Neutral text=version_badge />
            </p>
        </PageHeader>
        {older}
        <div class="dataset-layout">
            <article class="dataset-card-body prose" inner_html=d.card_html.clone()></article>
            <aside class="dataset-meta" aria-label="About this dataset">
                {meta}
            </aside>
        </div>
        {access_section(&d, actions)}
        <section aria-labelledby="files-heading">
            <h2 id="files-heading">"Files"</h2>
            {files_table(files)}
        </section>
        <section aria-labelledby="load-heading">
            <h2 id="load-heading">"How to load it"</h2>
            <p>
                "Downloads need a signed-in account, or an API key from the "
                <a href=href::keys()>"keys page"</a> " in an " <code>"Authorization"</code>
                " header."
            </p>
            {snippets}
        </section>
        <section aria-labelledby="versions-heading">
            <h2 id="versions-heading">"Versions"</h2>
            <ol class="dataset-versions" reversed>
                {versions
                    .into_iter()
                    .map(|v| {
                        view! {
                            <li>
                                <a href=href::dataset_version(
                                    &slug,
                                    v.number,
                                )>{format!("Version {}", v.number)}</a>
                                {if v.draft {
                                    format!(" — {} · draft, not published", v.changelog)
                                } else {
                                    format!(
                                        " — {} · published {} · {} downloads",
                                        v.changelog,
                                        v.published,
                                        format::grouped(v.downloads),
                                    )
                                }}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

fn metadata(d: &DatasetView) -> impl IntoView {
    let link_or_text = |text: String, url: Option<String>| match url {
        Some(url) => view! {
            <a href=url rel="noopener noreferrer nofollow">
                {text}
            </a>
        }
        .into_any(),
        None => view! { <span>{text}</span> }.into_any(),
    };
    let license = match &d.license_id {
        Some(id) => format!("{} ({id})", d.license_name),
        None => d.license_name.clone(),
    };
    let optional = |label: &'static str, value: String| {
        (!value.is_empty()).then(|| {
            view! {
                <dt>{label}</dt>
                <dd>{value}</dd>
            }
        })
    };
    view! {
        <dl class="admin-facts">
            <dt>"Publisher"</dt>
            <dd>{d.publisher.clone()}</dd>
            <dt>"Source"</dt>
            <dd>{link_or_text(d.source_name.clone(), d.source_url.clone())}</dd>
            <dt>"License"</dt>
            <dd>{link_or_text(license, d.license_url.clone())}</dd>
            {optional("Tasks", d.tasks.join(", "))}
            {optional("Languages", d.languages.join(", "))}
            {optional("Tags", d.tags.join(", "))}
            {optional("Size", d.size.clone().unwrap_or_default())}
            <dt>"Downloads"</dt>
            <dd class="num">{format::grouped(d.downloads)}</dd>
            {optional("Cite as", d.citation.clone().unwrap_or_default())}
            <dt>"For machines"</dt>
            <dd>
                <a href=href::dataset_croissant(&d.slug)>"Croissant (JSON-LD)"</a>
            </dd>
        </dl>
    }
}

fn files_table(files: Vec<FileView>) -> impl IntoView {
    if files.is_empty() {
        return view! { <p class="muted">"This version has no files."</p> }.into_any();
    }
    let columns = files
        .iter()
        .filter(|f| !f.columns.is_empty())
        .map(|file| {
            let rows = file
                .columns
                .iter()
                .map(|c| {
                    view! {
                        <tr>
                            <td data-label="Column">
                                <code>{c.name.clone()}</code>
                            </td>
                            <td data-label="Type">{c.kind.clone()}</td>
                            <td data-label="Missing" class="num">
                                {c.nulls}
                            </td>
                            <td data-label="Description">{c.description.clone()}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <details class="dataset-columns">
                    <summary>{format!("Columns of {}", file.name)}</summary>
                    <div class="table-wrap" tabindex="0">
                        <table class="data-table">
                            <caption class="visually-hidden">
                                {format!("Columns of {}", file.name)}
                            </caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Column"</th>
                                    <th scope="col">"Type"</th>
                                    <th scope="col" class="num">
                                        "Missing"
                                    </th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                </details>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Files of this version"</caption>
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
                        <th scope="col">"SHA-256"</th>
                    </tr>
                </thead>
                <tbody>
                    {files
                        .into_iter()
                        .map(|f| {
                            view! {
                                <tr>
                                    <td data-label="File">
                                        <a href=f.href.clone() download>
                                            {f.name.clone()}
                                        </a>
                                        {f
                                            .viewer_href
                                            .clone()
                                            .map(|h| {
                                                view! {
                                                    " · "
                                                    <a href=h aria-label=format!("View rows of {}", f.name)>
                                                        "View rows"
                                                    </a>
                                                }
                                            })}
                                    </td>
                                    <td data-label="Format">{f.format.clone()}</td>
                                    <td data-label="Size" class="num">
                                        {format::bytes(f.bytes)}
                                    </td>
                                    <td data-label="Rows" class="num">
                                        {f.rows.map(format::grouped).unwrap_or_default()}
                                    </td>
                                    <td data-label="SHA-256">
                                        <code class="dataset-sha">{f.sha256.clone()}</code>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {columns}
    }
    .into_any()
}

/// curl and pandas, for the first file.
fn load_snippets(d: &DatasetView) -> impl IntoView {
    let Some(file) = d.files.first() else {
        return ().into_any();
    };
    let url = format!("{}{}", d.origin, file.href);
    let curl = format!(
        "curl -fL -H \"Authorization: Bearer $LAB_PORTAL_API_KEY\" -o {} \\\n  {url}",
        file.name
    );
    let pandas = format!(
        "import os\nimport pandas as pd\n\ndf = pd.read_csv(\n    \"{url}\",\n    storage_options={{\"Authorization\": \"Bearer \" + os.environ[\"LAB_PORTAL_API_KEY\"]}},\n)\nprint(df.head())"
    );
    view! {
        <CodeBlock label="curl" code=curl />
        <CodeBlock label="Python (pandas)" code=pandas />
    }
    .into_any()
}

/// Who may download the files, and the caller's way to them: accepting the
/// terms, or a request Lab staff review.
fn access_section(d: &DatasetView, actions: AccessActions) -> impl IntoView {
    let a = d.access_view.clone();
    let slug = d.slug.clone();
    let sign_in = href::sign_in_then(&href::dataset(&slug));
    let body = match a.level {
        Access::Open => view! {
            <p>
                "Open: any signed-in account may download the files, in the browser or with an API key."
            </p>
        }
        .into_any(),
        Access::Terms => terms_view(a, slug, sign_in, actions).into_any(),
        Access::Approval => approval_view(a, slug, sign_in, actions).into_any(),
    };
    view! {
        <section aria-labelledby="access-heading" class="dataset-access">
            <h2 id="access-heading">"Access"</h2>
            <Notice
                show=done_flag("accepted")
                message="You accepted the terms: the files are yours to download."
            />
            <Notice
                show=done_flag("requested")
                message="Your request is sent. Lab staff will review it, and you will get an email with their decision."
            />
            {body}
        </section>
    }
}

fn terms_view(
    a: AccessView,
    slug: String,
    sign_in: String,
    actions: AccessActions,
) -> impl IntoView {
    let accept = actions.accept;
    let error = action_error(accept.value());
    let status = if a.granted {
        let when = a.accepted.clone().map(|(_, at)| at).unwrap_or_default();
        view! {
            <p class="flash flash-good" role="note">
                {format!("You accepted these terms on {when}: you may download the files.")}
            </p>
        }
        .into_any()
    } else if !a.signed_in {
        view! {
            <p>
                "Downloading needs these terms accepted. "
                <a href=sign_in>"Sign in to accept them"</a>
            </p>
        }
        .into_any()
    } else {
        let changed = a.accepted.clone().map(|(version, _)| {
            view! {
                <p class="flash flash-warn" role="note">
                    {format!(
                        "The terms changed since you accepted version {version}. Read them and accept again to download.",
                    )}
                </p>
            }
        });
        view! {
            {changed}
            <ActionForm action=accept attr:class="form dataset-access-form">
                <FormError error />
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="version" value=a.terms_version.to_string() />
                <div class="field">
                    <label>
                        <input type="checkbox" required />
                        "I have read these terms and accept them"
                    </label>
                </div>
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || accept.pending().get()
                >
                    "Accept the terms"
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <p>"Downloading needs these terms accepted, once (and again if they change)."</p>
        <div class="dataset-terms prose" inner_html=a.terms_html.clone()></div>
        {status}
    }
}

fn approval_view(
    a: AccessView,
    slug: String,
    sign_in: String,
    actions: AccessActions,
) -> impl IntoView {
    let intro = view! {
        <p>
            "Downloading needs an approved request: Lab staff review each one and answer by email."
        </p>
    };
    if !a.signed_in {
        return view! {
            {intro}
            <p>
                <a href=sign_in>"Sign in to ask for access"</a>
            </p>
        }
        .into_any();
    }
    let (status, may_ask) = match &a.request {
        None => (None, true),
        Some(r) => {
            let decided = r.decided.clone().unwrap_or_default();
            let reason = r.reason.clone().unwrap_or_default();
            match r.status {
                RequestStatus::Pending => (
                    Some(view! {
                        <p class="flash" role="note">
                            {format!(
                                "You asked for access on {}; your request is waiting for review.",
                                r.sent,
                            )}
                        </p>
                    }.into_any()),
                    false,
                ),
                RequestStatus::Approved => (
                    Some(view! {
                        <p class="flash flash-good" role="note">
                            {format!(
                                "Your request was approved on {decided}: you may download the files.",
                            )}
                        </p>
                    }.into_any()),
                    false,
                ),
                RequestStatus::Rejected => (
                    Some(view! {
                        <p class="flash flash-warn" role="note">
                            {format!(
                                "Your request was not approved ({decided}). Reason: {reason} You may ask again.",
                            )}
                        </p>
                    }.into_any()),
                    true,
                ),
                RequestStatus::Revoked => (
                    Some(view! {
                        <p class="flash flash-warn" role="note">
                            {format!(
                                "Your access was withdrawn on {decided}. Reason: {reason} You may ask again.",
                            )}
                        </p>
                    }.into_any()),
                    true,
                ),
            }
        }
    };
    let form = may_ask.then(|| request_form(a.fields.clone(), slug, actions.request));
    view! {
        {intro}
        {status}
        {form}
    }
    .into_any()
}

fn request_form(
    fields: Vec<RequestField>,
    slug: String,
    request: ServerAction<RequestDatasetAccess>,
) -> impl IntoView {
    let error = action_error(request.value());
    let kept = kept_fields(RequestDatasetAccess::PATH);
    let inputs = fields
        .into_iter()
        .map(|field| {
            let name = format!("answers[{}]", field.name);
            let id = format!("answer-{}", field.name);
            let error_id = format!("{id}-error");
            let message = {
                let name = name.clone();
                Signal::derive(move || {
                    error
                        .get()
                        .and_then(|e| e.field_message(&name).map(str::to_owned))
                })
            };
            let described = move || message.get().map(|_| error_id.clone());
            let invalid = move || message.get().map(|_| "true");
            let value = kept.get(&name).unwrap_or_default();
            let label = if field.required {
                field.label.clone()
            } else {
                format!("{} (optional)", field.label)
            };
            let control = match field.kind {
                FieldKind::Text => view! {
                    <label for=id.clone()>{label}</label>
                    <input
                        id=id.clone()
                        name=name.clone()
                        type="text"
                        maxlength="500"
                        required=field.required
                        value=value
                        aria-invalid=invalid
                        aria-describedby=described
                    />
                }
                .into_any(),
                FieldKind::Select | FieldKind::Country => {
                    let options: Vec<(String, String)> = if field.kind == FieldKind::Country {
                        crate::domain::profile::COUNTRIES
                            .iter()
                            .map(|(code, name)| ((*code).to_owned(), (*name).to_owned()))
                            .collect()
                    } else {
                        field
                            .options
                            .iter()
                            .map(|o| (o.clone(), o.clone()))
                            .collect()
                    };
                    view! {
                        <label for=id.clone()>{label}</label>
                        <select
                            id=id.clone()
                            name=name.clone()
                            required=field.required
                            aria-invalid=invalid
                            aria-describedby=described
                        >
                            <option value="">"Choose…"</option>
                            {options
                                .into_iter()
                                .map(|(v, text)| {
                                    let selected = v == value;
                                    view! {
                                        <option value=v selected=selected>
                                            {text}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    }
                    .into_any()
                }
                FieldKind::Checkbox => view! {
                    <label>
                        <input
                            id=id.clone()
                            name=name.clone()
                            type="checkbox"
                            value="yes"
                            required=field.required
                            checked=value == "yes"
                            aria-invalid=invalid
                            aria-describedby=described
                        />
                        {field.label.clone()}
                    </label>
                }
                .into_any(),
            };
            view! {
                <div class="field">
                    {control} <Show when=move || message.get().is_some()>
                        <p class="field-error" id=format!("{id}-error")>
                            {move || message.get()}
                        </p>
                    </Show>
                </div>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=request attr:class="form dataset-access-form" attr:novalidate=true>
            <FormError error />
            <input type="hidden" name="slug" value=slug />
            {inputs}
            <button
                type="submit"
                class="button button-primary"
                disabled=move || request.pending().get()
            >
                "Ask for access"
            </button>
        </ActionForm>
    }
}
