/**
 * A small cookie-sticky HTTP and websocket proxy in front of several Switchboard nodes, for
 * `npm run cluster:demo` and the cluster tests (production deployments use nginx or HAProxy:
 * docs/scale-out.md has both configurations).
 *
 * Guarantees:
 * - a client without the `SBNODE` cookie is given the next node in turn, and the response sets
 *   `SBNODE=<node index>`; a client with the cookie always reaches that node while it answers, so
 *   its REST requests, long-polls and websocket stay on one node (a CometD session lives on one node);
 * - when the chosen node refuses the connection (it died), the request goes to the next node in turn
 *   and the response moves the cookie there: the client's CometD session is unknown there (402), it
 *   handshakes again on the new node, as after any server restart;
 * - requests are passed through unchanged (method, path, headers, body, streaming both ways, no
 *   timeout of the proxy's own: a long-poll is held as long as the node holds it), with
 *   X-Forwarded-For and X-Forwarded-Proto added; a websocket upgrade is passed through as bytes
 *   once the node accepts the connection;
 * - when no node answers, the client gets 502 with a one-line reason.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse, Agent } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export const STICKY_COOKIE = 'SBNODE';

export interface Backend {
  host: string;
  port: number;
}

export interface StickyProxy {
  readonly port: number;
  readonly url: string;
  /** which backend each new client got, in order (tests) */
  readonly assignments: number[];
  close(): Promise<void>;
}

/** the SBNODE value of a Cookie header, when it names a backend */
export function stickyIndex(cookieHeader: string | undefined, backends: number): number | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name !== STICKY_COOKIE || value === undefined) continue;
    const n = Number(value);
    if (Number.isInteger(n) && n >= 0 && n < backends) return n;
  }
  return undefined;
}

const stickyCookie = (index: number) => `${STICKY_COOKIE}=${index}; Path=/; HttpOnly; SameSite=Lax`;

/** connection errors that mean "this node is not there": try the next one */
const NODE_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT']);

export async function startStickyProxy(opts: { backends: Backend[]; host?: string; port?: number }): Promise<StickyProxy> {
  const { backends } = opts;
  if (backends.length === 0) throw new Error('sticky proxy: no backends');
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sockets = new Set<Duplex>();
  const assignments: number[] = [];
  let turn = 0;
  const nextInTurn = () => {
    const i = turn % backends.length;
    turn++;
    return i;
  };

  /** the backend to try first, and whether the client must be given a (new) cookie */
  const choose = (req: IncomingMessage) => {
    const sticky = stickyIndex(req.headers.cookie, backends.length);
    if (sticky !== undefined) return { index: sticky, fresh: false };
    const index = nextInTurn();
    assignments.push(index);
    return { index, fresh: true };
  };

  const forwardedHeaders = (req: IncomingMessage) => {
    const headers = { ...req.headers };
    const from = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${String(headers['x-forwarded-for'])}, ${from}` : from;
    headers['x-forwarded-proto'] = 'http';
    return headers;
  };

  const proxyRequest = (req: IncomingMessage, res: ServerResponse, index: number, fresh: boolean, tried: number, body: Buffer) => {
    const backend = backends[index]!;
    const upstream = httpRequest({ host: backend.host, port: backend.port, method: req.method, path: req.url, headers: forwardedHeaders(req), agent }, (answer) => {
      const headers = { ...answer.headers };
      if (fresh) headers['set-cookie'] = [...(headers['set-cookie'] ?? []), stickyCookie(index)];
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) return res.destroy();
      if (NODE_DOWN.has(err.code ?? '') && tried + 1 < backends.length) {
        return proxyRequest(req, res, (index + 1) % backends.length, true, tried + 1, body);
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`no Switchboard node answered (${err.code ?? err.message})\n`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    // the body is read first, so a request can be sent again to another node when the first is down
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { index, fresh } = choose(req);
      proxyRequest(req, res, index, fresh, 0, Buffer.concat(chunks));
    });
  });
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  const upgrade = (req: IncomingMessage, client: Duplex, head: Buffer, index: number, tried: number) => {
    const backend = backends[index]!;
    const upstream: Socket = connect(backend.port, backend.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      const headers = forwardedHeaders(req);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [name, value] of Object.entries(headers)) {
        for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) lines.push(`${name}: ${v}`);
      }
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && NODE_DOWN.has(err.code ?? '') && tried + 1 < backends.length) {
        return upgrade(req, client, head, (index + 1) % backends.length, tried + 1);
      }
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  };

  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    upgrade(req, client, head, choose(req).index, 0);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    assignments,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
