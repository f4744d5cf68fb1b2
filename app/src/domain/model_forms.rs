//! The provider and model forms of the admin console, parsed: every field
//! checked, each problem reported under its field, in words an admin can
//! act on.

use uuid::Uuid;

use crate::domain::credits::Credits;
use crate::domain::tokenizer::TokenizerChoice;
use crate::error::{AppError, FieldErrors};

/// The name the server gives the simulator it ships with.
pub const SIMULATOR_NAME: &str = "simulator";

/// The longest provider name.
pub const NAME_MAX: usize = 60;
/// The longest base URL.
pub const BASE_URL_MAX: usize = 500;
/// The longest environment variable name.
pub const SECRET_ENV_MAX: usize = 128;
/// The shortest and longest upstream timeouts, in milliseconds.
pub const TIMEOUT_MS: (i32, i32) = (100, 600_000);
/// The longest public model id.
pub const PUBLIC_ID_MAX: usize = 100;
/// The longest upstream model name.
pub const UPSTREAM_MODEL_MAX: usize = 200;

/// A provider, as an admin entered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInput {
    pub name: String,
    pub base_url: String,
    pub secret_env: Option<String>,
    pub timeout_ms: i32,
}

/// The fields of the provider form, as posted.
#[derive(Debug, Clone, Copy)]
pub struct ProviderFields<'a> {
    pub name: &'a str,
    pub base_url: &'a str,
    pub secret_env: &'a str,
    pub timeout_ms: &'a str,
}

/// A model, as an admin entered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInput {
    pub public_id: String,
    pub provider_id: Uuid,
    pub upstream_model: String,
    pub kind: &'static str,
    /// Micro-credits per million input tokens; `None`: unpriced.
    pub input_price: Option<i64>,
    /// Micro-credits per million output tokens; `None`: unpriced.
    pub output_price: Option<i64>,
    pub context_window: i32,
    pub max_output_tokens: i32,
    /// What counts its tokens when the upstream reports none.
    pub tokenizer: TokenizerChoice,
}

/// The fields of the model form, as posted.
#[derive(Debug, Clone, Copy)]
pub struct ModelFields<'a> {
    pub public_id: &'a str,
    pub provider_id: &'a str,
    pub upstream_model: &'a str,
    pub kind: &'a str,
    pub input_price: &'a str,
    pub output_price: &'a str,
    pub context_window: &'a str,
    pub max_output_tokens: &'a str,
    /// Empty: our estimate.
    pub tokenizer: &'a str,
}

/// The model kinds the proxy serves, as stored.
pub const KINDS: [&str; 2] = ["chat", "embedding"];

/// Checks every field of the provider form.
pub fn provider(fields: ProviderFields<'_>) -> Result<ProviderInput, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", name(fields.name));
    let base_url = errors.check("base_url", base_url(fields.base_url));
    let secret_env = errors.check("secret_env", secret_env(fields.secret_env));
    let timeout_ms = errors.check("timeout_ms", timeout_ms(fields.timeout_ms));
    errors.finish()?;
    match (name, base_url, secret_env, timeout_ms) {
        (Some(name), Some(base_url), Some(secret_env), Some(timeout_ms)) => Ok(ProviderInput {
            name,
            base_url,
            secret_env,
            timeout_ms,
        }),
        _ => Err(AppError::Internal),
    }
}

