import { expect, test } from "@playwright/test";
import { checkPages, newDeveloper, signInAsAdmin, verifiedDeveloper } from "./helpers";

// axe injects its script into the page; only these tests (and the support
// request's) let it past the Content-Security-Policy.
test.use({ bypassCSP: true });

/** Every page a visitor can open. */
const PUBLIC_PAGES = ["/", "/agents", "/agents/shipment-delay-analyst", "/datasets", "/datasets/nycflights13", "/datasets/nycflights13/viewer?file=planes.csv", "/models", "/signin", "/signup", "/forgot-password", "/no/such/page"];
/** Every page of a signed-in developer. */
const DEVELOPER_PAGES = ["/dashboard", "/keys", "/usage", "/credits", "/profile", "/onboarding", "/playground", "/notifications", "/support", "/support/new?from=%2Fusage"];
/** The admin console's pages (those without an id in the path, and one agent's console). */
const ADMIN_PAGES = [
  "/admin",
  "/admin/agents",
  "/admin/agents/credit-memo-drafter",
  "/admin/users",
  "/admin/applications",
  "/admin/datasets",
  "/admin/datasets/new",
  "/admin/datasets/access",
  "/admin/credits",
  "/admin/credits/bulk",
  "/admin/models",
  "/admin/models/new",
  "/admin/models/providers/new",
  "/admin/outbox",
  "/admin/audit",
  "/admin/support",
  "/admin/support/canned",
];

test.describe("accessibility and layout of every page", () => {
  test("public pages", async ({ page }) => {
    test.slow();
    await checkPages(page, PUBLIC_PAGES);
  });

  test("a developer's pages", async ({ page, browser }, testInfo) => {
    test.slow();
    await verifiedDeveloper(page, browser, newDeveloper(testInfo, "axe"));
    await checkPages(page, DEVELOPER_PAGES);
  });

  test("the admin console", async ({ browser }) => {
    test.slow();
    const page = await signInAsAdmin(browser, { bypassCSP: true });
    await checkPages(page, ADMIN_PAGES);
    // A user's page and a model's page, reached from their lists.
    await page.goto("/admin/users");
    const user = await page.locator('a[href^="/admin/users/"]').first().getAttribute("href");
    expect(user).toMatch(/^\/admin\/users\/[0-9a-f-]+$/);
    await page.goto("/admin/models");
    const models = await page.locator('a[href^="/admin/models/"]').evaluateAll((links) =>
      links.map((a) => a.getAttribute("href") ?? ""),
    );
    const model = models.find((href) => /^\/admin\/models\/[0-9a-f-]{36}$/.test(href));
    expect(model, models.join(", ")).toBeTruthy();
    // A dataset's console (a starter dataset: no draft, its versions).
    await checkPages(page, [user!, model!, "/admin/datasets/seattle-weather"]);
  });
});
