//! The browser bundle made ready to serve: each file renamed by a hash of
//! its content (so browsers may keep it for a year), written beside it
//! compressed with brotli and gzip at their highest levels (served as they
//! are, instead of compressing megabytes of WebAssembly per visitor), and the
//! names recorded in `assets.json` for the pages to link.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use app::server::assets::{Assets, MANIFEST};
use sha2::{Digest, Sha256};

/// Fingerprints and precompresses the plain-named bundle in `pkg`.
pub fn prepare(pkg: &Path) -> anyhow::Result<Assets> {
    let plain = Assets::default();
    let mut named = Assets {
        fingerprinted: true,
        ..Assets::default()
    };
    for (file, name) in [
        (&plain.js, &mut named.js),
        (&plain.wasm, &mut named.wasm),
        (&plain.css, &mut named.css),
    ] {
        let path = pkg.join(file);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        *name = fingerprinted(file, &bytes);
        let target = pkg.join(&*name);
        std::fs::rename(&path, &target).with_context(|| format!("renaming {}", path.display()))?;
        precompress(&target, &bytes)?;
    }
    let manifest = pkg.join(MANIFEST);
    std::fs::write(&manifest, serde_json::to_vec_pretty(&named)?)
        .with_context(|| format!("writing {}", manifest.display()))?;
    Ok(named)
}

/// `name` with the first 16 hex digits of its content's SHA-256 before
/// the extension: `lab-portal.js` → `lab-portal.0123456789abcdef.js`.
fn fingerprinted(name: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
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
            (&plain.js, "export default 1;".repeat(100)),
            (&plain.wasm, "\0asm".repeat(1000)),
            (&plain.css, "body{}".repeat(100)),
        ] {
            std::fs::write(pkg.join(file), body).expect("written");
        }
        let named = prepare(&pkg).expect("prepared");
        assert!(named.fingerprinted);
        assert_eq!(Assets::load(&pkg), named);
        assert!(!pkg.join(&plain.js).exists());
        assert_eq!(named.js.len(), "lab-portal..js".len() + 16);
        let wasm = std::fs::read(pkg.join(&named.wasm)).expect("the wasm");
        assert_eq!(named.wasm, fingerprinted("lab-portal.wasm", &wasm));
        let br = std::fs::read(sibling(&pkg.join(&named.wasm), "br")).expect("brotli");
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(br.as_slice(), 4096)
            .read_to_end(&mut unpacked)
            .expect("brotli decodes");
        assert_eq!(unpacked, wasm);
        let gz = std::fs::read(sibling(&pkg.join(&named.wasm), "gz")).expect("gzip");
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut unpacked)
            .expect("gzip decodes");
        assert_eq!(unpacked, wasm);
        std::fs::remove_dir_all(&pkg).expect("removed");
    }
}
