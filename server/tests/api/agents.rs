//! The agent gallery: the starter agents (twelve, two per industry, each
//! file read and written back byte for byte), the gallery's filters and
//! search over HTTP without JavaScript, an agent's page (description
//! sanitized, examples, linked datasets, model price, its request as code),
//! versions (a published one never changes; an edit drafts the next, which
//! only staff see until published).

use app::domain::agents::{parse_file, AgentSpec};
use app::server::datasets::{seed, storage::Store};
use app::server::services::agents::{self, Imported};
use sqlx::PgPool;

use crate::helpers::{create_user, page, signed_in, spawn_app, TestApp};

const AGENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/agents");
const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/datasets");

/// Every starter agent file: its name and text.
fn seed_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(AGENTS)
        .expect("the seed folder")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            (
                path.file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read_to_string(&path).expect("readable"),
            )
        })
        .collect();
    files.sort();
    files
}

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let response = page(app, client, path).await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// How many agent cards a gallery page lists.
fn cards(html: &str) -> usize {
    html.matches("class=\"card agent-card\"").count()
}

/// An agent with no datasets, for tests that need one of their own.
fn agent(slug: &str) -> AgentSpec {
    let (_, text) = seed_files()
        .into_iter()
        .find(|(name, _)| name == "credit-memo-drafter.json")
        .expect("the credit memo drafter");
    let mut spec = parse_file(&text).expect("a good file");
    spec.slug = slug.to_owned();
    spec.name = format!("Agent {slug}");
    spec.featured = false;
    spec
}

