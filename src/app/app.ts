/**
 * The composition root: builds Switchboard from a Config. Opens the store, provisions it, loads
 * every contact center into the GWS directory and the switch, builds the Bayeux server (its
 * authenticate hook is the REST one: Basic from the credential cache, or the session cookie),
 * subscribes the notifier and the audit writer to switch events, and builds the HTTP server.
 * With SIP on (sip.port != 0, or AppDeps.sipEphemeralPorts) it also builds the telephony
 * (src/app/telephony.ts: mixers, SIP endpoints under the switch's endpoint selector, the SIP server
 * bound in listen()); with SIP off, or no phone registered, the switch behaves as the simulated one.
 * With config.cluster (SWITCHBOARD_NATS_URL) the process is a cluster node (src/cluster/node/node.ts,
 * docs/scale-out.md): the node's router replaces the one switch, notifications and logout travel the
 * per-user bus, HTTP sessions are relayed between nodes, and SIP follows the owner (with sip.port != 0:
 * src/app/owner-telephony.ts binds the contact center's SIP address only while this node owns it);
 * without it nothing changes.
 * Nothing else constructs these objects.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createBayeuxServer } from '../bayeux/server.js';
import type { BayeuxServer } from '../bayeux/port.js';
import type { Config } from '../config/types.js';
import { Auth, authPolicyOf } from '../gws/auth.js';
import type { GwsDeps } from '../gws/context.js';
import { Directory } from '../gws/directory.js';
import { buildHttp, earlyErrorLimits, httpFront } from '../gws/http.js';
import { SHUTDOWN_GRACE_MS } from '../gws/connections.js';
import { gwsRefusal, upgradeHandler } from '../gws/upgrade.js';
import { Notifier } from '../gws/notifier.js';
import { Team } from '../gws/team-notifier.js';
import { Sessions } from '../gws/sessions.js';
import { makeUrls } from '../gws/urls.js';
import { scryptHasher, type PasswordHasher } from '../store/password.js';
import type { SingleServerLockEvent, Store } from '../store/port.js';
import { provisionReporting } from '../store/provision.js';
import { describeDatabase, openConfiguredStore } from '../store/open.js';
import { DatabaseInUseError } from '../store/postgres.js';
import { randomIds, systemClock } from '../switch/clock.js';
import type { Clock, IdSource, SwitchPort } from '../switch/port.js';
import { SimulatedSwitch } from '../switch/simulated.js';
import { CallModel } from '../switch/call-model.js';
import { RecordingCatalog } from '../gws/routes/recordings.js';
import { AuditWriter } from './audit-writer.js';
import { closeOpenMonitoring } from './audit-recovery.js';
import { resyncAfterReconnect } from './cluster-resync.js';
import { Metrics } from './metrics.js';
import { ReadinessChecks, cachedCheck } from '../gws/routes/health.js';
import { switchEventLogger } from '../gws/logging-events.js';
import { Telephony } from './telephony.js';
import { OwnerTelephony } from './owner-telephony.js';
import { KvDialogRecords } from '../cluster/kv-dialog-records.js';
import { topologyOf } from './topology.js';
import { joinCluster, type ClusterCoreFactory, type ClusterNode } from '../cluster/node/node.js';
import { natsClusterCore } from '../cluster/node/core.js';

export interface App {
  config: Config;
  fastify: FastifyInstance;
  switch: SwitchPort;
  store: Store;
  bayeux: BayeuxServer;
  directory: Directory;
  /** recorded calls (who owns each) and their WAV files */
  recordings: RecordingCatalog;
  /** present when SIP is on: the SIP server, the SIP endpoints and the mixers */
  telephony?: Telephony;
  /** present on a cluster node with SIP on: the telephony of the contact center while this node owns it */
  ownerTelephony?: OwnerTelephony;
  /** the checks of GET /readyz: a part of the server that can stop serving adds its own */
  readiness: ReadinessChecks;
  /** the Prometheus metrics of GET /metrics */
  metrics: Metrics;
  /** present on a cluster node: its router (the `switch` above: methods may answer with Promises), bus, relay and ownership */
  cluster?: ClusterNode;
  /**
   * bind SIP (when on; a failure rejects with a SipBindError) on sip.host:sip.port, then listen on
   * config.host:config.port (0 = ephemeral); baseUrl is the local URL actually bound
   */
  listen(): Promise<{ baseUrl: string; port: number; sipPort?: number }>;
  /** stop accepting, answer held long-polls, finish requests, stop the switch, close the store */
  close(): Promise<void>;
}

