//! The design system's building blocks, shown together on `/design`:
//! page header, stat tile, empty state, badge and flash. Tables, code blocks,
//! the pager and form fields have their own modules (`pager`, `snippets`,
//! `form`); their styles are in the same part of `style/main.css`.

use leptos::prelude::*;

/// A page's title block: an optional eyebrow above the `<h1>`, an
/// optional lead paragraph, and actions (buttons, links) beside it.
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional)] eyebrow: Option<&'static str>,
    #[prop(optional, into)] lead: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <div class="page-header-text">
                {eyebrow.map(|e| view! { <p class="eyebrow">{e}</p> })} <h1>{title}</h1>
                {lead.map(|l| view! { <p class="lead">{l}</p> })}
            </div>
            {children.map(|c| view! { <div class="page-header-actions">{c()}</div> })}
        </header>
    }
}

/// One figure with its label and a hint under it.
#[component]
pub fn StatTile(
    label: &'static str,
    #[prop(into)] value: String,
    #[prop(optional)] unit: Option<&'static str>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="card stat">
            <h2 class="stat-label">{label}</h2>
            <p class="stat-value">
                {value} {unit.map(|u| view! { <span class="stat-unit">{format!(" {u}")}</span> })}
            </p>
            {hint.map(|h| view! { <p class="stat-hint">{h}</p> })}
            {children.map(|c| c())}
        </div>
    }
}

/// What a list shows when it has nothing yet: what will appear, and how to
/// get there.
#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="empty-state" role="status">
            <h3>{title}</h3>
            {children()}
        </div>
    }
}

/// How a badge reads: its colour says it, its words say it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Good,
    Warning,
    Bad,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Neutral => "badge",
            Tone::Good => "badge badge-good",
            Tone::Warning => "badge badge-warn",
            Tone::Bad => "badge badge-bad",
        }
    }
}

/// A short status word.
#[component]
pub fn Badge(tone: Tone, #[prop(into)] text: String) -> impl IntoView {
    view! { <span class=tone.class()>{text}</span> }
}

/// A message after an action, announced politely: done (`Good`) or
/// worth knowing (`Neutral`); errors use the form's error summary.
#[component]
pub fn Flash(tone: Tone, children: Children) -> impl IntoView {
    let class = match tone {
        Tone::Good => "flash flash-good",
        Tone::Warning | Tone::Bad => "flash flash-warn",
        Tone::Neutral => "flash",
    };
    view! {
        <div class=class role="status">
            {children()}
        </div>
    }
}
