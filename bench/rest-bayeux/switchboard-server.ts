/**
 * The Switchboard of the REST/Bayeux bench section, in its own process: one contact center of
 * `--agents N` agents (userName benchN, password "bench", DN 60001…), one admin, no SIP, log level
 * `warn` (BENCH_LOG_LEVEL), an in-memory store. Passwords are hashed at the test hasher's cost
 * (test/helpers/cheap-hasher.ts, scrypt N=16) so that provisioning 10,000 users does not cost
 * 10,000 production scrypts (H6's start-up work is separate); every measured request is a
 * credential-cache hit, whatever the cost written in the hash. Sends `ready` with its base URL.
 */
import { createApp } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { testConfig } from '../../src/config/load.js';
import { Role } from '../../src/store/port.js';
import { cheapHasher } from '../../test/helpers/cheap-hasher.js';
import { notifyParent, serve } from './child.js';

export const agentName = (i: number): string => `bench${i + 1}`;
export const agentDn = (i: number): string => String(60001 + i);
export const PASSWORD = 'bench';
export const ADMIN = 'benchadmin';

const at = process.argv.indexOf('--agents');
const agents = at > 0 ? Number(process.argv[at + 1]) : 200;

const users: any[] = Array.from({ length: agents }, (_, i) => ({ userName: agentName(i), password: PASSWORD, roles: [Role.Agent], dn: agentDn(i) }));
users.push({ userName: ADMIN, password: PASSWORD, roles: [Role.Admin] });
const base = testConfig();
const config = testConfig({
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
  contactCenters: [{ ...demoContactCenter(), name: 'Bench', users, routingPoints: [{ number: '7000' }], agentGroups: [] }],
  cometd: { ...base.cometd, timeoutMs: 30_000, maxIntervalMs: 10_000, maxQueue: 10_000 },
  auth: { ...base.auth, credentialCacheSize: 4 * agents + 100 },
  // one websocket per agent in the memory row, beside the REST connections
  connections: { ...base.connections, maxConnections: agents + 1000 },
});
const started = Date.now();
const app = await createApp(config, { passwordHasher: cheapHasher });
const { baseUrl } = await app.listen();
serve({});
process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
notifyParent('ready', { baseUrl, agents, startMs: Date.now() - started });
