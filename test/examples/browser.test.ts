/**
 * examples/browser/ in a real browser (headless chromium through playwright-core, as the console
 * tests run it): serve.mjs serves the page and the CometD browser build and forwards /api/* to a
 * real server; signing in on the page goes Ready, and a call sent to the agent shows up in the
 * page's notification log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from '../console/browser.js';
import { ExampleProcess, startServer } from './example-process.js';

const ADMIN = 'Basic ' + Buffer.from('admin:demo').toString('base64');

test('the browser example signs in, goes Ready and shows a ringing call', async () => {
  const { app, baseUrl } = await startServer();
  const serve = new ExampleProcess('examples/browser/serve.mjs', { SWITCHBOARD_URL: baseUrl, PORT: '0' });
  const browser = await launchBrowser();
  try {
    const started = await serve.waitFor(/^browser example on (http:\/\/127\.0\.0\.1:\d+)\//, 'the example server');
    const pageUrl = /^browser example on (\S+)/.exec(started)![1];
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto(pageUrl);
    await page.getByRole('button', { name: 'Sign in and go Ready' }).click();
    await page.getByRole('status').filter({ hasText: 'agent1 is Ready' }).waitFor({ timeout: 10_000 });
    const sim = await (await fetch(`${baseUrl}/sim/v1/calls`, { method: 'POST', headers: { Authorization: ADMIN, 'Content-Type': 'application/json' }, body: JSON.stringify({ from: '+15551234567', to: '5001' }) })).json();
    assert.equal(sim.statusCode, 0, JSON.stringify(sim));
    await page.locator('#log').filter({ hasText: new RegExp(`CallStateChangeMessage \\S+ Ringing ${sim.callUuid}`) }).waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    assert.equal(await serve.stop(), 0);
    await app.close();
  }
});
