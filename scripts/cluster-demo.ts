/**
 * `npm run cluster:demo`: a three-node Switchboard cluster on this machine, as an operator would
 * run one (docs/scale-out.md): PostgreSQL (Debian's package, installed when missing, run as the
 * postgres user in a temporary folder), nats-server with JetStream (Debian's package), three nodes
 * (the real CLI; SIP off unless --sip-port) and the sticky proxy in front; prints the URLs and the
 * demo logins.
 * Ctrl-C (or SIGTERM) stops everything it started and removes the temporary folder.
 *
 *   npm run cluster:demo                 # proxy on 8080, nodes on free ports
 *   npm run cluster:demo -- --port 9090  # proxy on 9090
 *   npm run cluster:demo -- --sip-port 5070  # SIP on 127.0.0.1:5070, bound by whichever node owns the
 *                                            # demo contact center (SIP follows the owner)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/helpers/postgres.js';
import { startStickyProxy } from '../src/cluster/node/sticky-proxy.js';
import { OWNS, freePort, startNatsServer, startNode, type NodeProcess } from './cluster-demo-lib.js';

/** the port number after `option` on the command line, else `fallback` (a bad one exits with 2) */
function portOption(option: string, fallback: string | undefined, byDefault: number): number {
  const i = process.argv.indexOf(option);
  const raw = i >= 0 ? process.argv[i + 1] : fallback;
  const n = raw === undefined ? byDefault : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`cluster:demo: ${option} must be a port number, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

const proxyPort = () => portOption('--port', process.env.PORT, 8080);
/** 0: no SIP */
const sipPort = () => portOption('--sip-port', undefined, 0);

async function main(): Promise<void> {
  // the nodes render the proxy's URL, so a port of 0 is chosen now, before they start
  const port = proxyPort() || (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cluster-demo-'));
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\ncluster:demo: stopping the proxy, the nodes, nats-server and PostgreSQL\n');
    for (const stop of stops.reverse()) await stop().catch((err) => process.stderr.write(`cluster:demo: ${String(err)}\n`));
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  try {
    process.stdout.write('cluster:demo: starting PostgreSQL (as the postgres user)\n');
    const pg = await startPostgres();
    stops.push(() => pg.stop());
    const databaseUrl = await pg.createDatabase('switchboard');
    process.stdout.write('cluster:demo: starting nats-server with JetStream\n');
    const nats = await startNatsServer(join(dir, 'jetstream'));
    stops.push(() => nats.stop());
    const publicBaseUrl = `http://127.0.0.1:${port}`;
    const configFile = join(dir, 'node.json');
    writeFileSync(configFile, JSON.stringify({ server: { publicBaseUrl } }));
    const sip = sipPort();
    const sipEnv: Record<string, string> = sip ? { SWITCHBOARD_SIP_PORT: String(sip), SWITCHBOARD_SIP_HOST: '127.0.0.1' } : {};
    const common = { natsUrl: nats.url, databaseUrl, passwordKeyFile: join(dir, 'password.key'), env: { SWITCHBOARD_CONFIG: configFile, ...sipEnv }, logLevel: 'warn' };
    process.stdout.write('cluster:demo: starting three Switchboard nodes\n');
    const nodes: NodeProcess[] = [];
    // the first node provisions the demo contact center and takes its lease; then the two others
    nodes.push(await startNode({ ...common, id: 'node1', logLevel: 'info' }));
    stops.push(() => nodes[0]!.stop());
    await nodes[0]!.waitForLog((l) => l.msg === OWNS, 30_000, 'node1 to own the demo contact center');
    for (const id of ['node2', 'node3']) {
      const n = await startNode({ ...common, id });
      nodes.push(n);
      stops.push(() => n.stop());
    }
    const proxy = await startStickyProxy({ backends: nodes.map((n) => ({ host: '127.0.0.1', port: Number(new URL(n.url).port) })), port });
    stops.push(() => proxy.close());
    const lines = [
      '',
      `Switchboard cluster: ${nodes.length} nodes behind a sticky proxy (cookie SBNODE)`,
      `  proxy    ${proxy.url}  (console ${proxy.url}/, REST ${proxy.url}/api/v2/me, CometD ${proxy.url}/api/v2/notifications)`,
      ...nodes.map((n) => `  ${n.id.padEnd(8)} ${n.url}  (pid ${n.pid})${n === nodes[0] ? '  owner of the demo contact center' : ''}`),
      `  NATS     ${nats.url} (JetStream in ${join(dir, 'jetstream')})`,
      `  store    PostgreSQL on port ${pg.port} (socket in ${pg.dir})`,
      sip
        ? `  SIP      sip:127.0.0.1:${sip} (every node's; bound by the owner only: phones register there, user 5001 password demo)`
        : '  SIP      off (--sip-port N turns it on: SIP follows the owner)',
      '',
      'Logins as in npm start (password demo): agent1..agent10, supervisor1, supervisor2, admin.',
      `Try: curl -u agent1:demo ${proxy.url}/api/v2/me`,
      `Failover: kill -9 ${nodes[0]!.pid}  (another node owns the contact center within 5 s; its clients re-handshake)`,
      'Ctrl-C stops everything.',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    // a node that dies is reported (the demo goes on: that is the point of a cluster)
    for (const n of nodes) void n.exited.then(() => !stopping && process.stdout.write(`cluster:demo: ${n.id} (pid ${n.pid}) exited\n`));
  } catch (err) {
    process.stderr.write(`cluster:demo: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopAll(1);
  }
}

void main();
