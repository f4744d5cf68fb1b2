import AxeBuilder from "@axe-core/playwright";
import { Browser, BrowserContextOptions, expect, Page, TestInfo } from "@playwright/test";

/** Waits until the WebAssembly bundle has hydrated the page. */
export async function waitForHydration(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** A person signing up in a test. */
export interface Developer {
  email: string;
  password: string;
  name: string;
  organization: string;
  country: string;
}

let counter = 0;

/**
 * A developer nobody has used yet. Tests share one database and run in
 * parallel in several projects, so the email names the project, the time and
 * a counter.
 */
export function newDeveloper(testInfo: TestInfo, label = "dev"): Developer {
  counter += 1;
  const stamp = `${Date.now().toString(36)}${process.pid.toString(36)}${counter}`;
  const tag = `${label}-${testInfo.project.name}-${stamp}`.toLowerCase();
  return {
    email: `${tag}@example.org`,
    // Long, not a common password, and sharing no word with the name or email.
    password: "Tangerine orbit velvet 739",
    name: `Ada Lovelace ${stamp}`,
    organization: "Analytical Engines Ltd",
    country: "New Zealand",
  };
}

/** The admin that scripts/test creates with `lab-portal create-admin`. */
export function adminCredentials(): { email: string; password: string } {
  const email = process.env.E2E_ADMIN_EMAIL;
  const password = process.env.E2E_ADMIN_PASSWORD;
  if (!email || !password) {
    throw new Error(
      "Set E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD to an admin created with `lab-portal create-admin` (scripts/test does).",
    );
  }
  return { email, password };
}

/**
 * Opens the header's collapsed navigation when the page is hydrated on a
 * narrow screen (without JavaScript, or on a wide screen, it is always open).
 * With JavaScript, call it once the page has hydrated: before, the menu is
 * open, and it folds away as hydration ends.
 */
export async function openMenuIfCollapsed(page: Page) {
  const menu = page.getByRole("button", { name: "Menu" });
  if ((await menu.isVisible()) && (await menu.getAttribute("aria-expanded")) === "false") {
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
  }
}

/** The header's main navigation. */
export function mainNav(page: Page) {
  return page.getByRole("navigation", { name: "Main" });
}

/**
 * Fills and sends the sign-up form as an individual developer. `js` says
 * whether the page runs JavaScript (then it waits for hydration first).
 */
export async function submitSignUp(page: Page, dev: Developer, { js = true } = {}) {
  await page.goto("/signup");
  await expect(page.getByRole("heading", { level: 1, name: "Create your account" })).toBeVisible();
  if (js) await waitForHydration(page);
  await page.getByLabel("Email", { exact: true }).fill(dev.email);
  await page.getByLabel("Password", { exact: true }).fill(dev.password);
  await page.getByLabel("Your name", { exact: true }).fill(dev.name);
  await page.getByLabel("You are", { exact: true }).selectOption({ label: "Individual developer" });
  await page.getByLabel("Organization or university", { exact: true }).fill(dev.organization);
  await page.getByLabel("Country", { exact: true }).selectOption({ label: dev.country });
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Fills and sends the sign-in form (the page must already be /signin). */
export async function submitSignIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * A page in a browser context of its own, signed in as the admin through the
 * sign-in page.
 */
export async function signInAsAdmin(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const admin = adminCredentials();
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto("/signin");
  await waitForHydration(page);
  await submitSignIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  return page;
}

/**
 * Reads the first link in the newest email to `recipient` with `subject`, as
 * an admin sees it in the outbox (filtered by recipient).
 */
export async function linkFromOutbox(admin: Page, recipient: string, subject: string): Promise<string> {
  await admin.goto("/admin/outbox");
  await expect(admin.getByRole("heading", { level: 1, name: "Outbox" })).toBeVisible();
  await waitForHydration(admin);
  await admin.getByLabel("Recipient contains").fill(recipient);
  await admin.getByRole("button", { name: "Filter" }).click();
  await expect(admin).toHaveURL(/[?&]q=/);

  const row = admin.getByRole("row").filter({ hasText: recipient }).filter({ hasText: subject }).first();
  await expect(row).toBeVisible();
  await row.getByText(subject).click(); // the <summary> opens the <details>
  const body = row.locator("details pre");
  await expect(body).toBeVisible();
  const text = (await body.textContent()) ?? "";
  const link = text.match(/https?:\/\/\S+/)?.[0];
  expect(link, `a link in the email body:\n${text}`).toBeTruthy();
  // Links in the body can be followed from the outbox.
  await expect(body.getByRole("link", { name: link! })).toHaveAttribute("href", link!);
  return link!;
}

/** The subject of the email that confirms a new account's address. */
export const VERIFY_SUBJECT = "Verify your email for Lab Portal";

/**
 * Signs `dev` up as an individual developer (with JavaScript) and checks the
 * "Check your email" page comes next.
 */
export async function signUpAndExpectCheckEmail(page: Page, dev: Developer) {
  await submitSignUp(page, dev);
  await expect(page).toHaveURL(/\/signup\/check-email$/);
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
}

/**
 * Confirms `email`'s address: the admin reads the verification link in the
 * outbox, and `page` opens it and presses "Confirm my email", landing on the
 * sign-in page.
 */
export async function confirmEmailFromOutbox(page: Page, admin: Page, email: string) {
  const link = await linkFromOutbox(admin, email, VERIFY_SUBJECT);
  expect(link).toMatch(/\/verify-email\?token=[^&\s]+$/);

  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1, name: "Confirm your email address" })).toBeVisible();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page).toHaveURL(/\/signin\?verified=1$/);
  await expect(page.getByText("Your email address is confirmed. You can sign in now.")).toBeVisible();
}

