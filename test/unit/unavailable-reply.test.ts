/**
 * The "retry later" answer of a cluster node (issue 11): a command the cluster cannot apply now
 * (src/cluster/contract.ts ownerUnavailable / ownerSilent) is answered through the one error
 * table as GWS statusCode 4 ("a backend is unavailable", gws-voice-api.md 1.5) with HTTP 503 and a
 * Retry-After header in seconds, the body only statusCode and statusMessage; the message says what
 * happened, whether anything was changed, and when to retry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { ERROR_TABLE, ErrorCode, fail, type Result } from '../../src/errors.js';
import { makeErrorHandler, unwrap } from '../../src/gws/reply.js';
import { ownerSilent, ownerUnavailable } from '../../src/cluster/contract.js';

async function answerTo(refusal: Result<never>) {
  const app = Fastify();
  app.setErrorHandler(makeErrorHandler(1024));
  app.post('/command', async () => unwrap(refusal));
  try {
    const res = await app.inject({ method: 'POST', url: '/command' });
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() };
  } finally {
    await app.close();
  }
}

test('a command the cluster cannot apply now: statusCode 4, HTTP 503, Retry-After, nothing was changed', async () => {
  const a = await answerTo(ownerUnavailable('cc-1', 'no node owns it, after 6000 ms'));
  assert.equal(a.status, 503);
  assert.equal(a.retryAfter, String(ERROR_TABLE.Unavailable.retryAfterSec));
  assert.deepEqual(Object.keys(a.body).sort(), ['statusCode', 'statusMessage']);
  assert.equal(a.body.statusCode, 4);
  assert.match(a.body.statusMessage, /^The switch of contact center cc-1 is moving to another node or out of reach \(no node owns it, after 6000 ms\): nothing was changed; retry in 3 seconds$/);
});

test('a command the owner did not answer in time: the same code, but it says it may have been applied', async () => {
  const a = await answerTo(ownerSilent('cc-1', 'callOperation', 3000));
  assert.deepEqual([a.status, a.retryAfter, a.body.statusCode], [503, '3', 4]);
  assert.match(a.body.statusMessage, /did not answer callOperation within 3000 ms: it may have been applied; look \(GET\) before retrying, in 3 seconds/);
});

test('other refusals carry no Retry-After', async () => {
  const a = await answerTo(fail(ErrorCode.InvalidState, 'not now'));
  assert.deepEqual([a.status, a.retryAfter, a.body.statusCode], [400, undefined, 2]);
});
