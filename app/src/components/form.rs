//! Form building blocks: labelled fields with hints and errors announced to
//! screen readers, and a form-level error box.

use leptos::prelude::*;

use crate::error::AppError;

/// For a `<Form method="GET">`: leaves out the submit button, which the
/// router adds to the query even without a name (a stray `&=`).
pub fn without_unnamed_fields() -> std::sync::Arc<dyn Fn(&leptos::web_sys::FormData)> {
    std::sync::Arc::new(|data: &leptos::web_sys::FormData| data.delete(""))
}

/// The latest result of a server action, as a signal of its error.
pub fn action_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Send + Sync + Clone + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// The message for one field, from the action's error.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.field_message(field).map(str::to_owned))
    })
}

/// The fields a form posted without JavaScript had when it failed, to fill
/// the form again (see `server::kept_form_cookie`). Empty in the browser: with
/// JavaScript a failed form keeps its fields itself.
#[derive(Debug, Clone, Default)]
pub struct KeptFields(Vec<(String, String)>);

impl KeptFields {
    pub fn new(fields: Vec<(String, String)>) -> Self {
        Self(fields)
    }

    /// Whether nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The kept value of `name`, if any.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.clone())
    }
}

/// The fields kept for the form posting to the server function at `form`
/// (its `PATH`); the page shows them once.
pub fn kept_fields(form: &str) -> KeptFields {
    #[cfg(feature = "ssr")]
    {
        crate::server::kept_form_cookie::take(form)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = form;
        KeptFields::default()
    }
}

/// A labelled input. Its hint and error are tied to it with
/// `aria-describedby`, and an error marks it `aria-invalid`.
#[component]
pub fn TextField(
    /// Visible label.
    label: &'static str,
    /// Form field name (and element id).
    name: &'static str,
    /// Input type: text, email, password, …
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
    #[prop(optional)] minlength: Option<u32>,
    #[prop(optional)] maxlength: Option<u32>,
) -> impl IntoView {
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = described_by(hint.is_some(), &hint_id, error, &error_id);
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=value
                minlength=minlength
                maxlength=maxlength
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            />
            {field_hint(hint, hint_id)}
            <FieldMessage id=error_id error />
        </div>
    }
}

/// A labelled `<select>` over `(value, label)` options.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] selected: Option<String>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = described_by(hint.is_some(), &hint_id, error, &error_id);
    let selected = selected.unwrap_or_default();
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <select
                id=name
                name=name
                required=required
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            >
                {placeholder.map(|p| view! { <option value="">{p}</option> })}
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is_selected = value == selected;
                        view! {
                            <option value=value selected=is_selected>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {field_hint(hint, hint_id)}
            <FieldMessage id=error_id error />
        </div>
    }
}

/// A labelled `<textarea>`.
#[component]
pub fn TextAreaField(
    label: &'static str,
    name: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] rows: Option<u32>,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
    /// The text it starts with.
    #[prop(optional, into)]
    value: Option<String>,
    /// Code rather than prose (monospace, no spelling checks).
    #[prop(optional)]
    code: bool,
) -> impl IntoView {
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = described_by(hint.is_some(), &hint_id, error, &error_id);
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <textarea
                id=name
                name=name
                required=required
                rows=rows.unwrap_or(4)
                maxlength=maxlength
                class=code.then_some("code-input")
                spellcheck=code.then_some("false")
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            >
                {value.unwrap_or_default()}
            </textarea>
            {field_hint(hint, hint_id)}
            <FieldMessage id=error_id error />
        </div>
    }
}

/// The `aria-describedby` of a field: its hint, and its error while shown.
fn described_by(
    has_hint: bool,
    hint_id: &str,
    error: Signal<Option<String>>,
    error_id: &str,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    let (hint_id, error_id) = (hint_id.to_owned(), error_id.to_owned());
    move || {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(hint_id.clone());
        }
        if error.get().is_some() {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

#[component]
fn FieldMessage(id: String, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some()>
            <p class="field-error" id=id.clone()>
                {move || error.get()}
            </p>
        </Show>
    }
}

/// The error of a whole form: shown at its top, announced to screen readers,
/// and focused when a submit fails (so keyboard users start from it rather
/// than from the top of the page). Validation errors point at the fields
/// instead of repeating them.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    let summary = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if error.get().is_some() {
            if let Some(summary) = summary.get_untracked() {
                let _ = summary.focus();
            }
        }
    });
    view! {
        <div
            class="form-error-summary"
            role="alert"
            aria-live="assertive"
            tabindex="-1"
            node_ref=summary
        >
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! { <p class="form-error">{e.to_string()}</p> }
                    })
            }}
        </div>
    }
}

/// A note shown after a successful step (from a `?flag=1` query), announced
/// politely.
#[component]
pub fn Notice(#[prop(into)] show: Signal<bool>, message: &'static str) -> impl IntoView {
    view! {
        <div role="status">
            <Show when=move || show.get()>
                <p class="notice">{message}</p>
            </Show>
        </div>
    }
}

/// A field's hint, tied to it by `id` (named in its `aria-describedby`).
fn field_hint(hint: Option<&'static str>, id: String) -> impl IntoView {
    hint.map(|h| {
        view! {
            <p class="field-hint" id=id>
                {h}
            </p>
        }
    })
}
