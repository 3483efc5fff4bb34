/**
 * One Bayeux server of the "Bayeux vs Faye" rows, in its own process: `--kind ours` is
 * Switchboard's own Bayeux server (src/bayeux, long-polling and websocket on a plain node http
 * server, the user key being the Basic user name), `--kind faye` a Faye 1.4 NodeAdapter with its
 * memory engine, mounted at /faye. Users are u1…uN; ours publishes to a user with
 * `publishToUser(u, '/v2/me/devices', data)`, Faye to the user's own channel /users/<u> through
 * its server-side client. `--kind floor` is the floor of any Bayeux server that writes one frame per
 * delivery: our server answers the meta channels (so the clients are the same as ours), but each
 * delivery is only what no server can skip, `JSON.stringify` of the fresh `{channel, data}` and one
 * frame written to the user's socket (the same bytes as ours, with no engine, queue or round). `publish` sends `rounds` rounds (one agent-state-sized message to every
 * user per round, a fresh object per message, one round per macrotask so that each becomes its
 * own frames), never more than `window` rounds ahead of what the parent says was delivered
 * (`delivered`): the run measures deliveries, not an ever-growing backlog.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { createBayeuxServer } from '../../src/bayeux/server.js';
import { textFrame } from '../../src/bayeux/websocket.js';
import { serve, notifyParent } from './child.js';

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const kind = argument('--kind', 'ours');
const users = Number(argument('--users', '200'));
export const userName = (i: number): string => `u${i + 1}`;

/** an agent-state notification of the size GWS sends (about 600 bytes of JSON) */
export function payload(i: number, round: number): object {
  const dn = String(60001 + i);
  return {
    messageType: 'DeviceStateChangeMessage',
    round,
    devices: [
      {
        id: `device-${dn}`,
        deviceState: 'Active',
        userState: { id: 'ready', displayName: 'Ready', state: round % 2 ? 'NotReady' : 'Ready', workMode: 'Unknown', reason: '' },
        phoneNumber: dn,
        e164Number: dn,
        telephonyNetwork: 'Private',
        doNotDisturb: 'Off',
        voiceEnvironmentUri: 'http://127.0.0.1:8080/api/v2/voice-environments/2f0e2d32-6c8e-5d0a-a3a1-5a1f8b0e9d21',
        capabilities: ['ForwardCallsOn', 'DoNotDisturbOn', 'Dial', 'ListenIn', 'Coach', 'BargeIn'],
        channels: ['voice'],
      },
    ],
  };
}

type Publish = (i: number, data: object) => void;

function oursServer(server: http.Server): Publish {
  const bayeux = createBayeuxServer({
    timeoutMs: 30_000,
    intervalMs: 0,
    maxIntervalMs: 10_000,
    maxQueue: 100_000,
    authenticate: (req) => basicUser(req.headers.authorization),
  });
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        body = undefined;
      }
      bayeux.handlePost(req, res, body);
    });
  });
  server.on('upgrade', (req, socket, head) => bayeux.handleUpgrade(req, socket, head));
  return (i, data) => bayeux.publishToUser(userName(i), '/v2/me/devices', data);
}

/** the Basic user name of a request, as oursServer authenticates it */
const basicUser = (authorization: string | undefined): string | null => {
  const m = /^Basic (.+)$/.exec(authorization ?? '');
  return m ? Buffer.from(m[1], 'base64').toString().split(':')[0] : null;
};

function floorServer(server: http.Server): Publish {
  oursServer(server);
  // registered after oursServer's upgrade listener: the socket is ours once the upgrade is done
  const sockets = new Map<string, Duplex>();
  server.on('upgrade', (req, socket: Duplex) => {
    const user = basicUser(req.headers.authorization);
    if (user === null) return;
    sockets.set(user, socket);
    socket.once('close', () => sockets.get(user) === socket && sockets.delete(user));
  });
  return (i, data) => {
    const socket = sockets.get(userName(i));
    if (socket?.writable) socket.write(textFrame([JSON.stringify({ channel: '/v2/me/devices', data })]), 'latin1');
  };
}

function fayeServer(server: http.Server): Publish {
  const faye = createRequire(import.meta.url)('faye');
  const adapter = new faye.NodeAdapter({ mount: '/faye', timeout: 30 });
  adapter.attach(server);
  const client = adapter.getClient();
  return (i, data) => client.publish(`/users/${userName(i)}`, data);
}

const server = http.createServer();
const servers: Record<string, (server: http.Server) => Publish> = { ours: oursServer, faye: fayeServer, floor: floorServer };
if (!servers[kind]) throw new Error(`--kind must be one of ${Object.keys(servers).join(', ')}`);
const publish = servers[kind](server);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.once('SIGTERM', () => process.exit(0));
let delivered = -1;
let resume: (() => void) | null = null;

serve({
  delivered: (m: { round: number }) => {
    delivered = Math.max(delivered, m.round);
    const r = resume;
    resume = null;
    r?.();
    return {};
  },
  publish: async (m: { rounds: number; window: number; firstRound: number }) => {
    for (let round = m.firstRound; round < m.firstRound + m.rounds; round++) {
      while (round - delivered > m.window) await new Promise<void>((r) => (resume = r));
      for (let i = 0; i < users; i++) publish(i, payload(i, round));
      await new Promise((r) => setImmediate(r));
    }
    return {};
  },
});
notifyParent('ready', { baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
