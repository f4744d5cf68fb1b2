//! Which tokenizer counts a model's tokens when its upstream reports none:
//! chosen on the model's admin form, stored in `models.tokenizer`.

use std::fmt;

/// The longest name of a tokenizer folder.
pub const FOLDER_MAX: usize = 64;

/// A model's tokenizer, as stored (`heuristic`, `tiktoken:o200k_base`,
/// `hf:<folder>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenizerChoice {
    /// Our own estimate, corrected by the prompt overhead learned from the
    /// upstream's reports.
    Heuristic,
    /// One of OpenAI's encodings, carried inside the server.
    Tiktoken(Encoding),
    /// A Hugging Face `tokenizer.json` (and the model's chat template) in
    /// the folder of this name under the tokenizers directory.
    HuggingFace(String),
}

/// OpenAI's encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GPT-3.5 and GPT-4.
    Cl100kBase,
    /// GPT-4o, GPT-4.1, o-series.
    O200kBase,
}

impl Encoding {
    pub const ALL: [Encoding; 2] = [Encoding::Cl100kBase, Encoding::O200kBase];

    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::O200kBase => "o200k_base",
        }
    }
}

const HF: &str = "hf:";
const TIKTOKEN: &str = "tiktoken:";

impl TokenizerChoice {
    /// The choices every portal has, before any tokenizer folder is added.
    pub fn built_in() -> Vec<TokenizerChoice> {
        let mut all = vec![TokenizerChoice::Heuristic];
        all.extend(Encoding::ALL.map(TokenizerChoice::Tiktoken));
        all
    }

    /// Parses a stored or posted value.
    pub fn parse(input: &str) -> Result<TokenizerChoice, String> {
        let input = input.trim();
        if input == "heuristic" {
            return Ok(TokenizerChoice::Heuristic);
        }
        if let Some(name) = input.strip_prefix(TIKTOKEN) {
            return Encoding::ALL
                .into_iter()
                .find(|e| e.as_str() == name)
                .map(TokenizerChoice::Tiktoken)
                .ok_or_else(|| format!("Unknown OpenAI encoding {name:?}."));
        }
        if let Some(folder) = input.strip_prefix(HF) {
            return folder_name(folder).map(|f| TokenizerChoice::HuggingFace(f.to_owned()));
        }
        Err(format!("Unknown tokenizer {input:?}."))
    }

    /// How the admin console names it.
    pub fn label(&self) -> String {
        match self {
            TokenizerChoice::Heuristic => "Estimate (learned from the upstream)".to_owned(),
            TokenizerChoice::Tiktoken(e) => format!("OpenAI {}", e.as_str()),
            TokenizerChoice::HuggingFace(folder) => format!("Hugging Face: {folder}"),
        }
    }
}

impl fmt::Display for TokenizerChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenizerChoice::Heuristic => f.write_str("heuristic"),
            TokenizerChoice::Tiktoken(e) => write!(f, "{TIKTOKEN}{}", e.as_str()),
            TokenizerChoice::HuggingFace(folder) => write!(f, "{HF}{folder}"),
        }
    }
}

/// A tokenizer folder's name: letters, digits, `.`, `_` and `-`, not
/// starting with a dot (so never `..`), at most [`FOLDER_MAX`] long.
pub fn folder_name(input: &str) -> Result<&str, String> {
    let valid = !input.is_empty()
        && input.len() <= FOLDER_MAX
        && !input.starts_with('.')
        && input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(input)
    } else {
        Err(format!(
            "A tokenizer folder is named with letters, digits, '.', '_' and '-' \
             (at most {FOLDER_MAX}, not starting with '.'); {input:?} is not."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_reads_back_as_written() {
        let mut all = TokenizerChoice::built_in();
        all.push(TokenizerChoice::HuggingFace("qwen2.5-7b".to_owned()));
        for choice in all {
            assert_eq!(TokenizerChoice::parse(&choice.to_string()), Ok(choice));
        }
    }

    #[test]
    fn folders_cannot_leave_the_tokenizers_directory() {
        for bad in [
            "hf:",
            "hf:../etc",
            "hf:a/b",
            "hf:.hidden",
            "hf:a b",
            "tiktoken:p50k",
            "bpe",
        ] {
            assert!(TokenizerChoice::parse(bad).is_err(), "{bad}");
        }
        assert!(TokenizerChoice::parse(&format!("hf:{}", "a".repeat(65))).is_err());
        assert_eq!(
            TokenizerChoice::parse(" tiktoken:o200k_base "),
            Ok(TokenizerChoice::Tiktoken(Encoding::O200kBase))
        );
    }
}
