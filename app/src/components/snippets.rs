//! Code to copy: a scrollable block people can reach with the keyboard,
//! and the examples that call this portal's inference API (the keys page's
//! quick start, the models page's "try it").

use leptos::prelude::*;

use crate::domain::model::ModelKind;

/// The environment variable the examples read the key from.
pub const KEY_VARIABLE: &str = "LAB_PORTAL_API_KEY";

/// A block of code, named for screen readers by `label` (e.g. "curl
/// example"); it scrolls sideways on narrow screens and takes focus so the
/// keyboard can scroll it.
/// Once the page is hydrated, a Copy button copies the code and says so.
#[component]
pub fn CodeBlock(#[prop(into)] label: String, #[prop(into)] code: String) -> impl IntoView {
    let (copied, set_copied) = signal(None::<&'static str>);
    let text = code.clone();
    let copy = move |_| {
        set_copied.set(Some(if copy_to_clipboard(&text) {
            "Copied to the clipboard."
        } else {
            "Could not copy: select the code and copy it with your keyboard."
        }));
    };
    view! {
        <div class="code-block">
            <pre class="code" tabindex="0" aria-label=label.clone()>
                <code>{code}</code>
            </pre>
            <button
                type="button"
                class="button button-small js-only code-copy"
                aria-label=format!("Copy the {label}")
                on:click=copy
            >
                "Copy"
            </button>
            <p class="code-copied" role="status">
                {move || copied.get()}
            </p>
        </div>
    }
}

/// Writes `text` to the clipboard; `false` when the browser refuses.
pub fn copy_to_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        clipboard::write_text(text).is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

#[cfg(feature = "hydrate")]
mod clipboard {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `navigator.clipboard.writeText(text)`; throws where there is no
        /// clipboard (pages not served over HTTPS or from localhost).
        #[wasm_bindgen(catch, js_namespace = ["navigator", "clipboard"], js_name = writeText)]
        pub fn write_text(text: &str) -> Result<JsValue, JsValue>;
    }
}

/// `export LAB_PORTAL_API_KEY=lp_…`: keeping the key in the variable the
/// examples read.
pub fn export_key() -> String {
    format!("export {KEY_VARIABLE}=lp_…")
}

/// `(language, code)` examples calling `model` (or a placeholder) at
/// `base_url`: a chat completion, or embeddings for an embedding model.
pub fn snippets(base_url: &str, model: Option<(&str, ModelKind)>) -> Vec<(&'static str, String)> {
    let id = model.map_or("MODEL_ID", |(id, _)| id);
    if model.is_some_and(|(_, kind)| kind == ModelKind::Embedding) {
        return vec![
            (
                "curl",
                format!(
                    "curl {base_url}/embeddings \\\n  -H \"Authorization: Bearer ${KEY_VARIABLE}\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"model\": \"{id}\", \"input\": \"Hello!\"}}'"
                ),
            ),
            (
                "Python",
                format!(
                    "import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url=\"{base_url}\", api_key=os.environ[\"{KEY_VARIABLE}\"])\nresult = client.embeddings.create(model=\"{id}\", input=\"Hello!\")\nprint(len(result.data[0].embedding))"
                ),
            ),
            (
                "JavaScript",
                format!(
                    "import OpenAI from \"openai\";\n\nconst client = new OpenAI({{ baseURL: \"{base_url}\", apiKey: process.env.{KEY_VARIABLE} }});\nconst result = await client.embeddings.create({{ model: \"{id}\", input: \"Hello!\" }});\nconsole.log(result.data[0].embedding.length);"
                ),
            ),
        ];
    }
    vec![
        (
            "curl",
            format!(
                "curl {base_url}/chat/completions \\\n  -H \"Authorization: Bearer ${KEY_VARIABLE}\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"model\": \"{id}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hello!\"}}]}}'"
            ),
        ),
        (
            "Python",
            format!(
                "import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url=\"{base_url}\", api_key=os.environ[\"{KEY_VARIABLE}\"])\nreply = client.chat.completions.create(\n    model=\"{id}\",\n    messages=[{{\"role\": \"user\", \"content\": \"Hello!\"}}],\n)\nprint(reply.choices[0].message.content)"
            ),
        ),
        (
            "JavaScript",
            format!(
                "import OpenAI from \"openai\";\n\nconst client = new OpenAI({{ baseURL: \"{base_url}\", apiKey: process.env.{KEY_VARIABLE} }});\nconst reply = await client.chat.completions.create({{\n  model: \"{id}\",\n  messages: [{{ role: \"user\", content: \"Hello!\" }}],\n}});\nconsole.log(reply.choices[0].message.content);"
            ),
        ),
    ]
}

/// An agent's request, as code calling `/v1`: its model, its system
/// prompt (variables filled in), its parameters and `question`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRequest<'a> {
    pub model: &'a str,
    pub system_prompt: &'a str,
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: u32,
    pub question: &'a str,
}

