/**
 * A cluster node (docs/scale-out.md): what `SWITCHBOARD_NATS_URL` turns on. It connects to NATS,
 * and gives the composition root (src/app/app.ts) what follows, everything else being the
 * single-node app unchanged:
 *   - `router`, the switch the GWS layer uses: each contact center served by its owned logged
 *     switch or by the forwarding port to its owner (switch-router.ts), with `ownership` deciding
 *     which, from the leases (ownership.ts);
 *   - `bus`, the per-user notification subjects: the notifier, the team and logout publish there,
 *     and the Bayeux presence hook subscribes this node to the users it holds sessions of
 *     (../bus/user-bus.ts);
 *   - `sessions`, the relay that keeps every node's in-memory HTTP sessions in step through the
 *     shared store and `switchboard.sessions` (../bus/session-relay.ts);
 *   - `standbys`, a hot standby of each contact center this node does not own (../standby.ts, on
 *     unless `standby: false`): a takeover replays only what its replica has not applied; a new
 *     standby starts whenever this node stops owning a contact center;
 *   - `onReconnect`: told after each reconnect to NATS, so that what other nodes published while
 *     this one was cut off (core NATS keeps nothing for it) is read from the store instead; the
 *     loss and the reconnect are each one log line;
 *   - `logIdentity`, the name of the command log, which outlives every node: the app tells CometD
 *     clients the start of the call state by it (a node's restart does not end that state);
 *   - `start` (after the topologies are configured) and `close`.
 * What else follows the ownership of a contact center (SIP: src/app/owner-telephony.ts) comes in
 * through `OwnedSwitchHooks`: its endpoints go under the logged switch, it hears when the switch is
 * live and, once, when it is no longer owned.
 * The cluster core (log, lease, command server, forwarding port) comes in through `ClusterCore`,
 * built over the same NATS connection (core.ts).
 */
import { randomBytes } from 'node:crypto';
import { Events, connect, type NatsConnection } from 'nats';
import type { ClusterConfig } from '../../config/types.js';
import type { Clock } from '../../switch/port.js';
import type { SwitchAccess } from '../../switch/port-access.js';
import type { SwitchLog } from '../../switch/door.js';
import type { CommandLog, OwnershipLease } from '../contract.js';
import type { LoggedSwitch, LoggedSwitchOptions } from '../logged-switch.js';
import { Standbys } from '../standby.js';
import { SessionRelay } from '../bus/session-relay.js';
import { natsTransport } from '../bus/transport.js';
import { UserBus } from '../bus/user-bus.js';
import { auditDrained, serveAuditDrain } from './audit-drain.js';
import { Ownership } from './ownership.js';
import { SwitchRouter } from './switch-router.js';

/** What the cluster core offers a node over its NATS connection. */
export interface ClusterCore {
  log: CommandLog;
  /** names the command log: the same on every node and at every start, another once the log is made anew */
  logIdentity: string;
  lease: OwnershipLease;
  /** answer ccId's command subject from `port`; returns its stop function */
  serveCommands(ccId: string, port: SwitchAccess): () => Promise<void> | void;
  /** the forwarding port to ccId's owner */
  forwarder(ccId: string): SwitchAccess;
  close(): Promise<void>;
}

export type ClusterCoreFactory = (nc: NatsConnection, node: string) => Promise<ClusterCore>;

export interface NodeLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface NodeOptions {
  config: ClusterConfig;
  clock: Clock;
  core: ClusterCoreFactory;
  /** which contact center a DN belongs to (the GWS directory, filled once the store is read) */
  contactCenterOfDn(dn: string): string | undefined;
  /** the switch's failure log and the audit check, as for a single-node switch */
  switchLog: SwitchLog;
  auditAvailable: () => boolean;
  /** where the node's own lines go (fastify's logger exists only later: a late-bound sink) */
  log: () => NodeLog | undefined;
  /** told around each owned switch (SIP follows the owner: src/app/owner-telephony.ts) */
  owned?: OwnedSwitchHooks;
  /** keep a hot standby of each contact center this node does not own (../standby.ts); default config.standby, else true */
  standby?: boolean;
}

