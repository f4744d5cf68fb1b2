//! The browser bundle's file names under `/pkg`: fingerprinted by
//! `lab-portal assets` when the site is bundled (written to
//! `pkg/assets.json`), or the plain names of a site bundled without it.
//! The script and WebAssembly sit in a directory named by their hash,
//! beside the split chunks and their loader ([`LOADER`]).

use std::collections::{BTreeMap, HashMap};
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
    /// The WebAssembly files each lazily loaded function needs (its own
    /// and the chunks it shares), by the function's split name: a page
    /// rendered on the server names them in its head, so the browser
    /// fetches them beside the main module instead of after it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub preloads: BTreeMap<String, Vec<String>>,
}

impl Default for Assets {
    fn default() -> Self {
        Self {
            js: "lab-portal.js".to_owned(),
            wasm: "lab-portal.wasm".to_owned(),
            css: "lab-portal.css".to_owned(),
            loader: None,
            fingerprinted: false,
            preloads: BTreeMap::new(),
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

/// The files each split needs, read from the chunk loader that the split
/// step writes ([`LOADER`]). Each shared chunk is declared as
/// `const __chunk_N = makeLoad(… "./chunk_N.wasm" …, []);` and each split
/// as `export const __wasm_split_load_NAME = wrapAsyncCb(makeLoad(…
/// "./split_NAME.wasm" …, [__chunk_N, …]));` (no file of its own when the
/// split is empty): a split needs its chunks and its own file.
pub fn split_preloads(loader: &str) -> BTreeMap<String, Vec<String>> {
    const CHUNK: &str = "__chunk_";
    const SPLIT: &str = "__wasm_split_load_";
    // Declarations start a line (`const`, `export const`); the `const`s
    // inside a loader's body are indented.
    let starts: Vec<usize> = loader
        .match_indices("const ")
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = &loader[..at];
            let line = &before[before.rfind('\n').map_or(0, |n| n + 1)..];
            line.is_empty() || line == "export "
        })
        .collect();
    let mut chunk_files: HashMap<&str, &str> = HashMap::new();
    let mut preloads = BTreeMap::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(loader.len());
        let declaration = &loader[start + "const ".len()..end];
        let Some((name, body)) = declaration.split_once(" = ") else {
            continue;
        };
        let file = body.split_once("\"./").and_then(|(_, rest)| {
            rest.split_once('"')
                .map(|(file, _)| file)
                .filter(|file| file.ends_with(".wasm"))
        });
        if name.starts_with(CHUNK) {
            if let Some(file) = file {
                chunk_files.insert(name, file);
            }
        } else if let Some(split) = name.strip_prefix(SPLIT) {
            let mut files: Vec<String> = body
                .match_indices(CHUNK)
                .filter_map(|(at, _)| {
                    let digits = body[at + CHUNK.len()..]
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(body.len() - at - CHUNK.len());
                    chunk_files.get(&body[at..at + CHUNK.len() + digits])
                })
                .map(|file| (*file).to_owned())
                .collect();
            files.extend(file.map(str::to_owned));
            files.dedup();
            preloads.insert(split.to_owned(), files);
        }
    }
    preloads
}

/// Names in the head the WebAssembly files of the lazily loaded functions
/// this page has called so far on the server (its lazy route's view):
/// `<link rel="preload">`s, so the browser fetches a signed-in page's
/// chunks while it fetches the main module.
pub fn preload_lazy_chunks() {
    use leptos::prelude::*;
    use leptos_meta::Link;

    let (Some(called), Some(state)) = (
        use_context::<leptos::PrefetchLazyFn>(),
        use_context::<crate::server::state::AppState>(),
    ) else {
        return;
    };
    let Some(called) = called.0.try_get_value() else {
        return;
    };
    let Some(directory) = state
        .assets
        .loader
        .as_deref()
        .and_then(|loader| loader.rsplit_once('/'))
        .map(|(directory, _)| directory)
    else {
        return;
    };
    let mut files: Vec<&String> = called
        .iter()
        .filter_map(|split| state.assets.preloads.get(*split))
        .flatten()
        .collect();
    files.sort();
    files.dedup();
    for file in files {
        // Rendering a `leptos_meta` element registers it for the head.
        let _ = view! {
            <Link
                rel="preload"
                href=Assets::href(&format!("{directory}/{file}"))
                as_="fetch"
                type_="application/wasm"
                crossorigin=""
            />
        }
        .to_html();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loader's shape as the split step writes it (two chunks, a split
    /// using both, one using one, an empty one).
    const LOADER_TEXT: &str = r#"import { initSync } from "./lab-portal.js";

let sharedImports = undefined;
function getSharedImports() {
    if (sharedImports === undefined) {
        const { memory, } = initSync(undefined, undefined);
    }
    return sharedImports;
}
function makeLoad(fetcher, deps) {
    const x = 1;
}
/* __a_view_1, __b_view_1 */
const __chunk_1 = makeLoad(() => {
    const src = fetch(new URL("./chunk_1.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
/* __a_view_1 */
const __chunk_12 = makeLoad(() => {
    const src = fetch(new URL("./chunk_12.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
export const __wasm_split_load___c_view_1 = wrapAsyncCb(makeLoad(() => async (_imp) => ({}), [__chunk_1]));
export const __wasm_split_load___b_view_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split___b_view_1.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1]));
export const __wasm_split_load___a_view_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split___a_view_1.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1, __chunk_12]));
"#;

    #[test]
    fn each_split_needs_its_chunks_and_its_own_file() {
        let preloads = split_preloads(LOADER_TEXT);
        let expected: BTreeMap<String, Vec<String>> = [
            (
                "__a_view_1",
                &["chunk_1.wasm", "chunk_12.wasm", "split___a_view_1.wasm"][..],
            ),
            ("__b_view_1", &["chunk_1.wasm", "split___b_view_1.wasm"][..]),
            ("__c_view_1", &["chunk_1.wasm"][..]),
        ]
        .into_iter()
        .map(|(split, files)| {
            (
                split.to_owned(),
                files.iter().map(|file| (*file).to_owned()).collect(),
            )
        })
        .collect();
        assert_eq!(preloads, expected);
        assert!(split_preloads("import x from './y.js';").is_empty());
    }

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
