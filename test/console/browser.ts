/**
 * What the console tests and `npm run screenshots` share: Debian's chromium (installed by
 * scripts/install-browser.sh when missing and running as root, else a clear error: these tests are
 * never skipped), launched headless with the flags of the brief and a fresh user-data directory,
 * through playwright-core, one isolated context per page; the real app on a free port with a database file (so a restart keeps the
 * sessions), restartable on the same port; and the browser's console errors, collected per page.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import type { Config } from '../../src/config/types.js';
import { buildConsole } from '../../scripts/build-console.js';

export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing: run scripts/install-browser.sh as root`);
  execFileSync('sh', [join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', 'scripts', 'install-browser.sh')], { stdio: 'inherit' });
  if (!existsSync(CHROMIUM)) throw new Error(`scripts/install-browser.sh ran but ${CHROMIUM} is still missing`);
}

export interface Browser {
  /** a fresh, isolated context (its own cookies and storage: one signed-in user each), 1280 × 860 unless told */
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Chromium with the flags above. Playwright's launch() gives it a fresh temporary user-data
 * directory of its own (and refuses a --user-data-dir argument); every page gets its own context,
 * so two users never share a cookie. The page's Content-Security-Policy is enforced, as in a user's browser
 * (axe-core is evaluated through the DevTools protocol, which CSP does not govern).
 */
export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 });
  const contexts: BrowserContext[] = [];
  return {
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 860 } });
      contexts.push(context);
      return context.newPage();
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

/** console errors and uncaught page errors of one page, as text */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

export interface Server {
  app: App;
  baseUrl: string;
  port: number;
  /** stop the app and start a new one on the same port and database (a server restart) */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** the app on a free port with the demo contact center, after a fresh console build */
export async function startServer(over: Partial<Config> = {}): Promise<Server> {
  await buildConsole();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-console-db-'));
  const config = testConfig({ contactCenters: [demoContactCenter()], database: join(dir, 'switchboard.db'), port: 0, ...over });
  let app = await createApp(config);
  let { baseUrl, port } = await app.listen();
  const server: Server = {
    get app() {
      return app;
    },
    baseUrl,
    port,
    async restart(whileDown) {
      await app.close();
      if (whileDown) await whileDown();
      app = await createApp({ ...config, port });
      ({ baseUrl, port } = await app.listen());
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** a REST call as a given user (Basic), for the test's own moves (the simulated customer, checks) */
export async function api(server: Server, user: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await fetch(server.baseUrl + path, {
    method,
    headers: { Authorization: 'Basic ' + Buffer.from(`${user}:demo`).toString('base64'), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (json.statusCode !== 0) throw new Error(`${user} ${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
