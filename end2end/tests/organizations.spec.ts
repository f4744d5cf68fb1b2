import { readFile } from "node:fs/promises";

import { APIRequestContext, APIResponse, expect, Page, test, TestInfo } from "@playwright/test";
import {
  confirmEmailFromOutbox,
  Developer,
  linkFromOutbox,
  mainNav,
  newDeveloper,
  openMenuIfCollapsed,
  signInAsAdmin,
  signUpAndExpectCheckEmail,
  submitSignIn,
  verifiedDeveloper,
  waitForHydration,
} from "./helpers";

const KEY_FORMAT = /^lp_[a-z0-9]{12}_[A-Za-z0-9]{32}$/;

/** The simulator's chat model, which the portal registers at start-up. */
const CHAT_MODEL = "simulator-chat";

/** Regular-expression text matching `text` literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * An organization nobody has used yet: its name and address (slug) carry
 * the owner's unique stamp, since tests share one database.
 */
function newOrganization(owner: Developer, testInfo: TestInfo): { name: string; slug: string } {
  const stamp = owner.email.split("-").pop()!.split("@")[0];
  return {
    name: `Harbour Analytics ${stamp}`,
    slug: `harbour-${testInfo.project.name}-${stamp}`.toLowerCase().slice(0, 40).replace(/-+$/, ""),
  };
}

/** A small chat completion with `key`, as a program would send it. */
async function chat(request: APIRequestContext, key: string): Promise<APIResponse> {
  return request.post("/v1/chat/completions", {
    headers: { Authorization: `Bearer ${key}` },
    data: {
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Tell me about the lab." }],
      max_tokens: 7,
    },
  });
}

/**
 * The first instant of next month in Singapore (UTC+8 all year), as
 * milliseconds since the epoch.
 */
function nextMonthInSingapore(now: Date): number {
  const offset = 8 * 3_600_000;
  const local = new Date(now.getTime() + offset); // its UTC fields read Singapore's wall clock
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - offset;
}

/** The "Members" section of an organization's page. */
function membersSection(page: Page) {
  return page.locator('section[aria-labelledby="members-heading"]');
}

/** The figure of the "Credit pool" tile of an organization's page. */
function poolTile(page: Page) {
  return page.locator(".stat").filter({ has: page.getByRole("heading", { name: "Credit pool" }) }).locator(".stat-value");
}

/** The "Invitations" section of an organization's page (owners and admins). */
function invitationsSection(page: Page) {
  return page.locator('section[aria-labelledby="invite-heading"]');
}

/**
 * Fills and sends "Create an organization" at /orgs (the page must be
 * there). `js` says whether the page runs JavaScript.
 */
async function createOrganization(page: Page, org: { name: string; slug: string }, { js = true } = {}) {
  await expect(page.getByRole("heading", { level: 1, name: "Organizations" })).toBeVisible();
  if (js) await waitForHydration(page);
  const form = page.getByRole("region", { name: "Create an organization" });
  await form.getByLabel("Name", { exact: true }).fill(org.name);
  await form.getByLabel("Address", { exact: true }).fill(org.slug);
  await form.getByLabel("Country", { exact: true }).selectOption("SG");
  await form.getByLabel("Industry", { exact: true }).selectOption("finance");
  await form.getByLabel("Time zone", { exact: true }).fill("Asia/Singapore");
  await form.getByRole("button", { name: "Create organization" }).click();

  await expect(page).toHaveURL(new RegExp(`/orgs/${literal(org.slug)}\\?done=created$`));
  await expect(page.getByRole("heading", { level: 1, name: org.name })).toBeVisible();
  await expect(page.getByText("The organization is created, and you are its owner.")).toBeVisible();
  // What was chosen is what the organization is.
  await expect(page.locator(".page-header .lead")).toContainText(
    `You are acting for ${org.name} as owner. Finance · Singapore · budgets follow Asia/Singapore.`,
  );
}

