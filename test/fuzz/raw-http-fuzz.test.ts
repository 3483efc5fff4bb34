/**
 * Raw HTTP fuzzer (issue 7 point 10): seeded byte-level requests over net.Socket against the real
 * server on an ephemeral port: malformed request lines, bad and oversized headers, conflicting
 * framing (Content-Length and Transfer-Encoding), partial bodies, bad chunked encoding, Expect
 * headers, pipelining, stray upgrades, each sent in one to three pieces and then half-closed.
 * Asserts for every case: the server answers or closes within a bound; no response is a 5xx; every
 * response with a body is JSON (the GWS envelope). Afterwards the server serves a normal
 * authenticated GET. FUZZ_SEED / FUZZ_COUNT vary the run; the seed is printed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Api, basic } from '../api/harness.js';
import { FailureLog, NASTY_STRINGS, Random, brief, fuzzCount, fuzzSeed, gwsProblem } from './fuzz-kit.js';
import { rawExchange } from './raw-http.js';

const SEED = fuzzSeed();
const COUNT = fuzzCount(2500);
/** cases in flight at once */
const PARALLEL = 8;
/** the server must answer or close within this */
const BOUND_MS = 5000;
const AUTH = basic('agent1');

interface RawCase {
  kind: string;
  pieces: string[];
}

const CRLF = '\r\n';
const paths = ['/api/v2/me', '/api/v2/me/devices', '/api/v2/contacts?filterParameters=a*', '/api/v2/nowhere', '/api/v2/notifications', '/sim/v1/calls', '/', '*'];

/** a well-formed head with these extra header lines */
function head(random: Random, method: string, path: string, extra: string[] = []): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  if (random.chance(0.9)) lines.push(`Authorization: ${AUTH}`);
  return lines.concat(extra).join(CRLF) + CRLF + CRLF;
}

const jsonBody = (random: Random) => random.pick(['{"operationName":"Ready"}', '{}', '[]', '{"operationName":', 'x'.repeat(1 + random.int(200)), '{"channel":"/meta/handshake"}']);