/// `(language, code)`: `request` with curl (the body as a here-document,
/// so no quote in the prompt needs escaping for the shell), Python and
/// JavaScript. Strings are written as JSON strings, which both languages
/// read as the same text.
pub fn agent_snippets(base_url: &str, request: &AgentRequest<'_>) -> Vec<(&'static str, String)> {
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let body = serde_json::json!({
        "model": request.model,
        "messages": [
            {"role": "system", "content": request.system_prompt},
            {"role": "user", "content": request.question},
        ],
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
    });
    let body = serde_json::to_string_pretty(&body).unwrap_or_default();
    let (model, system, question) = (
        quote(request.model),
        quote(request.system_prompt),
        quote(request.question),
    );
    let (temperature, top_p, max_tokens) = (request.temperature, request.top_p, request.max_tokens);
    vec![
        (
            "curl",
            format!(
                "curl {base_url}/chat/completions \\\n  -H \"Authorization: Bearer ${KEY_VARIABLE}\" \\\n  -H \"Content-Type: application/json\" \\\n  --data-binary @- <<'JSON'\n{body}\nJSON"
            ),
        ),
        (
            "Python",
            format!(
                "import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url=\"{base_url}\", api_key=os.environ[\"{KEY_VARIABLE}\"])\nreply = client.chat.completions.create(\n    model={model},\n    messages=[\n        {{\"role\": \"system\", \"content\": {system}}},\n        {{\"role\": \"user\", \"content\": {question}}},\n    ],\n    temperature={temperature},\n    top_p={top_p},\n    max_tokens={max_tokens},\n)\nprint(reply.choices[0].message.content)"
            ),
        ),
        (
            "JavaScript",
            format!(
                "import OpenAI from \"openai\";\n\nconst client = new OpenAI({{ baseURL: \"{base_url}\", apiKey: process.env.{KEY_VARIABLE} }});\nconst reply = await client.chat.completions.create({{\n  model: {model},\n  messages: [\n    {{ role: \"system\", content: {system} }},\n    {{ role: \"user\", content: {question} }},\n  ],\n  temperature: {temperature},\n  top_p: {top_p},\n  max_tokens: {max_tokens},\n}});\nconsole.log(reply.choices[0].message.content);"
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_call_this_portal_with_a_served_model() {
        let all = snippets(
            "https://lab.example.org/v1",
            Some(("lab-chat-1", ModelKind::Chat)),
        );
        let names: Vec<&str> = all.iter().map(|(l, _)| *l).collect();
        assert_eq!(names, ["curl", "Python", "JavaScript"]);
        for (_, code) in &all {
            assert!(code.contains("https://lab.example.org/v1"), "{code}");
            assert!(code.contains("\"lab-chat-1\""), "{code}");
            assert!(code.contains(KEY_VARIABLE), "{code}");
        }
        assert!(all[0].1.contains("/v1/chat/completions"));
        assert!(all[1]
            .1
            .contains("OpenAI(base_url=\"https://lab.example.org/v1\""));
        assert!(all[2]
            .1
            .contains("new OpenAI({ baseURL: \"https://lab.example.org/v1\""));
    }

    #[test]
    fn embedding_models_get_embedding_examples_and_no_model_a_placeholder() {
        let all = snippets(
            "http://127.0.0.1:3000/v1",
            Some(("lab-embed", ModelKind::Embedding)),
        );
        assert!(all[0].1.contains("/v1/embeddings"));
        assert!(all.iter().all(|(_, c)| c.contains("lab-embed")));
        let none = snippets("http://127.0.0.1:3000/v1", None);
        assert!(none.iter().all(|(_, c)| c.contains("MODEL_ID")));
    }

    #[test]
    fn an_agents_request_is_the_same_in_every_language() {
        let request = AgentRequest {
            model: "lab-chat-1",
            system_prompt: "You're \"careful\".\nAnswer in 'tables'.",
            temperature: 0.2,
            top_p: 1.0,
            max_tokens: 900,
            question: "Why?",
        };
        let all = agent_snippets("https://lab.example.org/v1", &request);
        let curl = &all[0].1;
        let body = curl
            .split("<<'JSON'\n")
            .nth(1)
            .and_then(|rest| rest.strip_suffix("\nJSON"))
            .expect("a here-document");
        let parsed: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(parsed["messages"][0]["content"], request.system_prompt);
        assert_eq!(parsed["max_tokens"], 900);
        let prompt = "\"You're \\\"careful\\\".\\nAnswer in 'tables'.\"";
        assert!(all[1].1.contains(prompt), "{}", all[1].1);
        assert!(all[2].1.contains(prompt), "{}", all[2].1);
        assert!(all[1].1.contains("temperature=0.2"));
        assert!(all[2].1.contains("max_tokens: 900"));
    }
}
