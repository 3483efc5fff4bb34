/**
 * SIP follows the owner (docs/scale-out.md "SIP on cluster nodes"): on a cluster node, the SIP
 * service address of the contact center (sip.host:sip.port, the same on every node, as a floating
 * IP would be) is bound only by the node that owns it. The cluster node calls the three hooks
 * (src/cluster/node/node.ts OwnedSwitchHooks) around its logged switch:
 *   - `endpointsFor` (before the switch is opened): a fresh Telephony (mixer, SIP endpoints, SIP
 *     server not yet bound) whose endpoints go under the logged switch, so what they decide goes
 *     through the endpoint tape;
 *   - `opened`: the switch's events reach the SIP endpoints; the SIP address is bound, retried every
 *     BIND_RETRY_MS while another process holds it (a stale owner until it resumes and gives up);
 *     once bound, the registrations kept in the store are taken back (phones ring at once), every
 *     dialog the previous owner recorded for the contact center is sent a BYE and its record removed,
 *     and the SIP endpoints are told which extensions are logged in (nailed-up phones called again);
 *   - `lost` (the lease lost or given up, or the switch could not be opened): the binding stops and
 *     the Telephony is closed (its dialogs are BYEd, its sockets freed).
 * Guarantees: only the contact center named by `sipContactCenter` (the first one provisioned) gets
 * SIP (one address per contact center is not built: the others stay simulated, logged at start);
 * nothing here throws into the cluster node; `close` waits until every Telephony is closed; the SIP
 * metrics are registered once and read whichever Telephony is live.
 */
import type { Config } from '../config/types.js';
import type { EndpointSelector, EndpointHost } from '../endpoints/port.js';
import type { SimulatedEndpoints } from '../endpoints/simulated.js';
import { journalOf, type DialogRecordStore, type SipDialogRecord } from '../endpoints/sip/dialog-records.js';
import type { BindingStore } from '../sip/bindings.js';
import type { ContactCenterSnapshot } from '../store/port.js';
import type { DeviceView, SwitchEvent } from '../switch/model.js';
import type { Clock } from '../switch/port.js';
import { SipBindError, Telephony, type TelephonyLog } from './telephony.js';
import type { Metrics } from './metrics.js';
import type { TelephonySink } from './telephony-metrics.js';

/** how often a new owner tries to bind the SIP address while it is held */
export const BIND_RETRY_MS = 300;

/** the log line of a node that bound its contact center's SIP address (tests wait for it) */
export const SIP_BOUND = 'SIP: this node serves the contact center\'s SIP address';
/** the start of the log line of a new owner that finds the SIP address held (it retries) */
export const SIP_HELD = 'SIP: the SIP address is held';
/** the log line after the SIP endpoints were told who is logged in (nailed-up phones are called again) */
export const SIP_REJOINED = 'SIP: the logged-in extensions are known to the new SIP endpoints';
/** the log line after the previous owner's dialogs were sent their BYE */
export const SIP_DIALOGS_ENDED = 'SIP: the previous owner\'s dialogs were ended';

export interface OwnerTelephonyOptions {
  config: Config;
  clock: Clock;
  log: TelephonyLog;
  userAgent?: string;
  bindRetryMs?: number;
}

/** What the telephony needs of the owned switch: its events, and who is logged in after the replay. */
export interface OpenedSwitch {
  onEvent(listener: (e: SwitchEvent) => void): () => void;
  device(dn: string): DeviceView | undefined;
}

/** One owned contact center's telephony, from takeover to loss. */
interface Running {
  telephony: Telephony;
  /** Call-IDs this node's own endpoints recorded (never BYEd as the previous owner's) */
  ours: Set<string>;
  journal?: ReturnType<typeof journalOf>;
  stopped: boolean;
  unsubscribe?: () => void;
  /** the owned switch, once live */
  sw?: OpenedSwitch;
  /** the bind loop and the BYEs after it */
  binding?: Promise<void>;
}

export class OwnerTelephony {
  private readonly snapshots: ContactCenterSnapshot[] = [];
  private bindings?: BindingStore;
  private records?: DialogRecordStore;
  private readonly running = new Map<string, Running>();
  private readonly closing = new Set<Promise<void>>();
  private metricsSink?: TelephonySink;

  constructor(private readonly options: OwnerTelephonyOptions) {}

  /** the contact center whose SIP address this cluster serves: the first one provisioned */
  get sipContactCenter(): string | undefined {
    return this.snapshots[0]?.contactCenter.id;
  }

  /** a provisioned contact center (before the node starts) */
  load(snapshot: ContactCenterSnapshot): void {
    this.snapshots.push(snapshot);
    if (this.snapshots.length === 2) {
      this.options.log('warn', 'SIP on a cluster serves one contact center (one SIP address); the others have simulated endpoints only', { sip: this.sipContactCenter });
    }
  }

  useBindingStore(store: BindingStore | undefined): void {
    this.bindings = store;
  }

  useDialogRecords(store: DialogRecordStore): void {
    this.records = store;
  }

  /**
   * Register the SIP metrics once (before start): they read the telephony of the owned contact center,
   * zero (no worker) while this node owns none.
   */
  observeMetrics(metrics: Metrics): void {
    const current = () => [...this.running.values()][0]?.telephony.metricsSource;
    this.metricsSink = metrics.telephony({
      registrations: () => current()?.registrations() ?? 0,
      activeDialogs: () => current()?.activeDialogs() ?? 0,
      rtpLegs: () => current()?.rtpLegs() ?? 0,
      mixerStats: (reset) => current()?.mixerStats(reset) ?? Promise.resolve([]),
    });
  }