/** Grants `credits` to the pool of the organization `slug` from the admin console. */
async function grantToPool(admin: Page, slug: string, credits: string) {
  await admin.goto("/admin/organizations");
  await expect(admin.getByRole("heading", { level: 1, name: "Organizations" })).toBeVisible();
  await waitForHydration(admin);
  const grant = admin.getByRole("region", { name: "Grant credit to an organization" });
  await grant.getByLabel("Organization address", { exact: true }).fill(slug);
  await grant.getByLabel("Credits", { exact: true }).fill(credits);
  await grant.getByLabel("Reason", { exact: true }).fill(`Pilot ${slug}`);
  await grant.getByRole("button", { name: "Grant credit" }).click();
  await expect(admin).toHaveURL(/[?&]done=granted/);
}

/** The header's "Acting for" choice (the menu opened on a phone). */
async function actingFor(page: Page) {
  await openMenuIfCollapsed(page);
  return mainNav(page).getByLabel(/^Acting for/);
}

/**
 * Invites `email` as a member from the organization's page (the page must
 * be there) and checks the invitation is listed as open.
 */
async function invite(page: Page, email: string, { js = true } = {}) {
  if (js) await waitForHydration(page);
  const invitations = invitationsSection(page);
  await expect(invitations.getByRole("heading", { level: 2, name: "Invitations" })).toBeVisible();
  await invitations.getByLabel("Email", { exact: true }).fill(email);
  await invitations.getByLabel("Role", { exact: true }).selectOption("member");
  await invitations.getByRole("button", { name: "Send invitation" }).click();

  await expect(page).toHaveURL(/[?&]done=invited$/);
  await expect(page.getByText("The invitation is on its way.")).toBeVisible();
  const row = invitations.getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("Member");
  await expect(row).toContainText("Open");
}