/** Case generators by kind: each returns the request as text, split later into pieces. */
const GENERATORS: Readonly<Record<string, (random: Random) => string>> = {
  valid: (random) => head(random, random.pick(['GET', 'HEAD', 'OPTIONS']), random.pick(paths)),
  validPost: (random) => {
    const body = jsonBody(random);
    return head(random, 'POST', random.pick(['/api/v2/me', '/api/v2/me/channels/voice', '/api/v2/notifications/handshake']), ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`]) + body;
  },
  requestLine: (random) =>
    random.pick([
      'GET' + CRLF + CRLF,
      'GET /' + CRLF + CRLF,
      'GET / HTTP/1.1 extra' + CRLF + 'Host: x' + CRLF + CRLF,
      'FOO /api/v2/me HTTP/1.1' + CRLF + 'Host: x' + CRLF + CRLF,
      '/api/v2/me GET HTTP/1.1' + CRLF + CRLF,
      'GET /api/v2/me HTTP/9.9' + CRLF + 'Host: x' + CRLF + CRLF,
      'GET /api/v2/me HTTP/1.0' + CRLF + CRLF,
      'GET /api/v2/me HTTP/0.9' + CRLF + CRLF,
      'GET /api/v2/me HTTP/1.1\nHost: x\n\n',
      'GET /api/v2/me\u0000 HTTP/1.1' + CRLF + CRLF,
      `GET /${'a'.repeat(10_000 + random.int(100_000))} HTTP/1.1` + CRLF + 'Host: x' + CRLF + CRLF,
      'GET http://127.0.0.1/api/v2/me HTTP/1.1' + CRLF + `Authorization: ${AUTH}` + CRLF + CRLF,
      'GET /api/v2/m\u00e9 HTTP/1.1' + CRLF + CRLF,
      'GET /api/v2/me?%zz=%zz HTTP/1.1' + CRLF + `Authorization: ${AUTH}` + CRLF + CRLF,
      'GET /api/v2/devices/%ED%A0%80 HTTP/1.1' + CRLF + `Authorization: ${AUTH}` + CRLF + CRLF,
      'CONNECT 127.0.0.1:443 HTTP/1.1' + CRLF + CRLF,
      'PRI * HTTP/2.0' + CRLF + CRLF + 'SM' + CRLF + CRLF,
      '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003',
      CRLF + CRLF + 'GET /api/v2/me HTTP/1.1' + CRLF + `Authorization: ${AUTH}` + CRLF + CRLF,
      random.text(1 + random.int(300), 'GET /HTP1.\r\n: \u0000\u00ff'),
    ]),
  headers: (random) =>
    head(random, random.pick(['GET', 'POST']), random.pick(paths), [
      random.pick([
        'NoColonHere',
        'Bad Name: x',
        'Name : x',
        ' Folded: x',
        'X-Fold: a' + CRLF + '  continued',
        `X-Null: a\u0000b`,
        'X-Utf8: \u00e9\u00e8',
        `X-Big: ${'b'.repeat(8_000 + random.int(80_000))}`,
        ...Array.from({ length: 1 }, () => Array.from({ length: 200 + random.int(3000) }, (_, i) => `X-H${i}: ${i}`).join(CRLF)),
        'Content-Length: -1',
        'Content-Length: abc',
        'Content-Length: 1, 2',
        'Content-Length: 5' + CRLF + 'Content-Length: 6',
        'Content-Length: 99999999999999999999',
        'Transfer-Encoding: gzip',
        'Transfer-Encoding: chunked, identity',
        'Content-Length: 3' + CRLF + 'Transfer-Encoding: chunked',
        'Host: a' + CRLF + 'Host: b',
        `Cookie: ${'JSESSIONID=x; '.repeat(500 + random.int(5000))}`,
        `Authorization: Basic ${'Q'.repeat(1 + random.int(20_000))}`,
        `Origin: ${random.pick(NASTY_STRINGS)}`,
        `X-Request-Id: ${random.pick(NASTY_STRINGS)}`,
        'Content-Type: application/json; charset=' + 'x'.repeat(1000),
      ]),
    ]),
  partialBody: (random) => {
    const declared = 10 + random.int(70_000);
    const sent = random.int(declared);
    return head(random, 'POST', random.pick(['/api/v2/me', '/api/v2/notifications', '/api/v2/me/channels/voice']), ['Content-Type: application/json', `Content-Length: ${declared}`]) + '{'.padEnd(sent, ' ');
  },
  chunked: (random) =>
    head(random, 'POST', random.pick(['/api/v2/me', '/api/v2/notifications/handshake', '/sim/v1/calls']), ['Content-Type: application/json', 'Transfer-Encoding: chunked']) +
    random.pick([
      '2' + CRLF + '{}' + CRLF + '0' + CRLF + CRLF,
      'zz' + CRLF + '{}' + CRLF + '0' + CRLF + CRLF,
      '2' + CRLF + '{}' + '0' + CRLF + CRLF,
      'ffffffffffffffff' + CRLF + 'x',
      '-1' + CRLF + CRLF,
      '2;' + 'e'.repeat(10_000) + CRLF + '{}' + CRLF + '0' + CRLF + CRLF,
      '5' + CRLF + '{"a":',
      '2' + CRLF + '{}' + CRLF + '0' + CRLF + 'X-Trailer: 1' + CRLF + CRLF,
      '1' + CRLF + '{' + CRLF + '1' + CRLF + '}' + CRLF + '0' + CRLF + CRLF,
      'FFFFF' + CRLF + 'x'.repeat(2000),
      '0' + CRLF + CRLF,
    ]),
  expect: (random) => {
    const body = jsonBody(random);
    return (
      head(random, 'POST', random.pick(['/api/v2/me', '/api/v2/notifications/handshake', '/api/v2/nowhere']), [
        `Expect: ${random.pick(['100-continue', '100-Continue', 'nonsense', '200-ok', ''])}`,
        'Content-Type: application/json',
        `Content-Length: ${random.chance(0.2) ? 10_000_000 : Buffer.byteLength(body)}`,
      ]) + (random.chance(0.7) ? body : '')
    );
  },
  pipelined: (random) =>
    head(random, 'GET', '/api/v2/me') + head(random, 'GET', random.pick(paths)) + random.pick(['', 'GARBAGE' + CRLF + CRLF, head(random, 'POST', '/api/v2/me', ['Content-Length: 5']) + '{}']),
  upgrade: (random) =>
    head(random, 'GET', random.pick(['/api/v2/me', '/api/v2/notifications', '/api/v2/notifications/x', '/nowhere']), [
      'Connection: Upgrade',
      `Upgrade: ${random.pick(['websocket', 'h2c', 'nonsense'])}`,
      ...(random.chance(0.5) ? ['Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${random.pick(['dGhlIHNhbXBsZSBub25jZQ==', 'short', ''])}`] : []),
    ]),
};

