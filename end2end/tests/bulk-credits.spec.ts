import { Browser, expect, Locator, Page, test } from "@playwright/test";
import {
  adminCredentials,
  Developer,
  newDeveloper,
  signInAsAdmin,
  signUpAndExpectCheckEmail,
  submitSignIn,
  submitSignUp,
  waitForHydration,
} from "./helpers";

/**
 * A grants file for `dev`: line 2 is good, line 3 has a bad amount and line
 * 4 names nobody. The reason names the developer, so every run of the tests
 * uploads a file of its own.
 */
function grantsFile(dev: Developer): string {
  const reason = `Bulk upload ${dev.name.split(" ").pop()}`;
  return [
    "email,amount,expiry,reason",
    `${dev.email},7.25,,${reason}`,
    `${dev.email},lots,,${reason}`,
    `nobody-${dev.email},1,,${reason}`,
  ].join("\r\n");
}

/**
 * A grants file of 150 rows for `dev` (lines 2 to 151, one credit each),
 * longer than a page of 100: lines 50 and 140 name nobody.
 */
function longGrantsFile(dev: Developer): string {
  const reason = `Bulk pages ${dev.name.split(" ").pop()}`;
  const rows = ["email,amount,expiry,reason"];
  for (let line = 2; line <= 151; line += 1) {
    const email = line === 50 || line === 140 ? `nobody-${dev.email}` : dev.email;
    rows.push(`${email},1,,${reason} line ${line}`);
  }
  return rows.join("\r\n");
}

/** The rows of the report's table, its header row left out. */
function bodyRows(page: Page): Locator {
  return page
    .getByRole("table", { name: "Rows of grants.csv" })
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader") });
}

/** The row of the report's table for line `line` of the file. */
function fileRow(page: Page, line: number): Locator {
  return page
    .getByRole("table", { name: "Rows of grants.csv" })
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: String(line), exact: true }) });
}

/** Chooses `csv` as the file `grants.csv` in the upload form and previews it. */
async function uploadFile(page: Page, csv: string) {
  await page.getByLabel("CSV file", { exact: true }).setInputFiles({
    name: "grants.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv, "utf8"),
  });
  await page.getByRole("button", { name: "Preview" }).click();
}

