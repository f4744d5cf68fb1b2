//! The browser bundle's file names under `/pkg`: fingerprinted by
//! `lab-portal assets` when the site is bundled (written to
//! `pkg/assets.json`), or the plain names of a site bundled without it.
//! The script and WebAssembly sit in a directory named by their hash,
//! beside the split chunks and their loader ([`LOADER`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The manifest's file name, in the `pkg` directory.
pub const MANIFEST: &str = "assets.json";

/// The script that fetches the split WebAssembly chunks (the lazily loaded
/// pages), imported by the bundle's script.
pub const LOADER: &str = "__wasm_split.js";

/// The bundle's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assets {
    /// The JavaScript that loads the WebAssembly.
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The chunk loader, when the bundle is split.
    #[serde(default)]
    pub loader: Option<String>,
    /// Whether each name carries its content's hash, so that a file, once
    /// fetched, never changes (served `immutable`).
    #[serde(default)]
    pub fingerprinted: bool,
}

impl Default for Assets {
    fn default() -> Self {
        Self {
            js: "lab-portal.js".to_owned(),
            wasm: "lab-portal.wasm".to_owned(),
            css: "lab-portal.css".to_owned(),
            loader: None,
            fingerprinted: false,
        }
    }
}

impl Assets {
    /// The names in `pkg`'s manifest, else the plain ones.
    pub fn load(pkg: &Path) -> Self {
        let path = pkg.join(MANIFEST);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Self::default();
        };
        match serde_json::from_str(&text) {
            Ok(assets) => assets,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "unreadable asset manifest; using the plain names");
                Self::default()
            }
        }
    }

    /// The path a page links `file` (one of the names above) at.
    pub fn href(file: &str) -> String {
        format!("/pkg/{file}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_names_the_files_else_the_plain_names_serve() {
        let dir = std::env::temp_dir().join(format!("assets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a directory");
        assert_eq!(Assets::load(&dir), Assets::default());
        let named = Assets {
            js: "0123456789abcdef/lab-portal.js".to_owned(),
            loader: Some("0123456789abcdef/__wasm_split.js".to_owned()),
            fingerprinted: true,
            ..Assets::default()
        };
        std::fs::write(
            dir.join(MANIFEST),
            serde_json::to_string(&named).expect("json"),
        )
        .expect("written");
        assert_eq!(Assets::load(&dir), named);
        std::fs::write(dir.join(MANIFEST), "{").expect("written");
        assert_eq!(Assets::load(&dir), Assets::default());
        std::fs::remove_dir_all(&dir).expect("removed");
    }
}
