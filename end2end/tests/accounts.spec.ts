import { expect, Page, test } from "@playwright/test";
import {
  adminCredentials,
  confirmEmailFromOutbox,
  mainNav,
  newDeveloper,
  openAccountMenu,
  openMenuIfCollapsed,
  signInAsAdmin,
  signUpAndExpectCheckEmail,
  submitSignIn,
  submitSignUp,
  waitForHydration,
} from "./helpers";

/** The form field `label` names, and the message shown under it. */
function field(page: Page, label: string) {
  const input = page.getByLabel(label, { exact: true });
  return { input, box: page.locator(".field").filter({ has: input }) };
}

/** Presses "Sign out" in the header and checks the visitor header comes back. */
async function signOutAndExpectVisitorHeader(page: Page) {
  const nav = mainNav(page);
  await openMenuIfCollapsed(page);
  await expect(nav.getByRole("link", { name: "Dashboard" })).toBeVisible();
  await openAccountMenu(page);
  await nav.getByRole("button", { name: "Sign out" }).click();

  await expect(page).toHaveURL(/\/$/);
  await openMenuIfCollapsed(page);
  await expect(nav.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Sign up" })).toBeVisible();
  await expect(nav.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Dashboard" })).toHaveCount(0);

  // The session really is over: the dashboard asks to sign in.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin\?next=\/dashboard$/);
}

test.describe("accounts with JavaScript", () => {
  test("a developer signs up, confirms the email, applies and is approved", async ({ page, browser }, testInfo) => {
    test.slow(); // two people, a dozen pages
    const dev = newDeveloper(testInfo, "journey");
    const note = `Welcome aboard, ${dev.name.split(" ").pop()}!`;

    // Sign up.
    await signUpAndExpectCheckEmail(page, dev);

    // An admin reads the verification link in the outbox, and the developer
    // confirms the address.
    const admin = await signInAsAdmin(browser);
    await confirmEmailFromOutbox(page, admin, dev.email);

    // Signs in and lands on the dashboard.
    await submitSignIn(page, dev.email, dev.password);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByRole("heading", { level: 1, name: `Welcome, ${dev.name}` })).toBeVisible();

    // Sends the onboarding application.
    await page.getByRole("link", { name: "Start your application" }).click();
    await expect(page).toHaveURL(/\/onboarding$/);
    await expect(page.getByRole("heading", { level: 1, name: "Tell us what you want to build" })).toBeVisible();
    await page
      .getByLabel("What do you want to build?")
      .fill("A triage assistant that summarises patient notes for nurses, using an open model.");
    await page.getByLabel("Industry").selectOption({ label: "Healthcare" });
    await page.getByLabel("Where are you with it?").selectOption({ label: "Building a prototype" });
    await page.getByRole("button", { name: "Send my application" }).click();
    await expect(page).toHaveURL(/\/dashboard\?applied=1$/);
    await expect(page.getByText("Thank you! Your application is in the review queue.")).toBeVisible();
    await expect(page.getByTestId("application-status")).toHaveText("Under review");

    // The admin approves it, with a note.
    await admin.goto("/admin/applications");
    await expect(admin.getByRole("heading", { level: 1, name: "Applications" })).toBeVisible();
    await waitForHydration(admin);
    const card = admin.getByRole("article", { name: dev.name });
    await expect(card).toContainText(dev.email);
    await expect(card).toContainText("A triage assistant that summarises patient notes");
    await card.getByLabel("Note to the applicant (optional)").fill(note);
    await card.getByRole("button", { name: "Approve" }).click();
    await expect(admin).toHaveURL(/done=approved/);
    await expect(admin.getByText("The application is approved and the applicant was emailed.")).toBeVisible();
    await expect(admin.getByRole("article", { name: dev.name })).toHaveCount(0);
    await admin.context().close();

    // The developer sees the decision.
    await page.reload();
    await expect(page.getByTestId("application-status")).toHaveText("Approved");
    await expect(page.getByText(`Note from the Lab: ${note}`)).toBeVisible();
  });

  test("sign-up shows each field's error next to it and marks it invalid", async ({ page }) => {
    await page.goto("/signup");
    await waitForHydration(page);
    await page.getByLabel("Email", { exact: true }).fill("not-an-email");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Your name", { exact: true }).fill("Grace Hopper");
    await page.getByLabel("You are", { exact: true }).selectOption({ label: "Individual developer" });
    await page.getByLabel("Country", { exact: true }).selectOption({ label: "Portugal" });
    await page.getByRole("button", { name: "Create account" }).click();

    await expect(page.getByRole("alert")).toHaveText("Please correct the highlighted fields.");
    const email = field(page, "Email");
    await expect(email.input).toHaveAttribute("aria-invalid", "true");
    await expect(email.box).toContainText("Enter an email address like name@example.org.");
    await expect(email.input).toHaveAccessibleDescription(/Enter an email address like name@example\.org\./);
    const password = field(page, "Password");
    await expect(password.input).toHaveAttribute("aria-invalid", "true");
    await expect(password.box).toContainText("Use at least 12 characters.");
    await expect(password.input).toHaveAccessibleDescription(/Use at least 12 characters\./);
    // The valid fields are left alone, and nothing was sent.
    await expect(page.getByLabel("Your name", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Country", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
    await expect(page).toHaveURL(/\/signup$/);
  });

  /** Signs the admin in through the sign-in page, then opens `path`. */
  async function signInThenOpen(page: Page, path: string) {
    const admin = adminCredentials();
    await page.goto("/signin");
    await waitForHydration(page);
    await submitSignIn(page, admin.email, admin.password);
    await expect(page).toHaveURL(/\/dashboard$/);
    if (path !== "/dashboard") {
      await page.goto(path);
      await waitForHydration(page);
    }
  }

  test("signing out from the header shows the visitor header again", async ({ page }) => {
    await signInThenOpen(page, "/dashboard");
    await signOutAndExpectVisitorHeader(page);
  });

  test("signing out from the header on the home page shows the visitor header again", async ({ page }) => {
    // Sign-out always lands on the home page; here the browser is already there.
    await signInThenOpen(page, "/");
    await signOutAndExpectVisitorHeader(page);
  });
});

test.describe("accounts without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-up works, and a wrong password's error comes back on the sign-in page", async ({ page }, testInfo) => {
    const dev = newDeveloper(testInfo, "nojs");
    await submitSignUp(page, dev, { js: false });
    await expect(page).toHaveURL(/\/signup\/check-email$/);
    await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();

    await page.goto("/signin");
    await submitSignIn(page, dev.email, "Not the password 0451");
    // Back on the sign-in page at its own address (no error in the URL).
    await expect(page).toHaveURL(/\/signin$/);
    await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
    await expect(page.getByLabel("Email", { exact: true })).toHaveValue(dev.email);
    await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");

    // The right password is refused too, until the address is confirmed.
    await page.goto("/signin");
    await submitSignIn(page, dev.email, dev.password);
    await expect(page.getByRole("alert")).toHaveText(
      "Please verify your email address first: open the link we emailed you, or ask for a new one.",
    );
  });

  test("an invalid sign-up shows the password's error next to the field", async ({ page }, testInfo) => {
    const dev = newDeveloper(testInfo, "nojs-short");
    await submitSignUp(page, { ...dev, password: "too short" }, { js: false });

    await expect(page).toHaveURL(/\/signup$/);
    await expect(page.getByRole("alert")).toHaveText("Please correct the highlighted fields.");
    const password = field(page, "Password");
    await expect(password.input).toHaveAttribute("aria-invalid", "true");
    await expect(password.box).toContainText("Use at least 12 characters.");
    await expect(password.input).toHaveAccessibleDescription(/Use at least 12 characters\./);
    await expect(page.getByLabel("Email", { exact: true })).not.toHaveAttribute("aria-invalid", "true");

    // What was typed comes back, but for the password.
    await expect(page.getByLabel("Email", { exact: true })).toHaveValue(dev.email);
    await expect(page.getByLabel("Your name", { exact: true })).toHaveValue(dev.name);
    await expect(page.getByLabel("You are", { exact: true })).toHaveValue("developer");
    await expect(page.getByLabel("Country", { exact: true }).locator("option:checked")).toHaveText(dev.country);
    await expect(password.input).toHaveValue("");

    // Corrected, it goes through.
    await password.input.fill(dev.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/signup\/check-email$/);
  });

  test("a visitor's header offers Sign in and Sign up on every page", async ({ page }) => {
    for (const path of ["/", "/agents", "/datasets", "/signin", "/signup"]) {
      await page.goto(path);
      const nav = mainNav(page);
      await expect(nav.getByRole("link", { name: "Sign in" }), `the header of ${path}`).toBeVisible();
      await expect(nav.getByRole("link", { name: "Sign up" }), `the header of ${path}`).toBeVisible();
    }
  });

  test("signing in and out works from the header", async ({ page }) => {
    const admin = adminCredentials();
    await page.goto("/signin");
    await submitSignIn(page, admin.email, admin.password);
    await expect(page).toHaveURL(/\/dashboard$/);
    await signOutAndExpectVisitorHeader(page);
  });
});
