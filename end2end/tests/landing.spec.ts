import { expect, test } from "@playwright/test";
import { waitForHydration } from "./helpers";

test.describe("landing page", () => {
  test("explains the Lab and hydrates without console errors", async ({ page }) => {
    const errors: string[] = [];
    page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    page.on("pageerror", (err) => errors.push(err.message));

    const response = await page.goto("/");
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle("Lab Portal");
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Build with AI models");
    for (const offer of ["Token credits", "Curated datasets", "Industry agents", "Cohorts for universities"]) {
      await expect(page.getByRole("heading", { name: offer })).toBeVisible();
    }
    await waitForHydration(page);
    expect(errors).toEqual([]);
  });

  test("navigates to the catalog in the browser, without a full reload", async ({ page, isMobile }) => {
    await page.goto("/");
    await waitForHydration(page);
    // A full page load would wipe this; client-side routing keeps it.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    if (isMobile) {
      await page.getByRole("button", { name: "Menu" }).click();
    }
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Datasets" }).click();

    await expect(page).toHaveURL(/\/datasets$/);
    await expect(page.getByRole("heading", { level: 1, name: "Dataset catalog" })).toBeVisible();
    await expect(page.getByRole("link", { name: "NYC flights 2013: airlines, airports, planes and weather" })).toBeVisible();
    await expect(page).toHaveTitle("Datasets · Lab Portal");
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    if (isMobile) {
      // The menu closes after navigating; open it again to see the links.
      await page.getByRole("button", { name: "Menu" }).click();
    }
    await expect(
      page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Datasets" }),
    ).toHaveAttribute("aria-current", "page");
  });

  test("an unknown address shows the not-found page with status 404", async ({ page }) => {
    const response = await page.goto("/this/does/not/exist");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "We could not find that page" })).toBeVisible();
    await page.getByRole("link", { name: "Go to the home page" }).click();
    await expect(page).toHaveURL(/\/$/);
  });
});

test.describe("menu on a phone", () => {
  test.skip(({ isMobile }) => !isMobile, "the menu button exists only on narrow screens");

  test("the menu button opens and closes the navigation once hydrated", async ({ page }) => {
    await page.goto("/");
    await waitForHydration(page);
    const menu = page.getByRole("button", { name: "Menu" });
    const agents = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" });

    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(agents).toBeHidden();
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await expect(agents).toBeVisible();
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(agents).toBeHidden();
  });
});