/** Signs `dev` up, confirms the address through the admin's outbox and signs in. */
export async function verifiedDeveloper(page: Page, browser: Browser, dev: Developer) {
  await signUpAndExpectCheckEmail(page, dev);
  const admin = await signInAsAdmin(browser);
  await confirmEmailFromOutbox(page, admin, dev.email);
  await admin.context().close();
  await submitSignIn(page, dev.email, dev.password);
  await expect(page).toHaveURL(/\/dashboard$/);
}

/** Opens the account menu (name, profile, sign out) in the header. */
export async function openAccountMenu(page: Page) {
  await openMenuIfCollapsed(page);
  const menu = mainNav(page).locator("details.account-menu");
  if ((await menu.getAttribute("open")) === null) {
    await menu.locator("summary").click();
  }
  await expect(menu).toHaveAttribute("open", "");
}

/** How far the page scrolls sideways (0: it fits the screen). */
export async function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Grants `credits` to `email` from the admin console. */
export async function grant(admin: Page, email: string, credits: string) {
  await admin.goto(`/admin/credits?email=${encodeURIComponent(email)}`);
  await waitForHydration(admin);
  const form = admin.locator('section[aria-labelledby="grant-heading"]');
  await form.getByLabel("Credits", { exact: true }).fill(credits);
  await form.getByLabel("Reason", { exact: true }).fill("Playground test");
  await form.getByRole("button", { name: "Grant credits" }).click();
  await expect(admin).toHaveURL(/[?&]done=granted/);
}

/**
 * Opens each of `paths` and checks it (the context must bypass the
 * Content-Security-Policy, for axe's script): no axe violation of serious or
 * critical impact (WCAG 2.2 AA and best practices), and nothing that
 * scrolls sideways.
 */
export async function checkPages(page: Page, paths: string[]) {
  for (const path of paths) {
    await page.goto(path);
    await waitForHydration(page);
    // A lazily loaded page sets its title once its chunk has run.
    await expect(page).toHaveTitle(/· Lab Portal$|^Lab Portal$/);
    const results = await new AxeBuilder({ page })
      .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
      .analyze();
    const grave = results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`);
    expect(grave, `axe on ${path}`).toEqual([]);
    expect(await sidewaysScroll(page), `sideways scroll on ${path}`).toBeLessThanOrEqual(0);
    // On a laptop-sized screen every table shows all its columns, with no
    // scrolling inside it (the action column included).
    const width = page.viewportSize()?.width ?? 0;
    if (width >= 1280) {
      const cut = await page.locator(".table-wrap").evaluateAll((wraps) =>
        wraps
          .filter((w) => w.scrollWidth - w.clientWidth > 1)
          .map((w) => `${w.querySelector("caption")?.textContent ?? w.className}: ${w.scrollWidth} > ${w.clientWidth}`),
      );
      expect(cut, `tables cut off at ${width}px on ${path}`).toEqual([]);
    }
  }
}
