import { test, expect, type Browser, type Page } from "@playwright/test";
import {
  adminCredentials,
  mainNav,
  newDeveloper,
  openMenuIfCollapsed,
  submitSignIn,
  verifiedDeveloper,
  waitForHydration,
} from "./helpers";

/** `email` signed in, in a browser context of its own with or without JavaScript. */
async function signedIn(browser: Browser, email: string, password: string, javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled });
  const page = await context.newPage();
  await page.goto("/signin");
  if (javaScriptEnabled) await waitForHydration(page);
  await submitSignIn(page, email, password);
  await expect(page).toHaveURL(/\/dashboard$/);
  return page;
}

/** The bell's link in the header (its name says how many are unread). */
async function bell(page: Page) {
  await openMenuIfCollapsed(page);
  return mainNav(page).getByRole("link", { name: /^Notifications/ });
}

for (const javaScriptEnabled of [true, false]) {
  const how = javaScriptEnabled ? "with" : "without";

  test(`${how} JavaScript the bell counts a decided access request until it is opened`, async ({
    page,
    browser,
  }, testInfo) => {
    test.slow(); // two people, a sign-up, a review

    const dev = newDeveloper(testInfo, `bell-${how}`);
    await verifiedDeveloper(page, browser, dev);
    const requester = await signedIn(browser, dev.email, dev.password, javaScriptEnabled);
    await expect(await bell(requester)).toHaveAccessibleName("Notifications");

    // Ask for a dataset that needs the Lab's approval.
    await requester.goto("/datasets/tech-stock-prices");
    if (javaScriptEnabled) await waitForHydration(requester);
    const access = requester.getByRole("region", { name: "Access" });
    await access.getByLabel("What will you use these prices for?").fill("Teaching time-series forecasting");
    await access.getByLabel("Where do you work or study?").selectOption("University or school");
    await access.getByLabel("Country").selectOption({ label: "Singapore" });
    await access.getByLabel("I will not use these prices to make trading decisions").check();
    await access.getByRole("button", { name: "Ask for access" }).click();
    await expect(access.getByText("Your request is sent.")).toBeVisible();

    // Staff approve it.
    const admin = adminCredentials();
    const staff = await signedIn(browser, admin.email, admin.password, true);
    await staff.goto("/admin/datasets/access");
    await waitForHydration(staff);
    const card = staff.getByRole("article").filter({ hasText: dev.email });
    await card.getByRole("button", { name: "Approve" }).click();
    await expect(staff.getByText(/^Approved;/)).toBeVisible();
    await staff.context().close();

    // The next page the requester opens rings the bell.
    await requester.goto("/dashboard");
    // The menu a phone opens is the page's own once it has hydrated.
    if (javaScriptEnabled) await waitForHydration(requester);
    const ringing = await bell(requester);
    await expect(ringing).toHaveAccessibleName("Notifications, 1 unread");
    await expect(ringing).toHaveText("1");
    await ringing.click();
    await expect(requester).toHaveURL(/\/notifications$/);
    await expect(requester.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
    await expect(requester.getByText("1 unread.")).toBeVisible();
    const item = requester.getByRole("listitem").filter({ hasText: "Unread" });
    await expect(item).toContainText("Dataset access decisions");

    // Opening it goes to the dataset and marks it read.
    await item.getByRole("link", { name: /Your access to .* is approved/ }).click();
    await expect(requester).toHaveURL(/\/datasets\/tech-stock-prices$/);
    await expect(await bell(requester)).toHaveAccessibleName("Notifications");
    await requester.goto("/notifications");
    await expect(requester.getByText("Nothing unread.")).toBeVisible();
    await expect(requester.getByRole("button", { name: "Mark all read" })).toHaveCount(0);
    await requester.context().close();
  });

  test(`${how} JavaScript a person chooses what they are told`, async ({ page, browser }, testInfo) => {
    const dev = newDeveloper(testInfo, `prefs-${how}`);
    await verifiedDeveloper(page, browser, dev);
    const person = await signedIn(browser, dev.email, dev.password, javaScriptEnabled);
    await person.goto("/settings/notifications");
    if (javaScriptEnabled) await waitForHydration(person);
    await expect(person.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
    const inApp = person.getByLabel("Support replies in the app");
    const byEmail = person.getByLabel("Low balance by email");
    await expect(inApp).toBeChecked();
    await expect(byEmail).toBeChecked();
    await inApp.uncheck();
    await byEmail.uncheck();
    await person.getByLabel("Low-balance threshold, in credits").fill("2.5");
    await person.getByRole("button", { name: "Save" }).click();
    await expect(person.getByText("Your choices are saved.")).toBeVisible();

    await person.goto("/settings/notifications");
    await expect(person.getByLabel("Support replies in the app")).not.toBeChecked();
    await expect(person.getByLabel("Low balance by email")).not.toBeChecked();
    await expect(person.getByLabel("Low balance in the app")).toBeChecked();
    await expect(person.getByLabel("Low-balance threshold, in credits")).toHaveValue("2.5");

    // A threshold that is no amount is refused at its field.
    if (javaScriptEnabled) await waitForHydration(person);
    await person.getByLabel("Low-balance threshold, in credits").fill("lots");
    await person.getByRole("button", { name: "Save" }).click();
    await expect(person.getByLabel("Low-balance threshold, in credits")).toHaveAttribute("aria-invalid", "true");
    await person.context().close();
  });
}
