import { readFile } from "node:fs/promises";

import { test, expect, type Browser, type Page } from "@playwright/test";
import {
  adminCredentials,
  newDeveloper,
  submitSignIn,
  verifiedDeveloper,
  waitForHydration,
  type Developer,
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

/** Downloads `name` from the dataset page `page` is on; the file's first line. */
async function downloadFirstLine(page: Page, name: string): Promise<string> {
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name, exact: true }).click();
  const download = await downloading;
  return (await readFile(await download.path())).toString("utf8").split("\n")[0];
}

async function developer(page: Page, browser: Browser, testInfo: Parameters<Parameters<typeof test>[1]>[1], label: string): Promise<Developer> {
  const dev = newDeveloper(testInfo, label);
  await verifiedDeveloper(page, browser, dev);
  return dev;
}

for (const javaScriptEnabled of [true, false]) {
  const how = javaScriptEnabled ? "with" : "without";

  test(`${how} JavaScript a developer accepts a dataset's terms and downloads it`, async ({ page, browser }, testInfo) => {
    test.slow();
    const dev = await developer(page, browser, testInfo, `terms-${how}`);
    const reader = await signedIn(browser, dev.email, dev.password, javaScriptEnabled);
    await reader.goto("/datasets/pima-diabetes");
    if (javaScriptEnabled) await waitForHydration(reader);
    const access = reader.getByRole("region", { name: "Access" });
    await expect(access).toContainText("Make no attempt to identify any person");
    await access.getByLabel("I have read these terms and accept them").check();
    await access.getByRole("button", { name: "Accept the terms" }).click();
    await expect(access.getByText("You accepted the terms: the files are yours to download.")).toBeVisible();
    await expect(access).toContainText("You accepted these terms on");
    expect(await downloadFirstLine(reader, "pima-train.csv")).toBe("npreg,glu,bp,skin,bmi,ped,age,type");
    await reader.context().close();
  });

  test(`${how} JavaScript a request for an approval dataset is approved and the download works`, async ({
    page,
    browser,
  }, testInfo) => {
    test.slow();
    const dev = await developer(page, browser, testInfo, `approval-${how}`);
    const requester = await signedIn(browser, dev.email, dev.password, javaScriptEnabled);
    await requester.goto("/datasets/tech-stock-prices");
    if (javaScriptEnabled) await waitForHydration(requester);
    const access = requester.getByRole("region", { name: "Access" });
    // A missing answer is reported at its field.
    await access.getByRole("button", { name: "Ask for access" }).click();
    await expect(access.getByLabel("What will you use these prices for?")).toHaveAttribute("aria-invalid", "true");
    await access.getByLabel("What will you use these prices for?").fill("Teaching time-series forecasting");
    await access.getByLabel("Where do you work or study?").selectOption("University or school");
    await access.getByLabel("Country").selectOption({ label: "Singapore" });
    await access.getByLabel("I will not use these prices to make trading decisions").check();
    await access.getByRole("button", { name: "Ask for access" }).click();
    await expect(access.getByText("Your request is sent.")).toBeVisible();
    await expect(access).toContainText("your request is waiting for review");

    const admin = adminCredentials();
    const staff = await signedIn(browser, admin.email, admin.password, javaScriptEnabled);
    await staff.goto("/admin/datasets/access");
    if (javaScriptEnabled) await waitForHydration(staff);
    const card = staff.getByRole("article").filter({ hasText: dev.email });
    await expect(card).toContainText("Teaching time-series forecasting");
    await expect(card).toContainText("SG");
    await card.getByRole("button", { name: "Approve" }).click();
    await expect(staff.getByText("Approved; the requester was told.")).toBeVisible();
    await staff.context().close();

    await requester.goto("/datasets/tech-stock-prices");
    await expect(access).toContainText("Your request was approved on");
    expect(await downloadFirstLine(requester, "stocks.csv")).toBe("symbol,date,price");
    await requester.context().close();
  });
}