test.describe("organizations", () => {
  test("an owner creates an organization, the Lab funds it, a colleague joins, spends within a budget, and is removed", async ({
    page,
    browser,
    request,
  }, testInfo) => {
    test.setTimeout(180_000); // three people, two sign-ups, a few dozen pages and requests

    const owner = newDeveloper(testInfo, "org-owner");
    const colleagueBase = newDeveloper(testInfo, "org-member");
    const colleague: Developer = {
      ...colleagueBase,
      name: colleagueBase.name.replace("Ada Lovelace", "Grace Hopper"),
    };
    const org = newOrganization(owner, testInfo);
    const keyName = `analysis ${colleague.name.split(" ").pop()}`;
    const orgPage = `/orgs/${org.slug}`;

    const admin = await signInAsAdmin(browser);
    const colleagueContext = await browser.newContext();
    await colleagueContext.grantPermissions(["clipboard-read", "clipboard-write"]);
    const mate = await colleagueContext.newPage();

    let key = "";
    let served = 0;

    await test.step("1. the owner signs up and creates the organization", async () => {
      await signUpAndExpectCheckEmail(page, owner);
      await confirmEmailFromOutbox(page, admin, owner.email);
      await submitSignIn(page, owner.email, owner.password);
      await expect(page).toHaveURL(/\/dashboard$/);

      await page.goto("/orgs");
      await expect(page.getByRole("heading", { name: "No organizations yet" })).toBeVisible();
      await createOrganization(page, org);

      // The owner is its only member, and its pool is empty.
      const members = membersSection(page);
      await expect(members.locator("tbody tr")).toHaveCount(1);
      await expect(members.getByRole("row").filter({ hasText: owner.email })).toContainText(`${owner.name} (you)`);
      await expect(poolTile(page)).toHaveText(/^0\s*credits$/);
    });

    await test.step("2. the Lab admin grants credit to the organization's pool", async () => {
      await admin.goto("/admin/organizations");
      await expect(admin.getByRole("heading", { level: 1, name: "Organizations" })).toBeVisible();
      await waitForHydration(admin);
      const grant = admin.getByRole("region", { name: "Grant credit to an organization" });
      await grant.getByLabel("Organization address", { exact: true }).fill(org.slug);
      await grant.getByLabel("Credits", { exact: true }).fill("5");
      await grant.getByLabel("Reason", { exact: true }).fill(`Pilot ${org.slug}`);
      await grant.getByRole("button", { name: "Grant credit" }).click();
      await expect(admin).toHaveURL(/[?&]done=granted/);
      await expect(admin.getByText("The credit is in the organization's pool.")).toBeVisible();
      await expect(admin.getByRole("row").filter({ hasText: org.slug }).locator('td[data-label="Pool"]')).toHaveText("5");

      // The owner sees it in the pool.
      await page.reload();
      await expect(page.getByRole("heading", { level: 1, name: org.name })).toBeVisible();
      await expect(poolTile(page)).toHaveText(/^5\s*credits$/);
    });

    await test.step("3. the owner invites a colleague, who signs up and joins", async () => {
      await invite(page, colleague.email);

      const link = await linkFromOutbox(admin, colleague.email, `invited you to ${org.name} on Lab Portal`);
      expect(link).toMatch(/\/invitations\/[A-Za-z0-9_-]{32,}$/);

      await signUpAndExpectCheckEmail(mate, colleague);
      await confirmEmailFromOutbox(mate, admin, colleague.email);
      await submitSignIn(mate, colleague.email, colleague.password);
      await expect(mate).toHaveURL(/\/dashboard$/);

      // Opened at this portal, where the colleague is signed in (the link's
      // origin is the portal's configured public address).
      await mate.goto(new URL(link).pathname);
      await expect(mate.getByRole("heading", { level: 1, name: `Join ${org.name}` })).toBeVisible();
      await expect(mate.getByText(`invited ${colleague.email} to join as member.`)).toBeVisible();
      await waitForHydration(mate);
      await mate.getByRole("button", { name: `Join ${org.name}` }).click();
      await expect(mate).toHaveURL(new RegExp(`${literal(orgPage)}\\?done=joined$`));
      await expect(mate.getByRole("heading", { level: 1, name: org.name })).toBeVisible();
      await expect(mate.getByRole("status").filter({ hasText: "Welcome" })).toHaveText(
        "Welcome: you are a member of this organization now.",
      );
      await expect(mate.locator(".page-header .lead")).toContainText(`You are acting for ${org.name} as member.`);

      // The owner sees the new member, and the invitation accepted.
      await page.goto(orgPage);
      await waitForHydration(page);
      const row = membersSection(page).getByRole("row").filter({ hasText: colleague.email });
      await expect(row).toContainText(colleague.name);
      await expect(row.getByLabel(`Role of ${colleague.name}`, { exact: true })).toHaveValue("member");
      await expect(invitationsSection(page).getByRole("row").filter({ hasText: colleague.email })).toContainText(
        "Accepted",
      );
    });

    await test.step("4. the owner sets the colleague's monthly budget", async () => {
      const row = membersSection(page).getByRole("row").filter({ hasText: colleague.email });
      const amount = row.getByLabel(`Budget of ${colleague.name} in credits (empty: none)`, { exact: true });
      const period = row.getByLabel(`How often ${colleague.name}'s budget starts again`, { exact: true });
      await expect(amount).toHaveValue("");
      await amount.fill("0.001");
      await period.selectOption({ label: "per calendar month" });
      await row.getByRole("button", { name: "Save", exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`${literal(orgPage)}\\?done=budget$`));
      await expect(page.getByText("The budget is saved.")).toBeVisible();

      // Kept: after a reload the form shows it, and the colleague sees it.
      await page.reload();
      const saved = membersSection(page).getByRole("row").filter({ hasText: colleague.email });
      await expect(saved.getByLabel(`Budget of ${colleague.name} in credits (empty: none)`, { exact: true })).toHaveValue(
        "0.001",
      );
      await expect(saved.getByLabel(`How often ${colleague.name}'s budget starts again`, { exact: true })).toHaveValue(
        "month",
      );
      await mate.goto(orgPage);
      await expect(
        mate.locator(".stat").filter({ has: mate.getByRole("heading", { name: "Your budget" }) }).locator(".stat-value"),
      ).toHaveText("0.001 per calendar month");
    });

    await test.step("5. the colleague's key billed to the organization is refused once the budget is spent", async () => {
      await mate.goto("/keys");
      await expect(mate.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
      await waitForHydration(mate);
      await mate.getByLabel("Name", { exact: true }).fill(keyName);
      await mate.getByLabel("Bill to", { exact: true }).selectOption({ label: `${org.name} (organization pool)` });
      await mate.getByRole("button", { name: "Create key" }).click();

      const reveal = mate.getByTestId("new-key");
      await expect(reveal.getByRole("heading", { name: `Your new key “${keyName}”` })).toBeVisible();
      key = await reveal.getByLabel("API key", { exact: true }).inputValue();
      expect(key).toMatch(KEY_FORMAT);
      await reveal.getByRole("button", { name: "Copy" }).click();
      await expect(reveal.getByRole("status")).toHaveText("Copied to the clipboard.");
      expect(await mate.evaluate(() => navigator.clipboard.readText())).toBe(key);
      // The key bills the organization, not the colleague.
      await expect(mate.getByRole("row").filter({ hasText: keyName }).locator('td[data-label="Bills"]')).toHaveText(
        org.name,
      );

      // Small requests until the budget refuses one.
      let refusal: { status: number; body: any } | undefined;
      for (let attempt = 0; attempt < 100 && !refusal; attempt++) {
        const response = await chat(request, key);
        const status = response.status();
        if (status === 200) {
          served += 1;
        } else if (status === 429) {
          // Not what this test is about: wait as asked, then go on.
          const wait = Number(response.headers()["retry-after"] ?? "1");
          await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5) * 1000));
        } else {
          refusal = { status, body: await response.json() };
        }
      }
      const checkedAt = new Date();
      expect(refusal, "the budget refused a request within 100").toBeDefined();
      expect(served, "the budget let some requests through first").toBeGreaterThan(0);
      const { status, body } = refusal!;
      expect(status, JSON.stringify(body)).toBe(402);
      const error = body.error;
      expect(error.code, JSON.stringify(body)).toBe("member_budget_exceeded");
      expect(error.message).toContain("monthly budget");
      const resetsAt: string = error.resets_at;
      expect(typeof resetsAt, JSON.stringify(body)).toBe("string");
      expect(error.message).toContain(resetsAt);
      // The budget starts again at the next month in the organization's time zone.
      expect(Date.parse(resetsAt), resetsAt).toBe(nextMonthInSingapore(checkedAt));
    });

    await test.step("6. the owner sees the colleague's usage and exports it", async () => {
      await page.goto(`${orgPage}/usage`);
      await expect(page.getByRole("heading", { level: 1, name: `${org.name} — usage` })).toBeVisible();
      // Only the colleague spent from the pool.
      const byMember = page.locator('section[aria-labelledby="usage-member"]');
      await expect(byMember.getByRole("heading", { level: 2, name: "By member", exact: true })).toBeVisible();
      const memberRows = byMember.locator("tbody tr");
      await expect(memberRows).toHaveCount(1);
      await expect(memberRows.getByRole("rowheader")).toContainText(colleague.name);
      await expect(memberRows.getByRole("rowheader")).toContainText(colleague.email);

      await waitForHydration(page);
      const downloading = page.waitForEvent("download");
      await page.getByRole("link", { name: "Export CSV" }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe(`${org.slug}-usage.csv`);
      const text = await readFile(await download.path(), "utf8");
      const lines = text.trim().split("\n");
      expect(lines[0].startsWith("time_utc,request_id,member"), lines[0]).toBe(true);
      const served200 = lines.filter((line) =>
        new RegExp(`^[^,]+,[^,]+,${literal(colleague.email)},${literal(keyName)},${CHAT_MODEL},.*,200$`).test(line),
      );
      expect(served200.length, text).toBe(served);
    });

    await test.step("7. the owner removes the colleague, whose key stops working within seconds", async () => {
      await page.goto(orgPage);
      await waitForHydration(page);
      const row = membersSection(page).getByRole("row").filter({ hasText: colleague.email });
      await row.getByRole("link", { name: `Remove ${colleague.name}` }).click();
      const dialog = page.getByRole("dialog", { name: `Remove ${colleague.name}?` });
      await expect(dialog).toBeVisible();
      await dialog.getByRole("button", { name: "Remove member" }).click();
      await expect(page).toHaveURL(new RegExp(`${literal(orgPage)}\\?done=removed$`));
      await expect(
        page.getByText("The member is removed; their keys billed to the organization are revoked."),
      ).toBeVisible();
      await expect(membersSection(page).getByRole("row").filter({ hasText: colleague.email })).toHaveCount(0);

      // The proxy trusts a key lookup for 3 s.
      await expect
        .poll(async () => (await chat(request, key)).status(), { timeout: 6_000, intervals: [200] })
        .toBe(401);
      const refused = await chat(request, key);
      expect(refused.status()).toBe(401);
      expect((await refused.json()).error.code).toBe("invalid_api_key");

      // The colleague sees the key revoked and the organization gone.
      await mate.goto("/keys");
      await expect(mate.getByRole("row").filter({ hasText: keyName })).toContainText("Revoked");
      await mate.goto(orgPage);
      await expect(mate.getByText("There is no such organization, or you are not a member of it.")).toBeVisible();
    });

    await colleagueContext.close();
    await admin.context().close();
  });

  test("without JavaScript an organization is created and a colleague invited", async ({ page, browser }, testInfo) => {
    test.slow(); // a sign-up, an admin, a few pages
    const owner = newDeveloper(testInfo, "org-nojs");
    const org = newOrganization(owner, testInfo);
    const invitee = newDeveloper(testInfo, "org-nojs-invitee").email;
    await verifiedDeveloper(page, browser, owner);

    // The same account, in a browser without JavaScript.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto("/signin");
    await submitSignIn(plain, owner.email, owner.password);
    await expect(plain).toHaveURL(/\/dashboard$/);

    await plain.goto("/orgs");
    await createOrganization(plain, org, { js: false });
    await invite(plain, invitee, { js: false });

    // The organization is listed as the owner's.
    await plain.goto("/orgs");
    await expect(plain.getByRole("row").filter({ hasText: org.name })).toContainText("Owner");
    await context.close();
  });

  test("a business applicant creates the company's organization from the dashboard, acts for it in the header, and the playground bills its pool", async ({
    page,
    browser,
  }, testInfo) => {
    test.setTimeout(150_000);
    const base = newDeveloper(testInfo, "org-acting");
    const org = newOrganization(base, testInfo);
    const owner: Developer = { ...base, organization: org.name };
    const admin = await signInAsAdmin(browser);

    await test.step("1. a business signs up, applies and is approved", async () => {
      await page.goto("/signup");
      await waitForHydration(page);
      await page.getByLabel("Email", { exact: true }).fill(owner.email);
      await page.getByLabel("Password", { exact: true }).fill(owner.password);
      await page.getByLabel("Your name", { exact: true }).fill(owner.name);
      await page.getByLabel("You are", { exact: true }).selectOption({ label: "Business" });
      await page.getByLabel("Organization or university", { exact: true }).fill(org.name);
      await page.getByLabel("Country", { exact: true }).selectOption({ label: owner.country });
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
      await confirmEmailFromOutbox(page, admin, owner.email);
      await submitSignIn(page, owner.email, owner.password);
      await expect(page).toHaveURL(/\/dashboard$/);
      // Not yet approved: no offer of the company's organization.
      await expect(page.getByTestId("org-offer")).toHaveCount(0);

      await page.goto("/onboarding");
      await waitForHydration(page);
      await page
        .getByLabel("What do you want to build?")
        .fill("Forecasts of container dwell time for our terminal operators.");
      await page.getByLabel("Industry").selectOption({ label: "Logistics" });
      await page.getByLabel("Where are you with it?").selectOption({ label: "Building a prototype" });
      await page.getByRole("button", { name: "Send my application" }).click();
      await expect(page).toHaveURL(/\/dashboard\?applied=1$/);

      await admin.goto("/admin/applications");
      await waitForHydration(admin);
      const card = admin.getByRole("article", { name: owner.name });
      await card.getByRole("button", { name: "Approve" }).click();
      await expect(admin).toHaveURL(/done=approved/);
    });

    await test.step("2. the dashboard offers the company's organization, filled in", async () => {
      await page.goto("/dashboard");
      const offer = page.getByTestId("org-offer");
      await expect(offer).toContainText(`Your application for ${org.name} is approved.`);
      await offer.getByRole("link", { name: `Create ${org.name}'s organization` }).click();
      await expect(page).toHaveURL(/\/orgs\?name=/);
      const form = page.getByRole("region", { name: "Create an organization" });
      await expect(form.getByLabel("Name", { exact: true })).toHaveValue(org.name);
      await expect(form.getByLabel("Address", { exact: true })).not.toHaveValue("");
      await createOrganization(page, org);
      // With an organization, the offer is gone.
      await page.goto("/dashboard");
      await expect(page.getByTestId("org-offer")).toHaveCount(0);
      await grantToPool(admin, org.slug, "5");
    });

    await test.step("3. the owner acts for the organization, and every page says so", async () => {
      await page.goto("/keys");
      await waitForHydration(page);
      const choice = await actingFor(page);
      await expect(choice).toHaveValue("");
      await choice.selectOption({ label: org.name });
      await mainNav(page).getByRole("button", { name: "Switch" }).click();
      await expect(await actingFor(page)).toHaveValue(org.slug);
      for (const path of ["/usage", "/credits", "/playground"]) {
        await page.goto(path);
        // A phone's menu folds away as the page hydrates: open it after.
        await waitForHydration(page);
        await expect(await actingFor(page), path).toHaveValue(org.slug);
      }
      // New keys bill to it unless chosen otherwise.
      await page.goto("/keys");
      await expect(page.getByLabel("Bill to", { exact: true })).toHaveValue(org.slug);
    });

    await test.step("4. a new conversation bills the organization's pool", async () => {
      await page.goto("/agents/credit-memo-drafter");
      await waitForHydration(page);
      await page.getByRole("button", { name: "Chat with Credit memo drafter" }).click();
      await expect(page).toHaveURL(/\/playground\/[0-9a-f-]{36}$/);
      await waitForHydration(page);
      await expect(page.getByText(`Bills to ${org.name} (organization pool)`)).toBeVisible();
      const pool = page.locator(".conversation-costs > div").filter({ hasText: `${org.name}'s pool` }).locator("dd");
      await expect(pool).toHaveText("5 credits");
      // The owner's own starter credit, which this conversation must not touch.
      const own = (await page.locator(".balance-pill").first().textContent()) ?? "";
      expect(own).toMatch(/credits/);
      await page.getByLabel("Your message").fill("Draft a memo on a 2M working-capital line.");
      await page.getByRole("button", { name: "Send", exact: true }).click();
      const reply = page.getByRole("list", { name: "Messages" }).locator(".chat-assistant").last();
      await expect(reply).toContainText(/credits/, { timeout: 30_000 });
      // The pool paid, not the owner, whose own balance stays as it was.
      await page.reload();
      await expect
        .poll(async () => parseFloat((await pool.textContent()) ?? "5"))
        .toBeLessThan(5);
      expect(await page.locator(".balance-pill").first().textContent()).toBe(own);
      await page.goto(`/orgs/${org.slug}/usage`);
      const byMember = page.locator('section[aria-labelledby="usage-member"]');
      await expect(byMember.locator("tbody tr").getByRole("rowheader")).toContainText(owner.email);

      // Billed to the owner's own credit instead, it says so.
      await page.goBack();
      await waitForHydration(page);
      // The billing panel is open while an organization pays.
      await page.getByLabel("Bill to", { exact: true }).selectOption({ label: "My own credit" });
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await expect(page.getByText("Bills to your own credit")).toBeVisible();
      await expect(page.locator(".conversation-costs")).toContainText("Your balance");
    });

    await test.step("5. without JavaScript the header switches back to personal", async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const plain = await context.newPage();
      await plain.goto("/signin");
      await submitSignIn(plain, owner.email, owner.password);
      await plain.goto("/usage");
      const choice = mainNav(plain).getByLabel(/^Acting for/);
      await choice.selectOption({ label: "Personal" });
      await mainNav(plain).getByRole("button", { name: "Switch" }).click();
      await expect(plain).toHaveURL(/\/usage$/);
      await expect(mainNav(plain).getByLabel(/^Acting for/)).toHaveValue("");
      await context.close();
    });

    await admin.context().close();
  });
});
