//! Route paths: one builder per route the app serves, and query strings
//! written with `form_urlencoded`. Pages, links, redirects and tests name a
//! route through these, never as a literal, and a unit test checks every
//! builder against the routes `lib.rs` declares, so renaming a route breaks
//! the build's tests instead of a link.

use std::fmt::Display;

/// `/`.
pub fn home() -> &'static str {
    "/"
}

/// `/agents`: the agent gallery.
pub fn agents() -> &'static str {
    "/agents"
}

/// `/agents/{slug}`: an agent's page.
pub fn agent(slug: &str) -> String {
    format!("/agents/{slug}")
}

/// `/playground`: the signed-in user's conversations with agents.
pub fn playground_list() -> &'static str {
    "/playground"
}

/// `/playground/{id}`: one conversation.
pub fn playground(id: &str) -> String {
    format!("/playground/{id}")
}

/// `/playground/{id}/messages`: where a conversation's messages are posted
/// (a plain route; the reply streams back).
pub fn playground_messages(id: &str) -> String {
    format!("/playground/{id}/messages")
}

/// `/playground/{id}/export.md` or `/playground/{id}/export.json`: a
/// conversation as a file (a plain route).
pub fn playground_export(id: &str, json: bool) -> String {
    let extension = if json { "json" } else { "md" };
    format!("/playground/{id}/export.{extension}")
}

/// `/shared/{token}`: a shared conversation, read-only.
pub fn shared(token: &str) -> String {
    format!("/shared/{token}")
}

/// `/admin/agents`: every agent, for staff.
pub fn admin_agents() -> &'static str {
    "/admin/agents"
}

/// `/admin/agents/{slug}`: one agent's console.
pub fn admin_agent(slug: &str) -> String {
    format!("/admin/agents/{slug}")
}

/// `/admin/agents/{slug}/agent.json`: an agent's newest version as its
/// file (a plain route).
pub fn admin_agent_file(slug: &str) -> String {
    format!("/admin/agents/{slug}/agent.json")
}

/// `/datasets`: the dataset catalog.
pub fn datasets() -> &'static str {
    "/datasets"
}

/// `/datasets/{slug}`: a dataset's page (its latest version).
pub fn dataset(slug: &str) -> String {
    format!("/datasets/{slug}")
}

/// `/datasets/{slug}/v/{number}`: one version of a dataset, for good.
pub fn dataset_version(slug: &str, number: i32) -> String {
    format!("/datasets/{slug}/v/{number}")
}

/// `/datasets/{slug}/v/{number}/files/{name}`: a file's download.
pub fn dataset_file(slug: &str, number: i32, name: &str) -> String {
    format!("/datasets/{slug}/v/{number}/files/{name}")
}

/// `/datasets/{slug}/viewer` (the latest version) or
/// `/datasets/{slug}/v/{number}/viewer`: the data viewer.
pub fn dataset_viewer(slug: &str, number: Option<i32>) -> String {
    match number {
        Some(number) => format!("/datasets/{slug}/v/{number}/viewer"),
        None => format!("/datasets/{slug}/viewer"),
    }
}

/// `/datasets/{slug}/croissant.json`: the dataset in Croissant JSON-LD.
pub fn dataset_croissant(slug: &str) -> String {
    format!("/datasets/{slug}/croissant.json")
}

/// `/models`: the models the API serves, their prices, and what a credit is.
pub fn models() -> &'static str {
    "/models"
}

/// `/signin`.
pub fn sign_in() -> &'static str {
    "/signin"
}

/// `/signup`.
pub fn sign_up() -> &'static str {
    "/signup"
}

/// `/signup/check-email`: after signing up, and to ask for a new link.
pub fn check_email() -> &'static str {
    "/signup/check-email"
}

/// `/verify-email`: where the emailed verification link leads.
pub fn verify_email() -> &'static str {
    "/verify-email"
}

/// `/forgot-password`.
pub fn forgot_password() -> &'static str {
    "/forgot-password"
}

/// `/reset-password`: where the emailed reset link leads.
pub fn reset_password() -> &'static str {
    "/reset-password"
}

/// `/dashboard`.
pub fn dashboard() -> &'static str {
    "/dashboard"
}

/// `/credits`: the signed-in user's credit history.
pub fn credits() -> &'static str {
    "/credits"
}

/// `/credits/history.csv`: the credit history as a CSV download (a plain
/// axum route, `server/src/routes`).
pub fn credit_history_csv() -> &'static str {
    "/credits/history.csv"
}

