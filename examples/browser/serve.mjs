// Serves the browser example: index.html, app.js and the browser build of the official CometD client
// (node_modules/cometd, ES modules) at http://127.0.0.1:PORT, and forwards /api/* to Switchboard, so
// the page, REST and CometD (long-polling) share one origin: no CORS, no allowedOrigins entry, and
// the session cookie works as it does for the console. Run:
//   SWITCHBOARD_URL=http://127.0.0.1:8080 PORT=8081 node examples/browser/serve.mjs
// (Serving the page from another origin instead needs that origin in server.allowedOrigins.)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cometdDir = join(here, '..', '..', 'node_modules', 'cometd');
const target = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080';
const FILES = { '/': ['index.html', 'text/html; charset=utf-8'], '/app.js': ['app.js', 'text/javascript; charset=utf-8'] };
const FORWARDED_REQUEST = ['authorization', 'cookie', 'content-type', 'x-csrf-token'];
const FORWARDED_RESPONSE = ['content-type', 'x-csrf-token', 'x-csrf-header', 'retry-after'];

async function forward(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const headers = Object.fromEntries(FORWARDED_REQUEST.filter((h) => req.headers[h]).map((h) => [h, req.headers[h]]));
  const answer = await fetch(target + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
  for (const h of FORWARDED_RESPONSE) if (answer.headers.get(h)) res.setHeader(h, answer.headers.get(h));
  const cookies = answer.headers.getSetCookie();
  if (cookies.length) res.setHeader('set-cookie', cookies);
  res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer()));
}

async function serveFile(path, type, res) {
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' }).end(await readFile(path));
}

const server = createServer((req, res) => {
  const path = req.url.split('?', 1)[0];
  let work;
  if (path.startsWith('/api/')) work = forward(req, res);
  else if (FILES[path]) work = serveFile(join(here, FILES[path][0]), FILES[path][1], res);
  else if (/^\/cometd\/[\w.-]+\.js$/.test(path)) work = serveFile(join(cometdDir, normalize(path.slice('/cometd/'.length))), 'text/javascript; charset=utf-8', res);
  else work = Promise.reject(Object.assign(new Error('not found'), { status: 404 }));
  work.catch((err) => {
    if (!res.headersSent) res.writeHead(err.status ?? 502, { 'content-type': 'text/plain' });
    res.end(err.status ? 'not found' : `cannot reach Switchboard at ${target}: ${err.message}`);
  });
});
server.listen(Number(process.env.PORT ?? 8081), '127.0.0.1', () => console.log(`browser example on http://127.0.0.1:${server.address().port}/ (Switchboard at ${target})`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
