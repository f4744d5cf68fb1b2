import { readFile } from "node:fs/promises";

import { APIRequestContext, APIResponse, Browser, expect, Page, test, TestInfo } from "@playwright/test";
import {
  confirmEmailFromOutbox,
  Developer,
  linkFromOutbox,
  newDeveloper,
  signInAsAdmin,
  signUpAndExpectCheckEmail,
  submitSignIn,
  waitForHydration,
} from "./helpers";

const KEY_FORMAT = /^lp_[a-z0-9]{12}_[A-Za-z0-9]{32}$/;

/** The simulator's chat model, which the portal registers at start-up. */
const CHAT_MODEL = "simulator-chat";

/** A starter agent no other spec edits, on the simulator's chat model and without tools. */
const AGENT = { slug: "returns-reason-analyst", name: "Returns reason analyst" };

/** Micro-credits in a credit. */
const MICROS = 1_000_000;

/** Regular-expression text matching `text` literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Credits as the portal writes them (`1,234.5`, no trailing zeros) → micro-credits. */
function micros(text: string): number {
  const match = text.trim().replace(/,/g, "").match(/^(-?)(\d+)(?:\.(\d{1,6}))?$/);
  expect(match, `credits: "${text}"`).toBeTruthy();
  const [, sign, whole, fraction = ""] = match!;
  const value = Number(whole) * MICROS + Number(fraction.padEnd(6, "0"));
  return sign ? -value : value;
}

/** Micro-credits as the portal writes them: `1,234.5`, every digit kept, no trailing zeros. */
function credits(amount: number): string {
  const sign = amount < 0 ? "-" : "";
  const abs = Math.abs(amount);
  const whole = Math.floor(abs / MICROS)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (abs % MICROS).toString().padStart(6, "0").replace(/0+$/, "");
  return fraction ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

/** A UTC day `offset` days from today, as a date input takes it. */
function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

/** An institution and its students' domain, unique to this test (tests share one database). */
interface Institution {
  name: string;
  slug: string;
  domain: string;
}

function newInstitution(someone: Developer, testInfo: TestInfo): Institution {
  const stamp = someone.email.split("-").pop()!.split("@")[0];
  const tag = `${testInfo.project.name}-${stamp}`.toLowerCase();
  return {
    name: `University of Tidewater ${stamp}`,
    slug: `tidewater-${tag}`.slice(0, 40).replace(/-+$/, ""),
    domain: `uni-${tag}.edu`,
  };
}

/** A developer who signs up with an address at `domain`. */
function newStudent(testInfo: TestInfo, label: string, domain: string, name: string): Developer {
  const dev = newDeveloper(testInfo, label);
  return {
    ...dev,
    email: dev.email.replace(/@.*$/, `@${domain}`),
    name: dev.name.replace("Ada Lovelace", name),
    organization: "University of Tidewater",
  };
}

/** Signs `dev` up, confirms the address through `admin`'s outbox and signs in on `page`. */
async function signUpVerified(page: Page, admin: Page, dev: Developer) {
  await signUpAndExpectCheckEmail(page, dev);
  await confirmEmailFromOutbox(page, admin, dev.email);
  await submitSignIn(page, dev.email, dev.password);
  await expect(page).toHaveURL(/\/dashboard$/);
}

/** The figure of the stat tile `label` (like "Course pool"). */
function stat(page: Page, label: string) {
  return page
    .locator(".stat")
    .filter({ has: page.getByRole("heading", { name: label, exact: true }) })
    .locator(".stat-value");
}

/** Expects the stat tile `label` to show exactly `amount` credits. */
async function expectCredits(page: Page, label: string, amount: number) {
  await expect(stat(page, label)).toHaveText(new RegExp(`^${literal(credits(amount))}\\s*credits$`));
}

/**
 * The Lab admin creates `institution` with its students' domain, makes
 * `coordinator` one of its coordinators and grants `grant` credits to its
 * pool, at /admin/institutions.
 */
async function setUpInstitution(admin: Page, institution: Institution, coordinator: string, grant: string) {
  await admin.goto("/admin/institutions");
  await expect(admin.getByRole("heading", { level: 1, name: "Institutions" })).toBeVisible();
  await waitForHydration(admin);

  const create = admin.getByRole("region", { name: "Create an institution" });
  await create.getByLabel("Name", { exact: true }).fill(institution.name);
  await create.getByLabel("Address", { exact: true }).fill(institution.slug);
  await create.getByLabel("Country", { exact: true }).selectOption("SG");
  await create.getByLabel("Time zone", { exact: true }).fill("Asia/Singapore");
  await create.getByLabel("Students' email domains", { exact: true }).fill(institution.domain);
  await create.getByRole("button", { name: "Create institution" }).click();
  await expect(admin).toHaveURL(/[?&]done=created/);
  const row = admin.getByRole("row").filter({ hasText: institution.slug });
  await expect(row.locator('td[data-label="Email domains"]')).toHaveText(`@${institution.domain}`);
  await expect(row.locator('td[data-label="Pool"]')).toHaveText("0");

  const staff = admin.getByRole("region", { name: "Add staff to an institution" });
  await staff.getByLabel("Institution address", { exact: true }).fill(institution.slug);
  await staff.getByLabel("Email", { exact: true }).fill(coordinator);
  await staff.getByLabel("Role", { exact: true }).selectOption("coordinator");
  await staff.getByRole("button", { name: "Save staff role" }).click();
  await expect(admin).toHaveURL(/[?&]done=staff/);
  await expect(admin.getByText("The staff role is saved")).toBeVisible();

  // The grant form is drawn again, with a new idempotency key, whenever the list is read again.
  await admin.goto("/admin/institutions");
  await waitForHydration(admin);
  const grantForm = admin.getByRole("region", { name: "Grant credit to an institution" });
  await grantForm.getByLabel("Institution address", { exact: true }).fill(institution.slug);
  await grantForm.getByLabel("Credits", { exact: true }).fill(grant);
  await grantForm.getByLabel("Reason", { exact: true }).fill(`Term pilot ${institution.slug}`);
  await grantForm.getByRole("button", { name: "Grant credit" }).click();
  await expect(admin).toHaveURL(/[?&]done=granted/);
  await expect(admin.getByText("The credit is in the institution's pool.")).toBeVisible();
  await expect(row.locator('td[data-label="Pool"]')).toHaveText(grant);
}

/** A course as the new course form takes it. */
interface Course {
  name: string;
  code: string;
  allocation: string;
  maxStudents: string;
}

/**
 * Fills and sends "New course" on the institution's page (the page must be
 * there) and answers the new course's address (slug).
 */
async function createCourse(page: Page, course: Course, { js = true } = {}): Promise<string> {
  if (js) await waitForHydration(page);
  const form = page.getByRole("region", { name: "New course" });
  await form.getByLabel("Name", { exact: true }).fill(course.name);
  await form.getByLabel("Course code", { exact: true }).fill(course.code);
  await form.getByLabel("Term starts", { exact: true }).fill(day(-1));
  await form.getByLabel("Term ends", { exact: true }).fill(day(60));
  await form.getByLabel("Credits per student", { exact: true }).fill(course.allocation);
  await form.getByLabel("Most students", { exact: true }).fill(course.maxStudents);
  await expect(
    form.getByLabel("Only students with an address at the institution's email domains may join", { exact: true }),
  ).toBeChecked();
  await form.getByRole("button", { name: "Create course" }).click();

  await expect(page).toHaveURL(/\/courses\/[a-z0-9-]+\?done=created$/);
  const slug = new URL(page.url()).pathname.split("/").pop()!;
  await expect(page.getByRole("heading", { level: 1, name: course.name })).toBeVisible();
  await expect(page.getByText("The course is created, in draft: fund it, then open it for joining.")).toBeVisible();
  return slug;
}

/**
 * Funds the course (its console must be open) with `amount` credits from
 * its institution's pool, then opens it for joining.
 */
async function fundAndOpen(page: Page, coursePage: string, amount: string) {
  await waitForHydration(page);
  const fund = page.getByRole("region", { name: "Fund the course" });
  await fund.getByLabel("Credits", { exact: true }).fill(amount);
  await fund.getByRole("button", { name: "Fund course" }).click();
  await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}\\?done=funded$`));
  await page.getByRole("button", { name: "Open for joining" }).click();
  await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}\\?done=open$`));
  await expect(page.getByText("The course is open: students join with its code or link.")).toBeVisible();
}

