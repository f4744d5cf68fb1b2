import { expect, test } from "@playwright/test";
import {
  mainNav,
  newDeveloper,
  openAccountMenu,
  openMenuIfCollapsed,
  submitSignIn,
  verifiedDeveloper,
  waitForHydration,
} from "./helpers";

test.describe("the signed-in shell", () => {
  test("one header row with the developer's pages, balance and account menu; no marketing links", async ({
    page,
    browser,
    isMobile,
  }, testInfo) => {
    test.slow(); // a sign-up through the admin's outbox
    const dev = newDeveloper(testInfo, "shell");
    await verifiedDeveloper(page, browser, dev);
    await waitForHydration(page);
    await openMenuIfCollapsed(page);
    const nav = mainNav(page);
    for (const name of ["Dashboard", "Keys", "Usage", "Credits"]) {
      await expect(nav.getByRole("link", { name, exact: true })).toBeVisible();
    }
    await expect(nav.getByRole("link", { name: "Credits", exact: true })).toHaveAttribute("href", "/credits");
    await expect(nav.getByRole("link", { name: "Universities" })).toHaveCount(0);
    await expect(nav.getByRole("link", { name: "Agents" })).toHaveCount(0);
    // The balance (nothing granted yet) links to the credit history.
    const balance = nav.getByRole("link", { name: /Balance: 0\.00/ });
    await expect(balance).toHaveAttribute("href", "/credits");
    if (!isMobile) {
      // Brand, navigation, balance and account menu share one row.
      const header = page.locator(".header-bar");
      const box = await header.boundingBox();
      expect(box?.height ?? 0).toBeLessThanOrEqual(72);
      const brand = await page.locator("a.brand").boundingBox();
      const menu = await nav.locator("details.account-menu").boundingBox();
      expect(Math.abs((brand?.y ?? 0) + (brand?.height ?? 0) / 2 - ((menu?.y ?? 0) + (menu?.height ?? 0) / 2))).toBeLessThan(8);
    }
    // The dashboard: the balance in large type, this month's spending, no
    // requests yet and how to make one.
    await expect(page.getByTestId("balance-available")).toHaveText("0.00 credits available");
    await expect(page.getByRole("heading", { level: 2, name: /^Spent in / })).toBeVisible();
    await expect(page.getByRole("heading", { name: "No requests yet" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Create an API key" })).toHaveAttribute("href", "/keys");
    await openAccountMenu(page);
    await expect(nav.getByText(dev.email)).toBeVisible();
    await expect(nav.getByRole("link", { name: "Profile" })).toBeVisible();
    await expect(nav.getByRole("button", { name: "Sign out" })).toBeVisible();
  });

  test("in-app navigation moves focus to the new page and announces its title", async ({ page }) => {
    await page.goto("/");
    await waitForHydration(page);
    await openMenuIfCollapsed(page);
    await mainNav(page).getByRole("link", { name: "Models" }).click();
    await expect(page).toHaveURL(/\/models$/);
    await expect(page.locator("main#main")).toBeFocused();
    await expect(page.locator("p[aria-live=polite]")).toHaveText("Models and pricing · Lab Portal");
  });

  test("the skip link still moves focus to the content once the page is hydrated", async ({ page, isMobile }) => {
    test.skip(isMobile, "a keyboard test");
    await page.goto("/models");
    await waitForHydration(page);
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    await expect(skip).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.locator("main#main")).toBeFocused();
    await expect(page).toHaveURL(/\/models$/);
  });

  test("Escape closes the phone menu and gives focus back to its button", async ({ page, isMobile }) => {
    test.skip(!isMobile, "the menu collapses on phones only");
    await page.goto("/");
    await waitForHydration(page);
    const menu = page.getByRole("button", { name: "Menu" });
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await expect(mainNav(page).getByRole("link", { name: "Sign in" })).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(menu).toBeFocused();
    await expect(mainNav(page)).toBeHidden();
  });

  test("a failed submit moves focus to the error", async ({ page }, testInfo) => {
    const dev = newDeveloper(testInfo, "focus");
    await page.goto("/signin");
    await waitForHydration(page);
    await submitSignIn(page, dev.email, "not the password at all");
    const summary = page.locator(".form-error-summary");
    await expect(summary).toContainText("The email or password is incorrect.");
    await expect(summary).toBeFocused();
  });

  test("a form sent before the page is interactive keeps its error through hydration, and the address stays clean", async ({
    page,
  }, testInfo) => {
    const dev = newDeveloper(testInfo, "early");
    // Hold the browser bundle back: the form goes as a plain post.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\.wasm$/, async (route) => {
      await held;
      await route.continue();
    });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto("/signin");
    await submitSignIn(page, dev.email, "not the password at all");
    const summary = page.locator(".form-error-summary");
    await expect(summary).toContainText("The email or password is incorrect.");
    await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");

    // The bundle arrives: the page hydrates over what the server rendered,
    // the error stays, and the address has no trace of it.
    release();
    await waitForHydration(page);
    await expect(summary).toContainText("The email or password is incorrect.");
    await expect(page).toHaveURL(/\/signin$/);
    expect(problems.filter((p) => /hydrat|mismatch|panicked/i.test(p))).toEqual([]);
  });
  test("an error written into a link is never shown, before or after hydration", async ({ page }, testInfo) => {
    const dev = newDeveloper(testInfo, "forged");
    // A real error query, as a failed plain post produces it: sent before
    // the bundle arrives, the page puts the server's own error into its
    // address until it hydrates. Those parameters then go into a link.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\.wasm$/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto("/signin");
    await submitSignIn(page, dev.email, "not the password at all");
    await expect(page.locator(".form-error-summary")).toContainText("The email or password is incorrect.");
    const error = await page.evaluate(() => {
      const names = ["__path", "__err"];
      const params = new URLSearchParams(location.search);
      return names.map((n) => `${n}=${encodeURIComponent(params.get(n) ?? "")}`).join("&");
    });
    release();
    await waitForHydration(page);
    expect(error).toContain("__err=");

    const forged = await page.context().newPage();
    await forged.goto(`/signin?next=%2Fkeys&${error}`);
    await waitForHydration(forged);
    // The error summary is in the page, and empty.
    await expect(forged.locator(".form-error-summary")).toHaveText("");
    await expect(forged.getByText("The email or password is incorrect.")).toHaveCount(0);
    await expect(forged).toHaveURL(/\/signin\?next=%2Fkeys$/);
    await forged.close();
  });
});