  // ---------------------------------------------------------------- the cluster node's hooks

  endpointsFor(ccId: string): ((host: EndpointHost, simulated: SimulatedEndpoints) => EndpointSelector) | undefined {
    if (ccId !== this.sipContactCenter) return undefined;
    this.lost(ccId); // a telephony left from an earlier takeover (not expected: `lost` ends each one)
    const { config, clock, log, userAgent } = this.options;
    const ours = new Set<string>();
    const store = this.records;
    const journal = store ? journalOf(store, (what, error) => log('warn', `${what} failed`, { error: String(error) })) : undefined;
    const telephony = new Telephony({
      config,
      clock,
      log,
      ...(userAgent ? { userAgent } : {}),
      ...(journal
        ? {
            dialogs: {
              confirmed: (record: SipDialogRecord) => {
                ours.add(record.dialog.callId);
                journal.confirmed(record);
              },
              ended: (contactCenterId: string, callId: string) => journal.ended(contactCenterId, callId),
            },
          }
        : {}),
    });
    for (const snapshot of this.snapshots) if (snapshot.contactCenter.id === ccId) telephony.directory.load(snapshot);
    telephony.useBindingStore(this.bindings);
    if (this.metricsSink) telephony.feedMetrics(this.metricsSink);
    this.running.set(ccId, { telephony, ours, stopped: false, ...(journal ? { journal } : {}) });
    return telephony.install;
  }

  opened(ccId: string, sw: OpenedSwitch): void {
    const running = this.running.get(ccId);
    if (!running || running.stopped) return;
    running.sw = sw;
    running.unsubscribe = sw.onEvent(running.telephony.onSwitchEvent);
    running.binding = this.bind(ccId, running).catch((error: unknown) => this.options.log('warn', 'SIP: taking over the SIP address failed', { ccId, error: String(error) }));
  }

  lost(ccId: string): void {
    const running = this.running.get(ccId);
    if (!running || running.stopped) return;
    running.stopped = true;
    this.running.delete(ccId);
    const closed = this.stop(running);
    this.closing.add(closed);
    void closed.finally(() => this.closing.delete(closed));
  }

  async close(): Promise<void> {
    for (const ccId of [...this.running.keys()]) this.lost(ccId);
    await Promise.all([...this.closing]);
  }

  // ---------------------------------------------------------------- inside

  private async stop(running: Running): Promise<void> {
    running.unsubscribe?.();
    await running.binding;
    await running.telephony.close().catch((error: unknown) => this.options.log('warn', 'SIP: closing the telephony failed', { error: String(error) }));
    await running.journal?.flushed();
  }

  private async bind(ccId: string, running: Running): Promise<void> {
    const { log } = this.options;
    const retryMs = this.options.bindRetryMs ?? BIND_RETRY_MS;
    const started = Date.now();
    let attempts = 0;
    for (;;) {
      if (running.stopped) return;
      attempts++;
      try {
        const { host, port } = await running.telephony.start();
        log('info', SIP_BOUND, { ccId, host, port, attempts, waitedMs: Date.now() - started });
        break;
      } catch (error) {
        if (!(error instanceof SipBindError)) throw error;
        if (attempts === 1) log('info', `${SIP_HELD} (by the previous owner?): retrying every ${retryMs} ms`, { ccId, error: error.message });
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
    await this.endPreviousDialogs(ccId, running);
    if (!running.stopped) this.rejoinLoggedIn(ccId, running);
  }

  /** BYE every dialog the previous owner recorded for ccId (not this node's own), then drop the records */
  private async endPreviousDialogs(ccId: string, running: Running): Promise<void> {
    const store = this.records;
    if (running.stopped || !store) return;
    const records = (await store.list(ccId)).filter((record) => !running.ours.has(record.dialog.callId));
    if (records.length === 0 || running.stopped) return;
    const outcomes = await running.telephony.endRecordedDialogs(records);
    await Promise.all(records.map((record) => store.remove(ccId, record.dialog.callId).catch(() => undefined)));
    this.options.log('info', SIP_DIALOGS_ENDED, {
      ccId,
      dialogs: outcomes.map((o) => ({ party: o.record.party, role: o.record.role, callId: o.record.dialog.callId, ...('status' in o ? { status: o.status } : { error: o.error }) })),
    });
  }

  /**
   * The SIP endpoints learn logins from the switch's events, and the replay was silent: tell them
   * which extensions are logged in now, so a nailed-up phone is called again at once (its old leg
   * was BYEd with the previous owner's dialogs) and a later logout ends its leg.
   */
  private rejoinLoggedIn(ccId: string, running: Running): void {
    const loggedIn = this.snapshots
      .filter((snapshot) => snapshot.contactCenter.id === ccId)
      .flatMap((snapshot) => snapshot.devices)
      .filter((device) => device.kind === 'Extension' && running.sw?.device(device.dn)?.loggedIn)
      .map((device) => device.dn);
    for (const dn of loggedIn) running.telephony.endpoints.deviceLoggedIn(dn);
    if (loggedIn.length > 0) this.options.log('info', SIP_REJOINED, { ccId, dns: loggedIn });
  }
}
