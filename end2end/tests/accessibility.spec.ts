import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test } from "@playwright/test";
import { newDeveloper, sidewaysScroll, signInAsAdmin, verifiedDeveloper, waitForHydration } from "./helpers";

// axe injects its script into the page; only these tests let it past the
// Content-Security-Policy.
test.use({ bypassCSP: true });

/** Every page a visitor can open. */
const PUBLIC_PAGES = ["/", "/agents", "/agents/shipment-delay-analyst", "/datasets", "/datasets/nycflights13", "/datasets/nycflights13/viewer?file=planes.csv", "/models", "/signin", "/signup", "/forgot-password", "/no/such/page"];
/** Every page of a signed-in developer. */
const DEVELOPER_PAGES = ["/dashboard", "/keys", "/usage", "/credits", "/profile", "/onboarding", "/playground"];
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
];

/**
 * Opens each of `paths` and checks it: no axe violation of serious or
 * critical impact (WCAG 2.2 AA and best practices), and nothing that
 * scrolls sideways.
 */
async function checkPages(page: Page, paths: string[]) {
  for (const path of paths) {
    await page.goto(path);
    await waitForHydration(page);
    // A lazily loaded page sets its title once its chunk has run.
    await expect(page).toHaveTitle(/· Lab Portal$|^Lab Portal$/);
    const results = await new AxeBuilder({ page })
      .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
      .analyze();
    const grave = results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`);
    expect(grave, `axe on ${path}`).toEqual([]);
    expect(await sidewaysScroll(page), `sideways scroll on ${path}`).toBeLessThanOrEqual(0);
    // On a laptop-sized screen every table shows all its columns, with no
    // scrolling inside it (the action column included).
    const width = page.viewportSize()?.width ?? 0;
    if (width >= 1280) {
      const cut = await page.locator(".table-wrap").evaluateAll((wraps) =>
        wraps
          .filter((w) => w.scrollWidth - w.clientWidth > 1)
          .map((w) => `${w.querySelector("caption")?.textContent ?? w.className}: ${w.scrollWidth} > ${w.clientWidth}`),
      );
      expect(cut, `tables cut off at ${width}px on ${path}`).toEqual([]);
    }
  }
}

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
