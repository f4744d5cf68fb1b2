import { expect, Page, test } from "@playwright/test";
import { checkPages, mainNav, newDeveloper, openMenuIfCollapsed, signInAsAdmin, verifiedDeveloper, waitForHydration } from "./helpers";

// The request pages are checked with axe, whose script needs past the
// Content-Security-Policy.
test.use({ bypassCSP: true });

/** The bell's link in the header (its name says how many are unread). */
async function bell(page: Page) {
  await openMenuIfCollapsed(page);
  return mainNav(page).getByRole("link", { name: /^Notifications/ });
}

test.describe("support requests", () => {
  test("a developer asks from the usage page; staff reply, note and grant; the developer sees the reply and the credit, never the note", async ({
    page,
    browser,
  }, testInfo) => {
    test.slow(); // two people, a sign-up, a dozen pages

    const dev = newDeveloper(testInfo, "support");
    const stamp = dev.name.split(" ").pop();
    const subject = `Chat requests fail ${stamp}`;
    const note = `Internal: looks like a quota bug ${stamp}`;
    const reply = `Thanks for the report ${stamp}; we added credits while we look.`;

    // 1. A developer signs up and, from the usage page, opens a request.
    await verifiedDeveloper(page, browser, dev);
    await page.goto("/usage");
    await expect(page.getByRole("heading", { level: 1, name: "Usage" })).toBeVisible();
    await waitForHydration(page);
    await page.getByRole("link", { name: "Get help" }).first().click();
    await expect(page).toHaveURL(/\/support\/new\?from=(%2F|\/)usage\b/);
    await expect(page.getByRole("heading", { level: 1, name: "New support request" })).toBeVisible();
    // What the portal attaches is said before sending, the page among it.
    const attached = page.getByRole("complementary").filter({ hasText: "Sent with your request" });
    await expect(attached).toContainText("/usage");
    await expect(page.getByLabel("What is it about?")).toHaveValue("api");
    await page.getByLabel("Subject", { exact: true }).fill(subject);
    await page.getByLabel("Message", { exact: true }).fill("Every **chat** call answers 429 since this morning.");
    await page.getByRole("button", { name: "Send the request" }).click();
    await expect(page).toHaveURL(/\/support\/\d+\?done=opened$/);
    const number = page.url().match(/\/support\/(\d+)/)![1];
    await expect(page.getByRole("heading", { level: 1 })).toContainText(subject);
    await expect(page.getByText("Your request is with the Lab.")).toBeVisible();
    // The message is rendered Markdown, and the context is shown beside it.
    await expect(page.locator(".thread strong", { hasText: "chat" })).toBeVisible();
    await expect(page.getByRole("complementary")).toContainText("/usage");
    await expect(page.getByRole("complementary")).toContainText(dev.email);

    // 2. Staff find it in the queue with its context.
    const admin = await signInAsAdmin(browser, { bypassCSP: true });
    await admin.goto(`/admin/support?q=${encodeURIComponent(subject)}`);
    await expect(admin.getByRole("heading", { level: 1, name: "Support queue" })).toBeVisible();
    const row = admin.getByRole("row").filter({ hasText: subject });
    await expect(row).toContainText(dev.email);
    await row.getByRole("link", { name: subject }).click();
    await expect(admin).toHaveURL(new RegExp(`/admin/support/${number}$`));
    await expect(admin.getByRole("heading", { level: 2, name: "Context" })).toBeVisible();
    await expect(admin.locator(".context-list")).toContainText("/usage");
    await waitForHydration(admin);

    // 3. An internal note: shown to staff as one, unlike a message.
    await admin.getByLabel("Note", { exact: true }).fill(note);
    await admin.getByRole("button", { name: "Add internal note" }).click();
    const noted = admin.locator(".thread .note").filter({ hasText: note });
    await expect(noted).toBeVisible();
    await expect(noted).toContainText("Internal note · staff only");
    // The staff page, with its note, context and forms, passes axe.
    await checkPages(admin, [`/admin/support/${number}`]);

    // 4. A reply to the requester.
    await admin.getByLabel("Reply", { exact: true }).fill(reply);
    await admin.getByRole("button", { name: "Send reply to requester" }).click();
    await expect(admin).toHaveURL(/[?&]done=replied/);
    await expect(admin.locator(".thread .message-staff").filter({ hasText: reply })).toBeVisible();
    await waitForHydration(admin);

    // 5. Credits granted from the request.
    const grant = admin.locator('section[aria-labelledby="grant-heading"]');
    await grant.getByLabel("Credits", { exact: true }).fill("5");
    await grant.getByRole("button", { name: "Grant credits" }).click();
    await expect(admin.locator(".thread").getByText("The Lab granted you 5")).toBeVisible();
    await expect(grant).toContainText("granted from this request so far");
    await admin.context().close();

    // 6. The developer: the reply and the grant, never the note; the bell counts.
    await page.goto(`/support/${number}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(subject);
    await expect(page.getByText(reply)).toBeVisible();
    await expect(page.getByText("The Lab granted you 5")).toBeVisible();
    await expect(page.getByText(note)).toHaveCount(0);
    expect(await page.content()).not.toContain(note);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Waiting on you");
    await waitForHydration(page);
    await expect(await bell(page)).toHaveAccessibleName("Notifications, 2 unread");
    await checkPages(page, [`/support/${number}`]);

    // The credit is in the balance.
    await page.goto("/dashboard");
    await expect(page.getByTestId("balance-available")).toContainText(/^5(\.0+)?\b/);

    // The developer answers; a resolved request would open again, this one waits on staff.
    await page.goto(`/support/${number}`);
    await waitForHydration(page);
    await page.getByLabel("Your reply", { exact: true }).fill("Works again, thank you.");
    await page.getByRole("button", { name: "Send reply" }).click();
    await expect(page).toHaveURL(/[?&]done=replied/);
    await expect(page.getByText("Works again, thank you.")).toBeVisible();
    await expect(page.getByText(note)).toHaveCount(0);

    // The list of requests.
    await page.goto("/support");
    await expect(page.getByRole("row").filter({ hasText: subject })).toContainText("Waiting on staff");
  });
});
