//! A model's chat template, rendered as Hugging Face's `transformers` renders
//! it (`apply_chat_template`): Jinja with trimmed and left-stripped blocks,
//! Python's string and dict methods, `tojson` as Python's `json.dumps`, and
//! the globals `raise_exception` and `strftime_now`.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{context, Environment, Error, ErrorKind, Value};
use serde_json::Value as Json;
use time::OffsetDateTime;

/// The name the template is registered under (no extension: no escaping).
const NAME: &str = "chat";

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
}

/// What a template is rendered with.
pub struct Render<'a> {
    pub messages: &'a Value,
    pub tools: Option<&'a Value>,
    pub bos_token: &'a str,
    pub eos_token: &'a str,
}

impl ChatTemplate {
    /// Compiles `source`.
    pub fn new(source: String) -> Result<Self, Error> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_filter("tojson", tojson);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_template_owned(NAME, source)?;
        Ok(Self { env })
    }

    /// The prompt text the upstream builds from a request, ending with the
    /// assistant's turn opened.
    pub fn render(&self, with: &Render<'_>) -> Result<String, Error> {
        let template = self.env.get_template(NAME)?;
        template.render(context! {
            messages => with.messages,
            tools => with.tools,
            add_generation_prompt => true,
            bos_token => with.bos_token,
            eos_token => with.eos_token,
        })
    }
}

fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// Python's `strftime` for the directives chat templates use (`%d %b %Y`).
fn strftime_now(format: String) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let now = OffsetDateTime::now_utc();
    let month = MONTHS[usize::from(u8::from(now.month())) - 1];
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&format!("{:02}", now.day())),
            Some('m') => out.push_str(&format!("{:02}", u8::from(now.month()))),
            Some('Y') => out.push_str(&now.year().to_string()),
            Some('y') => out.push_str(&format!("{:02}", now.year() % 100)),
            Some('B') => out.push_str(month),
            Some('b') => out.push_str(&month[..3]),
            Some('H') => out.push_str(&format!("{:02}", now.hour())),
            Some('M') => out.push_str(&format!("{:02}", now.minute())),
            Some('S') => out.push_str(&format!("{:02}", now.second())),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// `tojson` as `transformers` defines it: Python's `json.dumps` with
/// `ensure_ascii=False`, keys in their order, `", "` and `": "` between
/// items (`","` with an `indent`).
fn tojson(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    let mut out = String::new();
    dumps(&value, indent, 0, &mut out)?;
    Ok(Value::from_safe_string(out))
}

/// Writes `value` (keys in their order) as `json.dumps` would.
fn dumps(
    value: &Value,
    indent: Option<usize>,
    depth: usize,
    out: &mut String,
) -> Result<(), Error> {
    let open = |out: &mut String, depth: usize, first: bool| {
        if !first {
            out.push(',');
        }
        match indent {
            Some(width) => {
                out.push('\n');
                out.push_str(&" ".repeat(width * depth));
            }
            None if !first => out.push(' '),
            None => {}
        }
    };
    let close = |out: &mut String, bracket: char| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
        out.push(bracket);
    };
    let empty = value.len() == Some(0);
    match value.kind() {
        ValueKind::Seq | ValueKind::Iterable if !empty => {
            out.push('[');
            for (i, item) in value.try_iter()?.enumerate() {
                open(out, depth + 1, i == 0);
                dumps(&item, indent, depth + 1, out)?;
            }
            close(out, ']');
        }
        ValueKind::Map if !empty => {
            out.push('{');
            for (i, key) in value.try_iter()?.enumerate() {
                open(out, depth + 1, i == 0);
                let name = key.as_str().map_or_else(|| key.to_string(), str::to_owned);
                out.push_str(&Json::from(name).to_string());
                out.push_str(": ");
                dumps(&value.get_item(&key)?, indent, depth + 1, out)?;
            }
            close(out, '}');
        }
        ValueKind::Seq | ValueKind::Iterable => out.push_str("[]"),
        ValueKind::Map => out.push_str("{}"),
        _ => {
            let scalar = serde_json::to_value(value)
                .map_err(|error| Error::new(ErrorKind::InvalidOperation, error.to_string()))?;
            out.push_str(&scalar.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON text read as a template value (keys in order), dumped again.
    fn dumped(json: &str, indent: Option<usize>) -> String {
        let value: Value = serde_json::from_str(json).expect("json");
        let mut out = String::new();
        dumps(&value, indent, 0, &mut out).expect("dumps");
        out
    }

    #[test]
    fn tojson_writes_what_python_json_dumps_writes() {
        // json.dumps(value, ensure_ascii=False)
        assert_eq!(
            dumped(
                r#"{"name":"get_weather","b":[1,2.5,true,null],"e":{},"l":[],"s":"é\"\n"}"#,
                None
            ),
            r#"{"name": "get_weather", "b": [1, 2.5, true, null], "e": {}, "l": [], "s": "é\"\n"}"#
        );
        // json.dumps({"a": [1, {"b": 2}]}, indent=2)
        assert_eq!(
            dumped(r#"{"a": [1, {"b": 2}]}"#, Some(2)),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": 2\n    }\n  ]\n}"
        );
    }

    #[test]
    fn templates_get_python_methods_and_the_transformers_globals() {
        let template = ChatTemplate::new(
            "{% for m in messages %}{{ m.role.upper() }}: {{ m.content.strip() }}\n{% endfor %}\
             {% if tools %}{{ tools | tojson }}{% endif %}{{ bos_token }}"
                .to_owned(),
        )
        .expect("compiles");
        let messages: Value =
            serde_json::from_str(r#"[{"role": "user", "content": "  hi  "}]"#).expect("json");
        let tools: Value = serde_json::from_str(r#"[{"type": "function"}]"#).expect("json");
        let text = template
            .render(&Render {
                messages: &messages,
                tools: Some(&tools),
                bos_token: "<s>",
                eos_token: "</s>",
            })
            .expect("renders");
        assert_eq!(text, "USER: hi\n[{\"type\": \"function\"}]<s>");
        let failing = ChatTemplate::new("{{ raise_exception('no system role') }}".to_owned())
            .expect("compiles");
        let error = failing
            .render(&Render {
                messages: &messages,
                tools: None,
                bos_token: "",
                eos_token: "",
            })
            .expect_err("raises");
        assert!(error.to_string().contains("no system role"), "{error}");
    }
}
