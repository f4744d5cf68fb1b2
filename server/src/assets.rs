//! The browser bundle made ready to serve: named by a hash of its content
//! (so browsers may keep it for a year), written beside it compressed with
//! brotli and gzip at their highest levels (served as they are, instead of
//! compressing megabytes of WebAssembly per visitor), and the names
//! recorded in `assets.json` for the pages to link.
//!
//! The stylesheet is renamed by its own hash. The script, its WebAssembly
//! and the split chunks and their loader name each other inside their
//! contents, so they keep their names and move together into a directory
//! named by the hash of all of them.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use app::server::assets::{split_preloads, Assets, LOADER, MANIFEST};
use sha2::{Digest, Sha256};

/// Fingerprints and precompresses the plain-named bundle in `pkg`.
pub fn prepare(pkg: &Path) -> anyhow::Result<Assets> {
    let plain = Assets::default();
    let css_path = pkg.join(&plain.css);
    let css =
        std::fs::read(&css_path).with_context(|| format!("reading {}", css_path.display()))?;
    let css_name = fingerprinted(&plain.css, &css);
    let target = pkg.join(&css_name);
    std::fs::rename(&css_path, &target)
        .with_context(|| format!("renaming {}", css_path.display()))?;
    precompress(&target, &css)?;

    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(pkg).with_context(|| format!("listing {}", pkg.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".js") || name.ends_with(".wasm") {
            names.push(name);
        }
    }
    names.sort();
    anyhow::ensure!(
        names.contains(&plain.js) && names.contains(&plain.wasm),
        "{} must hold {} and {}",
        pkg.display(),
        plain.js,
        plain.wasm
    );
    let mut hasher = Sha256::new();
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let path = pkg.join(&name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
        files.push((name, bytes));
    }
    let preloads = preloads(&files)?;
    let id = hex16(&hasher.finalize());
    let dir = pkg.join(&id);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, bytes) in &files {
        let target = dir.join(name);
        std::fs::rename(pkg.join(name), &target)
            .with_context(|| format!("moving {name} into {}", dir.display()))?;
        precompress(&target, bytes)?;
    }
    let named = Assets {
        js: format!("{id}/{}", plain.js),
        wasm: format!("{id}/{}", plain.wasm),
        css: css_name,
        loader: files
            .iter()
            .any(|(name, _)| name == LOADER)
            .then(|| format!("{id}/{LOADER}")),
        fingerprinted: true,
        preloads,
    };
    let manifest = pkg.join(MANIFEST);
    std::fs::write(&manifest, serde_json::to_vec_pretty(&named)?)
        .with_context(|| format!("writing {}", manifest.display()))?;
    Ok(named)
}

/// The files each split needs, from the loader among `files`. Fails when
/// a split's own file is in none of the lists: the loader's format has
/// changed, and the pages would load their chunks one after another.
fn preloads(
    files: &[(String, Vec<u8>)],
) -> anyhow::Result<std::collections::BTreeMap<String, Vec<String>>> {
    let Some((_, loader)) = files.iter().find(|(name, _)| name == LOADER) else {
        return Ok(Default::default());
    };
    let preloads = split_preloads(&String::from_utf8_lossy(loader));
    for (name, _) in files {
        if name.starts_with("split_") && name.ends_with(".wasm") {
            anyhow::ensure!(
                preloads.values().flatten().any(|file| file == name),
                "{LOADER} does not name {name}: is the split tool of another version?"
            );
        }
    }
    Ok(preloads)
}

/// The first 16 hex digits of a digest.
fn hex16(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `name` with the first 16 hex digits of its content's SHA-256 before
/// the extension: `lab-portal.js` → `lab-portal.0123456789abcdef.js`.
fn fingerprinted(name: &str, bytes: &[u8]) -> String {
    let hash = hex16(&Sha256::digest(bytes));
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
        None => format!("{name}.{hash}"),
    }
}

/// Writes `path.br` and `path.gz`.
fn precompress(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let br = sibling(path, "br");
    let mut out = Vec::with_capacity(bytes.len() / 3);
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 24,
            ..Default::default()
        };
        let mut writer = brotli::CompressorWriter::with_params(&mut out, 1 << 16, &params);
        writer.write_all(bytes)?;
    }
    std::fs::write(&br, &out).with_context(|| format!("writing {}", br.display()))?;
    let gz = sibling(path, "gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    std::fs::write(&gz, encoder.finish()?).with_context(|| format!("writing {}", gz.display()))?;
    Ok(())
}

