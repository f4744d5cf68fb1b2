//! Server-rendered pages: status codes, HTML and headers.

use crate::helpers::spawn_app;
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