/// Checks every field of the model form.
pub fn model(fields: ModelFields<'_>) -> Result<ModelInput, AppError> {
    let mut errors = FieldErrors::default();
    let public_id = errors.check("public_id", public_id(fields.public_id));
    let provider_id = errors.check(
        "provider_id",
        Uuid::parse_str(fields.provider_id.trim()).map_err(|_| "Choose a provider.".to_owned()),
    );
    let upstream_model = errors.check("upstream_model", upstream_model(fields.upstream_model));
    let kind = errors.check("kind", kind(fields.kind));
    let input_price = errors.check("input_price", price(fields.input_price));
    let output_price = errors.check("output_price", price(fields.output_price));
    let context_window = errors.check("context_window", token_count(fields.context_window));
    let max_output_tokens =
        errors.check("max_output_tokens", token_count(fields.max_output_tokens));
    let tokenizer = errors.check("tokenizer", tokenizer(fields.tokenizer));
    if let (Some(context), Some(output)) = (context_window, max_output_tokens) {
        if output > context {
            errors.add(
                "max_output_tokens",
                "The output cap cannot be larger than the context window.",
            );
        }
    }
    errors.finish()?;
    match (
        public_id,
        provider_id,
        upstream_model,
        kind,
        input_price,
        output_price,
        context_window,
        max_output_tokens,
        tokenizer,
    ) {
        (
            Some(public_id),
            Some(provider_id),
            Some(upstream_model),
            Some(kind),
            Some(input_price),
            Some(output_price),
            Some(context_window),
            Some(max_output_tokens),
            Some(tokenizer),
        ) => Ok(ModelInput {
            public_id,
            provider_id,
            upstream_model,
            kind,
            input_price,
            output_price,
            context_window,
            max_output_tokens,
            tokenizer,
        }),
        _ => Err(AppError::Internal),
    }
}

/// A tokenizer choice; empty is our estimate.
pub fn tokenizer(input: &str) -> Result<TokenizerChoice, String> {
    if input.trim().is_empty() {
        return Ok(TokenizerChoice::Heuristic);
    }
    TokenizerChoice::parse(input)
}

/// A provider name: 1 to 60 characters, not the simulator's.
pub fn name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Enter a name.".to_owned());
    }
    if name.chars().count() > NAME_MAX {
        return Err(format!("Use at most {NAME_MAX} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, digits, spaces and punctuation only.".to_owned());
    }
    if name.eq_ignore_ascii_case(SIMULATOR_NAME) {
        return Err("This name is kept for the simulator that ships with the portal.".to_owned());
    }
    Ok(name.to_owned())
}

/// An `http://` or `https://` URL with a host, at most 500 characters,
/// without trailing slashes (the proxy appends `/chat/completions` and the
/// like).
pub fn base_url(input: &str) -> Result<String, String> {
    let url = input.trim();
    if url.is_empty() {
        return Err("Enter the base URL, like https://api.example.org/v1.".to_owned());
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "Enter a URL starting with https:// or http://.".to_owned())?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err("Enter a URL starting with https:// or http://.".to_owned());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("A URL cannot contain spaces.".to_owned());
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return Err("Enter the server's host name after the scheme.".to_owned());
    }
    let url = format!("{scheme}://{}", rest.trim_end_matches('/'));
    if url.chars().count() > BASE_URL_MAX {
        return Err(format!("Use at most {BASE_URL_MAX} characters."));
    }
    Ok(url)
}

/// The name of an environment variable (`OPENAI_API_KEY`), or `None` when
/// left empty (the upstream needs no secret).
pub fn secret_env(input: &str) -> Result<Option<String>, String> {
    let name = input.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !valid_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(
            "Enter the variable's name (letters, digits and _, not starting with a digit), not the secret itself."
                .to_owned(),
        );
    }
    if name.len() > SECRET_ENV_MAX {
        return Err(format!("Use at most {SECRET_ENV_MAX} characters."));
    }
    Ok(Some(name.to_owned()))
}

/// An upstream timeout: whole milliseconds from 100 to 600,000.
pub fn timeout_ms(input: &str) -> Result<i32, String> {
    let (min, max) = TIMEOUT_MS;
    let message = || format!("Enter a whole number of milliseconds from {min} to {max}.");
    let value: i64 = input
        .trim()
        .replace(['_', ','], "")
        .parse()
        .map_err(|_| message())?;
    i32::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(message)
}

