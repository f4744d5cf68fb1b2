//! `/design`: every building block of the design system on one page, with
//! the markup to use it (staff only). New pages are built from these.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::form::{FormError, TextField};
use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::components::snippets::CodeBlock;
use crate::components::ui::{Badge, ConfirmDialog, EmptyState, Flash, PageHeader, StatTile, Tone};
use crate::domain::paging::Page;
use crate::error::FieldErrors;
use crate::href;

/// `/design`.
#[component]
pub fn DesignPage() -> impl IntoView {
    view! {
        <Title text="Design system" />
        <RequireUser admin=true children=|_| view! { <Examples /> } />
    }
}

#[component]
fn Examples() -> impl IntoView {
    let sample_page = Page::new(vec![(); 20], 134, 2, 20);
    let error = Signal::derive(|| {
        let mut errors = FieldErrors::default();
        errors.add(
            "design-email",
            "Enter an email address like name@example.org.",
        );
        errors.finish().err()
    });
    let email_error =
        Signal::derive(|| Some("Enter an email address like name@example.org.".to_owned()));
    let query = use_query_map();
    let asking = Memo::new(move |_| query.read().get("confirm").is_some());
    let confirm_href = format!(
        "{}#design-confirm",
        href::with_query(href::design(), &[("confirm", "1")])
    );
    view! {
        <section class="container page design-page">
            <PageHeader
                eyebrow="Staff"
                title="Design system"
                lead="The parts every page is built from: use these, not new one-off styles. Each shows the component to call; the styles are in style/main.css under “Design system”."
            />

            <Example
                name="Page header"
                code="<PageHeader eyebrow=\"Area\" title=\"Title\" lead=\"One sentence.\">actions</PageHeader>"
            >
                <PageHeader
                    eyebrow="Area"
                    title="A page title"
                    lead="One sentence on what the page is for."
                >
                    <button type="button" class="button button-primary">
                        "Primary action"
                    </button>
                </PageHeader>
            </Example>

            <Example
                name="Page header with more than words in its title"
                code="<PageHeader title=\"Edit\" title_extra=view! { <code>\"lab-chat\"</code> }.into_any() />"
            >
                <PageHeader
                    title="Edit"
                    title_extra=view! { <code>"lab-chat"</code> }.into_any()
                    lead="The title's text, then markup inside the same heading: an id, or a badge."
                />
            </Example>

            <Example
                name="Type scale and spacing"
                code="font-size: var(--text-sm … --text-3xl); gap: var(--space-1 … --space-8)"
            >
                <div class="design-scale">
                    {[
                        ("--text-3xl", "Page title (h1)"),
                        ("--text-2xl", "Section (h2)"),
                        ("--text-xl", "Card or dialog heading"),
                        ("--text-lg", "Lead paragraph"),
                        ("--text-base", "Body text"),
                        ("--text-sm", "Hints, table headers"),
                        ("--text-xs", "Badges, second lines in cells"),
                    ]
                        .into_iter()
                        .map(|(token, use_)| {
                            view! {
                                <p class=format!("design-{}", token.trim_start_matches("--"))>
                                    <code>{token}</code>
                                    {format!(" {use_}")}
                                </p>
                            }
                        })
                        .collect_view()}
                    <p class="design-row">
                        {(1..=8)
                            .map(|n| {
                                view! {
                                    <span
                                        class=format!("design-space design-space-{n}")
                                        title=format!("--space-{n}")
                                    ></span>
                                }
                            })
                            .collect_view()}
                    </p>
                </div>
            </Example>

            <Example
                name="Card"
                code="<div class=\"card\"><h3>Title</h3><p>One or two lines.</p></div>"
            >
                <div class="card-grid design-cards">
                    <div class="card">
                        <h3>"A card"</h3>
                        <p>
                            "A bordered block that groups one thing: a dataset, an agent, a step."
                        </p>
                    </div>
                    <div class="card">
                        <h3>"Another card"</h3>
                        <p>"Cards sit in a .card-grid, one column on phones."</p>
                    </div>
                </div>
            </Example>

            <Example
                name="Filter bar"
                code="<Form method=\"GET\" attr:class=\"filter-bar\" attr:role=\"search\"><div class=\"field\">…</div><div class=\"filter-bar-actions\">…</div></Form>"
            >
                <form class="filter-bar" role="search" action=href::design() method="get">
                    <div class="field">
                        <label for="design-filter-q">"Search by name or email"</label>
                        <input id="design-filter-q" name="q" type="search" autocomplete="off" />
                    </div>
                    <div class="field">
                        <label for="design-filter-status">"Status"</label>
                        <select id="design-filter-status" name="status">
                            <option value="">"Any"</option>
                            <option value="ok">"Succeeded"</option>
                        </select>
                    </div>
                    <div class="filter-bar-actions">
                        <button type="submit" class="button">
                            "Filter"
                        </button>
                        <a href=href::design() class="button">
                            "Clear"
                        </a>
                    </div>
                </form>
            </Example>

            <Example
                name="Stat tiles"
                code="<StatTile label=\"Spent in November 2026\" value=\"12.5\" unit=\"credits\" hint=\"340 requests\" />"
            >
                <div class="stat-grid">
                    <StatTile
                        label="Available"
                        value="1,234.56"
                        unit="credits"
                        hint="100 expire on 2027-01-31"
                    />
                    <StatTile
                        label="Spent in November 2026"
                        value="12.5"
                        unit="credits"
                        hint="340 requests"
                    />
                </div>
            </Example>

            <Example name="Badges" code="<Badge tone=Tone::Good text=\"Approved\" />">
                <p class="design-row">
                    <Badge tone=Tone::Neutral text="Draft" />
                    <Badge tone=Tone::Accent text="Admin" />
                    <Badge tone=Tone::Good text="Approved" />
                    <Badge tone=Tone::Warning text="Under review" />
                    <Badge tone=Tone::Bad text="Revoked" />
                </p>
            </Example>

            <Example
                name="Flash"
                code="<Flash tone=Tone::Good><p>\"The key is revoked.\"</p></Flash>"
            >
                <Flash tone=Tone::Good>
                    <p>"The key is revoked."</p>
                </Flash>
            </Example>

            <Example
                name="Empty state"
                code="<EmptyState title=\"No keys yet\"><p>…</p></EmptyState>"
            >
                <EmptyState title="No keys yet">
                    <p>"Create a key to call models from your code."</p>
                    <a class="button button-primary" href=href::keys()>
                        "Create an API key"
                    </a>
                </EmptyState>
            </Example>

            <Example
                name="Data table (a card list on phones)"
                code="<table class=\"data-table\"> … <td data-label=\"Model\"> …"
            >
                <div class="table-wrap" tabindex="0">
                    <table class="data-table">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Model"</th>
                                <th scope="col" class="num">
                                    "Credits"
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            <tr>
                                <td data-label="When">"2026-11-26 09:12 UTC"</td>
                                <td data-label="Model">"simulator-chat"</td>
                                <td data-label="Credits" class="num">
                                    "0.000274"
                                </td>
                            </tr>
                            <tr>
                                <td data-label="When">"2026-11-26 09:10 UTC"</td>
                                <td data-label="Model">"simulator-embed"</td>
                                <td data-label="Credits" class="num">
                                    "0.00001"
                                </td>
                            </tr>
                        </tbody>
                    </table>
                </div>
            </Example>

            <Example name="Pagination" code="{pager(&page, href::usage(), &filters)}">
                {pager(&sample_page, href::design(), &[])}
            </Example>

            <Example
                name="Code block with a Copy button"
                code="<CodeBlock label=\"curl example\" code=…/>"
            >
                <CodeBlock label="shell example" code="curl https://portal.example/v1/models" />
            </Example>

            <Example
                name="Form field and error summary"
                code="<FormError error /> <TextField label=\"Email\" name=\"email\" error=… />"
            >
                <form class="design-form" action="#" method="get">
                    <FormError error />
                    <TextField
                        label="Email"
                        name="design-email"
                        kind="email"
                        hint="We write to this address."
                        error=email_error
                    />
                </form>
            </Example>

            <Example
                name="Confirm dialog"
                code="<a href=\"/keys?revoke=…\">Revoke</a> … <ConfirmDialog heading_id title cancel_href>explanation, form</ConfirmDialog>"
            >
                <p>
                    "Ask at an address of its own, so it works without JavaScript: "
                    <a href=confirm_href data-noscroll=true>
                        "Open the example"
                    </a>
                </p>
                {move || {
                    asking
                        .get()
                        .then(|| {
                            view! {
                                <ConfirmDialog
                                    heading_id="design-confirm"
                                    title="Delete the example?"
                                    cancel_href=href::design()
                                >
                                    <p>
                                        "Nothing is deleted: this is the design system's example."
                                    </p>
                                    <p class="confirm-actions">
                                        <a href=href::design() class="button button-danger">
                                            "Delete"
                                        </a>
                                        <a href=href::design() class="button" data-noscroll=true>
                                            "Cancel"
                                        </a>
                                    </p>
                                </ConfirmDialog>
                            }
                        })
                }}
            </Example>

            <Example name="Buttons" code="<button class=\"button button-primary\">">
                <p class="design-row">
                    <button type="button" class="button button-primary">
                        "Primary"
                    </button>
                    <button type="button" class="button">
                        "Secondary"
                    </button>
                    <button type="button" class="button button-danger">
                        "Danger"
                    </button>
                    <button type="button" class="button button-small">
                        "Small"
                    </button>
                </p>
            </Example>
        </section>
    }
}

/// One component: its name, a live example and how to write it.
#[component]
fn Example(name: &'static str, code: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="design-example" aria-label=name>
            <h2>{name}</h2>
            <div class="design-live">{children()}</div>
            <pre class="design-code">
                <code>{code}</code>
            </pre>
        </section>
    }
}
