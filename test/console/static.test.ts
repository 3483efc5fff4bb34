/**
 * The console's static route (src/gws/routes/console.ts) against a build folder the test makes:
 * index.html at / and /console with no-cache and the Content-Security-Policy, a hashed asset with
 * immutable caching and its content type, names that are not plain asset names (traversal, dot
 * files, unknown types) answered with the GWS 404 envelope, and an unbuilt console answered 503
 * with the build command, never a 500.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Router } from '../../src/gws/router.js';
import { consoleRoutes } from '../../src/gws/routes/console.js';

let built: FastifyInstance;
let unbuilt: FastifyInstance;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-console-static-'));
  mkdirSync(join(dir, 'build', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'build', 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'build', 'assets', 'console-ABC123.js'), 'export {};');
  writeFileSync(join(dir, 'build', 'assets', '.hidden.js'), 'secret');
  writeFileSync(join(dir, 'secret.js'), 'secret');
  built = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  consoleRoutes(new Router(built), join(dir, 'build'));
  unbuilt = Fastify();
  consoleRoutes(new Router(unbuilt), join(dir, 'nothing-here'));
});

after(async () => {
  await built.close();
  await unbuilt.close();
  rmSync(dir, { recursive: true, force: true });
});

test('index.html at / and /console/: no-cache, a CSP that allows only this server', async () => {
  for (const url of ['/', '/console', '/console/']) {
    const r = await built.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 200, url);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(String(r.headers['content-type']), /^text\/html; charset=utf-8/);
    assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String(r.headers['content-security-policy']), /worker-src 'self' blob:/, 'the CometD client schedules its timers in a blob: Worker');
    assert.equal(r.body, '<!doctype html><title>t</title>');
  }
});

test('a hashed asset: immutable for a year, with its content type', async () => {
  const r = await built.inject({ method: 'GET', url: '/console/assets/console-ABC123.js' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(r.body, 'export {};');
});

test('anything but a plain asset name of the build is the GWS 404 envelope', async () => {
  for (const url of ['/console/assets/..%2Fsecret.js', '/console/assets/.hidden.js', '/console/assets/console-ABC123.exe', '/console/assets/missing-XYZ.js', '/console/assets/%2e%2e%2fsecret.js']) {
    const r = await built.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 404, url);
    const body = JSON.parse(r.body);
    assert.deepEqual(Object.keys(body).sort(), ['statusCode', 'statusMessage'], url);
    assert.equal(body.statusCode, 6);
  }
});

test('an unbuilt console is 503 with the build command', async () => {
  const r = await unbuilt.inject({ method: 'GET', url: '/' });
  assert.equal(r.statusCode, 503);
  const body = JSON.parse(r.body);
  assert.equal(body.statusCode, 4);
  assert.match(body.statusMessage, /npm run build:console/);
});