fn sibling(path: &Path, extension: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    name.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_bundle_is_named_by_content_and_compressed_beside_it() {
        let pkg = std::env::temp_dir().join(format!("pkg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&pkg).expect("a directory");
        let plain = Assets::default();
        for (file, body) in [
            (plain.js.as_str(), "import './__wasm_split.js';".repeat(100)),
            (plain.wasm.as_str(), "\0asm".repeat(1000)),
            (
                LOADER,
                "import { initSync } from './lab-portal.js';".repeat(10),
            ),
            ("chunk_0_x.wasm", "\0asm chunk".repeat(100)),
            (plain.css.as_str(), "body{}".repeat(100)),
        ] {
            std::fs::write(pkg.join(file), body).expect("written");
        }
        let named = prepare(&pkg).expect("prepared");
        assert!(named.fingerprinted);
        assert_eq!(Assets::load(&pkg), named);
        assert!(!pkg.join(&plain.js).exists() && !pkg.join(&plain.css).exists());
        // The stylesheet by its own hash; the rest together, names kept.
        assert_eq!(named.css.len(), "lab-portal..css".len() + 16);
        let (id, js) = named.js.split_once('/').expect("in a directory");
        assert_eq!((id.len(), js), (16, plain.js.as_str()));
        assert_eq!(named.wasm, format!("{id}/{}", plain.wasm));
        assert_eq!(named.loader, Some(format!("{id}/{LOADER}")));
        assert!(pkg.join(id).join("chunk_0_x.wasm.br").exists());
        let wasm = std::fs::read(pkg.join(&named.wasm)).expect("the wasm");
        let br = std::fs::read(sibling(&pkg.join(&named.wasm), "br")).expect("brotli");
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(br.as_slice(), 4096)
            .read_to_end(&mut unpacked)
            .expect("brotli decodes");
        assert_eq!(unpacked, wasm);
        let gz = std::fs::read(sibling(&pkg.join(&named.css), "gz")).expect("gzip");
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut unpacked)
            .expect("gzip decodes");
        assert_eq!(unpacked, "body{}".repeat(100).into_bytes());

        // Another build: another directory.
        let again = std::env::temp_dir().join(format!("pkg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&again).expect("a directory");
        for (file, body) in [
            (plain.js.as_str(), "changed"),
            (plain.wasm.as_str(), "\0asm"),
            (plain.css.as_str(), "body{}"),
        ] {
            std::fs::write(again.join(file), body).expect("written");
        }
        let other = prepare(&again).expect("prepared");
        assert_ne!(other.js, named.js);
        assert_eq!(other.loader, None);
        std::fs::remove_dir_all(&pkg).expect("removed");
        std::fs::remove_dir_all(&again).expect("removed");
    }

    #[test]
    fn the_files_each_split_needs_are_recorded_and_a_split_the_loader_misses_fails() {
        let loader = "import { initSync } from \"./lab-portal.js\";\n\
            const __chunk_3 = makeLoad(() => {\n    const src = fetch(new URL(\"./chunk_3.wasm\", import.meta.url));\n}\n, []);\n\
            export const __wasm_split_load___keys_view_9 = wrapAsyncCb(makeLoad(() => {\n    const src = fetch(new URL(\"./split___keys_view_9.wasm\", import.meta.url));\n}\n, [__chunk_3]));\n";
        let plain = Assets::default();
        let bundle = |extra: &[&str]| {
            let pkg = std::env::temp_dir().join(format!("pkg-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&pkg).expect("a directory");
            for (file, body) in [
                (plain.js.as_str(), "js"),
                (plain.wasm.as_str(), "\0asm"),
                (plain.css.as_str(), "body{}"),
                (LOADER, loader),
                ("chunk_3.wasm", "\0asm 3"),
                ("split___keys_view_9.wasm", "\0asm keys"),
            ] {
                std::fs::write(pkg.join(file), body).expect("written");
            }
            for file in extra {
                std::fs::write(pkg.join(file), "\0asm").expect("written");
            }
            pkg
        };
        let pkg = bundle(&[]);
        let named = prepare(&pkg).expect("prepared");
        assert_eq!(
            named.preloads.get("__keys_view_9"),
            Some(&vec![
                "chunk_3.wasm".to_owned(),
                "split___keys_view_9.wasm".to_owned()
            ])
        );
        assert_eq!(Assets::load(&pkg).preloads, named.preloads);
        std::fs::remove_dir_all(&pkg).expect("removed");

        let pkg = bundle(&["split___usage_view_9.wasm"]);
        let error = prepare(&pkg).expect_err("a split the loader does not name");
        assert!(
            error.to_string().contains("split___usage_view_9.wasm"),
            "{error}"
        );
        std::fs::remove_dir_all(&pkg).expect("removed");
    }
}
