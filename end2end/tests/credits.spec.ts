import { readFile } from "node:fs/promises";

import { expect, Page, test } from "@playwright/test";
import {
  confirmEmailFromOutbox,
  newDeveloper,
  signInAsAdmin,
  signUpAndExpectCheckEmail,
  submitSignIn,
  waitForHydration,
} from "./helpers";

/** `YYYY-MM-DD` (UTC) of the day `days` after today. */
function utcDate(days: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Regular-expression text matching `text` literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Pastes `csv` into the bulk grant page and previews it (uploading a file
 * instead is in bulk-credits.spec.ts).
 */
async function previewBulk(admin: Page, csv: string) {
  await admin.goto("/admin/credits/bulk");
  await expect(admin.getByRole("heading", { level: 1, name: "Bulk credit grants" })).toBeVisible();
  await waitForHydration(admin);
  await admin.getByLabel("Or paste the CSV text", { exact: true }).fill(csv);
  await admin.getByRole("button", { name: "Preview" }).click();
  await expect(admin).toHaveURL(/\/admin\/credits\/bulk\?draft=/);
  await expect(admin.getByRole("heading", { level: 2, name: "Preview" })).toBeVisible();
}

/** The row of the bulk report for `email`. */
function reportRow(admin: Page, email: string) {
  return admin.locator(".admin-bulk-report").getByRole("row").filter({ hasText: email });
}

test.describe("credits with JavaScript", () => {
  test("an admin grants credits one by one and in bulk, and the developer sees and exports them", async ({
    page,
    browser,
  }, testInfo) => {
    test.slow(); // three people, two sign-ups, a dozen pages

    const dev = newDeveloper(testInfo, "credits");
    const other = newDeveloper(testInfo, "credits-bulk");
    const grantReason = `Hackathon prize ${dev.name.split(" ").pop()}`;
    const bulkReason = `Workshop ${dev.name.split(" ").pop()}`;
    const expiry = utcDate(30);
    // The credit expires at the end of that day, i.e. when the next one starts.
    // Shown as the day typed: credit lasts to the end of it.
    const expiresAt = `${utcDate(30)} (end of day, UTC)`;

    // 1. Two developers sign up and confirm their addresses.
    await signUpAndExpectCheckEmail(page, dev);
    await signUpAndExpectCheckEmail(page, other);
    const admin = await signInAsAdmin(browser);
    await confirmEmailFromOutbox(page, admin, dev.email);
    await confirmEmailFromOutbox(page, admin, other.email);

    // 2. The admin looks the first developer up (the address carries the
    // email alone) and grants 250 credits with the single form.
    await admin.goto("/admin/credits");
    await waitForHydration(admin);
    await admin.getByLabel("User's email", { exact: true }).fill(dev.email);
    await admin.getByRole("button", { name: "Look up" }).click();
    const lookedUp = `/admin/credits?email=${encodeURIComponent(dev.email)}`;
    await expect(admin).toHaveURL((url) => url.pathname + url.search === lookedUp);
    await expect(admin.getByRole("heading", { level: 1, name: "Credits" })).toBeVisible();
    await expect(admin.getByRole("heading", { level: 2, name: "Grant credits" })).toBeVisible();
    await waitForHydration(admin);
    const grant = admin.locator('section[aria-labelledby="grant-heading"]');
    await grant.getByLabel("Credits", { exact: true }).fill("250");
    await grant.getByLabel("Reason", { exact: true }).fill(grantReason);
    await grant.getByRole("button", { name: "Grant credits" }).click();
    await expect(admin).toHaveURL(/[?&]done=granted/);
    await expect(admin.getByText("The credits are granted.")).toBeVisible();
    const facts = admin.locator("dl.admin-facts");
    await expect(facts).toContainText(dev.email);
    await expect(facts.locator("dt", { hasText: "Available" }).locator("+ dd")).toHaveText("250");

    // 3. The admin grants both developers from a CSV file.
    const csv = [
      "email,amount,expiry,reason",
      `${dev.email},12.5,${expiry},${bulkReason}`,
      `${other.email},40,,${bulkReason}`,
    ].join("\n");
    await previewBulk(admin, csv);
    await expect(admin.getByRole("status")).toContainText(
      "2 rows ready (52.5 credits), 0 already granted, 0 with errors. Nothing has been granted yet.",
    );
    await expect(reportRow(admin, dev.email)).toContainText("Ready");
    await expect(reportRow(admin, other.email)).toContainText("Ready");

    // A second tab previews the same file before the first applies it, so
    // it can apply it a second time.
    const again = await admin.context().newPage();
    await previewBulk(again, csv);
    await expect(again.getByRole("button", { name: "Grant 2 rows" })).toBeVisible();

    await admin.getByRole("button", { name: "Grant 2 rows" }).click();
    await expect(admin.getByRole("heading", { level: 2, name: "Result" })).toBeVisible();
    await expect(admin.getByRole("status")).toContainText(
      "2 rows granted (52.5 credits), 0 already granted before, 0 skipped.",
    );
    await expect(reportRow(admin, dev.email)).toContainText("Granted");
    await expect(reportRow(admin, other.email)).toContainText("Granted");
    await expect(admin.getByRole("button", { name: /^Grant \d+ rows$/ })).toHaveCount(0);

    // Applying the same file again grants nothing twice.
    await again.getByRole("button", { name: "Grant 2 rows" }).click();
    await expect(again.getByRole("heading", { level: 2, name: "Result" })).toBeVisible();
    await expect(again.getByRole("status")).toContainText(
      "0 rows granted (0 credits), 2 already granted before, 0 skipped.",
    );
    await expect(reportRow(again, dev.email)).toContainText("Already granted");
    await expect(reportRow(again, other.email)).toContainText("Already granted");
    await again.close();

    // And previewing it again shows both rows as already granted, with
    // nothing left to apply.
    await previewBulk(admin, csv);
    await expect(admin.getByRole("status")).toContainText(
      "0 rows ready (0 credits), 2 already granted, 0 with errors.",
    );
    await expect(reportRow(admin, dev.email)).toContainText("Already granted");
    await expect(reportRow(admin, other.email)).toContainText("Already granted");
    await expect(admin.getByRole("button", { name: /^Grant \d+ rows$/ })).toHaveCount(0);
    await admin.context().close();

    // 4. The first developer signs in and sees the balance and its expiry.
    await submitSignIn(page, dev.email, dev.password);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId("balance-available")).toHaveText("262.50 credits available");
    const balance = page.locator(".balance-card");
    await expect(balance.getByRole("heading", { level: 3, name: "Expiring" })).toBeVisible();
    await expect(balance.getByRole("listitem")).toHaveText([`12.5 on ${expiresAt}`]);

    // The history lists both grants.
    await waitForHydration(page);
    await balance.getByRole("link", { name: "See your credit history" }).click();
    await expect(page).toHaveURL(/\/credits$/);
    await expect(page.getByRole("heading", { level: 1, name: "Credit history" })).toBeVisible();
    const history = page.getByRole("table");
    const grantRow = history.getByRole("row").filter({ hasText: grantReason });
    const bulkRow = history.getByRole("row").filter({ hasText: bulkReason });
    // In plain words, with the balance after each line (newest first).
    await expect(grantRow).toContainText(`Credit granted: ${grantReason}`);
    await expect(grantRow).toContainText("+250");
    await expect(bulkRow).toContainText(`Credit granted: ${bulkReason}`);
    await expect(bulkRow).toContainText("+12.5");
    await expect(history.locator("tbody tr").first().locator("td").nth(3)).toHaveText("262.5");
    await expect(history.locator("tbody tr").last().locator("td").nth(3)).toHaveText(/^(250|12\.5)$/);
    await expect(page.getByText("Showing 1–2 of 2")).toBeVisible();

    // The CSV export holds both grants.
    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export the ledger (CSV)" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("credit-history.csv");
    const file = await download.path();
    const text = await readFile(file, "utf8");
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe("time_utc,transaction_id,kind,available_change,reserved_change,details");
    expect(lines).toHaveLength(3);
    expect(text).toMatch(new RegExp(`^[^,\\n]+,[^,\\n]+,grant,250,0,${literal(grantReason)}$`, "m"));
    expect(text).toMatch(new RegExp(`^[^,\\n]+,[^,\\n]+,grant,12\\.5,0,${literal(bulkReason)}$`, "m"));
  });
});