/// `/keys`.
pub fn keys() -> &'static str {
    "/keys"
}

/// `/orgs`: the signed-in user's organizations, and creating one.
pub fn organizations() -> &'static str {
    "/orgs"
}

/// `/orgs/{slug}`: an organization's page (members, budgets, invitations,
/// settings).
pub fn organization(slug: &str) -> String {
    format!("/orgs/{slug}")
}

/// `/institutions/{slug}`: an institution's dashboard, for its staff.
pub fn institution(slug: &str) -> String {
    format!("/institutions/{slug}")
}

/// `/courses/{slug}`: a course's console, for its coordinators.
pub fn course(slug: &str) -> String {
    format!("/courses/{slug}")
}

/// `/courses/{slug}/usage`: a course's requests and spend by day, model
/// and agent.
pub fn course_usage(slug: &str) -> String {
    format!("/courses/{slug}/usage")
}

/// `/courses/{slug}/usage.csv`: every request of a course's students.
pub fn course_usage_csv(slug: &str) -> String {
    format!("/courses/{slug}/usage.csv")
}

/// `/courses/{slug}/students/{id}`: one student of a course.
pub fn course_student(slug: &str, id: &str) -> String {
    format!("/courses/{slug}/students/{id}")
}

/// `/courses/{slug}/audit`: everything done in a course.
pub fn course_audit(slug: &str) -> String {
    format!("/courses/{slug}/audit")
}

/// `/support`: the caller's support requests.
pub fn support() -> &'static str {
    "/support"
}

/// `/support/new`: opening a request.
pub fn support_new() -> &'static str {
    "/support/new"
}

/// `/support/new?from=<path>`: opening a request from the page `from`,
/// which goes into its context.
pub fn support_new_from(from: &str) -> String {
    with_query(support_new(), &[("from", from)])
}

/// `/support/{number}`: a request's thread, for its requester.
pub fn support_request(number: i64) -> String {
    format!("/support/{number}")
}

/// `/support/attachments/{id}`: a file sent with a support message.
pub fn support_attachment(id: impl Display) -> String {
    format!("/support/attachments/{id}")
}

/// `/admin/support`: the staff queue.
pub fn admin_support() -> &'static str {
    "/admin/support"
}

/// `/admin/support/{number}`: a request, for staff.
pub fn admin_support_request(number: i64) -> String {
    format!("/admin/support/{number}")
}

/// `/admin/support/canned`: canned replies.
pub fn admin_support_canned() -> &'static str {
    "/admin/support/canned"
}

/// `/join`: joining a course with its code.
pub fn join() -> &'static str {
    "/join"
}

/// `/join/{code}`: a course's join link.
pub fn join_course(code: &str) -> String {
    format!("/join/{code}")
}

/// `/admin/institutions`: institutions, for Lab staff.
pub fn admin_institutions() -> &'static str {
    "/admin/institutions"
}

/// `/orgs/{slug}/usage`: an organization's spend by member, key, model
/// and day.
pub fn organization_usage(slug: &str) -> String {
    format!("/orgs/{slug}/usage")
}

/// `/orgs/{slug}/usage.csv`: an organization's requests as CSV (a plain
/// route), under the usage page's filter.
pub fn organization_usage_csv(slug: &str) -> String {
    format!("/orgs/{slug}/usage.csv")
}

/// `/orgs/{slug}/audit`: everything done in an organization.
pub fn organization_audit(slug: &str) -> String {
    format!("/orgs/{slug}/audit")
}

/// `/orgs/{slug}/keys`: the keys billed to an organization.
pub fn organization_keys(slug: &str) -> String {
    format!("/orgs/{slug}/keys")
}

/// `/orgs/{slug}/webhooks`: an organization's webhooks and their
/// deliveries (owners).
pub fn organization_webhooks(slug: &str) -> String {
    format!("/orgs/{slug}/webhooks")
}

/// `/notifications`: the signed-in person's notifications.
pub fn notifications() -> &'static str {
    "/notifications"
}

/// `/notifications/{id}`: opens a notification (marks it read, then goes
/// where it leads).
pub fn notification(id: impl Display) -> String {
    format!("/notifications/{id}")
}

/// `/settings/notifications`: what the signed-in person is told, and how.
pub fn notification_settings() -> &'static str {
    "/settings/notifications"
}

/// `/invitations/{token}`: an invitation to an organization.
pub fn invitation(token: &str) -> String {
    format!("/invitations/{token}")
}

