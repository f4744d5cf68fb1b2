//! What each model's upstream adds to the prompt we count (a chat
//! template's default system prompt, special tokens), learned from the
//! upstream's own reports, for models with no tokenizer configured.

use std::collections::HashMap;
use std::sync::RwLock;

/// Learned prompt overheads by model id, in tokens (negative: our count is
/// above the upstream's).
#[derive(Debug, Default)]
pub struct Overheads {
    learned: RwLock<HashMap<String, i64>>,
}

impl Overheads {
    /// The last overhead learned for `model`, or 0.
    pub fn get(&self, model: &str) -> i64 {
        self.learned
            .read()
            .ok()
            .and_then(|learned| learned.get(model).copied())
            .unwrap_or(0)
    }

    /// Records that the upstream of `model` counted `overhead` tokens more
    /// than we did. Writes only when it changed: under load the same value
    /// comes back on every call.
    pub fn learn(&self, model: &str, overhead: i64) {
        if self.get(model) == overhead {
            return;
        }
        if let Ok(mut learned) = self.learned.write() {
            learned.insert(model.to_owned(), overhead);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_report_wins_per_model() {
        let overheads = Overheads::default();
        assert_eq!(overheads.get("a"), 0);
        overheads.learn("a", 31);
        overheads.learn("b", -2);
        assert_eq!((overheads.get("a"), overheads.get("b")), (31, -2));
        overheads.learn("a", 29);
        assert_eq!(overheads.get("a"), 29);
    }
}
