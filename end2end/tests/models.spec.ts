import { expect, Page, test } from "@playwright/test";
import { mainNav, openMenuIfCollapsed, sidewaysScroll, waitForHydration } from "./helpers";

/** The table row of model `id`. */
function modelRow(page: Page, id: string) {
  return page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: id, exact: true }) });
}

/**
 * The simulator's models, which the portal registers at start-up, are listed
 * with their prices (credits per million tokens) and limits. Other tests may
 * add models of their own; these two are always there.
 */
async function expectSimulatorModels(page: Page) {
  await expect(page.getByRole("heading", { level: 2, name: "Chat models" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "Embedding models" })).toBeVisible();
  // Input and output price, context window, max output; embeddings have
  // no output, so only their input price and context window.
  await expect(modelRow(page, "simulator-chat").getByRole("cell")).toHaveText(["2", "6", "16,384", "4,096"]);
  await expect(modelRow(page, "simulator-embed").getByRole("cell")).toHaveText(["0.1", "8,192"]);
}

test.describe("models and pricing", () => {
  test("a visitor finds every model's price from the header, without sideways scrolling", async ({
    page,
    isMobile,
  }) => {
    // The phone project checks the narrowest common phone width.
    if (isMobile) await page.setViewportSize({ width: 390, height: 844 });
    await page.goto("/");
    await waitForHydration(page);
    await openMenuIfCollapsed(page);
    await mainNav(page).getByRole("link", { name: "Models" }).click();

    await expect(page).toHaveURL(/\/models$/);
    await expect(page).toHaveTitle("Models and pricing · Lab Portal");
    await expect(page.getByRole("heading", { level: 1, name: "Models and pricing" })).toBeVisible();
    await expectSimulatorModels(page);
    await expect(page.getByText("One credit is 1,000,000 micro-credits")).toBeVisible();
    const origin = new URL(page.url()).origin;
    await expect(page.getByLabel("curl example", { exact: true })).toContainText(`curl ${origin}/v1/`);
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
  });
});

test.describe("models and pricing without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the page is complete as the server renders it", async ({ page, isMobile }) => {
    if (isMobile) await page.setViewportSize({ width: 390, height: 844 });
    const response = await page.goto("/models");
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("heading", { level: 1, name: "Models and pricing" })).toBeVisible();
    await expectSimulatorModels(page);
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
  });
});
