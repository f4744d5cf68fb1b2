//! The design system's building blocks, shown together on `/design`:
//! page header, stat tile, empty state, badge, flash and confirm dialog. Tables, code blocks,
//! the pager and form fields have their own modules (`pager`, `snippets`,
//! `form`); their styles are in the same part of `style/main.css`.

use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

/// A page's title block: an optional eyebrow above the `<h1>`, an
/// optional lead paragraph, and actions (buttons, links) beside it.
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    /// Shown after the title's text, inside the `<h1>`: a badge, or an id
    /// in `<code>`.
    #[prop(optional)]
    title_extra: Option<AnyView>,
    #[prop(optional)] eyebrow: Option<&'static str>,
    #[prop(optional, into)] lead: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <div class="page-header-text">
                {eyebrow.map(|e| view! { <p class="eyebrow">{e}</p> })}
                <h1>
                    {title}
                    {title_extra
                        .map(|extra| {
                            view! {
                                " "
                                {extra}
                            }
                        })}
                </h1> {lead.map(|l| view! { <p class="lead">{l}</p> })}
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
    /// Marks rather than judges: a role, a kind of thing.
    Accent,
    Good,
    Warning,
    Bad,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Neutral => "badge",
            Tone::Accent => "badge badge-accent",
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
        Tone::Neutral | Tone::Accent => "flash",
    };
    view! {
        <div class=class role="status">
            {children()}
        </div>
    }
}

/// Asks before an action that cannot be undone: a heading that says what
/// will happen, then `children` (what it means, and a form whose buttons
/// do it or go back to `cancel_href`).
///
/// It lives at a page address of its own (such as `/keys?revoke=…`), so it
/// works without JavaScript: the server renders it open, in the page. Once
/// the page runs it becomes a modal `<dialog>`: the rest of the page is
/// inert, focus moves to its heading, and Escape goes back to
/// `cancel_href` as Cancel does.
#[component]
pub fn ConfirmDialog(
    /// The heading's id; it names the dialog.
    heading_id: &'static str,
    #[prop(into)] title: String,
    /// The page without the question.
    #[prop(into)]
    cancel_href: String,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let heading = NodeRef::<html::H2>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            dialog.close();
            // Only fails for a dialog not in the document.
            let _ = dialog.show_modal();
            if let Some(heading) = heading.get_untracked() {
                let _ = heading.focus();
            }
        }
    });
    let navigate = use_navigate();
    let on_cancel = move |event: leptos::ev::Event| {
        event.prevent_default();
        navigate(
            &cancel_href,
            NavigateOptions {
                scroll: false,
                ..NavigateOptions::default()
            },
        );
    };
    view! {
        <dialog
            open
            class="confirm-dialog"
            aria-labelledby=heading_id
            node_ref=dialog
            on:cancel=on_cancel
        >
            <h2 id=heading_id tabindex="-1" node_ref=heading>
                {title}
            </h2>
            {children()}
        </dialog>
    }
}
