import { expect, Page, test } from "@playwright/test";
import { signInAsAdmin, waitForHydration } from "./helpers";

/** A name nobody has used yet: tests run in parallel in several projects. */
function unique(label: string, project: string): string {
  const stamp = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  return `${label}-${project}-${stamp}`.toLowerCase();
}

/** Opens the models page from the admin navigation. */
async function openModels(admin: Page) {
  await admin.goto("/admin");
  await waitForHydration(admin);
  await admin.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Models" }).click();
  await expect(admin).toHaveURL(/\/admin\/models$/);
  await expect(admin.getByRole("heading", { level: 1, name: "Models" })).toBeVisible();
}

test.describe("providers and models with JavaScript", () => {
  test("an admin adds a provider and a priced model, disables the model and sees the list follow", async ({
    browser,
  }, testInfo) => {
    test.slow(); // four forms, each followed by the list
    const providerName = unique("Acme", testInfo.project.name);
    const modelId = unique("acme-chat", testInfo.project.name);
    const admin = await signInAsAdmin(browser);

    // 1. The simulator ships with the portal and is labelled as such.
    await openModels(admin);
    const providers = admin.locator('section[aria-labelledby="providers-heading"]');
    await expect(providers.getByRole("row").filter({ hasText: "simulator" })).toContainText("Simulator");

    // 2. A provider: first with a mistake, shown next to its field.
    await admin.getByRole("link", { name: "Add a provider" }).click();
    await expect(admin).toHaveURL(/\/admin\/models\/providers\/new$/);
    await expect(admin.getByRole("heading", { level: 1, name: "Add a provider" })).toBeVisible();
    await waitForHydration(admin);
    await admin.getByLabel("Name", { exact: true }).fill(providerName);
    await admin.getByLabel("Base URL", { exact: true }).fill("https://api.acme.example/v1");
    await admin.getByLabel("Secret environment variable", { exact: true }).fill("sk-not-a-name");
    await admin.getByRole("button", { name: "Add provider" }).click();
    const secretField = admin.getByLabel("Secret environment variable", { exact: true });
    await expect(secretField).toHaveAttribute("aria-invalid", "true");
    await expect(admin.locator("#secret_env-error")).toContainText("not the secret itself");
    await expect(secretField).toHaveAttribute("aria-describedby", "secret_env-hint secret_env-error");
    await secretField.fill("ACME_E2E_API_KEY");
    await admin.getByRole("button", { name: "Add provider" }).click();
    await expect(admin).toHaveURL(/\/admin\/models\?done=provider-created$/);
    await expect(admin.getByText("The provider is added.")).toBeVisible();
    const providerRow = providers.getByRole("row").filter({ hasText: providerName });
    await expect(providerRow).toContainText("https://api.acme.example/v1");
    await expect(providerRow).toContainText("ACME_E2E_API_KEY");
    await expect(providerRow.getByRole("cell").nth(2)).toHaveText("No"); // the variable is not set
    await expect(providerRow).toContainText("60,000 ms");

    // 3. A priced model on it.
    await waitForHydration(admin);
    await admin.getByRole("link", { name: "Add a model" }).click();
    await expect(admin).toHaveURL(/\/admin\/models\/new$/);
    await expect(admin.getByRole("heading", { level: 1, name: "Add a model" })).toBeVisible();
    await waitForHydration(admin);
    await admin.getByLabel("Model id", { exact: true }).fill(modelId);
    await admin.getByLabel("Provider", { exact: true }).selectOption({ label: providerName });
    await admin.getByLabel("Upstream model", { exact: true }).fill("acme-large-2");
    await admin.getByLabel("Kind", { exact: true }).selectOption("chat");
    await admin.getByLabel("Input price (credits per 1M tokens)", { exact: true }).fill("0.5");
    await admin.getByLabel("Output price (credits per 1M tokens)", { exact: true }).fill("1.25");
    await admin.getByLabel("Context window (tokens)", { exact: true }).fill("32000");
    await admin.getByLabel("Max output (tokens)", { exact: true }).fill("64000");
    await admin.getByRole("button", { name: "Add model" }).click();
    await expect(admin.locator("#max_output_tokens-error")).toContainText("cannot be larger than the context window");
    await admin.getByLabel("Max output (tokens)", { exact: true }).fill("4000");
    await admin.getByRole("button", { name: "Add model" }).click();
    await expect(admin).toHaveURL(/\/admin\/models\?done=model-created$/);
    await expect(admin.getByText("The model is added and enabled.")).toBeVisible();

    const models = admin.locator('section[aria-labelledby="models-heading"]');
    const modelRow = models.getByRole("row").filter({ hasText: modelId });
    await expect(modelRow).toContainText(providerName);
    await expect(modelRow).toContainText("acme-large-2");
    await expect(modelRow).toContainText("0.5");
    await expect(modelRow).toContainText("1.25");
    await expect(modelRow).toContainText("32,000");
    await expect(modelRow).toContainText("4,000");
    await expect(modelRow).toContainText("Enabled");
    await expect(modelRow).not.toContainText("Unpriced");
    await expect(providerRow.getByRole("cell").last()).toHaveText("1");

    // 4. Disabled from the list, and enabled again.
    await waitForHydration(admin);
    await modelRow.getByRole("button", { name: `Disable ${modelId}` }).click();
    await expect(admin).toHaveURL(/\/admin\/models\?done=model-disabled$/);
    await expect(admin.getByText("The model is disabled: the API no longer serves it.")).toBeVisible();
    await expect(modelRow).toContainText("Disabled");
    await expect(modelRow.getByRole("button", { name: `Enable ${modelId}` })).toBeVisible();

    // 5. Its edit page shows the saved prices; removing one leaves it unpriced.
    await modelRow.getByRole("link", { name: modelId }).click();
    await expect(admin).toHaveURL(/\/admin\/models\/[0-9a-f-]{36}$/);
    await expect(admin.getByRole("heading", { level: 1 })).toContainText(modelId);
    await waitForHydration(admin);
    const output = admin.getByLabel("Output price (credits per 1M tokens)", { exact: true });
    await expect(output).toHaveValue("1.25");
    await output.fill("");
    await admin.getByRole("button", { name: "Save model" }).click();
    await expect(admin).toHaveURL(/\/admin\/models\?done=model-updated$/);
    await expect(modelRow).toContainText("Unpriced — not served");
    await expect(modelRow).toContainText("Disabled");

    await admin.context().close();
  });
});
