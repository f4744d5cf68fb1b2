import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

import { test, expect } from "@playwright/test";
import { newDeveloper, verifiedDeveloper } from "./helpers";

// The starter catalog is loaded when the portal starts with no datasets.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`the dataset catalog ${javaScriptEnabled ? "with" : "without"} JavaScript`, () => {
    test.use({ javaScriptEnabled });

    test("a visitor searches, filters and opens a dataset", async ({ page }) => {
      await page.goto("/datasets");
      await expect(page.getByRole("status")).toHaveText("8 datasets");
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
      await expect(page.getByRole("link", { name: "iowa-electricity.csv" })).toBeVisible();
      await expect(page.getByRole("link", { name: "Croissant (JSON-LD)" })).toBeVisible();
      await expect(page.getByRole("link", { name: "Version 1" })).toBeVisible();
    });

    test("a search that finds nothing says so and offers the way back", async ({ page }) => {
      await page.goto("/datasets?q=zzzyyyxxx");
      await expect(page.getByRole("heading", { name: "No dataset matches" })).toBeVisible();
      await page.getByRole("link", { name: "Show every dataset" }).click();
      await expect(page.getByRole("status")).toHaveText("8 datasets");
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
  await page.getByRole("link", { name: "warpbreaks.csv" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("warpbreaks.csv");
  const bytes = await readFile(await download.path());
  expect(bytes.toString("utf8").split("\n")[0]).toBe("breaks,wool,tension");
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha);
});
