/**
 * Takes the README's screenshots of the package in a real n8n editor, headless (Chromium driven by
 * playwright-core). Run by `N8N_E2E_SCREENSHOTS=1 npm run e2e:n8n`, against the n8n that
 * scripts/n8n-e2e.sh starts: the package installed from its tarball in ~/.n8n/nodes, the
 * emulator's credentials and test/n8n/e2e/showcase-workflow.json imported, the owner set up.
 *
 *   N8N_URL=… N8N_EMAIL=… N8N_PASSWORD=… npx tsx n8n-node/scripts/screenshots.ts <outDir>
 *
 * Each shot is one panel, as a user sees it, saved as a PNG in <outDir>.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../test/support/chromium';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

const WORKFLOW = 'stripeCustShow01';
/** The workflow the node panels are shown from, as imported (n8n autosaves the shots' edits). */
const SHOWCASE = JSON.parse(
  readFileSync(join(__dirname, '../../test/n8n/e2e/showcase-workflow.json'), 'utf8'),
) as { id: string; name: string; nodes: unknown[]; connections: unknown; settings: unknown };
const ACTION_NODE = '9a1d0c3e-5f4b-4c2a-8e7d-1b2c3d4e5f02';
const TRIGGER_NODE = '9a1d0c3e-5f4b-4c2a-8e7d-1b2c3d4e5f03';
const CUSTOMERS_ONLY_CREDENTIAL = 'stripeCustOnly01';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const base = required('N8N_URL');
const outDir = process.argv[2] ?? join(__dirname, '..', 'docs');

type Session = Awaited<ReturnType<BrowserContext['storageState']>>;

/**
 * Signs in once (n8n limits sign-ins per minute) and keeps the session: every shot then gets a
 * browser context of its own with it, so an edit made for one shot never reaches another.
 */
async function signIn(browser: Browser): Promise<Session> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.fill('input[name=emailOrLdapLoginId]', required('N8N_EMAIL'), { timeout: 120_000 });
  await page.fill('input[name=password]', required('N8N_PASSWORD'));
  await page.click('[data-test-id=form-submit-button]');
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 60_000 });
  const session = await context.storageState();
  await context.close();
  return session;
}

/** A signed-in page of the given height (n8n's panels fill the window). */
async function pageOf(browser: Browser, session: Session, height: number): Promise<Page> {
  const context = await browser.newContext({
    storageState: session,
    viewport: { width: 1440, height },
    deviceScaleFactor: 1,
  });
  return context.newPage();
}

async function shot(target: Locator | Page, name: string): Promise<void> {
  const path = join(outDir, `${name}.png`);
  await target.screenshot({ path, animations: 'disabled' });
  process.stdout.write(`screenshot: ${path}\n`);
}

/**
 * Puts the showcase workflow back as imported, through n8n's REST API with the editor's session
 * (n8n autosaves the edits a shot makes, such as an n8n expression typed into From).
 */
async function restoreShowcase(page: Page): Promise<void> {
  await page.goto(`${base}/home/workflows`);
  const headers = {
    'browser-id': String(await page.evaluate("localStorage.getItem('n8n-browserId') ?? ''")),
  };
  const url = `${base}/rest/workflows/${WORKFLOW}`;
  const current = (await (await page.request.get(url, { headers })).json()) as {
    data: { versionId: string };
  };
  const restored = await page.request.patch(url, {
    headers,
    data: {
      name: SHOWCASE.name,
      nodes: SHOWCASE.nodes,
      connections: SHOWCASE.connections,
      settings: SHOWCASE.settings,
      versionId: current.data.versionId,
    },
  });
  if (!restored.ok()) {
    throw new Error(`could not restore ${WORKFLOW}: ${restored.status()} ${await restored.text()}`);
  }
}

/** The node's panel (NDV) of the showcase workflow as imported, once its parameters are drawn. */
async function openNode(page: Page, nodeId: string): Promise<Locator> {
  await restoreShowcase(page);
  await page.goto(`${base}/workflow/${WORKFLOW}/${nodeId}`);
  const ndv = page.locator('[data-test-id=ndv]');
  await ndv.locator('[data-test-id=node-parameters]').waitFor({ timeout: 60_000 });
  // Fonts and icons settle after the panel opens.
  await page.waitForTimeout(1_500);
  return ndv;
}

/**
 * Leaves the workflow before closing the page: n8n lets one editor at a time change a workflow,
 * and the next shot's page must not find it still held by this one.
 */
async function leave(page: Page): Promise<void> {
  await page.goto(`${base}/home/workflows`);
  await page.waitForTimeout(1_500);
  await page.context().close();
}

