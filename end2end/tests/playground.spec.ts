import { test, expect } from "@playwright/test";
import { grant, newDeveloper, signInAsAdmin, verifiedDeveloper, waitForHydration } from "./helpers";

// Each project edits its own starter agent, so the two can run at once.
const AGENTS = {
  desktop: { slug: "root-cause-8d-writer", name: "8D root-cause report writer" },
  phone: { slug: "warehouse-exception-triage", name: "Warehouse exception triage" },
};

test("an admin publishes an agent; a developer watches its reply's cost rise, stops it, finds it again and shares it", async ({
  page,
  browser,
}, testInfo) => {
  test.setTimeout(120_000);
  const agent = AGENTS[testInfo.project.name as keyof typeof AGENTS] ?? AGENTS.desktop;

  // The admin moves the agent to the simulator's slow model and publishes
  // the new version from its console.
  const admin = await signInAsAdmin(browser);
  await admin.goto("/admin/agents");
  await admin.getByRole("link", { name: agent.name }).click();
  await expect(admin).toHaveURL(new RegExp(`/admin/agents/${agent.slug}$`));
  await waitForHydration(admin);
  const file = admin.getByLabel("Agent file (JSON)");
  const text = await file.inputValue();
  await file.fill(text.replace(/"model": "[^"]*"/, '"model": "simulator-chat-slow"'));
  await admin.getByLabel("What changed").fill("A slower model, for watching replies stream.");
  await admin.getByLabel("Publish it at once").check();
  await admin.getByRole("button", { name: "Save", exact: true }).click();
  await expect(admin).toHaveURL(/[?&]done=published/);
  await expect(admin.getByText("Published: the gallery shows this version.")).toBeVisible();
  await expect(admin.getByRole("list").filter({ hasText: "In the gallery" }).first()).toContainText("simulator-chat-slow");

  const dev = newDeveloper(testInfo, "stream");
  await verifiedDeveloper(page, browser, dev);
  await grant(admin, dev.email, "50");
  await admin.context().close();

  // The reply streams; its tokens and credits rise while it does.
  await page.goto(`/agents/${agent.slug}`);
  await waitForHydration(page);
  await page.getByRole("button", { name: `Chat with ${agent.name}` }).click();
  await expect(page).toHaveURL(/\/playground\/[0-9a-f-]{36}$/);
  const conversation = page.url();
  await waitForHydration(page);
  await page.getByLabel("Your message").fill("Our pallets keep arriving damaged from one supplier.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const live = page.locator(".live-cost");
  await expect(live).toContainText(/up to [\d.,]+ reserved/);
  const tokens = async () => Number((await live.textContent())?.match(/(\d+) tokens/)?.[1] ?? 0);
  await expect.poll(tokens).toBeGreaterThan(3);
  const first = await tokens();
  await expect.poll(tokens).toBeGreaterThan(first);
  await expect(live).toContainText(/[1-9]\d*\.?\d* credits so far|0\.\d+ credits so far/);

  // Stopped: only what was generated is kept and billed.
  await page.getByRole("button", { name: "Stop" }).click();
  const log = page.getByRole("list", { name: "Messages" });
  const reply = log.locator(".chat-assistant").last();
  await expect(reply).toContainText("Stopped");
  await expect(reply).toContainText(/credits/);
  await expect(live).toHaveCount(0);

  // Found again after a reload and from the list.
  await page.reload();
  await expect(log.getByText("Our pallets keep arriving damaged from one supplier.")).toBeVisible();
  await expect(log.locator(".chat-assistant").last()).toContainText("Stopped");
  await page.goto("/playground");
  await page.getByRole("link", { name: "Our pallets keep arriving damaged from one supplier." }).click();
  await expect(page).toHaveURL(conversation);
  await waitForHydration(page);

  // Shared with anyone who has the link; a second browser opens it.
  await page.getByText("Share or export").click();
  await page.getByLabel("Who may open it").selectOption("public");
  await page.getByRole("button", { name: "Make a share link" }).click();
  const shared = page.getByLabel("Share link", { exact: true });
  await expect(shared).toHaveValue(/\/shared\/[0-9a-f]{48}$/);
  const url = await shared.inputValue();
  await expect(page.getByRole("list", { name: "Share links" })).toContainText("Anyone with the link");

  const other = await browser.newContext();
  const visitor = await other.newPage();
  await visitor.goto(url);
  await expect(
    visitor.getByRole("heading", { level: 1, name: "Our pallets keep arriving damaged from one supplier." }),
  ).toBeVisible();
  await expect(visitor.getByRole("link", { name: `Try ${agent.name}` })).toBeVisible();
  await expect(visitor.getByRole("list", { name: "Messages" }).locator(".chat-user")).toHaveCount(1);

  // Revoked: the link no longer opens it.
  await page.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText("The link is revoked")).toBeVisible();
  await visitor.reload();
  await expect(visitor.getByText("it was revoked, has expired, or never existed")).toBeVisible();
  await other.close();
});