/**
 * What follows the ownership of a contact center besides its switch: the live endpoints under the
 * logged switch (asked before it is opened), then `opened` once it is live, and `lost` once when it
 * stops being owned (lease lost or given up, fenced out, or the switch could not be opened).
 */
export interface OwnedSwitchHooks {
  endpointsFor(ccId: string): LoggedSwitchOptions['endpoints'] | undefined;
  opened(ccId: string, sw: LoggedSwitch): void;
  lost(ccId: string): void;
}

export interface ClusterNode {
  readonly node: string;
  readonly nc: NatsConnection;
  /** the command log's identity (ClusterCore.logIdentity): the cluster's call state lives exactly as long as that log */
  readonly logIdentity: string;
  readonly router: SwitchRouter;
  readonly bus: UserBus;
  readonly sessions: SessionRelay;
  readonly ownership: Ownership;
  /** the replicas of the contact centers this node watches (hot standby) */
  readonly standbys: Standbys;
  /** take or watch every configured contact center (after router.configure for each) */
  start(): Promise<void>;
  /** how the owner finishes its audit writes (the app's AuditWriter.drain), served while owning */
  serveAuditDrain(drain: () => Promise<void>): void;
  /** wait until every contact center's owner has written the audit entries it queued (audit-drain.ts) */
  auditDrained(): Promise<void>;
  /**
   * called after each reconnect to NATS, with what this node may have missed meanwhile (other
   * nodes' session and password messages) to be read from the store (src/app/cluster-resync.ts)
   */
  onReconnect(listener: () => Promise<void>): void;
  close(): Promise<void>;
}

/**
 * After each reconnect to NATS, the listeners (what this node may have missed) run one after
 * another until they all succeed: a failure (the store cut off too) is retried with a growing
 * delay (1 s, doubling, at most 30 s); reconnects that come while they run make one more run, not
 * one each; a reconnect before any listener is registered (during the node's start) runs them when
 * the first one is; `close` stops the retries and waits (a bounded time) for a run under way.
 */
export class AfterReconnect {
  private readonly listeners: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private missed = false;
  private closed = false;

  constructor(private readonly log: { warn(o: object, m: string): void }) {}

  add(listener: () => Promise<void>): void {
    this.listeners.push(listener);
    if (this.missed) {
      this.missed = false;
      this.reconnected();
    }
  }

  reconnected(): void {
    if (this.closed) return;
    if (this.listeners.length === 0) return void (this.missed = true);
    if (this.running) return void (this.again = true);
    this.running = this.runUntilDone().finally(() => (this.running = undefined));
  }

  /** no more runs or retries; waits for a run under way, at most `graceMs` (a store that hangs must not hold the close) */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    const running = this.running;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  private async runUntilDone(): Promise<void> {
    do {
      this.again = false;
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          for (const listener of [...this.listeners]) await listener();
          break;
        } catch (err) {
          const delayMs = Math.min(30_000, 1000 * 2 ** attempt);
          this.log.warn({ err, retryInMs: delayMs }, 'cluster: reading what was missed while disconnected failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
          if (this.again) break;
        }
      }
    } while (this.again && !this.closed);
  }
}

/** One log line at each loss and each reconnect of the NATS connection; each reconnect told to `after`. */
function watchConnection(nc: NatsConnection, nodeLog: { info(o: object, m: string): void; warn(o: object, m: string): void }, after: AfterReconnect): void {
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) nodeLog.warn({ server: status.data }, CLUSTER_DISCONNECTED);
      if (status.type !== Events.Reconnect) continue;
      nodeLog.info({ server: status.data }, CLUSTER_RECONNECTED);
      after.reconnected();
    }
  })();
}

/** log lines kept while the app's logger does not exist yet */
const EARLY_LINES = 100;

export const CLUSTER_DISCONNECTED = 'cluster: the NATS connection is lost; reconnecting';
export const CLUSTER_RECONNECTED = 'cluster: reconnected to NATS; what other nodes said meanwhile is read from the store';