#[sqlx::test(migrations = false)]
async fn the_starter_gallery_is_twelve_agents_in_six_industries_read_and_written_back_exactly(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let store = Store::new(std::env::temp_dir().join("lab-portal-test-datasets"));
    seed::load(&app.pool, &store, std::path::Path::new(DATASETS))
        .await
        .expect("the starter catalog loads");
    let added = agents::seed(&app.pool, std::path::Path::new(AGENTS))
        .await
        .expect("the starter agents load");
    let files = seed_files();
    assert!(files.len() >= 12, "{} agent files", files.len());
    assert_eq!(added, files.len());
    assert_eq!(
        agents::seed(&app.pool, std::path::Path::new(AGENTS))
            .await
            .expect("again"),
        0,
        "a second load adds nothing"
    );

    // Each published as version 1, and exported exactly as its file.
    let mut industries = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for (name, text) in &files {
        let spec = parse_file(text).unwrap_or_else(|p| panic!("{name}: {p:?}"));
        let (row, linked, _) = agents::agent(&app.pool, &spec.slug, false)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("{name} is published"));
        assert_eq!(row.number, 1);
        assert_eq!(row.spec().to_json(), *text, "{name} round trip");
        assert_eq!(
            linked.len(),
            spec.datasets.len(),
            "{name}: every linked dataset is in the starter catalog"
        );
        let entry = industries
            .entry(spec.industry.as_str().to_owned())
            .or_default();
        entry.0 += 1;
        entry.1 += usize::from(spec.featured);
    }
    for industry in [
        "finance",
        "healthcare",
        "logistics",
        "manufacturing",
        "retail",
        "energy",
    ] {
        let (count, featured) = industries.get(industry).copied().unwrap_or_default();
        assert!(count >= 2, "{industry}: {count} agents");
        assert_eq!(featured, 1, "{industry}: one featured");
    }

    // The gallery over HTTP, without JavaScript: every agent, featured
    // first; an industry; a search; a search that finds nothing.
    let browser = app.new_browser();
    let (status, gallery) = html(&app, &browser, "/agents").await;
    assert_eq!(status, 200);
    assert_eq!(cards(&gallery), files.len().min(24));
    assert!(gallery.contains(&format!("{} agents", files.len())));
    let featured: Vec<bool> = gallery
        .split("class=\"card agent-card\"")
        .skip(1)
        .map(|card| {
            card.split("</article>")
                .next()
                .is_some_and(|c| c.contains(">Featured<"))
        })
        .collect();
    assert_eq!(
        featured,
        (0..featured.len()).map(|i| i < 6).collect::<Vec<_>>(),
        "the six featured agents come first"
    );
    let (_, finance) = html(&app, &browser, "/agents?industry=finance").await;
    assert_eq!(cards(&finance), 2);
    assert!(finance.contains("Credit memo drafter"));
    assert!(finance.contains("aria-current=\"page\""));
    let (_, search) = html(&app, &browser, "/agents?q=discharge").await;
    assert_eq!(cards(&search), 1);
    assert!(search.contains("/agents/discharge-summary-simplifier"));
    let (_, none) = html(&app, &browser, "/agents?q=zebra+polo").await;
    assert_eq!(cards(&none), 0);
    assert!(none.contains("No agent matches"));

    // An agent's page: what it does, examples, its dataset, model and
    // price, and its request as code with the system prompt filled in.
    let (status, shipment) = html(&app, &browser, "/agents/shipment-delay-analyst").await;
    assert_eq!(status, 200);
    assert!(shipment.contains("Shipment delay analyst"));
    assert!(shipment.contains("href=\"/datasets/nycflights13\""));
    assert!(shipment.contains("simulator-chat"));
    assert!(shipment.contains("credits per million tokens"));
    assert!(shipment.contains("/v1/chat/completions"));
    assert!(
        shipment.contains("working with a developer"),
        "the variable filled in"
    );
    assert!(!shipment.contains("{{user_name}}"));
    let (status, _) = html(&app, &browser, "/agents/no-such-agent").await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn an_edit_drafts_the_next_version_which_only_staff_see_until_published(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "staff@lab.test", "admin").await;
    create_user(&app, "dev@lab.test", "developer").await;
    let staff = signed_in(&app, "staff@lab.test").await;
    let developer = signed_in(&app, "dev@lab.test").await;
    let anonymous = app.new_browser();

    // A draft never published: only staff see it.
    let mut spec = agent("quiet-agent");
    assert_eq!(
        agents::import(&app.pool, &spec, "", false, None)
            .await
            .expect("imported"),
        Imported::Created { version: 1 }
    );
    for client in [&anonymous, &developer] {
        let (status, _) = html(&app, client, "/agents/quiet-agent").await;
        assert_eq!(status, 404);
        let (_, gallery) = html(&app, client, "/agents").await;
        assert!(!gallery.contains("quiet-agent"));
    }
    let (status, preview) = html(&app, &staff, "/agents/quiet-agent").await;
    assert_eq!(status, 200);
    assert!(preview.contains("Preview of version 1"));

    // Published; the same file again changes nothing.
    agents::import(&app.pool, &spec, "", true, None)
        .await
        .expect("published");
    assert_eq!(
        agents::import(&app.pool, &spec, "", true, None)
            .await
            .expect("again"),
        Imported::Unchanged { version: 1 }
    );
    let (status, shown) = html(&app, &anonymous, "/agents/quiet-agent").await;
    assert_eq!(status, 200);
    assert!(!shown.contains("Preview of version"));

    // An edit drafts version 2: everyone else still gets version 1.
    spec.summary = "A sharper summary for version two.".into();
    assert_eq!(
        agents::import(&app.pool, &spec, "Sharper summary.", false, None)
            .await
            .expect("drafted"),
        Imported::Versioned { version: 2 }
    );
    let (_, public) = html(&app, &developer, "/agents/quiet-agent").await;
    assert!(!public.contains("sharper summary"));
    assert!(public.contains("Version 1"));
    let (_, preview) = html(&app, &staff, "/agents/quiet-agent").await;
    assert!(preview.contains("A sharper summary for version two."));
    assert!(preview.contains("Preview of version 2"));

    // A published version never changes, nor goes away.
    let changed = sqlx::query(
        "update agent_versions set summary = 'sneaky' where number = 1
         and agent_id = (select id from agents where slug = 'quiet-agent')",
    )
    .execute(&app.pool)
    .await;
    assert!(changed.is_err(), "version 1 is frozen");
    let removed = sqlx::query(
        "delete from agent_versions where number = 1
         and agent_id = (select id from agents where slug = 'quiet-agent')",
    )
    .execute(&app.pool)
    .await;
    assert!(removed.is_err(), "version 1 stays");

    // Publishing version 2 shows it to everyone.
    agents::import(&app.pool, &spec, "Sharper summary.", true, None)
        .await
        .expect("published");
    let (_, public) = html(&app, &anonymous, "/agents/quiet-agent").await;
    assert!(public.contains("A sharper summary for version two."));
    assert!(public.contains("Version 2"));
}

