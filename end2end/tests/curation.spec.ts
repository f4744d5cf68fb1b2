import { test, expect, type Browser, type Page } from "@playwright/test";
import { adminCredentials, submitSignIn, waitForHydration } from "./helpers";

/** The admin signed in, in a browser context of its own with or without JavaScript. */
async function staff(browser: Browser, javaScriptEnabled: boolean): Promise<Page> {
  const admin = adminCredentials();
  const context = await browser.newContext({ javaScriptEnabled });
  const page = await context.newPage();
  await page.goto("/signin");
  if (javaScriptEnabled) await waitForHydration(page);
  await submitSignIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  return page;
}

/** Uploads `content` as `name` into the draft the console shows. */
async function upload(page: Page, name: string, content: string) {
  const draft = page.getByRole("region", { name: /^Draft: version/ });
  await draft.getByLabel("Add a file").setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(content) });
  await draft.getByRole("button", { name: "Upload" }).click();
}

/** Saves the draft's changelog line and card, then publishes it. */
async function saveAndPublish(page: Page, javaScriptEnabled: boolean, changelog: string, card: string, version: number) {
  const draft = page.getByRole("region", { name: `Draft: version ${version}` });
  await draft.getByLabel("Changelog line").fill(changelog);
  await draft.getByLabel("Card (Markdown)").fill(card);
  await draft.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByText("Draft saved.")).toBeVisible();
  if (javaScriptEnabled) await waitForHydration(page);
  await page.getByRole("button", { name: `Publish version ${version}` }).click();
  await expect(page.getByText("Published: the catalog shows it now.")).toBeVisible();
}

for (const javaScriptEnabled of [true, false]) {
  const how = javaScriptEnabled ? "with" : "without";

  test(`${how} JavaScript an admin creates a dataset, uploads a new version and publishes it`, async ({ browser }) => {
    test.slow();
    const slug = `harbour-tides-${how}-${Date.now().toString(36)}`;
    const page = await staff(browser, javaScriptEnabled);
    await page.goto("/admin/datasets/new");
    if (javaScriptEnabled) await waitForHydration(page);
    // A mistake comes back at its field, the rest kept.
    await page.getByLabel("Slug").fill(slug);
    await page.getByLabel("Title").fill("Harbour tides");
    await page.getByLabel("Summary").fill("High-water heights at three harbours, for forecasting.");
    await page.getByLabel("Industry").selectOption({ label: "Logistics" });
    await page.getByLabel("Forecasting").check();
    await page.getByLabel("License SPDX id").fill("CC0-1.0");
    await page.getByLabel("License name").fill("CC0 1.0 Universal");
    await page.getByLabel("License link").fill("not a link");
    await page.getByLabel("Source", { exact: true }).fill("Harbour masters' logs (a browser test)");
    await page.getByRole("button", { name: "Create dataset" }).click();
    await expect(page.getByLabel("License link")).toHaveAttribute("aria-invalid", "true");
    await page.getByLabel("License link").fill("https://creativecommons.org/publicdomain/zero/1.0/");
    await page.getByRole("button", { name: "Create dataset" }).click();
    await expect(page).toHaveURL(new RegExp(`/admin/datasets/${slug}\\?done=created`));
    await expect(page.getByText("Dataset created.")).toBeVisible();
    if (javaScriptEnabled) await waitForHydration(page);

    // A ragged file is refused, naming its row; a good one is kept.
    await upload(page, "heights.csv", "harbour,height_m\nbrest,7.1\nroscoff,8.2,extra\n");
    await expect(page.getByText("row 3 has 3 fields")).toBeVisible();
    await upload(page, "heights.csv", "harbour,height_m\nbrest,7.1\nroscoff,8.2\n");
    await expect(page.getByText("File added to the draft.")).toBeVisible();
    await expect(page.getByText("heights.csv", { exact: true })).toBeVisible();

    // The draft previewed as users will see it.
    await page.getByRole("link", { name: "Preview it as users will see it" }).click();
    await expect(page.getByText("Preview of draft version 1")).toBeVisible();
    await page.getByRole("link", { name: "Back to its console" }).click();
    if (javaScriptEnabled) await waitForHydration(page);

    await saveAndPublish(page, javaScriptEnabled, "First release.", "# Harbour tides\n\nHeights in metres.", 1);

    // Version 2: starts from version 1, one file replaced.
    await page.getByRole("button", { name: "Start the next version" }).click();
    await expect(page.getByText("Draft started from the latest version.")).toBeVisible();
    if (javaScriptEnabled) await waitForHydration(page);
    await upload(page, "heights.csv", "harbour,height_m\nbrest,7.1\nroscoff,8.2\nsaint-malo,12.4\n");
    await expect(page.getByText("File added to the draft.")).toBeVisible();
    if (javaScriptEnabled) await waitForHydration(page);
    await saveAndPublish(page, javaScriptEnabled, "Saint-Malo added.", "# Harbour tides\n\nThree harbours.", 2);

    // Everyone sees version 2, and version 1 stays at its address.
    const visitor = await browser.newPage({ javaScriptEnabled });
    await visitor.goto(`/datasets/${slug}`);
    await expect(visitor.getByRole("heading", { name: "Harbour tides", level: 1 })).toBeVisible();
    await expect(visitor.getByText("Three harbours.")).toBeVisible();
    await expect(visitor.locator(".dataset-badges")).toContainText("Version 2");
    await expect(visitor.getByRole("link", { name: "Version 1" })).toBeVisible();
    await visitor.goto(`/datasets/${slug}/v/1`);
    await expect(visitor.getByText("Heights in metres.")).toBeVisible();
    await visitor.close();
    await page.context().close();
  });
}
