//! `/design`: every building block of the design system on one page, with
//! the markup to use it (staff only). New pages are built from these.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{FormError, TextField};
use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::components::snippets::CodeBlock;
use crate::components::ui::{Badge, EmptyState, Flash, PageHeader, StatTile, Tone};
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