#[sqlx::test(migrations = false)]
async fn an_agents_description_renders_inert(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut spec = agent("careful-agent");
    spec.description = "Hello <script>alert(1)</script> **bold**\n\n\
                        <img src=x onerror=\"alert(2)\"> [click](javascript:alert(3))\n\n\
                        | a | b |\n|---|---|\n| 1 | 2 |\n"
        .into();
    agents::import(&app.pool, &spec, "", true, None)
        .await
        .expect("published");
    let (status, body) = html(&app, &app.new_browser(), "/agents/careful-agent").await;
    assert_eq!(status, 200);
    assert!(body.contains("<strong>bold</strong>"));
    assert!(body.contains("<table>"));
    assert!(!body.contains("alert(1)"));
    assert!(!body.contains("onerror"));
    assert!(!body.contains("javascript:alert"));
}

#[test]
fn a_bad_agent_file_names_every_wrong_field() {
    let (_, text) = seed_files().into_iter().next().expect("a file");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    json["industry"] = "mining".into();
    json["tools"] = serde_json::json!(["run_sql"]);
    json["example_prompts"] = serde_json::json!([]);
    let problems = parse_file(&json.to_string()).expect_err("problems");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["industry", "example_prompts", "tools"]);
}

/// (action, target) of the audit log's agent entries, oldest first.
async fn agent_audit(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as(
        "select action, target_id from audit_log where target_type = 'agent' order by created_at, id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("audit")
}

#[sqlx::test(migrations = false)]
async fn staff_import_edit_publish_preview_and_unpublish_agents_from_the_console(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_user(&app, "console@lab.test", "admin").await;
    create_user(&app, "dev2@lab.test", "developer").await;
    let staff = signed_in(&app, "console@lab.test").await;
    let developer = signed_in(&app, "dev2@lab.test").await;
    let save = |client: &reqwest::Client, form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form_with(&client, "/api/admin_save_agent", &form)
                .await
        }
    };

    // Imported as a draft: staff see it, no one else does.
    let mut spec = agent("console-agent");
    let created = save(&staff, vec![("file", spec.to_json())]).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    let (_, list) = html(&app, &staff, "/admin/agents").await;
    assert!(
        list.contains("Agent console-agent") && list.contains("Not published"),
        "{list}"
    );
    let (status, _) = html(&app, &developer, "/agents/console-agent").await;
    assert_eq!(status, 404);
    let refused = save(&developer, vec![("file", spec.to_json())]).await;
    assert_eq!(refused.status(), 403);

    // Previewed in the playground: a conversation on the draft.
    let preview = app
        .post_form_with(
            &staff,
            "/api/admin_preview_agent",
            &[("slug", "console-agent")],
        )
        .await;
    assert_eq!(preview.status(), 200);
    let id: String = preview.json().await.expect("an id");
    let version: i32 =
        sqlx::query_scalar("select agent_version from conversations where id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .expect("conversation");
    assert_eq!(version, 1);

    // Published from the history.
    let published = app
        .post_form_with(
            &staff,
            "/api/admin_publish_agent",
            &[("slug", "console-agent"), ("number", "1")],
        )
        .await;
    assert_eq!(published.status(), 200);
    let (status, _) = html(&app, &developer, "/agents/console-agent").await;
    assert_eq!(status, 200);

    // An edit drafts version 2, published with "save and publish"; version
    // 1 can be shown again.
    spec.summary = "Second summary, from the console.".into();
    let edited = save(
        &staff,
        vec![
            ("file", spec.to_json()),
            ("slug", "console-agent".into()),
            ("changelog", "Sharper summary".into()),
            ("publish", "on".into()),
        ],
    )
    .await;
    assert_eq!(edited.status(), 200);
    let (_, public) = html(&app, &developer, "/agents/console-agent").await;
    assert!(public.contains("Second summary, from the console."));
    let (_, console) = html(&app, &staff, "/admin/agents/console-agent").await;
    assert!(
        console.contains("Sharper summary") && console.contains("Version 2"),
        "{console}"
    );
    let back = app
        .post_form_with(
            &staff,
            "/api/admin_publish_agent",
            &[("slug", "console-agent"), ("number", "1")],
        )
        .await;
    assert_eq!(back.status(), 200);
    let (_, public) = html(&app, &developer, "/agents/console-agent").await;
    assert!(!public.contains("Second summary"));

    // The file downloads for staff only, and reads back as the same agent.
    let file = staff
        .get(format!(
            "{}/admin/agents/console-agent/agent.json",
            app.address
        ))
        .send()
        .await
        .expect("file");
    assert_eq!(file.status(), 200);
    assert_eq!(
        parse_file(&file.text().await.expect("text")).expect("a good file"),
        spec
    );
    let first = staff
        .get(format!(
            "{}/admin/agents/console-agent/agent.json?version=1",
            app.address
        ))
        .send()
        .await
        .expect("file");
    let first = parse_file(&first.text().await.expect("text")).expect("version 1");
    assert_ne!(first.summary, spec.summary);
    let denied = developer
        .get(format!(
            "{}/admin/agents/console-agent/agent.json",
            app.address
        ))
        .send()
        .await
        .expect("file");
    assert_eq!(denied.status(), 403);

    // Bad files are field errors naming what is wrong.
    let error_of = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 422);
        response.text().await.expect("body")
    };
    let broken = error_of(save(&staff, vec![("file", "{\"format\": 1".into())]).await).await;
    assert!(broken.contains("file"), "{broken}");
    let mut unknown_model = agent("console-agent");
    unknown_model.model = "no-such-model".into();
    let body = error_of(save(&staff, vec![("file", unknown_model.to_json())]).await).await;
    assert!(body.contains("no-such-model"), "{body}");
    let body = error_of(
        save(
            &staff,
            vec![
                ("file", agent("other-agent").to_json()),
                ("slug", "console-agent".into()),
            ],
        )
        .await,
    )
    .await;
    assert!(body.contains("other-agent"), "{body}");
    let mut unknown_dataset = agent("console-agent");
    unknown_dataset.datasets = vec!["no-such-dataset".into()];
    unknown_dataset.tools = vec![app::domain::agents::Tool::QueryDataset];
    let body = error_of(save(&staff, vec![("file", unknown_dataset.to_json())]).await).await;
    assert!(body.contains("no-such-dataset"), "{body}");

    // Out of the gallery; every change is in the audit log.
    let out = app
        .post_form_with(
            &staff,
            "/api/admin_unpublish_agent",
            &[("slug", "console-agent")],
        )
        .await;
    assert_eq!(out.status(), 200);
    let (status, _) = html(&app, &developer, "/agents/console-agent").await;
    assert_eq!(status, 404);
    let actions: Vec<String> = agent_audit(&app)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "agent.create",
            "agent.publish",
            "agent.import",
            "agent.publish",
            "agent.unpublish"
        ]
    );
}