/// `/usage`.
pub fn usage() -> &'static str {
    "/usage"
}

/// `/onboarding`.
pub fn onboarding() -> &'static str {
    "/onboarding"
}

/// `/profile`.
pub fn profile() -> &'static str {
    "/profile"
}

/// `/admin`: the admin console's overview.
pub fn admin() -> &'static str {
    "/admin"
}

/// The design system's examples (staff only).
pub fn design() -> &'static str {
    "/design"
}

/// `/admin/users`.
pub fn admin_users() -> &'static str {
    "/admin/users"
}

/// `/admin/users/{id}`.
pub fn admin_user(id: impl Display) -> String {
    format!("/admin/users/{id}")
}

/// `/admin/applications`.
pub fn admin_applications() -> &'static str {
    "/admin/applications"
}

/// `/admin/datasets`: every dataset, for curation.
pub fn admin_datasets() -> &'static str {
    "/admin/datasets"
}

/// `/admin/datasets/new`: the form creating a dataset.
pub fn admin_new_dataset() -> &'static str {
    "/admin/datasets/new"
}

/// `/admin/datasets/{slug}`: a dataset's console (its description, versions
/// and draft).
pub fn admin_dataset(slug: &str) -> String {
    format!("/admin/datasets/{slug}")
}

/// `/admin/datasets/access`: access requests for approval datasets.
pub fn admin_dataset_access() -> &'static str {
    "/admin/datasets/access"
}

/// `/admin/credits`.
pub fn admin_credits() -> &'static str {
    "/admin/credits"
}

/// `/admin/credits/bulk`.
pub fn admin_bulk_credits() -> &'static str {
    "/admin/credits/bulk"
}

/// `/admin/models`.
pub fn admin_models() -> &'static str {
    "/admin/models"
}

/// `/admin/models/new`.
pub fn admin_new_model() -> &'static str {
    "/admin/models/new"
}

/// `/admin/models/{id}`.
pub fn admin_model(id: impl Display) -> String {
    format!("/admin/models/{id}")
}

/// `/admin/models/providers/new`.
pub fn admin_new_provider() -> &'static str {
    "/admin/models/providers/new"
}

/// `/admin/models/providers/{id}`.
pub fn admin_provider(id: impl Display) -> String {
    format!("/admin/models/providers/{id}")
}

/// `/admin/outbox`.
pub fn admin_outbox() -> &'static str {
    "/admin/outbox"
}

/// `/admin/audit`.
pub fn admin_audit() -> &'static str {
    "/admin/audit"
}

/// `/admin/organizations`: every organization, verification and grants to
/// their pools.
pub fn admin_organizations() -> &'static str {
    "/admin/organizations"
}

/// `/signin?next={path}`: sign in, then come back to `path`.
pub fn sign_in_then(path: &str) -> String {
    with_query(sign_in(), &[("next", path)])
}

/// `path` with `?done={what}`: a page saying what a form just did.
pub fn done(path: &str, what: &str) -> String {
    with_query(path, &[("done", what)])
}

