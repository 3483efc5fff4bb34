/**
 * `npm run screenshots`: writes docs/screenshots/agent.png, supervisor.png and audit.png, the
 * pictures the README's "Console" section links, from the real console in Debian's chromium
 * (the harness of test/console): an agent on an answered call with user data, the supervisor
 * coaching that agent from the Team view (the monitoring panel and its who-hears-whom graph), and
 * the audit view. Prints the bundle's size. Guarantees: every picture is taken only once what it
 * shows is on the page (each step waits for its element, with a timeout that fails loudly); the
 * server and the browser are always closed.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildConsole } from './build-console.js';
import { api, launchBrowser, startServer } from '../test/console/browser.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
const WAIT = 15_000;

async function signIn(page: Page, baseUrl: string, userName: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('User name').fill(userName);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Start voice session' }).click({ timeout: WAIT });
  await page.getByLabel('State').waitFor({ timeout: WAIT });
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const agent = await browser.newPage();
    await signIn(agent, server.baseUrl, 'agent1');
    await agent.getByLabel('State').selectOption({ label: 'Ready' });
    await agent.getByRole('button', { name: 'Set', exact: true }).click();
    const { callUuid } = await api(server, 'admin', 'POST', '/sim/v1/calls', { from: '+15550001111', to: '5001', userData: { Account: 'AC-42', Reason: 'Billing question' } });
    const card = agent.getByRole('article', { name: 'Call with +15550001111' });
    await card.getByRole('button', { name: 'Answer' }).click({ timeout: WAIT });
    await card.getByRole('button', { name: 'Hang up' }).waitFor({ timeout: WAIT });

    const supervisor = await browser.newPage();
    await signIn(supervisor, server.baseUrl, 'supervisor1');
    await supervisor.getByRole('button', { name: 'Team' }).click();
    const row = supervisor.locator('tr[data-agent="agent1"]');
    await row.filter({ hasText: '+15550001111' }).waitFor({ timeout: WAIT });
    await row.getByRole('button', { name: 'Coach', exact: true }).click();
    await supervisor.getByRole('region', { name: 'Monitoring' }).getByRole('list', { name: 'Who hears whom' }).waitFor({ timeout: WAIT });
    await card.getByText(/Supervisor .* is on this call/).waitFor({ timeout: WAIT });
    await agent.screenshot({ path: join(OUT, 'agent.png'), fullPage: true });
    await supervisor.screenshot({ path: join(OUT, 'supervisor.png'), fullPage: true });

    await supervisor.getByRole('button', { name: 'Audit' }).click();
    await supervisor.getByRole('table', { name: 'Audit entries, oldest first' }).waitFor({ timeout: WAIT });
    await supervisor.screenshot({ path: join(OUT, 'audit.png'), fullPage: true });
    console.log(`screenshots written to docs/screenshots (call ${callUuid})`);
  } finally {
    await browser.close();
    await server.close();
  }
  const bundle = await buildConsole();
  console.log(`bundle: ${bundle.js} ${bundle.jsBytes} bytes, ${bundle.css} ${bundle.cssBytes} bytes (minified, before compression)`);
}

main().catch((err: unknown) => {
  console.error(`screenshots failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
