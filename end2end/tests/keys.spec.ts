import { expect, Page, test } from "@playwright/test";
import {
  mainNav,
  newDeveloper,
  openMenuIfCollapsed,
  signInAsAdmin,
  submitSignIn,
  verifiedDeveloper,
  waitForHydration,
} from "./helpers";

const KEY_FORMAT = /^lp_[a-z0-9]{12}_[A-Za-z0-9]{32}$/;

/** The `/v1/models` answer's status for `key`. */
async function modelsStatus(page: Page, key: string): Promise<number> {
  const response = await page.request.get("/v1/models", { headers: { Authorization: `Bearer ${key}` } });
  return response.status();
}

test.describe("API keys and usage", () => {
  test("a developer creates a key, sees it once, and revokes it; usage starts empty", async ({
    page,
    browser,
    context,
  }, testInfo) => {
    test.slow(); // a sign-up, an admin, a dozen pages
    const dev = newDeveloper(testInfo, "keys");
    const keyName = `laptop ${dev.name.split(" ").pop()}`;
    await verifiedDeveloper(page, browser, dev);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);

    // Usage, before any request: empty states for the chart and the log.
    await waitForHydration(page);
    await openMenuIfCollapsed(page);
    await mainNav(page).getByRole("link", { name: "Usage" }).click();
    await expect(page).toHaveURL(/\/usage$/);
    await expect(page.getByRole("heading", { level: 1, name: "Usage" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "No requests in the last 30 days" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "No requests yet" })).toBeVisible();

    // The keys page, from the navigation: no keys yet, and a quick start
    // naming this portal's API and its models.
    await waitForHydration(page);
    await openMenuIfCollapsed(page);
    await mainNav(page).getByRole("link", { name: "Keys", exact: true }).click();
    await expect(page).toHaveURL(/\/keys$/);
    await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "No keys yet" })).toBeVisible();
    const origin = new URL(page.url()).origin;
    await expect(page.getByLabel("Python example", { exact: true })).toContainText(`OpenAI(base_url="${origin}/v1"`);
    await expect(page.getByLabel("JavaScript example", { exact: true })).toContainText(`new OpenAI({ baseURL: "${origin}/v1"`);
    await expect(page.getByLabel("curl example", { exact: true })).toContainText(`curl ${origin}/v1/`);

    // The limits' inputs line up: one height, whatever their type.
    const heights = await page
      .locator(".keys-limits input")
      .evaluateAll((inputs) => inputs.map((i) => Math.round(i.getBoundingClientRect().height)));
    expect(heights.length).toBeGreaterThanOrEqual(4);
    expect(new Set(heights).size, `heights ${heights}`).toBe(1);

    // A bad cap gets a message at its field; nothing is created.
    await waitForHydration(page);
    await page.getByLabel("Name", { exact: true }).fill(keyName);
    await page.getByLabel("Spend cap in credits", { exact: true }).fill("lots");
    await page.getByRole("button", { name: "Create key" }).click();
    const cap = page.getByLabel("Spend cap in credits", { exact: true });
    await expect(cap).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByText("Enter an amount of credits, like 100 or 2.5.")).toBeVisible();
    await expect(page.getByRole("heading", { name: "No keys yet" })).toBeVisible();

    // Created: the key is shown once, with the warning and a copy button.
    await cap.fill("5");
    await page.getByLabel("Requests per minute", { exact: true }).fill("60");
    await page.getByRole("button", { name: "Create key" }).click();
    const reveal = page.getByTestId("new-key");
    await expect(reveal.getByRole("heading", { name: `Your new key “${keyName}”` })).toBeVisible();
    await expect(reveal).toContainText("Copy it now: you won't see it again.");
    const field = reveal.getByLabel("API key", { exact: true });
    const key = await field.inputValue();
    expect(key).toMatch(KEY_FORMAT);
    await reveal.getByRole("button", { name: "Copy" }).click();
    await expect(reveal.getByRole("status")).toHaveText("Copied to the clipboard.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

    const prefix = `${key.slice(0, 16)}…`;
    const row = page.getByRole("row").filter({ hasText: keyName });
    await expect(row).toContainText(prefix);
    await expect(row).toContainText("Active");
    await expect(row).toContainText("0 of 5");
    await expect(row).toContainText("60 requests/min");
    // The form is empty again for the next key.
    await expect(page.getByLabel("Name", { exact: true })).toHaveValue("");

    // The key works against this portal's API.
    expect(await modelsStatus(page, key)).toBe(200);

    // After a reload only the prefix is left.
    await page.reload();
    await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
    await expect(row).toContainText(prefix);
    await expect(page.getByTestId("new-key")).toHaveCount(0);
    expect(await page.content()).not.toContain(key);

    // Revoked, after a confirmation.
    await waitForHydration(page);
    const revokeLink = row.getByRole("link", { name: `Revoke key ${keyName}` });
    // An action, not the current page's navigation.
    await expect(revokeLink).not.toHaveAttribute("aria-current", /.*/);
    await revokeLink.click();
    await expect(page).toHaveURL(/\/keys\?revoke=/);
    // The confirmation is a modal dialog on screen, its heading focused,
    // not somewhere below.
    const dialog = page.getByRole("dialog", { name: `Revoke “${keyName}”?` });
    await expect(dialog).toBeInViewport();
    expect(await dialog.evaluate((d) => d.matches(":modal"))).toBe(true);
    const confirmation = dialog.getByRole("heading", { name: `Revoke “${keyName}”?` });
    await expect(confirmation).toBeFocused();
    // Escape cancels: the dialog goes, the key stays.
    await page.keyboard.press("Escape");
    await expect(page).toHaveURL(/\/keys$/);
    await expect(dialog).toHaveCount(0);
    await expect(row).not.toContainText("Revoked");
    await revokeLink.click();
    await expect(dialog).toBeInViewport();
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await expect(page).toHaveURL(/\/keys\?done=revoked$/);
    await expect(page.getByText("The key is revoked.")).toBeVisible();
    await expect(row).toContainText("Revoked");
    await expect(row.getByRole("link", { name: /Revoke/ })).toHaveCount(0);
    await expect.poll(() => modelsStatus(page, key), { timeout: 15_000 }).toBe(401);
  });

  test("without JavaScript a key is created, shown once and revoked", async ({ page, browser }, testInfo) => {
    test.slow();
    const dev = newDeveloper(testInfo, "keys-nojs");
    const keyName = `server ${dev.name.split(" ").pop()}`;
    await verifiedDeveloper(page, browser, dev);

    // The same account, in a browser without JavaScript.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto("/signin");
    await submitSignIn(plain, dev.email, dev.password);
    await expect(plain).toHaveURL(/\/dashboard$/);
    await plain.getByRole("link", { name: "Manage your API keys" }).click();
    await expect(plain.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
    await expect(plain.getByRole("button", { name: "Copy", exact: true })).toBeHidden();

    // A missing name is reported at its field.
    await plain.getByRole("button", { name: "Create key" }).click();
    await expect(plain.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");

    await plain.getByLabel("Name", { exact: true }).fill(keyName);
    await plain.getByRole("button", { name: "Create key" }).click();
    await expect(plain).toHaveURL(/\/keys\?created=1$/);
    const key = await plain.getByTestId("new-key").getByLabel("API key", { exact: true }).inputValue();
    expect(key).toMatch(KEY_FORMAT);
    await expect(plain.getByTestId("new-key")).toContainText("you won't see it again");

    await plain.reload();
    await expect(plain.getByRole("row").filter({ hasText: keyName })).toContainText(`${key.slice(0, 16)}…`);
    await expect(plain.getByTestId("new-key")).toHaveCount(0);
    expect(await plain.content()).not.toContain(key);

    await plain.getByRole("link", { name: `Revoke key ${keyName}` }).click();
    // Without JavaScript the question is part of the page, open and in view.
    const question = plain.getByRole("dialog", { name: `Revoke “${keyName}”?` });
    await expect(question).toBeInViewport();
    expect(await question.evaluate((d) => d.matches(":modal"))).toBe(false);
    await question.getByRole("button", { name: "Revoke key" }).click();
    await expect(plain).toHaveURL(/\/keys\?done=revoked$/);
    await expect(plain.getByRole("row").filter({ hasText: keyName })).toContainText("Revoked");
    await context.close();
  });
});