/// `path` with the non-empty `params` as its query string, encoded by
/// `form_urlencoded` (a space is `+`; browsers and the router decode it).
/// Slashes stay readable (`?next=/keys`): RFC 3986 allows them in a query,
/// and every other `%2F` would have come from an encoded `%`.
pub fn with_query(path: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    let query = query.finish().replace("%2F", "/");
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path a builder can produce, with sample ids for parameters.
    fn every_builder() -> Vec<String> {
        let id = "0192f1de-7e8a-7c3b-9a41-3c7e8b1d2f00";
        let mut all: Vec<String> = [
            home(),
            agents(),
            datasets(),
            models(),
            sign_in(),
            sign_up(),
            check_email(),
            verify_email(),
            forgot_password(),
            reset_password(),
            dashboard(),
            credits(),
            keys(),
            organizations(),
            usage(),
            onboarding(),
            profile(),
            admin(),
            admin_users(),
            admin_applications(),
            admin_dataset_access(),
            admin_datasets(),
            admin_new_dataset(),
            admin_agents(),
            admin_credits(),
            admin_bulk_credits(),
            admin_models(),
            admin_new_model(),
            admin_new_provider(),
            admin_outbox(),
            admin_audit(),
            admin_organizations(),
            design(),
        ]
        .map(str::to_owned)
        .to_vec();
        all.extend([admin_user(id), admin_model(id), admin_provider(id)]);
        all.extend([
            playground_list().to_owned(),
            playground(id),
            organization("acme-labs"),
            organization_keys("acme-labs"),
            organization_usage("acme-labs"),
            organization_audit("acme-labs"),
            organization_webhooks("acme-labs"),
            notifications().to_owned(),
            notification(id),
            notification_settings().to_owned(),
            invitation("0123abcd"),
            institution("nus"),
            course("cs3244-abcde"),
            course_usage("cs3244-abcde"),
            course_student("cs3244-abcde", id),
            course_audit("cs3244-abcde"),
            join().to_owned(),
            join_course("KX7MP2QD"),
            admin_institutions().to_owned(),
            shared("0123abcd"),
            agent("credit-memo-drafter"),
            dataset("nycflights13"),
            dataset_version("nycflights13", 2),
            dataset_viewer("nycflights13", None),
            dataset_viewer("nycflights13", Some(2)),
            admin_dataset("nycflights13"),
            admin_agent("credit-memo-drafter"),
            support().to_owned(),
            support_new().to_owned(),
            support_new_from("/usage"),
            support_request(42),
            admin_support().to_owned(),
            admin_support_request(42),
            admin_support_canned().to_owned(),
        ]);
        all.extend([sign_in_then("/keys"), done(admin_models(), "x")]);
        all
    }

    /// The paths of `source`'s routes: `path!("…")` in the Leptos router,
    /// `Route::get("…", …)` in a plain axum route table.
    fn declared(source: &str, marker: &str) -> Vec<String> {
        source
            .split(marker)
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"'))
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    /// Whether `path` (query dropped) is `route`, a `:name` matching any
    /// one segment.
    fn matches(route: &str, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or_default();
        let (route, path): (Vec<&str>, Vec<&str>) =
            (route.split('/').collect(), path.split('/').collect());
        route.len() == path.len()
            && route.iter().zip(&path).all(|(r, p)| {
                r == p || ((r.starts_with(':') || r.starts_with('{')) && !p.is_empty())
            })
    }

    #[test]
    fn every_builder_names_a_route_the_router_declares() {
        let pages = declared(include_str!("lib.rs"), "path!(");
        assert!(pages.len() > 20, "the router's routes were not found");
        for path in every_builder() {
            assert!(
                pages.iter().any(|route| matches(route, &path)),
                "{path} is not a route of app/src/lib.rs"
            );
        }
        let mut plain = declared(
            include_str!("../../server/src/routes/mod.rs"),
            "Route::get(",
        );
        plain.extend(declared(
            include_str!("../../server/src/routes/mod.rs"),
            "Route::post(",
        ));
        for path in [
            &playground_messages("0192f1de-7e8a-7c3b-9a41-3c7e8b1d2f00"),
            &playground_export("0192f1de-7e8a-7c3b-9a41-3c7e8b1d2f00", false),
            &playground_export("0192f1de-7e8a-7c3b-9a41-3c7e8b1d2f00", true),
            credit_history_csv(),
            &organization_usage_csv("acme-labs"),
            &course_usage_csv("cs3244-abcde"),
            &admin_agent_file("credit-memo-drafter"),
            &dataset_file("nycflights13", 1, "weather.csv"),
            &dataset_croissant("nycflights13"),
            &support_attachment("0192f1de-7e8a-7c3b-9a41-3c7e8b1d2f00"),
        ] {
            assert!(
                plain.iter().any(|route| matches(route, path)),
                "{path} is not a plain route"
            );
        }
    }

    #[test]
    fn every_route_the_router_declares_has_a_builder() {
        let built = every_builder();
        for route in declared(include_str!("lib.rs"), "path!(") {
            assert!(
                built.iter().any(|path| matches(&route, path)),
                "{route} has no builder in href.rs"
            );
        }
    }

    #[test]
    fn queries_are_encoded_and_skip_empty_values() {
        assert_eq!(
            with_query(admin_users(), &[("q", "a b&c%/é"), ("page", "2")]),
            "/admin/users?q=a+b%26c%25/%C3%A9&page=2"
        );
        assert_eq!(
            with_query(admin_users(), &[("q", ""), ("page", "3")]),
            "/admin/users?page=3"
        );
        assert_eq!(with_query(admin_users(), &[]), "/admin/users");
        assert_eq!(sign_in_then("/admin/users"), "/signin?next=/admin/users");
        assert_eq!(done(&admin_user(7), "role"), "/admin/users/7?done=role");
    }
}