/// A public model id: starts with a letter or digit, then letters, digits
/// and `. _ : / -`, at most 100 characters.
pub fn public_id(input: &str) -> Result<String, String> {
    let id = input.trim();
    if id.is_empty() {
        return Err("Enter the id clients ask for, like lab-chat-small.".to_owned());
    }
    let mut chars = id.chars();
    let valid_start = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !valid_start
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-'))
    {
        return Err(
            "Start with a letter or digit; then use letters, digits and . _ : / - only.".to_owned(),
        );
    }
    if id.len() > PUBLIC_ID_MAX {
        return Err(format!("Use at most {PUBLIC_ID_MAX} characters."));
    }
    Ok(id.to_owned())
}

/// The model name the upstream expects: 1 to 200 characters.
pub fn upstream_model(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Enter the model name the provider expects.".to_owned());
    }
    if name.chars().count() > UPSTREAM_MODEL_MAX {
        return Err(format!("Use at most {UPSTREAM_MODEL_MAX} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, digits and punctuation only.".to_owned());
    }
    Ok(name.to_owned())
}

/// `chat` or `embedding`.
pub fn kind(input: &str) -> Result<&'static str, String> {
    let kind = input.trim();
    KINDS
        .into_iter()
        .find(|k| *k == kind)
        .ok_or_else(|| "Choose chat or embedding.".to_owned())
}

/// A price in credits per million tokens (up to 6 decimals, 0 for free),
/// as micro-credits; empty means unpriced.
pub fn price(input: &str) -> Result<Option<i64>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    Credits::parse(input, false).map(|c| Some(c.micros()))
}

