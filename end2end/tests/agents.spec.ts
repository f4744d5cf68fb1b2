import { test, expect } from "@playwright/test";
import { grant, newDeveloper, signInAsAdmin, submitSignIn, verifiedDeveloper, waitForHydration } from "./helpers";

// The starter gallery is loaded with the starter catalog when the portal
// starts with no agents.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`the agent gallery ${javaScriptEnabled ? "with" : "without"} JavaScript`, () => {
    test.use({ javaScriptEnabled });

    test("a visitor filters the gallery and opens an agent", async ({ page }) => {
      await page.goto("/agents");
      await expect(page.getByRole("heading", { level: 1, name: "Agent gallery" })).toBeVisible();
      await expect(page.getByRole("status")).toHaveText(/^\d+ agents$/);

      const industries = page.getByRole("navigation", { name: "Industries" });
      await industries.getByRole("link", { name: /^Logistics/ }).click();
      await expect(page).toHaveURL(/industry=logistics/);
      await expect(industries.getByRole("link", { name: /^Logistics/ })).toHaveAttribute("aria-current", "page");
      await expect(page.getByRole("status")).toHaveText("2 agents");

      await page.getByLabel("Search agents").fill("delay");
      await page.getByRole("button", { name: "Search" }).click();
      await expect(page).toHaveURL(/q=delay/);
      await expect(page).toHaveURL(/industry=logistics/);
      await expect(page.getByRole("status")).toHaveText("1 agent");

      await page.getByRole("link", { name: "Shipment delay analyst" }).click();
      await expect(page).toHaveURL(/\/agents\/shipment-delay-analyst$/);
      await expect(page.getByRole("heading", { level: 1, name: "Shipment delay analyst" })).toBeVisible();
      await expect(page.getByRole("link", { name: "NYC flights 2013: airlines, airports, planes and weather" })).toBeVisible();
      await expect(page.getByText("credits per million tokens").first()).toBeVisible();
      await expect(page.getByRole("link", { name: "Sign in to chat with it" })).toHaveAttribute(
        "href",
        "/signin?next=/agents/shipment-delay-analyst",
      );
      await expect(page.getByRole("heading", { level: 2, name: "Call it from your code" })).toBeVisible();
    });
  });
}

test("a developer chats with an agent, pays for the reply and finds the conversation again", async ({
  page,
  browser,
}, testInfo) => {
  const dev = newDeveloper(testInfo, "chat");
  await verifiedDeveloper(page, browser, dev);

  await page.goto("/agents/credit-memo-drafter");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Chat with Credit memo drafter" }).click();
  await expect(page).toHaveURL(/\/playground\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: "New conversation" })).toBeVisible();
  await waitForHydration(page);

  // No credits yet: refused before any model call, with the way forward.
  await page.getByLabel("Your message").fill("Draft a memo for a bakery asking for a 50k loan.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const refusal = page.getByRole("alert");
  await expect(refusal).toContainText("Not enough credits");
  await expect(refusal.getByRole("link", { name: "See your credits" })).toHaveAttribute("href", "/credits");

  const admin = await signInAsAdmin(browser);
  await grant(admin, dev.email, "20");
  await admin.context().close();

  // With credits: the reply streams in, then shows what it cost.
  await page.reload();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Regenerate the last reply" }).click();
  const log = page.getByRole("list", { name: "Messages" });
  await expect(log.locator(".chat-assistant").last()).toContainText(/credits/);
  await expect(page.locator(".conversation-costs")).toContainText("This conversation");

  await page.getByLabel("Your message").fill("Make it shorter.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(log.getByText("Make it shorter.")).toBeVisible();
  await expect(log.locator(".chat-assistant")).toHaveCount(3);

  // The conversation is listed, named after its first message.
  await page.goto("/playground");
  const item = page.getByRole("link", { name: "Draft a memo for a bakery asking for a 50k loan." });
  await expect(item).toBeVisible();
  await item.click();
  await expect(page.getByRole("heading", { level: 1, name: "Draft a memo for a bakery asking for a 50k loan." })).toBeVisible();
});

test("without JavaScript a message posted as a plain form gets its whole reply", async ({ page, browser }, testInfo) => {
  const dev = newDeveloper(testInfo, "plainchat");
  await verifiedDeveloper(page, browser, dev);
  const admin = await signInAsAdmin(browser);
  await grant(admin, dev.email, "20");
  await admin.context().close();

  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto("/signin");
  await submitSignIn(plain, dev.email, dev.password);
  await expect(plain).toHaveURL(/\/dashboard$/);
  await plain.goto("/agents/discharge-summary-simplifier");
  await plain.getByRole("button", { name: "Chat with Discharge summary simplifier" }).click();
  await expect(plain).toHaveURL(/\/playground\/[0-9a-f-]{36}$/);
  await plain.getByLabel("Your message").fill("Explain: follow up with cardiology in 2 weeks.");
  await plain.getByRole("button", { name: "Send", exact: true }).click();
  await expect(plain).toHaveURL(/\/playground\/[0-9a-f-]{36}$/);
  const log = plain.getByRole("list", { name: "Messages" });
  await expect(log.getByText("Explain: follow up with cardiology in 2 weeks.")).toBeVisible();
  await expect(log.locator(".chat-assistant").last()).toContainText(/credits/);
  await context.close();
});
