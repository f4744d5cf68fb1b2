import { expect, test, type Page } from "@playwright/test";
import { mainNav, openMenuIfCollapsed, signInAsAdmin, waitForHydration } from "./helpers";

/** The paths of the WebAssembly files `page` fetches from now on. */
function wasmFetched(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) seen.push(path);
  });
  return seen;
}

const lazyChunk = /\/(split|chunk)_[^/]*\.wasm$/;

test.describe("the browser bundle", () => {
  test("public pages download only the main module, never a signed-in page's chunk", async ({ page }) => {
    const wasm = wasmFetched(page);
    for (const path of ["/", "/models", "/signin", "/signup"]) {
      await page.goto(path);
      await waitForHydration(page);
    }
    expect(wasm.length).toBeGreaterThan(0);
    expect(wasm.filter((p) => lazyChunk.test(p))).toEqual([]);
  });

  test("a signed-in page loaded directly fetches its chunk and hydrates; in-app navigation loads the next", async ({
    browser,
  }) => {
    const admin = await signInAsAdmin(browser);
    const wasm = wasmFetched(admin);
    const problems: string[] = [];
    admin.on("pageerror", (e) => problems.push(e.message));

    await admin.goto("/admin/users");
    await waitForHydration(admin);
    expect(wasm.some((p) => lazyChunk.test(p)), wasm.join(", ")).toBe(true);
    // The page named its chunks in its head, so they were fetched beside the
    // main module, each once (a preload fetched otherwise than the page's
    // own fetch would be fetched twice).
    const preloaded = await admin
      .locator('head link[rel="preload"][as="fetch"]')
      .evaluateAll((links) => links.map((link) => new URL((link as HTMLLinkElement).href).pathname));
    const chunks = wasm.filter((p) => lazyChunk.test(p));
    expect(preloaded.filter((p) => lazyChunk.test(p)).sort()).toEqual([...chunks].sort());
    expect(new Set(wasm).size, wasm.join(", ")).toBe(wasm.length);
    // Hydrated means interactive: the search form is handled in the page.
    await admin.getByRole("searchbox").first().fill("nobody-here");
    await admin.getByRole("searchbox").first().press("Enter");
    await expect(admin).toHaveURL(/q=nobody-here/);

    // Another lazily loaded page, by the header's navigation.
    const before = wasm.length;
    await openMenuIfCollapsed(admin);
    await mainNav(admin).getByRole("link", { name: "Keys", exact: true }).click();
    await expect(admin).toHaveURL(/\/keys$/);
    await expect(admin.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
    expect(wasm.slice(before).some((p) => lazyChunk.test(p)), wasm.join(", ")).toBe(true);
    expect(problems).toEqual([]);
    await admin.context().close();
  });
});
