//! Server-rendered pages: status codes, HTML and headers.

use crate::helpers::{spawn_app, spawn_app_with_site};
use app::server::assets::Assets;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_landing_page_is_server_rendered(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let html = response.text().await.expect("body");
    assert!(
        html.contains("<title>Lab Portal</title>"),
        "title in: {html}"
    );
    assert!(html.contains("Build with AI models, datasets and agents"));
    assert!(html.contains("Token credits") && html.contains("Curated datasets"));
    assert!(html.contains("Cohorts for universities") && html.contains("Industry agents"));
    assert!(html.contains(r#"href="/signin""#) && html.contains(r#"href="/signup""#));
    // The hydration bundle is referenced, so the browser can take over.
    assert!(html.contains("/pkg/lab-portal.js") && html.contains("/pkg/lab-portal.wasm"));
}

#[sqlx::test(migrations = false)]
async fn an_unknown_page_is_a_404_with_a_helpful_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.expect("body");
    assert!(html.contains("We could not find that page"));
    assert!(html.contains("Page not found · Lab Portal"));
}

#[sqlx::test(migrations = false)]
async fn catalog_pages_render_their_empty_states(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (path, text) in [
        ("/agents", "No agents are published yet"),
        ("/datasets", "No datasets are published yet"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.text().await.expect("body").contains(text),
            "{path}"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn pages_carry_security_headers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/").await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(
        headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
}

#[sqlx::test(migrations = false)]
async fn the_header_links_are_in_the_html_itself_for_browsers_without_javascript(pool: PgPool) {
    let app = spawn_app(pool).await;
    // Streaming could put them in a late chunk that only JavaScript moves
    // into place; check several pages, several times.
    for _ in 0..5 {
        for path in ["/", "/agents", "/datasets", "/signin", "/signup"] {
            let html = app.get(path).await.text().await.expect("body");
            let header_end = html.find("</header>").expect("a header");
            let header = &html[..header_end];
            assert!(
                header.contains(r#"href="/signin""#),
                "{path}: no sign-in link in the header"
            );
        }
    }
}

#[sqlx::test(migrations = false)]
async fn the_bundle_is_fingerprinted_precompressed_and_cached_for_a_year(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("site-{}", uuid::Uuid::new_v4()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).expect("a directory");
    let plain = Assets::default();
    let wasm = b"\0asm\x01\0\0\0".repeat(500);
    std::fs::write(pkg.join(&plain.js), "export default async function () {}").expect("js");
    std::fs::write(pkg.join(&plain.wasm), &wasm).expect("wasm");
    std::fs::write(pkg.join(&plain.css), "body { margin: 0 }").expect("css");
    std::fs::write(
        pkg.join(app::server::assets::LOADER),
        "import { initSync } from './lab-portal.js';",
    )
    .expect("loader");
    let named = lab_portal::assets::prepare(&pkg).expect("prepared");
    let loader = named.loader.clone().expect("a split bundle's loader");
    let app = spawn_app_with_site(pool, &site).await;

    let page = app.get("/").await;
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.text().await.expect("html");
    for name in [&named.js, &named.wasm, &named.css] {
        assert!(html.contains(&format!("/pkg/{name}")), "{name} in {html}");
    }
    // The preload is fetched as the bundle's own fetch is: anonymous, never
    // with the nonce (which belongs to the script alone).
    assert!(
        html.contains(&format!(
            r#"<link rel="preload" href="/pkg/{}" as="fetch" type="application/wasm" crossorigin="">"#,
            named.wasm
        )),
        "{html}"
    );
    assert!(
        !html.contains("crossorigin=\"nonce") && html.contains("<script type=\"module\" nonce=")
    );
    // The chunk loader the script imports is fetched beside it, and served
    // as a module script.
    assert!(
        html.contains(&format!(
            r#"<link rel="modulepreload" href="/pkg/{loader}">"#
        )),
        "{html}"
    );
    let served = app.get(&format!("/pkg/{loader}")).await;
    assert_eq!(served.status(), 200);
    assert!(served.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/javascript"));

    let url = format!("{}/pkg/{}", app.address, named.wasm);
    for (accept, encoding, suffix) in [
        ("br, gzip", Some("br"), ".br"),
        ("gzip", Some("gzip"), ".gz"),
        ("identity", None, ""),
    ] {
        let response = app
            .client
            .get(&url)
            .header("accept-encoding", accept)
            .send()
            .await
            .expect("bundle");
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().expect("ascii")),
            encoding
        );
        assert_eq!(response.headers()["content-type"], "application/wasm");
        let body = response.bytes().await.expect("body");
        let file = std::fs::read(pkg.join(format!("{}{suffix}", named.wasm))).expect("file");
        assert_eq!(body.as_ref(), file.as_slice(), "{accept}");
    }
    let missing = app.get("/pkg/lab-portal.0000000000000000.wasm").await;
    assert_eq!(missing.status(), 404);
    assert!(missing
        .headers()
        .get("cache-control")
        .is_none_or(|v| v != "public, max-age=31536000, immutable"));
    std::fs::remove_dir_all(&site).expect("removed");
}

/// The payloads a page hands to the browser, one per resource it read.
fn resolved_resources(html: &str) -> Vec<&str> {
    html.split("__RESOLVED_RESOURCES[")
        .skip(1)
        .filter_map(|rest| rest.split_once("] = \""))
        .filter_map(|(_, rest)| rest.split_once("\";"))
        .map(|(payload, _)| payload)
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_signed_in_page_is_built_once_and_reads_each_resource_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    crate::helpers::create_user(&app, "staff@lab.example", "admin").await;
    let browser = crate::helpers::signed_in(&app, "staff@lab.example").await;
    for path in [
        "/dashboard",
        "/keys",
        "/usage",
        "/credits",
        "/profile",
        "/notifications",
        "/support",
        "/admin",
        "/admin/users",
        "/admin/models",
        "/admin/audit",
        "/admin/support",
        "/admin/support/canned",
    ] {
        let html = crate::helpers::page(&app, &browser, path)
            .await
            .text()
            .await
            .expect("html");
        let payloads = resolved_resources(&html);
        assert!(!payloads.is_empty(), "{path}: {payloads:?}");
        // A page built twice on the server runs its queries twice and sends
        // each answer twice (a null or empty answer may repeat legitimately).
        let mut substantial: Vec<&str> = payloads.into_iter().filter(|p| p.len() > 40).collect();
        substantial.sort_unstable();
        let twice: Vec<&str> = substantial
            .windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| pair[0].get(..120).unwrap_or(pair[0]))
            .collect();
        assert!(twice.is_empty(), "{path} read a resource twice: {twice:?}");
    }
}