const KINDS: readonly (readonly [number, string])[] = [
  [3, 'valid'],
  [3, 'validPost'],
  [4, 'requestLine'],
  [5, 'headers'],
  [3, 'partialBody'],
  [3, 'chunked'],
  [2, 'expect'],
  [2, 'pipelined'],
  [1, 'upgrade'],
];

function generate(index: number): RawCase {
  const random = Random.forCase(SEED, 'raw', index);
  const kind = random.weighted(KINDS);
  const text = GENERATORS[kind](random);
  // one to three pieces, cut at random places
  const cuts = Array.from({ length: random.int(3) }, () => random.int(text.length)).sort((a, b) => a - b);
  const pieces: string[] = [];
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    if (cut > at) pieces.push(text.slice(at, cut));
    at = Math.max(at, cut);
  }
  return { kind, pieces: pieces.length ? pieces : [text] };
}

test(`raw HTTP fuzz: ${COUNT} seeded byte-level requests (FUZZ_SEED=${SEED})`, async () => {
  console.log(`# raw http fuzz: FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT}`);
  const api = await Api.start();
  const failures = new FailureLog('raw HTTP fuzz', SEED);
  const statuses = new Map<number, number>();
  try {
    const { port } = await api.app.listen();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < COUNT) {
        const index = next++;
        const c = generate(index);
        const label = `case ${index} (${c.kind}): ${brief(JSON.stringify(c.pieces), 400)}`;
        const exchange = await rawExchange({ port, pieces: c.pieces.map((p) => Buffer.from(p, 'latin1')), end: true, boundMs: BOUND_MS });
        if (!exchange.closed) failures.add(`${c.kind}: neither answered nor closed within ${BOUND_MS} ms`, label);
        for (const response of exchange.responses) {
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status === 101) continue;
          const method = /^HEAD /.test(c.pieces.join('')) ? 'HEAD' : 'GET';
          const problem = gwsProblem(response.status, response.headers['content-type'], response.body, method, c.pieces.join('').includes('/api/v2/notifications'));
          if (problem) failures.add(`${c.kind}: ${problem}`, `${label} -> HTTP ${response.status} ${JSON.stringify(response.headers)} ${brief(response.body, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    console.log(`# raw http fuzz: HTTP statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    const after = await api.get('/api/v2/me', AUTH);
    assert.equal(after.json.statusCode, 0);
    const live = await fetch(`http://127.0.0.1:${port}/api/v2/me`, { headers: { Authorization: AUTH } });
    assert.equal(live.status, 200, 'a normal authenticated GET over a socket after the fuzz');
    assert.equal((await live.json()).statusCode, 0);
    failures.assertNone();
  } finally {
    await api.close();
  }
});
