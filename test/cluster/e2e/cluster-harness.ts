/**
 * The three-node harness of the cluster tests: a throwaway PostgreSQL (test/helpers/postgres.ts),
 * nats-server with JetStream and three Switchboard nodes as separate processes (the real CLI:
 * scripts/cluster-demo-lib.ts), every node with the same public base URL (as behind a load
 * balancer), so what any node renders names the same host. Started once per test file.
 *
 * `ClusterE2E` is the single-node E2E harness (test/helpers/e2e.ts) with each user's CometD client
 * on a node of the test's choosing and every REST request through another: the supervision steps
 * (test/helpers/supervision-steps.ts) run on it unchanged. `normaliseIds` maps what differs between
 * a cluster run and a single-node golden file (CallUUIDs and ConnIDs, durations) to placeholders
 * in order of appearance, so the two streams compare as text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E } from '../../helpers/e2e.js';
import { startPostgres, type PostgresServer } from '../../helpers/postgres.js';
import { OWNS, startNatsServer, startNode, type NatsProcess, type NodeProcess } from '../../../scripts/cluster-demo-lib.js';

export const PUBLIC_BASE = 'http://switchboard';

export interface Cluster {
  readonly dir: string;
  readonly nats: NatsProcess;
  readonly pg: PostgresServer;
  readonly databaseUrl: string;
  readonly nodes: NodeProcess[];
  /** start another node (e.g. to replace a killed one) */
  addNode(id: string): Promise<NodeProcess>;
  /** the node that logged owning a contact center (this one, when given) most recently, among those still running */
  owner(ccId?: string): NodeProcess | undefined;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  logLevel?: string;
  /** environment every node gets besides the harness's (e.g. SWITCHBOARD_SIP_PORT for SIP on the cluster) */
  env?: Record<string, string>;
  /** the configuration file's contents (its `server` section gets the public base URL added) */
  config?: Record<string, unknown>;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cluster-'));
  const pg = await startPostgres();
  const nats = await startNatsServer(join(dir, 'jetstream'));
  const databaseUrl = await pg.createDatabase();
  const configFile = join(dir, 'node.json');
  writeFileSync(configFile, JSON.stringify({ ...opts.config, server: { ...(opts.config?.server as object | undefined), publicBaseUrl: PUBLIC_BASE } }));
  const passwordKeyFile = join(dir, 'password.key');
  const nodes: NodeProcess[] = [];
  const dead = new Set<NodeProcess>();
  const addNode = async (id: string) => {
    const n = await startNode({ id, natsUrl: nats.url, databaseUrl, passwordKeyFile, env: { ...opts.env, SWITCHBOARD_CONFIG: configFile }, ...(opts.logLevel ? { logLevel: opts.logLevel } : {}) });
    void n.exited.then(() => dead.add(n));
    nodes.push(n);
    return n;
  };
  try {
    // the first node provisions the demo and takes the lease; the others start beside it
    const first = await addNode('n1');
    await first.waitForLog((l) => l.msg === OWNS, 20_000, 'n1 to own the demo contact center');
    await Promise.all(Array.from({ length: (opts.nodes ?? 3) - 1 }, (_, i) => addNode(`n${i + 2}`)));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    await nats.stop();
    await pg.stop();
    throw err;
  }
  return {
    dir,
    nats,
    pg,
    databaseUrl,
    nodes,
    addNode,
    owner: (ccId) => {
      let best: { node: NodeProcess; at: number } | undefined;
      for (const node of nodes) {
        if (dead.has(node)) continue;
        node.logs.forEach((l, at) => {
          if (l.msg === OWNS && (ccId === undefined || l.ccId === ccId) && (!best || Number(l.time) > best.at)) best = { node, at: Number(l.time ?? at) };
        });
      }
      return best?.node;
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      await nats.stop();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * E2E over a cluster: users' CometD clients on the nodes `cometdNodeOf` names, REST through `rest`.
 * `baseUrl` is the public base every node renders, so the steps' URI checks hold on any node.
 */
export class ClusterE2E extends E2E {
  constructor(
    private readonly rest: NodeProcess,
    private readonly cometdNodeOf: (user: string) => NodeProcess,
  ) {
    super();
    this.baseUrl = PUBLIC_BASE;
  }

  override notificationsUrl(name: string): string {
    return this.cometdNodeOf(name).url + '/api/v2/notifications';
  }

  override async fetchJson(method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(this.rest.url + path, {
      method,
      headers: { Authorization: auth, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  override async close(): Promise<void> {
    for (const h of this.users.values()) await h.client.disconnect().catch(() => {});
  }
}

/** CallUUIDs, ConnIDs and durations replaced by placeholders in order of appearance */
export function normaliseIds(text: string): string {
  const seen = new Map<string, string>();
  const name = (kind: string) => (m: string) => {
    if (!seen.has(m)) seen.set(m, `<${kind}${[...seen.values()].filter((v) => v.startsWith(`<${kind}`)).length + 1}>`);
    return seen.get(m)!;
  };
  return text
    .replace(/\b[0-9A-Z]{32}\b/g, name('call'))
    .replace(/\b[0-9a-f]{16}\b/g, name('conn'))
    .replace(/"duration": "\d+"/g, '"duration": "<s>"');
}
