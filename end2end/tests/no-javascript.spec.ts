import { expect, test } from "@playwright/test";

test.use({ javaScriptEnabled: false });

test("without JavaScript the pages and navigation still work", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Build with AI models");
  // No hydration, so no collapsible menu: the links are simply there.
  await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
  await expect(page).toHaveURL(/\/agents$/);
  await expect(page.getByRole("heading", { level: 1, name: "Agent gallery" })).toBeVisible();
});