/** a node id when none is configured: readable in logs, unique enough for a lease */
export function generatedNodeId(): string {
  return `node-${randomBytes(4).toString('hex')}`;
}

export async function joinCluster(opts: NodeOptions): Promise<ClusterNode> {
  const node = opts.config.nodeId ?? generatedNodeId();
  // lines from before the app's logger exists (a NATS loss during the start) wait for it
  const early: { level: keyof NodeLog; o: object; m: string }[] = [];
  const log = (level: keyof NodeLog, o: object, m: string) => {
    const sink = opts.log();
    if (!sink) return void (early.length < EARLY_LINES && early.push({ level, o, m }));
    for (const line of early.splice(0)) sink[line.level]({ component: 'cluster', node, ...line.o }, line.m);
    sink[level]({ component: 'cluster', node, ...o }, m);
  };
  const nc = await connect({ servers: opts.config.natsUrl, name: `switchboard ${node}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const transport = natsTransport(nc, (err, what) => log('warn', { err }, `cluster bus: ${what} failed`));
  const core = await opts.core(nc, node);
  const router = new SwitchRouter(opts.contactCenterOfDn);
  const bus = new UserBus(transport, (err, what) => log('warn', { err }, `cluster bus: ${what} failed`));
  const sessions = new SessionRelay(node, transport, (err, what) => log('warn', { err }, `${what} failed`));
  let drainAudit: () => Promise<void> = async () => {};
  const nodeLog = { info: (o: object, m: string) => log('info', o, m), warn: (o: object, m: string) => log('warn', o, m) };
  // what a contact center's switch is built with, as a replica and as the owned switch alike
  const switchOf = (ccId: string) => ({ ccId, clock: opts.clock, switchLog: opts.switchLog, auditAvailable: opts.auditAvailable });
  const standbys = new Standbys({
    log: core.log,
    enabled: opts.standby ?? opts.config.standby ?? true,
    replica: switchOf,
    logger: nodeLog,
  });
  const ownership = new Ownership({
    node,
    lease: core.lease,
    router,
    openSwitch: async (ccId, onLost) => {
      const hooks = opts.owned;
      const endpoints = hooks?.endpointsFor(ccId);
      const lost = (why: string) => {
        hooks?.lost(ccId);
        onLost(why);
        standbys.watch(ccId);
      };
      try {
        const sw = await standbys.open({ ...switchOf(ccId), node, log: core.log, onLost: lost, ...(endpoints ? { endpoints } : {}) });
        hooks?.opened(ccId, sw);
        return sw;
      } catch (err) {
        hooks?.lost(ccId);
        standbys.watch(ccId);
        throw err;
      }
    },
    serveCommands: (ccId, port) => {
      const stopCommands = core.serveCommands(ccId, port);
      const stopDrain = serveAuditDrain(nc, ccId, () => drainAudit());
      return async () => {
        stopDrain();
        await stopCommands();
      };
    },
    forwarder: core.forwarder,
    log: nodeLog,
  });
  const afterReconnect = new AfterReconnect(nodeLog);
  watchConnection(nc, nodeLog, afterReconnect);
  let closing: Promise<void> | undefined;
  return {
    node,
    nc,
    logIdentity: core.logIdentity,
    router,
    bus,
    sessions,
    ownership,
    standbys,
    start: () => {
      for (const ccId of router.contactCenters()) standbys.watch(ccId);
      return ownership.start();
    },
    serveAuditDrain: (drain) => {
      drainAudit = drain;
    },
    auditDrained: () => auditDrained(nc, router.contactCenters().filter((ccId) => !ownership.owns(ccId))),
    onReconnect: (listener) => afterReconnect.add(listener),
    close() {
      closing ??= (async () => {
        await afterReconnect.close();
        standbys.close();
        await ownership.stop();
        router.stop();
        bus.close();
        sessions.close();
        await core.close();
        await nc.drain().catch(() => nc.close());
      })();
      return closing;
    },
  };
}