/** Checks the preview of a fresh grants file: one row ready, two with errors. */
async function expectFreshPreview(page: Page) {
  await expect(page).toHaveURL(/\/admin\/credits\/bulk\?draft=[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 2, name: "Preview" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText(
    "1 row ready (7.25 credits), 0 already granted, 2 with errors. Nothing has been granted yet.",
  );
  await expect(fileRow(page, 2)).toContainText("Ready");
  await expect(fileRow(page, 3)).toContainText("Skipped");
  await expect(fileRow(page, 3)).toContainText("Enter an amount of credits, like 100 or 2.5.");
  await expect(fileRow(page, 4)).toContainText("No user has this email.");
}

/** Checks the report of the run that granted a fresh file. */
async function expectGrantedReport(page: Page) {
  await expect(page).toHaveURL(/\/admin\/credits\/bulk\?run=[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 2, name: "Result" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText(
    "1 row granted (7.25 credits), 0 already granted before, 2 skipped.",
  );
  await expect(fileRow(page, 2)).toContainText("Granted");
  await expect(fileRow(page, 3)).toContainText("Skipped");
  await expect(page.getByRole("button", { name: /^Grant \d+ rows?$/ })).toHaveCount(0);
}

/** The developer's available credits, read on the admin credits page. */
async function expectAvailable(page: Page, dev: Developer, credits: string) {
  await page.goto(`/admin/credits?email=${encodeURIComponent(dev.email)}`);
  const facts = page.locator("dl.admin-facts");
  await expect(facts.locator("dt", { hasText: "Available" }).locator("+ dd")).toHaveText(credits);
}

test.describe("bulk grants from a CSV file, with JavaScript", () => {
  test("an admin uploads a file, sees each row's error, applies it, and the same file again grants nothing", async ({
    page,
    browser,
  }, testInfo) => {
    test.slow(); // a sign-up, an admin and a dozen pages
    const dev = newDeveloper(testInfo, "bulk-file");
    await signUpAndExpectCheckEmail(page, dev);
    const admin = await signInAsAdmin(browser);
    const csv = grantsFile(dev);

    await admin.goto("/admin/credits/bulk");
    await expect(admin.getByRole("heading", { level: 1, name: "Bulk credit grants" })).toBeVisible();
    await waitForHydration(admin);
    await uploadFile(admin, csv);
    await expectFreshPreview(admin);
    await expect(admin.getByText("File", { exact: true }).locator("+ dd")).toHaveText("grants.csv");

    await waitForHydration(admin);
    await admin.getByRole("button", { name: "Grant 1 row", exact: true }).click();
    await expectGrantedReport(admin);

    // The same file uploaded again: already granted, nothing to apply.
    await admin.getByRole("link", { name: "Upload another file" }).click();
    await expect(admin.getByLabel("CSV file", { exact: true })).toBeVisible();
    await uploadFile(admin, csv);
    await expect(admin.getByRole("heading", { level: 2, name: "Preview" })).toBeVisible();
    await expect(admin.getByRole("status")).toHaveText(
      "0 rows ready (0 credits), 1 already granted, 2 with errors. Nothing has been granted yet.",
    );
    await expect(fileRow(admin, 2)).toContainText("Already granted");
    await expect(admin.getByRole("button", { name: /^Grant \d+ rows?$/ })).toHaveCount(0);

    await expectAvailable(admin, dev, "7.25");
    await admin.context().close();
  });
});

test.describe("a bulk file longer than a page, with JavaScript", () => {
  test("an admin pages through the preview, lists only the rows with errors, applies the whole file and pages through the report", async ({
    page,
    browser,
  }, testInfo) => {
    test.slow();
    const dev = newDeveloper(testInfo, "bulk-pages");
    await signUpAndExpectCheckEmail(page, dev);
    const admin = await signInAsAdmin(browser);

    await admin.goto("/admin/credits/bulk");
    await waitForHydration(admin);
    await uploadFile(admin, longGrantsFile(dev));
    await expect(admin).toHaveURL(/\/admin\/credits\/bulk\?draft=[0-9a-f-]{36}$/);
    const status = admin.getByRole("status");
    await expect(status).toHaveText(
      "148 rows ready (148 credits), 0 already granted, 2 with errors. Nothing has been granted yet.",
    );

    // Page 1: lines 2 to 101.
    const pages = admin.getByRole("navigation", { name: "Pages" });
    await expect(pages.getByText("Page 1 of 2")).toHaveAttribute("aria-current", "page");
    await expect(pages).toContainText("Showing 1–100 of 150");
    await expect(bodyRows(admin)).toHaveCount(100);
    await expect(fileRow(admin, 2)).toContainText("Ready");
    await expect(fileRow(admin, 102)).toHaveCount(0);
    await expect(pages.getByRole("link", { name: "Previous" })).toHaveCount(0);

    // Page 2: the other 50, the counts still of the whole file.
    await waitForHydration(admin);
    await pages.getByRole("link", { name: "Next" }).click();
    await expect(admin).toHaveURL(/\?draft=[0-9a-f-]{36}&page=2$/);
    await expect(pages.getByText("Page 2 of 2")).toHaveAttribute("aria-current", "page");
    await expect(bodyRows(admin)).toHaveCount(50);
    await expect(fileRow(admin, 140)).toContainText("No user has this email.");
    await expect(fileRow(admin, 2)).toHaveCount(0);
    await expect(pages.getByRole("link", { name: "Next" })).toHaveCount(0);
    await expect(status).toContainText("148 rows ready (148 credits)");

    // Only the rows with errors: both of them, on one page.
    const listed = admin.getByRole("navigation", { name: "Rows listed" });
    await listed.getByRole("link", { name: "With errors (2)" }).click();
    await expect(admin).toHaveURL(/\?draft=[0-9a-f-]{36}&show=problems$/);
    await expect(listed.getByRole("link", { name: "With errors (2)" })).toHaveAttribute(
      "aria-current",
      "page",
    );
    await expect(bodyRows(admin)).toHaveCount(2);
    await expect(fileRow(admin, 50)).toContainText("Skipped");
    await expect(fileRow(admin, 140)).toContainText("Skipped");
    await expect(pages.getByText("Page 1 of 1")).toBeVisible();

    // Applying from the filtered page grants the whole file.
    await admin.getByRole("button", { name: "Grant 148 rows", exact: true }).click();
    await expect(admin).toHaveURL(/\/admin\/credits\/bulk\?run=[0-9a-f-]{36}$/);
    await expect(status).toHaveText("148 rows granted (148 credits), 0 already granted before, 2 skipped.");
    await expect(bodyRows(admin)).toHaveCount(100);
    await waitForHydration(admin);
    await pages.getByRole("link", { name: "Next" }).click();
    await expect(admin).toHaveURL(/\?run=[0-9a-f-]{36}&page=2$/);
    await expect(bodyRows(admin)).toHaveCount(50);
    await expect(fileRow(admin, 151)).toContainText("Granted");
    await listed.getByRole("link", { name: "Skipped (2)" }).click();
    await expect(bodyRows(admin)).toHaveCount(2);
    await expect(fileRow(admin, 50)).toContainText("Skipped");

    await expectAvailable(admin, dev, "148");
    await admin.context().close();
  });
});

test.describe("bulk grants from a CSV file, without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  /** A page signed in as the admin in a context without JavaScript. */
  async function adminWithoutJavaScript(browser: Browser): Promise<Page> {
    const { email, password } = adminCredentials();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto("/signin");
    await submitSignIn(page, email, password);
    await expect(page).toHaveURL(/\/dashboard$/);
    return page;
  }

  test("an admin uploads, previews, applies and reads the report with plain form posts", async ({
    page,
    browser,
  }, testInfo) => {
    test.slow();
    const dev = newDeveloper(testInfo, "bulk-nojs");
    await submitSignUp(page, dev, { js: false });
    await expect(page).toHaveURL(/\/signup\/check-email$/);
    const admin = await adminWithoutJavaScript(browser);

    // A file without the header comes back with the error on the file field.
    await admin.goto("/admin/credits/bulk");
    await expect(admin.getByRole("heading", { level: 1, name: "Bulk credit grants" })).toBeVisible();
    await uploadFile(admin, `name,amount\r\n${dev.email},1\r\n`);
    // The error is on the page, not in its address.
    await expect(admin).toHaveURL(/\/admin\/credits\/bulk$/);
    await expect(admin.getByRole("alert")).toHaveText("Please correct the highlighted fields.");
    const file = admin.getByLabel("CSV file", { exact: true });
    await expect(file).toHaveAttribute("aria-invalid", "true");
    await expect(file).toHaveAccessibleDescription(
      /UTF-8 text, at most 1 MiB and 5,000 rows\. The first row must be the header email,amount,expiry,reason \(organization instead of email to grant to organizations by slug\)\./,
    );

    // The right file: preview, apply, report.
    await uploadFile(admin, grantsFile(dev));
    await expectFreshPreview(admin);
    await admin.getByRole("button", { name: "Grant 1 row", exact: true }).click();
    await expectGrantedReport(admin);

    // Applying the same preview again (the back button, say) grants nothing twice.
    await admin.goBack();
    await expect(admin.getByRole("heading", { level: 2, name: "Preview" })).toBeVisible();
    await admin.reload();
    await expect(admin.getByRole("status")).toHaveText(
      "0 rows ready (0 credits), 1 already granted, 2 with errors. Nothing has been granted yet.",
    );
    await expect(admin.getByRole("button", { name: /^Grant \d+ rows?$/ })).toHaveCount(0);

    await expectAvailable(admin, dev, "7.25");
    await admin.context().close();
  });
});