export interface AppDeps {
  clock?: Clock;
  ids?: IdSource;
  switch?: SwitchPort;
  store?: Store;
  /** where log lines go (newline-delimited JSON); default standard output. Tests read the logs here */
  logStream?: { write(line: string): unknown };
  /** hashes provisioned passwords and verifies logins; default scrypt at the production cost (tests inject a cheap one) */
  passwordHasher?: PasswordHasher;
  /** turn SIP on with free SIP and RTP ports, whatever sip.port says (tests that drive real phones) */
  sipEphemeralPorts?: boolean;
  /** the cluster core of a cluster node (config.cluster); default the NATS one (JetStream log, KV lease) */
  clusterCore?: ClusterCoreFactory;
}

export const PACKAGE_VERSION: string = (() => {
  try {
    return String(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  } catch {
    return '0.0.0';
  }
})();

/**
 * The handshake ext member that names the start of the call state this server serves
 * (docs/compatibility.md, "switchStart"): it changes exactly when every voice session and call the
 * server held has ended with that state, so a client that handshakes again tells a restart from
 * any other end of its voice session.
 */
export const SWITCH_START_EXT = 'switchStart';

/**
 * A single server's call state lives in the process and ends with it: a new id at each start. A
 * cluster's lives in its command log, which every node replays and no node's restart ends: the
 * log's identity, the same on every node.
 */
function switchStartOf(cluster: ClusterNode | undefined): string {
  return cluster ? cluster.logIdentity : randomUUID();
}

/** the log line of each change of a single server's PostgreSQL lock (holdSingleServerLock) */
export const LOCK_LOG_LINES: Readonly<Record<SingleServerLockEvent, { level: 'warn' | 'info' | 'error'; message: string }>> = {
  lost: { level: 'warn', message: "store: the PostgreSQL connection holding this server's single-server lock was lost; taking it again" },
  retaken: { level: 'info', message: "store: this server holds its PostgreSQL database's single-server lock again" },
  heldByAnother: {
    level: 'error',
    message: 'store: another single Switchboard server took this PostgreSQL database while this one had lost its connection: two servers share it now; stop one of them',
  },
};

/** the store readiness probe runs at most once per this many ms */
const STORE_PROBE_MAX_AGE_MS = 1000;
/** a session id hash no session has: touching it writes nothing, but needs a writable database */
const STORE_PROBE_SESSION = 'readiness-probe';

/** undefined when the store accepts a (no-op) write now, else why not */
async function storeWritable(store: Store): Promise<string | undefined> {
  try {
    await store.touchSession(STORE_PROBE_SESSION, Date.now());
    return undefined;
  } catch (err) {
    return `the store is not writable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** a host as it appears in a URL (wildcard addresses become the loopback one) */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export async function createApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const clock = deps.clock ?? systemClock;
  // the switch logs its internal failures through fastify's logger, which exists only once fastify is built
  let switchLog: { error(o: object, msg?: string): void } | undefined;
  // built once fastify's logger exists; the switch asks it before joining a supervisor to a call
  let audit: AuditWriter | undefined;
  const auditAvailable = () => audit?.available() ?? true;
  // SIP endpoints go under the switch the app builds (a switch given by a test is used as it is)
  let telephonyLog: FastifyInstance['log'] | undefined;
  // a cluster node's SIP follows the owner (docs/scale-out.md "SIP on cluster nodes"): built per takeover
  const ownerTelephony =
    !deps.switch && config.cluster && config.sip.port !== 0
      ? new OwnerTelephony({ config, clock, userAgent: `Switchboard/${PACKAGE_VERSION}`, log: (level, message, fields) => telephonyLog?.[level](fields ?? {}, message) })
      : undefined;
  const telephony =
    !deps.switch && !config.cluster && (config.sip.port !== 0 || deps.sipEphemeralPorts)
      ? new Telephony({
          config,
          clock,
          ephemeralPorts: deps.sipEphemeralPorts ?? false,
          userAgent: `Switchboard/${PACKAGE_VERSION}`,
          log: (level, message, fields) => telephonyLog?.[level](fields ?? {}, message),
        })
      : undefined;
  const switchOptions = { clock, ids: deps.ids ?? randomIds(), log: { error: (o: object, m?: string) => switchLog?.error(o, m) }, auditAvailable };
  // a cluster node: the router serves each contact center by its owned switch or the owner's forwarding port
  let clusterDirectory: Directory | undefined;
  let clusterLog: FastifyInstance['log'] | undefined;
  const cluster =
    config.cluster && !deps.switch
      ? await joinCluster({
          config: config.cluster,
          clock,
          core: deps.clusterCore ?? natsClusterCore,
          contactCenterOfDn: (dn) => clusterDirectory?.deviceByDn(dn)?.contactCenterId,
          switchLog: switchOptions.log,
          auditAvailable,
          log: () => clusterLog,
          ...(ownerTelephony ? { owned: ownerTelephony } : {}),
        })
      : undefined;
  // the router is the switch of a cluster node; its methods may answer with Promises (the GWS layer awaits them)
  const sw = cluster ? (cluster.router as unknown as SwitchPort) : deps.switch ?? (telephony ? new CallModel({ ...switchOptions, endpoints: telephony.install }) : new SimulatedSwitch(switchOptions));
  const hasher = deps.passwordHasher ?? scryptHasher();
  const metrics = new Metrics();
  telephony?.observeMetrics(metrics);
  ownerTelephony?.observeMetrics(metrics);
  const store = metrics.instrumentStore(deps.store ?? openConfiguredStore(config, hasher));
  telephony?.useBindingStore(store.registrations?.());
  ownerTelephony?.useBindingStore(store.registrations?.());
  try {
    // a single server is its database's only one (SQLite: the file lock; PostgreSQL: an advisory
    // lock), before it provisions anything; cluster nodes share the database by design. A lock
    // lost with its connection is taken again (src/store/postgres.ts): each change is a log line
    // (those before the logger exists are kept for it) and, until it is held again, a readiness reason
    const earlyLockEvents: SingleServerLockEvent[] = [];
    let lockLog: (event: SingleServerLockEvent) => void = (event) => void earlyLockEvents.push(event);
    if (!cluster && store.holdSingleServerLock && !(await store.holdSingleServerLock((event) => lockLog(event)))) throw new DatabaseInUseError(describeDatabase(config.database));
    // the SIP dialog records a next owner reads (docs/scale-out.md "SIP on cluster nodes")
    if (cluster && ownerTelephony) ownerTelephony.useDialogRecords(await KvDialogRecords.open(cluster.nc));
    const provisioned = await provisionReporting(store, config);
    const directory = new Directory();
    clusterDirectory = directory;
    for (const cc of await store.listContactCenters()) {
      const snap = await store.snapshot(cc.id);
      if (!snap) continue;
      directory.load(snap);
      telephony?.directory.load(snap);
      ownerTelephony?.load(snap);
      await sw.configure(topologyOf(snap));
    }

    let base = config.publicBaseUrl?.replace(/\/+$/, '') ?? `http://${urlHost(config.host)}:${config.port}`;
    const urls = makeUrls(() => base);
    // a user whose last HTTP session ended (expiry, logout) loses their CometD sessions with it
    let sessionLog: FastifyInstance['log'] | undefined;
    const sessions = new Sessions(config.sessionTtlSec * 1000, Date.now, {
      store: cluster ? cluster.sessions.wrap(store) : store,
      writeIntervalMs: config.sessionWriteIntervalSec * 1000,
      onError: (err, what) => sessionLog?.warn({ err }, `${what} failed`),
      onUserSessionsEnded: (userId) => bayeux.disconnectUser(userId, 'afterDelivery'),
    });
    // the other nodes' session changes; a password changed by another node's start is read from the
    // store (names that arrive before Auth exists wait for it)
    const earlyNames: string[] = [];
    let passwordsChanged = (userNames: readonly string[]): void => void earlyNames.push(...userNames);
    cluster?.sessions.listen({
      adopt: (s) => sessions.adopt(s),
      touched: (idHash, lastSeen) => sessions.touched(idHash, lastSeen),
      forget: (idHash) => sessions.forget(idHash),
      passwordsChanged: (userNames) => passwordsChanged(userNames),
    });
    await sessions.restore();
    const auth = new Auth(directory, sessions, store.verifyPassword ?? hasher.verify, { policy: authPolicyOf(config.auth), dummyHash: hasher.unmatchable() });
    // one store read at a time, so that a large change does not take every connection of the pool
    let reads = Promise.resolve();
    passwordsChanged = (userNames) => {
      for (const userName of userNames) {
        reads = reads
          .then(() => store.userByName(userName))
          .then(
            (user) => void (user && auth.passwordChanged(user)),
            (err: unknown) => sessionLog?.warn({ err, userName }, 'reading a password changed on another node failed'),
          );
      }
    };
    passwordsChanged(earlyNames.splice(0));
    // what the other nodes said while this one was cut off from NATS comes from the store instead
    cluster?.onReconnect(async () => {
      const counts = await resyncAfterReconnect({ store, directory, auth, sessions });
      sessionLog?.info(counts, 'sessions and passwords read again from the store after a NATS reconnect');
    });
    // this node's start changed passwords: the running nodes take them too (docs/scale-out.md)
    cluster?.sessions.passwordsChanged(provisioned.usersWithNewPassword);

    // the Bayeux server logs through fastify's logger, which exists only once fastify is built
    let bayeuxLog: FastifyInstance['log'] | undefined;
    const bayeux = createBayeuxServer({
      ...config.cometd,
      handshakeExt: { [SWITCH_START_EXT]: switchStartOf(cluster) },
      authenticate: (req) => auth.authenticateSync(req),
      keepAlive: (headers) => auth.keepAlive(headers),
      renderRefusal: gwsRefusal,
      metrics: metrics.bayeuxHook,
      ...(cluster ? { presence: cluster.bus.presence } : {}),
      log: {
        info: (o, m) => bayeuxLog?.info(o, m),
        warn: (o, m) => bayeuxLog?.warn(o, m),
        debug: (o, m) => bayeuxLog?.debug(o, m),
      },
    });
    metrics.readCometd(bayeux);
    // what publishes to users and ends their sessions: on a cluster node, through the per-user bus
    const publisher = cluster ? cluster.bus.attach(bayeux) : bayeux;
    // GET /readyz: each part that can stop serving says why (docs/operations.md)
    const readiness = new ReadinessChecks();
    readiness.add('audit', () => audit?.fault());
    readiness.add('store', cachedCheck(() => storeWritable(store), STORE_PROBE_MAX_AGE_MS));
    if (!cluster && store.singleServerLockFault) readiness.add('database lock', () => store.singleServerLockFault!());
    readiness.add('cometd', () => (bayeux.serving() ? undefined : 'CometD is shut down'));
    if (cluster) readiness.add('cluster', () => (cluster.nc.isClosed() ? 'the NATS connection is closed' : undefined));
    if (telephony) readiness.add('sip', () => (telephony.port === undefined ? 'SIP is not listening (its sockets are not bound)' : undefined));
    // the supervision team extension: its rows for GET /api/v2/supervision/agents and its channel
    const team = new Team({ directory, sw, urls, clock });
    const gwsDeps: GwsDeps = {
      config, directory, sw, store, urls, sessions, auth, bayeux: publisher,
      version: PACKAGE_VERSION,
      // on a cluster node the owners write the audit: the listing waits for theirs too (src/cluster/node/audit-drain.ts)
      auditWritten: () => Promise.all([audit?.drain(), cluster?.auditDrained()]).then(() => undefined),
      auditFault: () => audit?.fault(),
      team,
      recordings: new RecordingCatalog(config.recordings.dir, (dn) => directory.deviceByDn(dn)?.contactCenterId, (message, fields) =>
        fastify.log.warn({ component: 'recordings', ...fields }, message),
      ),
      ...(telephony ? { tones: telephony } : {}),
      readiness,
      metrics,
    };
    // the connection guard and the origin policy, shared by the HTTP routes and the upgrade handler
    let httpLog: FastifyInstance['log'] | undefined;
    const front = httpFront(gwsDeps, { warn: (o, m) => httpLog?.warn(o, m), debug: (o, m) => httpLog?.debug(o, m) });
    const fastify = buildHttp(gwsDeps, bayeux, front, { logStream: deps.logStream, onRequestDone: metrics.observeRequest });
    httpLog = fastify.log.child({ component: 'connections' });
    front.connections.attach(fastify.server);
    bayeuxLog = fastify.log.child({ component: 'bayeux' });
    switchLog = fastify.log.child({ component: 'switch' });
    sessionLog = fastify.log.child({ component: 'sessions' });
    lockLog = (event) => fastify.log[LOCK_LOG_LINES[event].level]({ component: 'store' }, LOCK_LOG_LINES[event].message);
    for (const event of earlyLockEvents.splice(0)) lockLog(event);
    telephonyLog = fastify.log.child({ component: 'sip' });

    clusterLog = fastify.log;
    const notifier = new Notifier({ urls, directory }, publisher, fastify.log.child({ component: 'notifier' }));
    audit = new AuditWriter(store, directory, fastify.log.child({ component: 'audit' }));
    // a single server that was killed left its monitoring open in the audit: closed before any
    // command (this server is the database's only one: the lock above)
    if (!cluster && !deps.switch) await closeMonitoringLeftOpen(store, directory, clock.now(), fastify.log.child({ component: 'audit' }));
    cluster?.serveAuditDrain(() => audit?.drain() ?? Promise.resolve());
    team.attach(publisher, fastify.log.child({ component: 'team' }));
    const unsubscribe = [sw.onEvent(notifier.onEvent), sw.onEvent(audit.onEvent), sw.onEvent(team.onEvent), sw.onEvent(gwsDeps.recordings!.onEvent)];
    if (telephony) unsubscribe.push(sw.onEvent(telephony.onSwitchEvent));
    unsubscribe.push(sw.onEvent(metrics.onEvent), sw.onEvent(switchEventLogger(fastify.log.child({ component: 'events' }))));

    fastify.server.on(
      'upgrade',
      upgradeHandler({ bayeux, auth, front, limits: earlyErrorLimits(config), log: fastify.log.child({ component: 'upgrade' }) }),
    );

    // take or watch each contact center only now: the listeners above hear the owned switches from the start
    await cluster?.start();

    let closing: Promise<void> | undefined;
    return {
      config,
      fastify,
      switch: sw,
      store,
      bayeux,
      directory,
      recordings: gwsDeps.recordings!,
      ...(telephony ? { telephony } : {}),
      ...(ownerTelephony ? { ownerTelephony } : {}),
      readiness,
      metrics,
      ...(cluster ? { cluster } : {}),
      async listen() {
        const sip = telephony ? await telephony.start() : undefined;
        await fastify.listen({ host: config.host, port: config.port });
        const port = (fastify.server.address() as AddressInfo).port;
        const local = `http://${urlHost(config.host)}:${port}`;
        if (!config.publicBaseUrl) base = local;
        return { baseUrl: local, port, ...(sip ? { sipPort: sip.port } : {}) };
      },
      close() {
        closing ??= (async () => {
          // a single server's calls end with it: clients see them released, phones get BYEs, and the
          // audit gets each supervisor's Left and each configuration's Cancelled (ServerStopped); a
          // cluster node's calls go on at the next owner, and a switch handed in belongs to its caller
          const endCalls = (): void => {
            if (!cluster && !deps.switch && sw instanceof CallModel) sw.serverStopping();
          };
          endCalls();
          const http = fastify.close();
          await bayeux.close();
          // what is still open once held long-polls are answered (a half-sent request) is cut after a grace
          await front.connections.shutdown(SHUTDOWN_GRACE_MS);
          await http;
          // calls made by requests that were still running end too, while the audit still listens
          endCalls();
          for (const off of unsubscribe) off();
          await cluster?.close();
          await ownerTelephony?.close();
          sw.stop();
          await telephony?.close();
          await sessions.close();
          await audit?.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await telephony?.close().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    await ownerTelephony?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}

/** closeOpenMonitoring with its one log line; a store that refuses is logged and the start goes on */
async function closeMonitoringLeftOpen(store: Store, directory: Directory, at: number, log: FastifyInstance['log']): Promise<void> {
  try {
    const written = await closeOpenMonitoring(store, directory, at);
    if (written.length > 0) {
      log.warn({ entries: written.length }, 'the previous run stopped without closing its supervisor monitoring: its Left and Cancelled entries are written now (reason ServerStoppedUnexpectedly)');
    }
  } catch (err) {
    log.error({ err }, 'the audit could not be checked for monitoring left open by the previous run');
  }
}