/** Types `code` on the join page and joins, landing on the dashboard. */
async function joinWithCode(student: Page, code: string, course: Course) {
  await student.goto("/join");
  await expect(student.getByRole("heading", { level: 1, name: "Join a course" })).toBeVisible();
  await waitForHydration(student);
  await student.getByLabel("Course code", { exact: true }).fill(code);
  await student.getByRole("button", { name: "Join course" }).click();
  await expect(student).toHaveURL(new RegExp(`/dashboard\\?joined=${literal(course.code)}$`));
  await expect(student.getByText(`You joined ${course.code}.`)).toBeVisible();
}

/** Creates the key `name` billed to the course `slug` at /keys and answers it. */
async function courseKey(student: Page, slug: string, course: Course, name: string): Promise<string> {
  await student.goto("/keys");
  await expect(student.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await waitForHydration(student);
  await student.getByLabel("Name", { exact: true }).fill(name);
  const billTo = student.getByLabel("Bill to", { exact: true });
  await billTo.selectOption(`course:${slug}`);
  await expect(billTo.locator("option:checked")).toHaveText(`${course.name} (${course.code}: your course credit)`);
  await student.getByRole("button", { name: "Create key" }).click();
  const reveal = student.getByTestId("new-key");
  await expect(reveal.getByRole("heading", { name: `Your new key “${name}”` })).toBeVisible();
  const key = await reveal.getByLabel("API key", { exact: true }).inputValue();
  expect(key).toMatch(KEY_FORMAT);
  // The key bills the course, not the student.
  const bills = student.getByRole("row").filter({ hasText: name }).locator('td[data-label="Bills"]');
  await expect(bills).toHaveText(course.name);
  return key;
}

/** Ends the course's term from its console (which must be open), through the confirm step. */
async function endTerm(page: Page, coursePage: string, course: Course, institution: Institution) {
  await waitForHydration(page);
  await page.getByRole("link", { name: "End the term now…" }).click();
  await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}\\?end=1`));
  const dialog = page.getByRole("dialog", { name: `End ${course.name} now?` });
  await expect(dialog).toContainText(`go back to ${institution.name}'s pool. This cannot be undone.`);
  await dialog.getByRole("button", { name: "End the term", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}\\?done=ended$`));
}

/** The "Students" section of a course's console. */
function studentsSection(page: Page) {
  return page.getByRole("region", { name: "Students", exact: true });
}

/** A student's row in a course's console. */
function studentRow(page: Page, email: string) {
  return studentsSection(page).getByRole("row").filter({ hasText: email });
}

/** The "Invite a roster" section of a course's console. */
function rosterSection(page: Page) {
  return page.getByRole("region", { name: "Invite a roster" });
}

/** The roster preview's row for `email`. */
function rosterRow(page: Page, email: string) {
  return rosterSection(page)
    .getByRole("region", { name: "The roster, row by row" })
    .getByRole("row")
    .filter({ hasText: email });
}

/** The course `name` in a student's "My courses" on the dashboard. */
function myCourse(page: Page, name: string) {
  return page.getByRole("region", { name: "My courses table" }).getByRole("row").filter({ hasText: name });
}

/** The join code shown on a course's console. */
async function joinCode(page: Page): Promise<string> {
  const code = ((await page.getByLabel("join code", { exact: true }).textContent()) ?? "").trim();
  expect(code).toMatch(/^[A-Z0-9]{8}$/);
  return code;
}

/** A small chat completion with `key`, as a program would send it. */
async function chat(request: APIRequestContext, key: string): Promise<APIResponse> {
  return request.post("/v1/chat/completions", {
    headers: { Authorization: `Bearer ${key}` },
    data: {
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "Why do lithium batteries degrade?" }],
      max_tokens: 7,
    },
  });
}

/** A context and page of their own for a second person. */
async function secondPerson(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test.describe("courses", () => {
  test("a coordinator funds a course and invites a roster; students join by code and by email, spend their allocation by key and in the playground; the term ends and the credit goes back", async ({
    page,
    browser,
    request,
  }, testInfo) => {
    test.setTimeout(240_000); // four people, three sign-ups, a few dozen pages and requests

    const coordinator = newDeveloper(testInfo, "course-coord");
    const institution = newInstitution(coordinator, testInfo);
    // Joins with the code; joins, by roster email; invited, never joins; another domain.
    const byCode = newStudent(testInfo, "course-code", institution.domain, "Grace Hopper");
    const byRoster = newStudent(testInfo, "course-roster", institution.domain, "Katherine Johnson");
    const absent = newStudent(testInfo, "course-absent", institution.domain, "Alan Turing").email;
    const outsider = newDeveloper(testInfo, "course-outsider").email;
    const course: Course = {
      name: `Machine Learning ${institution.slug.split("-").pop()}`,
      code: "CS3244",
      allocation: "2",
      maxStudents: "3",
    };
    const allocation = 2 * MICROS;
    const granted = 10 * MICROS;
    const funded = 6 * MICROS; // three seats of 2 credits
    const keyName = `coursework ${byCode.name.split(" ").pop()}`;

    const admin = await signInAsAdmin(browser);
    const studentA = await secondPerson(browser);
    const studentB = await secondPerson(browser);
    let slug = "";
    let coursePage = "";
    let key = "";
    let conversation = "";

    await test.step("1. the Lab sets up the institution with a coordinator and credit", async () => {
      await signUpVerified(page, admin, coordinator);
      await setUpInstitution(admin, institution, coordinator.email, "10");

      await page.goto(`/institutions/${institution.slug}`);
      await expect(page.getByRole("heading", { level: 1, name: institution.name })).toBeVisible();
      await expect(page.getByText("You are a coordinator")).toBeVisible();
      await expect(page.getByText(`students' addresses: @${institution.domain}`)).toBeVisible();
      await expectCredits(page, "Credit pool", granted);
      await expect(page.getByRole("heading", { name: "No courses yet" })).toBeVisible();
    });

    await test.step("2. the coordinator creates the course, funds it from the pool and opens it", async () => {
      slug = await createCourse(page, course);
      coursePage = `/courses/${slug}`;
      await expect(page.locator(".page-header .lead")).toContainText(
        `${course.code} at ${institution.name}, ${day(-1)} to ${day(60)} (Asia/Singapore). ` +
          "Each student receives 2 credits on joining; at most 3 students. " +
          "Only the institution's email addresses may join.",
      );
      await expect(page.locator(".page-header").getByText("Draft", { exact: true })).toBeVisible();
      await expectCredits(page, "Course pool", 0);
      await expectCredits(page, "Open seats need", funded);
      await expect(page.getByText("Fund 6 more credits to cover every open seat.")).toBeVisible();

      const fund = page.getByRole("region", { name: "Fund the course" });
      await expect(fund.getByText(`Moved from ${institution.name}'s pool to this course's`)).toBeVisible();
      await fundAndOpen(page, coursePage, "6");
      await expectCredits(page, "Course pool", funded);
      await expect(page.getByText("Covers the 6 credits its open seats need.")).toBeVisible();
      await expect(page.locator(".page-header").getByText("Open for joining", { exact: true })).toBeVisible();
      await expect(page.getByRole("button", { name: "Close to new students" })).toBeVisible();

      // The institution's pool gave what the course received.
      await page.getByRole("link", { name: `Back to ${institution.name}` }).click();
      await expect(page.getByRole("heading", { level: 1, name: institution.name })).toBeVisible();
      await expectCredits(page, "Credit pool", granted - funded);
      const row = page.getByRole("region", { name: "Courses table" }).getByRole("row").filter({ hasText: course.name });
      await expect(row.locator('td[data-label="Status"]')).toHaveText("Open for joining");
      await expect(row.locator('td[data-label="Pool"]')).toHaveText("6");
    });

    await test.step("3. a new code replaces the old; a student joins with it on the join page", async () => {
      await page.goto(coursePage);
      await waitForHydration(page);
      const old = await joinCode(page);
      await page.getByRole("button", { name: /^New code/ }).click();
      await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}\\?done=rotated$`));
      await expect(page.getByLabel("join code", { exact: true })).not.toHaveText(old);
      const code = await joinCode(page);
      await expect(page.getByLabel("join link", { exact: true })).toHaveText(new RegExp(`/join/${literal(code)}$`));

      await signUpVerified(studentA, admin, byCode);
      await studentA.goto("/join");
      await expect(studentA.getByRole("heading", { level: 1, name: "Join a course" })).toBeVisible();
      await waitForHydration(studentA);
      await studentA.getByLabel("Course code", { exact: true }).fill(old);
      await studentA.getByRole("button", { name: "Join course" }).click();
      await expect(studentA.getByText("No course has this code; check it with your coordinator.")).toBeVisible();
      await expect(studentA).toHaveURL(/\/join$/);

      // Case and hyphens do not matter.
      await joinWithCode(studentA, `${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase(), course);
      const mine = myCourse(studentA, course.name);
      await expect(mine.locator('td[data-label="Institution"]')).toHaveText(institution.name);
      await expect(mine.locator('td[data-label="Status"]')).toHaveText("Joined");
      await expect(mine.locator('td[data-label="Credits left"]')).toHaveText("2 of 2");
      await expect(mine.locator('td[data-label="Days left"]')).toHaveText(/^\d+ days$/);

      // The seat's allocation left the course's pool.
      await page.reload();
      await expectCredits(page, "Course pool", funded - allocation);
      await expect(studentRow(page, byCode.email).locator('td[data-label="Status"]')).toHaveText("Joined");
      await expect(studentRow(page, byCode.email).locator('td[data-label="Remaining"]')).toHaveText("2");
    });

    await test.step("4. the coordinator uploads a roster, checks its preview and invites it", async () => {
      const roster = [
        "email,name,student_id",
        `${byCode.email},${byCode.name},A0000001`,
        `${byRoster.email},${byRoster.name},A0000002`,
        `${absent},Alan Turing,A0000003`,
        `${outsider},Someone Else,A0000004`,
      ].join("\n");
      const section = rosterSection(page);
      await section.getByLabel("Roster file", { exact: true }).setInputFiles({
        name: "cs3244-roster.csv",
        mimeType: "text/csv",
        buffer: Buffer.from(roster + "\n", "utf8"),
      });
      await section.getByRole("button", { name: "Check the roster" }).click();
      await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}\\?roster=[0-9a-f-]{36}$`));

      // Each row's fate, before anyone is invited.
      await expect(page.getByTestId("roster-summary")).toHaveText(
        /^cs3244-roster\.csv, uploaded .+: 2 of 4 rows would be invited\.$/,
      );
      await expect(rosterRow(page, byCode.email)).toContainText("Enrolled already");
      await expect(rosterRow(page, byRoster.email)).toContainText("Will be invited");
      await expect(rosterRow(page, byRoster.email)).toContainText("A0000002");
      await expect(rosterRow(page, absent)).toContainText("Will be invited");
      await expect(rosterRow(page, outsider)).toContainText(
        `Not an address of the institution (${institution.domain}).`,
      );
      // Nobody is invited yet.
      await expect(studentRow(page, byRoster.email)).toHaveCount(0);

      await waitForHydration(page);
      await page.getByRole("button", { name: "Invite 2 students" }).click();
      await expect(page.getByTestId("roster-summary")).toHaveText("cs3244-roster.csv: invited 2 students by email.");
      await expect(page.getByRole("button", { name: /^Invite \d+ students$/ })).toHaveCount(0);

      await page.goto(coursePage);
      await expect(studentRow(page, byRoster.email).locator('td[data-label="Status"]')).toHaveText("Invited");
      await expect(studentRow(page, byRoster.email).locator('td[data-label="Student id"]')).toHaveText("A0000002");
      await expect(studentRow(page, absent).locator('td[data-label="Status"]')).toHaveText("Invited");
      await expect(studentRow(page, outsider)).toHaveCount(0);
      await expect(stat(page, "Students joined")).toHaveText("1");
      await expect(page.getByText("of 3 seats · 0 active this week · 2 invited · 0 waiting for credit")).toBeVisible();
    });

    await test.step("5. a student joins with the link in the roster email", async () => {
      const link = await linkFromOutbox(admin, byRoster.email, `Join ${course.name} (${course.code}) on Lab Portal`);
      expect(link).toMatch(/\/join\/[A-Z0-9]{8}$/);

      await signUpVerified(studentB, admin, byRoster);
      // Opened at this portal (the link's origin is the portal's configured public address).
      await studentB.goto(new URL(link).pathname);
      await expect(studentB.getByRole("heading", { level: 1, name: "Join a course" })).toBeVisible();
      await expect(studentB.getByLabel("Course code", { exact: true })).toHaveValue(link.split("/").pop()!);
      await expect(studentB.getByText(`You join as ${byRoster.email}.`)).toBeVisible();
      await waitForHydration(studentB);
      await studentB.getByRole("button", { name: "Join course" }).click();
      await expect(studentB).toHaveURL(new RegExp(`/dashboard\\?joined=${course.code}$`));
      const mine = myCourse(studentB, course.name);
      await expect(mine.locator('td[data-label="Credits left"]')).toHaveText("2 of 2");

      // The invitation became the enrollment: the roster's name and id stay.
      await page.reload();
      const row = studentRow(page, byRoster.email);
      await expect(row.locator('td[data-label="Status"]')).toHaveText("Joined");
      await expect(row.locator('td[data-label="Student id"]')).toHaveText("A0000002");
      await expect(stat(page, "Students joined")).toHaveText("2");
      await expectCredits(page, "Course pool", funded - 2 * allocation);
      await expectCredits(page, "Open seats need", allocation);
    });

    await test.step("6. the first student's key billed to the course spends only the allocation", async () => {
      key = await courseKey(studentA, slug, course, keyName);

      for (let i = 0; i < 2; i++) {
        const response = await chat(request, key);
        const body = await response.json();
        expect(response.status(), JSON.stringify(body)).toBe(200);
        expect(body.model).toBe(CHAT_MODEL);
        expect(body.choices[0].message.content.length).toBeGreaterThan(0);
      }

      // The student's own credit (none) paid nothing; the allocation did.
      await studentA.goto("/credits");
      await expect(studentA.getByRole("heading", { name: "No credit yet" })).toBeVisible();
      // Charges reach the ledger within seconds.
      const left = myCourse(studentA, course.name).locator('td[data-label="Credits left"]');
      const remaining = async () => {
        await studentA.goto("/dashboard");
        return micros(((await left.textContent()) ?? "").replace(/ of 2$/, ""));
      };
      await expect.poll(remaining).toBeLessThan(allocation);
      expect(await remaining()).toBeGreaterThan(0);
    });

    await test.step("7. the second student's playground conversation bills the course", async () => {
      await studentB.goto(`/agents/${AGENT.slug}`);
      await waitForHydration(studentB);
      await studentB.getByRole("button", { name: `Chat with ${AGENT.name}` }).click();
      await expect(studentB).toHaveURL(/\/playground\/[0-9a-f-]{36}$/);
      conversation = new URL(studentB.url()).pathname;
      await waitForHydration(studentB);

      const billing = studentB.locator(".conversation-billing");
      await billing.getByText("Bills to your own credit").click();
      await billing.getByLabel("Bill to", { exact: true }).selectOption({ label: `${course.name} (${course.code})` });
      await billing.getByRole("button", { name: "Save", exact: true }).click();
      await expect(studentB).toHaveURL(/\?done=billing$/);
      await expect(studentB.getByText(`Bills to ${course.name} (your course credit)`)).toBeVisible();
      const left = studentB
        .locator(".conversation-costs > div")
        .filter({ hasText: `Left in ${course.name}` })
        .locator("dd");
      await expect(left).toHaveText("2 credits");

      await studentB.getByLabel("Your message").fill("Which return reasons cost us most last quarter?");
      await studentB.getByRole("button", { name: "Send", exact: true }).click();
      const reply = studentB.getByRole("list", { name: "Messages" }).locator(".chat-assistant").last();
      await expect(reply).toContainText(/credits/, { timeout: 30_000 });
      const leftNow = async () => {
        await studentB.reload();
        return micros(((await left.textContent()) ?? "").replace(/\s*credits$/, ""));
      };
      await expect.poll(leftNow).toBeLessThan(allocation);

      await studentB.goto("/credits");
      await expect(studentB.getByRole("heading", { name: "No credit yet" })).toBeVisible();
    });

    let spent = 0;

    await test.step("8. the coordinator sees each student's spend, the course's usage, and exports it", async () => {
      await page.goto(coursePage);
      // Each student's figures, read again until every request is counted
      // and its charge has reached the ledger (within seconds).
      const figures = async () => {
        await page.reload();
        const of = async (email: string) => {
          const cell = async (label: string) =>
            (await studentRow(page, email).locator(`td[data-label="${label}"]`).textContent()) ?? "";
          return {
            allocated: await cell("Allocated"),
            spent: micros(await cell("Spent")),
            remaining: micros(await cell("Remaining")),
            requests: await cell("Requests"),
          };
        };
        return { [byCode.email]: await of(byCode.email), [byRoster.email]: await of(byRoster.email) };
      };
      // Per student: requests, allocated, whether some was spent, and whether the rest remains.
      const settled = async () =>
        Object.values(await figures()).map((f) => [
          f.requests,
          f.allocated,
          f.spent > 0,
          f.remaining === allocation - f.spent,
        ]);
      await expect.poll(settled).toEqual([
        ["2", "2", true, true],
        ["1", "2", true, true],
      ]);
      const read = await figures();
      const spentBy = { [byCode.email]: read[byCode.email].spent, [byRoster.email]: read[byRoster.email].spent };
      spent = spentBy[byCode.email] + spentBy[byRoster.email];

      // One student's page: their allocation and their requests.
      await studentRow(page, byCode.email).getByRole("link", { name: byCode.name }).click();
      await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}/students/[0-9a-f-]{36}$`));
      await expect(page.getByRole("heading", { level: 1, name: byCode.name })).toBeVisible();
      await expect(stat(page, "Requests")).toHaveText("2");
      await expectCredits(page, "Remaining", allocation - spentBy[byCode.email]);
      const latest = page.getByRole("table", { name: "Latest requests, newest first" }).locator("tbody tr");
      await expect(latest).toHaveCount(2);
      await expect(latest.locator('td[data-label="Model"]')).toHaveText([CHAT_MODEL, CHAT_MODEL]);

      // The usage page: totals, by model and by agent.
      await page.goto(coursePage);
      await page.getByRole("main").getByRole("link", { name: "Usage", exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`${literal(coursePage)}/usage$`));
      await expect(page.getByRole("heading", { level: 1, name: `${course.name} — usage` })).toBeVisible();
      await expect(page.getByTestId("course-usage-total")).toHaveText(
        new RegExp(`^3 requests, ${literal(credits(spent))} credits from ${day(-1)} to ${day(0)} \\(UTC\\)\\.$`),
      );
      const byModel = page.locator('section[aria-labelledby="usage-model"]').locator("tbody tr");
      await expect(byModel).toHaveCount(1);
      await expect(byModel.getByRole("rowheader")).toHaveText(CHAT_MODEL);
      await expect(byModel.locator('td[data-label="Requests"]')).toHaveText("3");
      await expect(byModel.locator('td[data-label="Credits"]')).toHaveText(credits(spent));
      const byAgent = page.locator('section[aria-labelledby="usage-agent"]');
      await expect(byAgent.locator("tbody tr")).toHaveCount(2);
      const keys = byAgent.getByRole("row").filter({ hasText: "API (keys)" });
      await expect(keys.locator('td[data-label="Requests"]')).toHaveText("2");
      await expect(keys.locator('td[data-label="Credits"]')).toHaveText(credits(spentBy[byCode.email]));
      const agent = byAgent.getByRole("row").filter({ hasText: AGENT.name });
      await expect(agent.getByRole("rowheader")).toContainText(AGENT.slug);
      await expect(agent.locator('td[data-label="Requests"]')).toHaveText("1");
      await expect(agent.locator('td[data-label="Credits"]')).toHaveText(credits(spentBy[byRoster.email]));

      // Every request, exported.
      await waitForHydration(page);
      const downloading = page.waitForEvent("download");
      await page.getByRole("link", { name: "Export every request (CSV)" }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe(`${slug}-usage.csv`);
      const text = await readFile(await download.path(), "utf8");
      const [header, ...lines] = text.trim().split("\n");
      expect(header).toBe(
        "time_utc,request_id,email,name,student_id,via,key,model,input_tokens,output_tokens,credits,status",
      );
      expect(lines, text).toHaveLength(3);
      const records = lines.map((line) => line.split(","));
      const api = records.filter((r) => r[2] === byCode.email);
      expect(api, text).toHaveLength(2);
      for (const r of api) {
        expect(r.slice(3, 8), text).toEqual([byCode.name, "", "api", keyName, CHAT_MODEL]);
        expect(r[11]).toBe("200");
      }
      const played = records.filter((r) => r[2] === byRoster.email);
      expect(played, text).toHaveLength(1);
      expect(played[0].slice(3, 8), text).toEqual([
        byRoster.name,
        "A0000002",
        `playground: ${AGENT.name}`,
        "",
        CHAT_MODEL,
      ]);
      // The export adds up to what the students spent.
      expect(records.reduce((sum, r) => sum + micros(r[10]), 0)).toBe(spent);
    });

    await test.step("9. the coordinator ends the term, and the unused allocation returns to the pool", async () => {
      await page.goto(`/institutions/${institution.slug}`);
      await expectCredits(page, "Credit pool", granted - funded);

      await page.goto(coursePage);
      await endTerm(page, coursePage, course, institution);
      await expect(
        page.getByText(
          "The term is over: students' keys stopped, and the credit they did not use went back to the institution.",
        ),
      ).toBeVisible();
      await expect(page.locator(".page-header").getByText("Ended", { exact: true })).toBeVisible();
      await expect(page.getByRole("region", { name: "Fund the course" })).toHaveCount(0);
      await expect(page.getByRole("link", { name: "End the term now…" })).toHaveCount(0);

      // Nothing is left with the students or the course.
      await page.reload();
      await expectCredits(page, "Course pool", 0);
      for (const email of [byCode.email, byRoster.email]) {
        const row = studentRow(page, email);
        await expect(row.locator('td[data-label="Status"]')).toHaveText("Ended");
        await expect(row.locator('td[data-label="Remaining"]')).toHaveText("0");
      }
      // An invitation nobody took up is dropped.
      await expect(studentRow(page, absent)).toHaveCount(0);

      // The institution's pool holds all it granted but what was spent.
      await page.getByRole("link", { name: `Back to ${institution.name}` }).click();
      await expect(page.getByRole("heading", { level: 1, name: institution.name })).toBeVisible();
      await expectCredits(page, "Credit pool", granted - spent);
      const row = page.getByRole("region", { name: "Courses table" }).getByRole("row").filter({ hasText: course.name });
      await expect(row.locator('td[data-label="Status"]')).toHaveText("Ended");
      await expect(row.locator('td[data-label="Spent"]')).toHaveText(credits(spent));
      await expect(row.locator('td[data-label="Pool"]')).toHaveText("0");
      await admin.goto("/admin/institutions");
      await expect(
        admin.getByRole("row").filter({ hasText: institution.slug }).locator('td[data-label="Pool"]'),
      ).toHaveText(credits(granted - spent));

      // The trail tells it all.
      await page.goto(`${coursePage}/audit`);
      await expect(page.getByRole("heading", { level: 1, name: `${course.name} — audit` })).toBeVisible();
      const what = page.getByRole("region", { name: "Audit trail" }).locator('td[data-label="What"]');
      const once = ["create", "fund", "rotate_code", "roster", "end", "reclaim"].map((a) => `cohort.${a}`);
      for (const action of once) {
        await expect(what.filter({ hasText: new RegExp(`^${literal(action)}$`) }), action).toHaveCount(1);
      }
      await expect(what.filter({ hasText: /^cohort\.join$/ })).toHaveCount(2);

      // The students see the term over.
      await studentB.goto("/dashboard");
      const mine = myCourse(studentB, course.name);
      await expect(mine.locator('td[data-label="Status"]')).toHaveText("Ended");
      await expect(mine.locator('td[data-label="Credits left"]')).toHaveText("0 of 2");
      await expect(mine.locator('td[data-label="Days left"]')).toHaveText("Term over");
    });

    await test.step("10. the allocation is spent no more: the key and the conversation are refused", async () => {
      const refused = await chat(request, key);
      const body = await refused.json();
      expect(refused.status(), JSON.stringify(body)).toBe(403);
      expect(body.error.code, JSON.stringify(body)).toBe("course_ended");

      await studentB.goto(conversation);
      await waitForHydration(studentB);
      await expect(studentB.locator(".conversation-billing summary")).toHaveText(
        `Bills to ${course.name} (your course credit)`,
      );
      // The agent's opening and its one reply.
      const replies = studentB.getByRole("list", { name: "Messages" }).locator(".chat-assistant");
      await expect(replies).toHaveCount(2);
      await studentB.getByLabel("Your message").fill("And this quarter?");
      await studentB.getByRole("button", { name: "Send", exact: true }).click();
      const ended = "The course this conversation bills has ended: bill it to your own credit instead.";
      await expect(studentB.getByRole("alert").filter({ hasText: ended })).toHaveText(ended);
      await studentB.reload();
      await expect(replies).toHaveCount(2);
    });

    await studentA.context().close();
    await studentB.context().close();
    await admin.context().close();
  });

  // Ending a term revokes the course's keys; past the proxy's few seconds
  // of trust in a key lookup, the student is still told why.
  test("once the term has ended, a course's key is refused with 403 course_ended", async ({
    page,
    browser,
    request,
  }, testInfo) => {
    test.setTimeout(120_000);
    const coordinator = newDeveloper(testInfo, "course-ended");
    const institution = newInstitution(coordinator, testInfo);
    const student = newStudent(testInfo, "course-ended-student", institution.domain, "Dorothy Vaughan");
    const course: Course = {
      name: `Numerical Methods ${institution.slug.split("-").pop()}`,
      code: "MA3227",
      allocation: "1",
      maxStudents: "1",
    };

    const admin = await signInAsAdmin(browser);
    await signUpVerified(page, admin, coordinator);
    await setUpInstitution(admin, institution, coordinator.email, "1");
    await page.goto(`/institutions/${institution.slug}`);
    const slug = await createCourse(page, course);
    const coursePage = `/courses/${slug}`;
    await fundAndOpen(page, coursePage, "1");
    const code = await joinCode(page);

    const learner = await secondPerson(browser);
    await signUpVerified(learner, admin, student);
    await joinWithCode(learner, code, course);
    const key = await courseKey(learner, slug, course, "thesis");
    expect((await chat(request, key)).status()).toBe(200);

    await page.reload();
    await endTerm(page, coursePage, course, institution);
    // Past the proxy's 3-second trust in a key lookup.
    await page.waitForTimeout(3_500);
    for (let i = 0; i < 2; i++) {
      const refused = await chat(request, key);
      const body = await refused.json();
      expect(refused.status(), JSON.stringify(body)).toBe(403);
      expect(body.error.code, JSON.stringify(body)).toBe("course_ended");
      expect(body.error.message).toBe(
        "The course this API key bills has ended; its credit went back to the institution.",
      );
    }
    await learner.context().close();
    await admin.context().close();
  });

  test("without JavaScript a coordinator creates a course, previews a roster and invites it", async ({
    page,
    browser,
  }, testInfo) => {
    test.setTimeout(120_000); // a sign-up, an admin, a few pages
    const coordinator = newDeveloper(testInfo, "course-nojs");
    const institution = newInstitution(coordinator, testInfo);
    const first = newStudent(testInfo, "course-nojs-a", institution.domain, "Mary Somerville").email;
    const second = newStudent(testInfo, "course-nojs-b", institution.domain, "Emmy Noether").email;
    const course: Course = {
      name: `Data Structures ${institution.slug.split("-").pop()}`,
      code: "CS2040",
      allocation: "1.5",
      maxStudents: "40",
    };

    const admin = await signInAsAdmin(browser);
    await signUpVerified(page, admin, coordinator);
    await setUpInstitution(admin, institution, coordinator.email, "60");

    // The same coordinator, in a browser without JavaScript.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto("/signin");
    await submitSignIn(plain, coordinator.email, coordinator.password);
    await expect(plain).toHaveURL(/\/dashboard$/);
    await plain.goto(`/institutions/${institution.slug}`);
    await expect(plain.getByRole("heading", { level: 1, name: institution.name })).toBeVisible();
    const slug = await createCourse(plain, course, { js: false });
    const coursePage = `/courses/${slug}`;

    const roster = [
      "email,name,student_id",
      `${first},Mary Somerville,B01`,
      `${second},Emmy Noether,B02`,
      "not-an-address,Nobody,B03",
    ].join("\n");
    const check = async () => {
      await rosterSection(plain).getByLabel("Or paste the roster", { exact: true }).fill(roster);
      await rosterSection(plain).getByRole("button", { name: "Check the roster" }).click();
      await expect(plain).toHaveURL(new RegExp(`${literal(coursePage)}\\?roster=[0-9a-f-]{36}$`));
    };

    await check();
    await expect(plain.getByTestId("roster-summary")).toHaveText(
      /^Pasted roster, uploaded .+: 2 of 3 rows would be invited\.$/,
    );
    await expect(rosterRow(plain, first)).toContainText("Will be invited");
    await expect(rosterRow(plain, second)).toContainText("Will be invited");
    await expect(rosterRow(plain, "not-an-address")).toContainText("Not an email address.");

    await plain.getByRole("button", { name: "Invite 2 students" }).click();
    await expect(plain).toHaveURL(new RegExp(`${literal(coursePage)}\\?done=invited$`));
    await expect(
      plain.getByText("The roster is uploaded: each new address got an email with the join link."),
    ).toBeVisible();
    for (const email of [first, second]) {
      await expect(studentRow(plain, email).locator('td[data-label="Status"]')).toHaveText("Invited");
    }
    await expect(studentsSection(plain).locator("tbody tr")).toHaveCount(2);

    // Checked again, the roster invites nobody twice.
    await check();
    await expect(plain.getByTestId("roster-summary")).toHaveText(/: 0 of 3 rows would be invited\.$/);
    await expect(rosterRow(plain, first)).toContainText("Invited before");
    await expect(plain.getByRole("button", { name: /^Invite \d+ students$/ })).toHaveCount(0);

    // The invitation went out, with the course's join link.
    const link = await linkFromOutbox(admin, first, `Join ${course.name} (${course.code}) on Lab Portal`);
    expect(link).toMatch(/\/join\/[A-Z0-9]{8}$/);

    await context.close();
    await admin.context().close();
  });
});
