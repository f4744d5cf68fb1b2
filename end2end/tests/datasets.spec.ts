import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

import { test, expect, type Page } from "@playwright/test";
import { newDeveloper, verifiedDeveloper } from "./helpers";

/** The catalog's count says every dataset: the starter catalog's eight, and
 * any that other browser tests published meanwhile. */
async function expectWholeCatalog(page: Page) {
  const status = page.getByRole("status");
  await expect(status).toHaveText(/^\d+ datasets$/);
  expect(parseInt((await status.textContent()) ?? "0", 10)).toBeGreaterThanOrEqual(8);
}

// The starter catalog is loaded when the portal starts with no datasets.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`the dataset catalog ${javaScriptEnabled ? "with" : "without"} JavaScript`, () => {
    test.use({ javaScriptEnabled });

    test("a visitor searches, filters and opens a dataset", async ({ page }) => {
      await page.goto("/datasets");
      await expectWholeCatalog(page);
      await page.getByLabel("Search datasets").fill("electricity");
      await page.getByRole("button", { name: "Search" }).click();
      await expect(page).toHaveURL(/q=electricity/);
      await expect(page.getByRole("status")).toHaveText("2 datasets");

      const filters = page.getByRole("navigation", { name: "Filters" });
      await filters.getByRole("link", { name: /^Energy/ }).click();
      await expect(page).toHaveURL(/industry=energy/);
      await expect(filters.getByRole("link", { name: /^Energy/ })).toHaveAttribute("aria-current", "true");

      const title = "Iowa electricity generation by source, 2001–2017";
      await page.getByRole("link", { name: title }).click();
      await expect(page).toHaveURL(/\/datasets\/iowa-electricity$/);
      await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
      await expect(page).toHaveTitle(`${title} · Lab Portal`);
      await expect(page.getByRole("link", { name: "iowa-electricity.csv", exact: true })).toBeVisible();
      await expect(page.getByRole("link", { name: "Croissant (JSON-LD)" })).toBeVisible();
      await expect(page.getByRole("link", { name: "Version 1" })).toBeVisible();
    });

    test("a visitor pages, sorts, filters and searches a table in the viewer", async ({ page }) => {
      await page.goto("/datasets/nycflights13");
      await page.getByRole("link", { name: "View rows of weather.csv" }).click();
      await expect(page).toHaveURL(/\/datasets\/nycflights13\/viewer\?file=weather\.csv$/);
      await expect(page.getByRole("heading", { level: 1 })).toContainText("weather.csv");
      const status = page.getByRole("status");
      await expect(status).toHaveText("Rows 1–100 of 26,115 rows");
      const pages = page.getByRole("navigation", { name: "Pages" });
      await pages.getByRole("link", { name: "Next" }).click();
      await expect(page).toHaveURL(/page=2/);
      await expect(status).toHaveText("Rows 101–200 of 26,115 rows");
      await pages.getByRole("link", { name: "Last" }).click();
      await expect(status).toHaveText("Rows 26,101–26,115 of 26,115 rows");

      // Sorting keeps the file and starts again at page 1; a second click
      // turns it around.
      const rows = page.getByRole("region", { name: "Rows" });
      await rows.getByRole("link", { name: "temp", exact: true }).click();
      await expect(page).toHaveURL(/sort=temp/);
      await expect(rows.getByRole("columnheader", { name: /^temp/ })).toHaveAttribute("aria-sort", "ascending");
      await expect(status).toHaveText("Rows 1–100 of 26,115 rows");
      await expect(rows.getByRole("row").nth(1).getByRole("cell").nth(5)).toHaveText("10.94");
      await rows.getByRole("link", { name: "temp", exact: true }).click();
      await expect(rows.getByRole("columnheader", { name: /^temp/ })).toHaveAttribute("aria-sort", "descending");
      await expect(rows.getByRole("row").nth(1).getByRole("cell").nth(5)).toHaveText("100.04");

      // A filter on a value, then a page typed in.
      await page.getByLabel("Column", { exact: true }).selectOption("origin");
      await page.getByLabel("equals").fill("JFK");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect(page).toHaveURL(/col=origin&eq=JFK/);
      await expect(status).toHaveText("Rows 1–100 of 8,706 matching rows of 26,115");
      await page.getByLabel("Go to page").fill("87");
      await page.getByRole("button", { name: "Go" }).click();
      await expect(status).toHaveText("Rows 8,601–8,700 of 8,706 matching rows of 26,115");

      // A value of the wrong type is explained, not an error page.
      await page.goto("/datasets/nycflights13/viewer?file=weather.csv&col=temp&eq=hot");
      await expect(page.getByRole("alert")).toHaveText("“temp” holds a number; “hot” is not one.");
      await expect(status).toHaveText("Rows 1–100 of 26,115 rows");
    });

    test("a search that finds nothing says so and offers the way back", async ({ page }) => {
      await page.goto("/datasets?q=zzzyyyxxx");
      await expect(page.getByRole("heading", { name: "No dataset matches" })).toBeVisible();
      await page.getByRole("link", { name: "Show every dataset" }).click();
      await expect(page).toHaveURL(/\/datasets$/);
      await expectWholeCatalog(page);
    });
  });
}

test("a signed-in developer downloads a dataset's file, byte for byte what its page lists", async ({
  page,
  browser,
}, testInfo) => {
  await verifiedDeveloper(page, browser, newDeveloper(testInfo, "data"));
  await page.goto("/datasets/warp-breaks");
  const row = page.getByRole("row", { name: /warpbreaks\.csv/ });
  const sha = (await row.locator("code").innerText()).trim();
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "warpbreaks.csv", exact: true }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("warpbreaks.csv");
  const bytes = await readFile(await download.path());
  expect(bytes.toString("utf8").split("\n")[0]).toBe("breaks,wool,tension");
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha);
});
