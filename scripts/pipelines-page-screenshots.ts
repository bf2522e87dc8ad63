/**
 * The pipelines page's screenshots in docs/, taken the way the tests drive the page: the Stripe
 * API emulator, `serve` from the build (run `npm run build` first), headless Chromium.
 *
 *     npm run build && npx tsx scripts/pipelines-page-screenshots.ts
 *
 * Writes docs/pipelines-page.png (the list), -edit.png (the form with a preview), -history.png
 * (a pipeline's runs and a run's log), -delete.png (Delete asking about the table) and
 * -narrow.png (a phone-sized window).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../test/emulator';
import { launchChromium } from '../test/support/chromium';
import { configFor } from '../test/support/stripe';
import { runNow } from '../test/standalone/support/serve-api';
import { startServe, writeConfig } from '../test/standalone/support/standalone';

const DOCS = join(__dirname, '..', 'docs');

async function main(): Promise<void> {
  const emulator = await startEmulator({ customers: 400, seed: 7 });
  emulator.advanceClock(3_600);
  const config = writeConfig(
    configFor(emulator, {
      customer_model: [
        { name: 'email', type: 'string' },
        { name: 'plan', type: 'string' },
        { name: 'signed_up', type: 'datetime' },
      ],
      pipelines: [
        { name: 'customers', description: 'Every customer, as Stripe returns it', schedule: '1h' },
        {
          name: 'pro_customers',
          description: 'Customers on the pro plan, in our Customer Model',
          schedule: '15m',
          filter: {
            logical: 'all',
            conditions: [{ property: 'metadata.plan', operator: 'is', values: ['pro'] }],
          },
          transformation: {
            type: 'mapping',
            mappings: [
              { to: 'email', from: 'lower(trim(email))' },
              { to: 'plan', from: 'metadata.plan' },
              { to: 'signed_up', from: 'created' },
            ],
          },
        },
        {
          name: 'crm',
          description: 'Customers with an email, for the CRM (JavaScript)',
          on_error: 'skip',
          transformation: {
            type: 'javascript',
            source:
              "function transform(c) {\n  if (c.metadata.plan === 'starter') throw new Error('no CRM seat for starter');\n  return { email: c.email };\n}",
          },
        },
      ],
    }),
  );
  const warehouse = join(mkdtempSync(join(tmpdir(), 'screenshots-')), 'warehouse.duckdb');
  const server = await startServe([
    '--config',
    config,
    '--destination',
    `duckdb:${warehouse}`,
    '--timezone',
    'UTC',
  ]);
  const browser = await launchChromium();
  try {
    for (const name of ['customers', 'pro_customers', 'crm']) await runNow(server, name);
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await page.goto(server.url);
    await page.screenshot({ path: join(DOCS, 'pipelines-page.png'), fullPage: true });

    await page.goto(`${server.url}/pipelines/pro_customers/edit`);
    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.getByLabel('Condition 2 property').fill('address.country');
    await page.getByLabel('Condition 2 operator').selectOption('is_one_of');
    await page.getByLabel('Condition 2 values').fill('FR\nDE\nGB');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('region', { name: 'Preview' }).waitFor();
    await page.screenshot({ path: join(DOCS, 'pipelines-page-edit.png'), fullPage: true });

    await page.goto(`${server.url}/pipelines/crm`);
    await page
      .getByText(/^log \(/)
      .first()
      .click();
    await page.screenshot({ path: join(DOCS, 'pipelines-page-history.png'), fullPage: true });

    await page.goto(`${server.url}/pipelines/crm/delete`);
    await page.screenshot({ path: join(DOCS, 'pipelines-page-delete.png') });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(server.url);
    await page.screenshot({ path: join(DOCS, 'pipelines-page-narrow.png') });
    process.stdout.write(`screenshots written to ${DOCS}\n`);
  } finally {
    await browser.close();
    await server.stop();
    await emulator.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
