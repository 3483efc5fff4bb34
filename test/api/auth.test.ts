/**
 * Authentication, sessions, CSRF and CORS through the HTTP layer: Basic on any request, the
 * JSESSIONID cookie alone afterwards, 401 without WWW-Authenticate, CSRF enforced on cookie-only
 * writes (and not on Basic or CometD), EndContactCenterSession invalidating the session, and
 * another contact center's ids answering exactly like unknown ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, apiConfig, basic, expectError, otherCenter } from './harness.js';
import { demoContactCenter } from '../../src/config/demo.js';

function cookieOf(r: { headers: Record<string, unknown> }): string {
  const sc = r.headers['set-cookie'];
  const v = Array.isArray(sc) ? sc[0] : String(sc ?? '');
  const m = /JSESSIONID=([^;]*)/.exec(v);
  assert.ok(m && m[1], `no JSESSIONID in ${v}`);
  return `JSESSIONID=${m[1]}`;
}

describe('with CSRF on (the default)', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ contactCenters: [demoContactCenter(), otherCenter()], allowedOrigins: ['http://widget.example'] });
  });
  after(() => api.close());

  test('Basic authenticates; the answer carries the session cookie and the CSRF headers', async () => {
    const r = await api.get('/api/v2/me', basic('agent1'));
    assert.equal(r.status, 200);
    assert.equal(r.json.user.userName, 'agent1');
    assert.match(String(r.headers['set-cookie']), /^JSESSIONID=[0-9A-F]+; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.equal(r.headers['x-csrf-header'], 'X-CSRF-TOKEN');
    assert.match(String(r.headers['x-csrf-token']), /^[0-9a-f-]{36}$/);
  });

  test('user names are matched without case; wrong password, unknown user, no credentials: 401 statusCode 20, no WWW-Authenticate', async () => {
    assert.equal((await api.get('/api/v2/me', basic('AGENT1'))).json.statusCode, 0);
    for (const auth of [basic('agent1', 'nope'), basic('nobody'), 'Bearer abc', 'Basic !!!', basic('agent1', '')]) {
      const r = await api.get('/api/v2/me', auth);
      expectError(r, 20, 401);
      assert.equal(r.headers['www-authenticate'], undefined);
    }
    const none = await api.call('GET', '/api/v2/me');
    expectError(none, 20, 401, /Basic|JSESSIONID/);
    assert.equal(none.headers['www-authenticate'], undefined);
  });

  test('a password with a trailing NUL, any control character or bytes that are not UTF-8 is refused (RFC 7617 2), even after the right one', async () => {
    assert.equal((await api.get('/api/v2/me', basic('agent7'))).json.statusCode, 0, 'the right password, cached now');
    const raw = (bytes: Buffer) => 'Basic ' + bytes.toString('base64');
    const cases: [string, string, RegExp][] = [
      ['trailing NUL', basic('agent7', 'demo\0'), /control characters/],
      ['four NULs', basic('agent7', 'demo\0\0\0\0'), /control characters/],
      ['a tab', basic('agent7', 'de\tmo'), /control characters/],
      ['DEL in the user name', basic('agent7\x7f', 'demo'), /control characters/],
      ['not UTF-8', raw(Buffer.concat([Buffer.from('agent7:demo'), Buffer.from([0xff])])), /UTF-8/],
    ];
    for (const [what, auth, message] of cases) {
      const r = await api.get('/api/v2/me', auth);
      assert.equal(r.json.statusCode, 20, `${what}: ${JSON.stringify(r.json)}`);
      expectError(r, 20, 401, message);
    }
  });

  test('the cookie alone authenticates later requests, and is not set again', async () => {
    const first = await api.get('/api/v2/me', basic('agent2'));
    const cookie = cookieOf(first);
    const r = await api.call('GET', '/api/v2/me/devices?fields=*', undefined, { cookie });
    assert.equal(r.json.statusCode, 0);
    assert.equal(r.json.devices[0].phoneNumber, '5002');
    assert.equal(r.headers['set-cookie'], undefined);
    assert.equal(r.headers['x-csrf-token'], first.headers['x-csrf-token']);
    // Basic with the user's own live cookie: same session, no new cookie
    const again = await api.get('/api/v2/me', basic('agent2'), { cookie });
    assert.equal(again.headers['set-cookie'], undefined);
    // an unknown cookie is not a session
    expectError(await api.call('GET', '/api/v2/me', undefined, { cookie: 'JSESSIONID=FFFF' }), 20, 401);
  });

  test('Basic without a cookie reuses the user\'s session instead of making one per request', async () => {
    const a = await api.get('/api/v2/me', basic('agent3'));
    const b = await api.get('/api/v2/me', basic('agent3'));
    assert.equal(cookieOf(a), cookieOf(b));
  });

  test('an Authorization header wins over the cookie of another user', async () => {
    const cookie = cookieOf(await api.get('/api/v2/me', basic('agent4')));
    const r = await api.get('/api/v2/me', basic('agent5'), { cookie });
    assert.equal(r.json.user.userName, 'agent5');
    // and that does not log the cookie's user out
    assert.equal((await api.call('GET', '/api/v2/me', undefined, { cookie })).json.user.userName, 'agent4');
  });

  test('CSRF: a cookie-only POST needs the token (403 statusCode 3); with the token or with Basic it passes', async () => {
    const first = await api.get('/api/v2/me', basic('agent6'));
    const cookie = cookieOf(first);
    const token = String(first.headers['x-csrf-token']);
    const body = { operationName: 'StartContactCenterSession', channels: ['voice'] };
    const denied = await api.call('POST', '/api/v2/me', body, { cookie });
    expectError(denied, 3, 403, /^Missing or invalid Csrf token/);
    expectError(await api.call('POST', '/api/v2/me', body, { cookie, headers: { 'x-csrf-token': 'wrong' } }), 3, 403);
    const ok = await api.call('POST', '/api/v2/me', body, { cookie, headers: { 'x-csrf-token': token } });
    assert.equal(ok.json.statusCode, 0);
    assert.equal((await api.post('/api/v2/me/channels/voice', { operationName: 'Ready' }, basic('agent6'))).json.statusCode, 0);
    // GETs never need it
    assert.equal((await api.call('GET', '/api/v2/me', undefined, { cookie })).json.statusCode, 0);
  });

  test('CometD is exempt from CSRF: a cookie-only handshake succeeds', async () => {
    const cookie = cookieOf(await api.get('/api/v2/me', basic('agent7')));
    const r = await api.app.fastify.inject({
      method: 'POST',
      url: '/api/v2/notifications/handshake',
      headers: { cookie, 'content-type': 'application/json' },
      payload: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
    });
    assert.equal(r.statusCode, 200);
    const [reply] = JSON.parse(r.body);
    assert.equal(reply.successful, true, r.body);
  });

  test('CometD with Basic before any REST call (as the C# SDK does) succeeds; bad credentials are refused', async () => {
    const hs = (auth: string) =>
      api.app.fastify.inject({
        method: 'POST',
        url: '/api/v2/notifications',
        headers: { authorization: auth, 'content-type': 'application/json' },
        payload: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
      });
    assert.equal(JSON.parse((await hs(basic('agent8'))).body)[0].successful, true);
    assert.equal(JSON.parse((await hs(basic('agent8', 'wrong'))).body)[0].successful, false);
  });

  test('EndContactCenterSession invalidates the session: the cookie is cleared and no longer authenticates', async () => {
    const first = await api.get('/api/v2/me', basic('agent9'));
    const cookie = cookieOf(first);
    await api.ok('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, basic('agent9'));
    const end = await api.call('POST', '/api/v2/me', { operationName: 'EndContactCenterSession' }, { cookie, headers: { 'x-csrf-token': String(first.headers['x-csrf-token']) } });
    assert.equal(end.json.statusCode, 0);
    assert.match(String(end.headers['set-cookie']), /^JSESSIONID=; Path=\/; Max-Age=0/);
    expectError(await api.call('GET', '/api/v2/me', undefined, { cookie }), 20, 401);
    const dev = await api.deviceOf('agent9');
    assert.equal((dev as any).deviceState, 'Inactive');
  });

  test('CORS: preflight from an allowed origin answered; that origin is echoed with credentials and the CSRF headers exposed', async () => {
    const pre = await api.call('OPTIONS', '/api/v2/me', undefined, {
      headers: { origin: 'http://widget.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'http://widget.example');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.match(String(pre.headers['access-control-allow-headers']), /Authorization/);
    assert.match(String(pre.headers['access-control-allow-headers']), /X-CSRF-TOKEN/);
    const r = await api.get('/api/v2/me', basic('agent1'), { headers: { origin: 'http://widget.example' } });
    assert.equal(r.headers['access-control-allow-origin'], 'http://widget.example');
    assert.match(String(r.headers['access-control-expose-headers']), /X-CSRF-HEADER, X-CSRF-TOKEN/);
  });

  test('every response carries a request id; a sane incoming X-Request-Id is kept', async () => {
    const r = await api.get('/api/v2/me', basic('agent1'));
    assert.ok(r.headers['x-request-id']);
    const mine = await api.get('/api/v2/me', basic('agent1'), { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(mine.headers['x-request-id'], 'trace-42');
    // a refusal answered by the onRequest hook, a route's error and a CometD answer (written on the raw response) carry it too
    const refused = await api.get('/api/v2/me', basic('agent1', 'wrong'), { headers: { 'x-request-id': 'trace-43' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['x-request-id'], 'trace-43');
    const unknown = await api.get('/api/v2/me/devices/00000000-0000-0000-0000-000000000000', basic('agent1'), { headers: { 'x-request-id': 'trace-44' } });
    expectError(unknown, 6, 404);
    assert.equal(unknown.headers['x-request-id'], 'trace-44');
    const cometd = await api.app.fastify.inject({
      method: 'POST',
      url: '/api/v2/notifications/handshake',
      headers: { authorization: basic('agent1'), 'content-type': 'application/json', 'x-request-id': 'trace-45' },
      payload: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
    });
    assert.equal(JSON.parse(cometd.body)[0].successful, true, cometd.body);
    assert.equal(cometd.headers['x-request-id'], 'trace-45');
  });

  test("another contact center's device and call ids answer exactly like unknown ones (statusCode 6)", async () => {
    const theirs = await api.deviceOf('other1');
    const unknown = await api.get('/api/v2/me/devices/00000000-0000-0000-0000-000000000000', basic('agent1'));
    const cross = await api.get(`/api/v2/me/devices/${theirs.id}`, basic('agent1'));
    expectError(unknown, 6, 404);
    expectError(cross, 6, 404);
    assert.equal(cross.json.statusMessage, unknown.json.statusMessage.replace('00000000-0000-0000-0000-000000000000', theirs.id));
    // a live call of the other center
    await api.startSession('other1', true);
    const sim = await api.ok('/sim/v1/calls', { from: '+15550001111', to: '8000' }, basic('otheradmin'));
    const callCross = await api.get(`/api/v2/me/calls/${sim.callUuid}`, basic('agent1'));
    const callUnknown = await api.get('/api/v2/me/calls/NOSUCHCALL', basic('agent1'));
    expectError(callCross, 6, 404);
    expectError(callUnknown, 6, 404);
    assert.equal(callCross.json.statusMessage, callUnknown.json.statusMessage.replace('NOSUCHCALL', sim.callUuid));
    expectError(await api.post(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'Hangup' }, basic('agent1')), 6, 404);
    // the sim API of this center does not see it either
    expectError(await api.get(`/sim/v1/calls/${sim.callUuid}/media`, basic('admin')), 6, 404);
    expectError(await api.post('/sim/v1/calls', { from: '+15550001111', to: '8000' }, basic('admin')), 6, 404);
  });
});

describe('with browser tracking on (cometd.maxSessionsPerBrowser)', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ cometd: { ...apiConfig({}).cometd, maxSessionsPerBrowser: 4 } });
  });
  after(() => api.close());

  test('a first CometD handshake with Basic gets both the session cookie and the BAYEUX_BROWSER cookie', async () => {
    const r = await api.app.fastify.inject({
      method: 'POST',
      url: '/api/v2/notifications/handshake',
      headers: { authorization: basic('agent2'), 'content-type': 'application/json' },
      payload: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
    });
    assert.equal(JSON.parse(r.body)[0].successful, true, r.body);
    const cookies = [r.headers['set-cookie'] ?? []].flat().map((c) => String(c).split('=')[0]);
    assert.ok(cookies.includes('BAYEUX_BROWSER'), `cookies: ${cookies.join(', ')}`);
    assert.ok(cookies.some((name) => name !== 'BAYEUX_BROWSER'), `the session cookie is kept beside BAYEUX_BROWSER: ${cookies.join(', ')}`);
  });
});

describe('with CSRF off', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ csrf: false });
  });
  after(() => api.close());

  test('a cookie-only POST passes without the token', async () => {
    const first = await api.get('/api/v2/me', basic('agent1'));
    const cookie = cookieOf(first);
    const r = await api.call('POST', '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, { cookie });
    assert.equal(r.json.statusCode, 0);
  });
});