/// A positive number of tokens.
pub fn token_count(input: &str) -> Result<i32, String> {
    let message = || "Enter a whole number of tokens greater than 0.".to_owned();
    let value: i64 = input
        .trim()
        .replace(['_', ','], "")
        .parse()
        .map_err(|_| message())?;
    i32::try_from(value)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider_fields<'a>(
        name: &'a str,
        base_url: &'a str,
        secret_env: &'a str,
        timeout: &'a str,
    ) -> ProviderFields<'a> {
        ProviderFields {
            name,
            base_url,
            secret_env,
            timeout_ms: timeout,
        }
    }

    #[test]
    fn a_valid_provider_is_trimmed_and_normalised() {
        let input = provider(provider_fields(
            "  Acme AI ",
            " HTTPS://api.acme.example/v1/ ",
            " ACME_KEY ",
            "30000",
        ))
        .expect("valid");
        assert_eq!(
            input,
            ProviderInput {
                name: "Acme AI".to_owned(),
                base_url: "https://api.acme.example/v1".to_owned(),
                secret_env: Some("ACME_KEY".to_owned()),
                timeout_ms: 30_000,
            }
        );
        let no_secret =
            provider(provider_fields("Local", "http://127.0.0.1:8080", "", "100")).expect("valid");
        assert_eq!(no_secret.secret_env, None);
    }

    #[test]
    fn every_bad_provider_field_gets_its_own_message() {
        let error = provider(provider_fields("", "ftp://x", "1KEY", "99")).expect_err("invalid");
        for field in ["name", "base_url", "secret_env", "timeout_ms"] {
            assert!(error.field_message(field).is_some(), "{field}: {error:?}");
        }
    }

    #[test]
    fn provider_names_are_short_and_not_the_simulators() {
        assert!(name(&"x".repeat(60)).is_ok());
        assert!(name(&"x".repeat(61)).is_err());
        assert!(
            name("é".repeat(60).as_str()).is_ok(),
            "characters, not bytes"
        );
        assert!(name("Simulator").is_err());
        assert!(name("a\u{7}b").is_err());
    }

    #[test]
    fn base_urls_are_http_with_a_host() {
        for good in [
            "https://api.example.org",
            "http://localhost:8080/v1",
            "https://h/v1?x=1",
        ] {
            assert!(base_url(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "api.example.org",
            "ftp://example.org",
            "https://",
            "https:///v1",
            "https://a b",
            "https://user@host",
            "javascript://x",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(480));
        assert!(base_url(&long).is_ok());
        let too_long = format!("https://example.org/{}", "a".repeat(481));
        assert!(base_url(&too_long).is_err());
    }

    #[test]
    fn secret_variables_are_names_never_values() {
        assert_eq!(secret_env("_X1"), Ok(Some("_X1".to_owned())));
        assert_eq!(secret_env("  "), Ok(None));
        for bad in ["1X", "sk-abc123", "A-B", "A B", "Ä"] {
            assert!(secret_env(bad).is_err(), "{bad}");
        }
        assert!(secret_env(&"A".repeat(128)).is_ok());
        assert!(secret_env(&"A".repeat(129)).is_err());
    }

    #[test]
    fn timeouts_stay_between_a_tenth_of_a_second_and_ten_minutes() {
        assert_eq!(timeout_ms("100"), Ok(100));
        assert_eq!(timeout_ms("600,000"), Ok(600_000));
        for bad in ["99", "600001", "1.5", "", "-5", "99999999999"] {
            assert!(timeout_ms(bad).is_err(), "{bad}");
        }
    }

    fn model_fields<'a>(public_id: &'a str, provider_id: &'a str) -> ModelFields<'a> {
        ModelFields {
            public_id,
            provider_id,
            upstream_model: "gpt-up",
            kind: "chat",
            input_price: "0.5",
            output_price: "",
            context_window: "8192",
            max_output_tokens: "4096",
            tokenizer: "",
        }
    }

    #[test]
    fn a_valid_model_keeps_prices_in_micro_credits_and_empty_as_unpriced() {
        let provider = Uuid::from_u128(7).to_string();
        let input = model(model_fields("lab/chat-1.0:beta", &provider)).expect("valid");
        assert_eq!(input.public_id, "lab/chat-1.0:beta");
        assert_eq!(input.input_price, Some(500_000));
        assert_eq!(input.output_price, None);
        assert_eq!(
            input.tokenizer,
            TokenizerChoice::Heuristic,
            "empty: the estimate"
        );
        assert_eq!(
            (input.context_window, input.max_output_tokens),
            (8192, 4096)
        );
        assert_eq!(price("0"), Ok(Some(0)), "free is a price");
        assert!(price("-1").is_err());
        assert!(price("0.0000001").is_err());
    }

    #[test]
    fn every_bad_model_field_gets_its_own_message() {
        let error = model(ModelFields {
            public_id: "-bad",
            provider_id: "nope",
            upstream_model: " ",
            kind: "image",
            input_price: "-1",
            output_price: "abc",
            context_window: "0",
            max_output_tokens: "x",
            tokenizer: "hf:../up",
        })
        .expect_err("invalid");
        for field in [
            "public_id",
            "provider_id",
            "upstream_model",
            "kind",
            "input_price",
            "output_price",
            "context_window",
            "max_output_tokens",
            "tokenizer",
        ] {
            assert!(error.field_message(field).is_some(), "{field}: {error:?}");
        }
    }

    #[test]
    fn the_output_cap_fits_in_the_context_window() {
        let provider = Uuid::from_u128(7).to_string();
        let mut fields = model_fields("m", &provider);
        fields.max_output_tokens = "8193";
        let error = model(fields).expect_err("too large");
        assert!(error.field_message("max_output_tokens").is_some());
        fields.max_output_tokens = "8192";
        assert!(model(fields).is_ok());
    }

    #[test]
    fn public_ids_follow_the_stored_pattern() {
        for good in ["a", "A9", "org/model:v1.2_x-y", &"a".repeat(100)] {
            assert!(public_id(good).is_ok(), "{good}");
        }
        for bad in ["", ".a", "/a", "a b", "a?b", "é", &"a".repeat(101)] {
            assert!(public_id(bad).is_err(), "{bad}");
        }
    }
}