async function executeStep(page: Page): Promise<void> {
  await page
    .locator('[data-test-id=ndv] [data-test-id=node-execute-button]')
    .first()
    .click()
    .catch(async (error: unknown) => {
      await page.screenshot({ path: '/tmp/n8n-screenshots-failed.png' });
      throw error;
    });
  await page
    .locator('[data-test-id=output-panel]')
    .getByText(/items?|Stripe|error|problem/i)
    .first()
    .waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1_500);
  // The "Node executed" toast would cover part of the panel.
  for (const close of await page.locator('.el-notification__closeBtn').all()) {
    await close.click().catch(() => undefined);
  }
  await page.waitForTimeout(500);
}

/** The credential dialog with a Customers-only key: tested when opened. */
async function credential(browser: Browser, session: Session): Promise<void> {
  const page = await pageOf(browser, session, 900);
  await page.goto(`${base}/home/credentials/${CUSTOMERS_ONLY_CREDENTIAL}`);
  const modal = page.locator('[data-test-id=editCredential-modal]');
  await modal.locator('[data-test-id=credentials-config-container-test-success]').waitFor({
    state: 'visible',
    timeout: 60_000,
  });
  await page.waitForTimeout(1_000);
  await shot(modal, 'credential');
  await leave(page);
}

/** The action node: conditions, the Customer Model with its From column, and its output. */
async function actionNode(browser: Browser, session: Session): Promise<void> {
  const page = await pageOf(browser, session, 1450);
  const ndv = await openNode(page, ACTION_NODE);
  await executeStep(page);
  // JSON shows every field of an item, the n8n bookkeeping (_stripe_change, …) included.
  await ndv.locator('[data-test-id=output-panel] [data-test-id=radio-button-json]').click();
  await page.waitForTimeout(800);
  await shot(ndv, 'action-node');

  // The Operator list of a date property: the operators that fit dates.
  const operator = ndv.locator('[data-test-id=parameter-input-operator]').nth(1);
  await operator.click();
  await page.waitForTimeout(800);
  const box = await operator.boundingBox();
  if (box) {
    await page.screenshot({
      path: join(outDir, 'operators-for-a-date.png'),
      clip: { x: box.x - 20, y: box.y - 70, width: box.width + 40, height: 470 },
    });
    process.stdout.write(`screenshot: ${join(outDir, 'operators-for-a-date.png')}\n`);
  }
  await page.keyboard.press('Escape');
  await leave(page);
}

/** An n8n expression typed into From: the error names the field and the fix. */
async function fromMixUp(browser: Browser, session: Session): Promise<void> {
  const page = await pageOf(browser, session, 900);
  const ndv = await openNode(page, ACTION_NODE);
  const from = ndv.locator('[data-test-id=parameter-input-from]').nth(2).locator('input, textarea');
  await from.first().fill('{{ $json.address.country }}');
  await page.keyboard.press('Tab');
  await executeStep(page);
  // The From fields and the error next to them.
  const fromBox = await from.first().boundingBox();
  const output = await ndv.locator('[data-test-id=output-panel]').boundingBox();
  if (!fromBox || !output) throw new Error('the From field or the output panel is not on screen');
  await page.screenshot({
    path: join(outDir, 'error-in-editor-words.png'),
    clip: {
      x: fromBox.x - 40,
      y: output.y,
      width: output.x + output.width - fromBox.x + 40,
      height: 330,
    },
  });
  process.stdout.write(`screenshot: ${join(outDir, 'error-in-editor-words.png')}\n`);
  await leave(page);
}

/** "Only Changed Since Last Run" in a manual run: the notice, the preview limit, the hint. */
async function onlyChangedPreview(browser: Browser, session: Session): Promise<void> {
  const page = await pageOf(browser, session, 900);
  const ndv = await openNode(page, ACTION_NODE);
  await ndv.locator('[data-test-id=parameter-input-onlyChanged]').click();
  await page.waitForTimeout(500);
  await executeStep(page);
  await shot(ndv, 'only-changed-preview');
  await leave(page);
}

/** The trigger's panel, after "Fetch Test Event". */
async function triggerNode(browser: Browser, session: Session): Promise<void> {
  const page = await pageOf(browser, session, 1000);
  const ndv = await openNode(page, TRIGGER_NODE);
  await executeStep(page);
  await shot(ndv, 'trigger-node');
  await leave(page);
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const browser = await launchChromium();
  try {
    const session = await signIn(browser);
    for (const take of [credential, actionNode, fromMixUp, onlyChangedPreview, triggerNode]) {
      await take(browser, session);
    }
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
