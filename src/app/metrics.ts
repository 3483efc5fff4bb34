/**
 * The server's Prometheus metrics (GET /metrics, docs/operations.md lists them). One registry per
 * app (no module singleton: two apps in one process, as in the tests, never share counters).
 * Sources, each fed by the composition root:
 * - HTTP: `observeRequest` from the request log hook (src/gws/logging.ts), so the log and the
 *   metrics count the same answers; counted in plain Maps and arrays per request and written into
 *   the prom-client counter and histogram when scraped (same series, same values);
 * - CometD: sessions by transport read from the Bayeux server at scrape time; notifications
 *   queued and dropped through the Bayeux metrics hook (src/bayeux does not import prom-client);
 * - the switch: `onEvent`, subscribed like the notifier: calls active/completed, agents by state,
 *   supervision configurations by mode, all derived from the events' views (never from a query);
 * - the store: `instrumentStore` times every store call;
 * - the process: prom-client's default metrics (CPU, memory, handles, GC, event-loop lag), started
 *   at the first scrape.
 * Guarantees: nothing here throws into its sources (a failing observer is the caller's to log),
 * label values come from closed sets or route patterns (never ids), and scraping is read-only.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/port.js';
import type { SwitchEvent } from '../switch/model.js';
import type { RequestDone } from '../gws/logging.js';
import { telephonyMetrics, type TelephonySink, type TelephonySource } from './telephony-metrics.js';

/** What the metrics read from the Bayeux server when scraped. */
export interface CometdGauges {
  sessionsByTransport(): Record<string, number>;
}

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

export interface MetricsOptions {
  /** prom-client's process metrics and event-loop lag; default true */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  private readonly httpRequests: Counter<'method' | 'route' | 'statusCode' | 'gwsStatusCode'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly notificationsQueued: Counter<never>;
  private readonly notificationsDropped: Counter<'reason'>;
  private readonly callsCompleted: Counter<never>;
  private readonly storeDuration: Histogram<'operation' | 'outcome'>;

  /** callUuid -> DNs holding a leg that is not Released */
  private readonly liveLegs = new Map<string, Set<string>>();
  /** logged-in DN -> its agent state */
  private readonly agentStates = new Map<string, string>();
  /** supervisor DN -> the mode of its monitoring configuration */
  private readonly monitoring = new Map<string, string>();
  private cometd: CometdGauges | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const self = this;
    this.httpRequests = new Counter({
      name: 'switchboard_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern, HTTP status and GWS statusCode ("" when the answer was not a GWS envelope)',
      labelNames: ['method', 'route', 'statusCode', 'gwsStatusCode'],
      registers,
      collect() {
        self.applyRequestCounts();
      },
    });
    this.httpDuration = new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'Time from request to answer, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: SECONDS_BUCKETS,
      registers,
      collect() {
        self.applyDurations();
      },
    });
    new Gauge({
      name: 'switchboard_cometd_sessions',
      help: 'Live CometD sessions by transport (websocket: bound to an open websocket; long-polling: otherwise)',
      labelNames: ['transport'],
      registers,
      collect() {
        this.reset();
        const counts = self.cometd?.sessionsByTransport() ?? {};
        for (const transport of ['long-polling', 'websocket']) this.set({ transport }, counts[transport] ?? 0);
      },
    });
    this.notificationsQueued = new Counter({
      name: 'switchboard_notifications_delivered_total',
      help: 'CometD messages handed to a session for delivery (one per matching session)',
      registers,
      collect() {
        self.applyQueuedCount();
      },
    });
    this.notificationsDropped = new Counter({
      name: 'switchboard_notifications_dropped_total',
      help: 'CometD messages discarded undelivered with their session, by the reason the session ended',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'switchboard_calls_active',
      help: 'Calls with at least one internal DN holding a leg that is not Released',
      registers,
      collect() {
        this.set(self.liveLegs.size);
      },
    });
    this.callsCompleted = new Counter({
      name: 'switchboard_calls_completed_total',
      help: 'Calls whose last internal leg was released',
      registers,
    });
    new Gauge({
      name: 'switchboard_agents',
      help: 'Logged-in DNs by agent state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, count] of countBy(self.agentStates.values())) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'switchboard_supervision_sessions',
      help: 'Supervisors with monitoring configured, by mode (ListenIn, Coach, BargeIn)',
      labelNames: ['mode'],
      registers,
      collect() {
        this.reset();
        for (const [mode, count] of countBy(self.monitoring.values())) this.set({ mode }, count);
      },
    });
    this.storeDuration = new Histogram({
      name: 'switchboard_store_operation_duration_seconds',
      help: 'Time of each store call, by store operation and outcome (ok, error)',
      labelNames: ['operation', 'outcome'],
      buckets: STORE_BUCKETS,
      registers,
    });
    this.processMetrics = options.processMetrics ?? true;
  }

  /** started at the first scrape, so apps nobody scrapes (most tests) run no event-loop monitor */
  private processMetrics: boolean;

  /** the Bayeux server whose sessions are counted at scrape time */
  readCometd(source: CometdGauges): void {
    this.cometd = source;
  }

  /** the Bayeux metrics hook (src/bayeux/port.ts BayeuxMetricsHook) */
  readonly bayeuxHook = {
    queued: (count: number): void => {
      if (count > 0) this.queuedSinceScrape += count;
    },
    dropped: (reason: string, count: number): void => {
      if (count > 0) this.notificationsDropped.inc({ reason }, count);
    },
  };

  /**
   * Answers counted since the last scrape, by their label values (joined with NUL, which no method,
   * route pattern or status holds): a request costs a Map lookup instead of prom-client's label
   * validation and hashing; the counter's collect() adds them before every read, so a scrape sees
   * exactly the answers a direct inc() would have counted.
   */
  private readonly requestCounts = new Map<string, { labels: Record<'method' | 'route' | 'statusCode' | 'gwsStatusCode', string>; count: number; duration: DurationSeries }>();

  /**
   * The request duration histogram, counted here by (method, route) in the order first seen, and
   * written into prom-client's histogram by its collect() before every read: a request costs a
   * bucket search and three additions instead of prom-client's label validation and hashing. The
   * series are counted exactly as prom-client's observe counts them (same bucket rule, the sum
   * added in the same order from 0), so a scrape shows the same series with the same values.
   */
  private readonly durations = new Map<string, DurationSeries>();

  /**
   * Deliveries counted since the last scrape: every delivery (the hottest path there is) adds to a
   * number instead of calling prom-client's inc (a labels object and a result object each time);
   * the counter's collect() adds them before every read, so a scrape sees the same total.
   */
  private queuedSinceScrape = 0;

  private applyQueuedCount(): void {
    if (this.queuedSinceScrape === 0) return;
    this.notificationsQueued.inc(this.queuedSinceScrape);
    this.queuedSinceScrape = 0;
  }

  private applyRequestCounts(): void {
    for (const pending of this.requestCounts.values()) {
      if (pending.count === 0) continue;
      this.httpRequests.inc(pending.labels, pending.count);
      pending.count = 0;
    }
  }

  private applyDurations(): void {
    writeHistogram(this.httpDuration, this.durations.values());
  }

  readonly observeRequest = (done: RequestDone): void => {
    const route = done.route;
    const statusCode = String(done.statusCode);
    const gwsStatusCode = done.gwsStatusCode === undefined ? '' : String(done.gwsStatusCode);
    const key = `${done.method}\0${route}\0${statusCode}\0${gwsStatusCode}`;
    let pending = this.requestCounts.get(key);
    if (pending) pending.count++;
    else this.requestCounts.set(key, (pending = { labels: { method: done.method, route, statusCode, gwsStatusCode }, count: 1, duration: this.durationSeries(done.method, route) }));
    countDuration(pending.duration, done.responseTimeMs / 1000);
  };

  private durationSeries(method: string, route: string): DurationSeries {
    const key = `${method}\0${route}`;
    let series = this.durations.get(key);
    if (!series) this.durations.set(key, (series = { labels: { method, route }, perBound: SECONDS_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    return series;
  }

  /** switch events, subscribed like the notifier */
  readonly onEvent = (event: SwitchEvent): void => {
    if (event.kind === 'call') {
      const legs = this.liveLegs.get(event.callUuid);
      if (event.view.state !== 'Released') {
        if (legs) legs.add(event.dn);
        else this.liveLegs.set(event.callUuid, new Set([event.dn]));
      } else if (legs && legs.delete(event.dn) && legs.size === 0) {
        this.liveLegs.delete(event.callUuid);
        this.callsCompleted.inc();
      }
    } else if (event.kind === 'device') {
      const view = event.view;
      if (view.loggedIn) this.agentStates.set(view.dn, view.agentState.state);
      else this.agentStates.delete(view.dn);
      if (view.monitoring) this.monitoring.set(view.dn, view.monitoring.state);
      else this.monitoring.delete(view.dn);
    }
  };

  /** the telephony's metrics in this registry (src/app/telephony-metrics.ts); src/app/telephony.ts feeds the sink */
  telephony(source: TelephonySource): TelephonySink {
    return telephonyMetrics(this.registry, source);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    if (this.processMetrics) {
      this.processMetrics = false;
      collectDefaultMetrics({ register: this.registry });
    }
    return this.registry.metrics();
  }

  /**
   * `store` with every method timed: a call's duration (to the settling of its promise) is observed
   * under the method's name. Identity aside, the result behaves as the store.
   */
  instrumentStore<S extends Store>(store: S): S {
    const duration = this.storeDuration;
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(store, {
      get(target, property, receiver) {
        const original: unknown = Reflect.get(target, property, receiver);
        if (typeof original !== 'function' || typeof property !== 'string') return original;
        let timed = wrapped.get(property);
        if (!timed) {
          timed = function (this: unknown, ...args: unknown[]): unknown {
            const end = duration.startTimer({ operation: property });
            let result: unknown;
            try {
              result = (original as (...a: unknown[]) => unknown).apply(target, args);
            } catch (err) {
              end({ outcome: 'error' });
              throw err;
            }
            if (result instanceof Promise) {
              return result.then(
                (v) => (end({ outcome: 'ok' }), v),
                (err: unknown) => {
                  end({ outcome: 'error' });
                  throw err;
                },
              );
            }
            end({ outcome: 'ok' });
            return result;
          };
          wrapped.set(property, timed);
        }
        return timed;
      },
    });
  }
}

/** One label set of a histogram counted outside prom-client: observations per upper bound (not cumulative), their sum and count. */
interface DurationSeries {
  labels: Record<string, string>;
  perBound: number[];
  sum: number;
  count: number;
}

/** prom-client's observe rule: the first upper bound the value does not exceed (none: only +Inf, i.e. the count). */
function countDuration(series: DurationSeries, seconds: number): void {
  series.sum += seconds;
  series.count += 1;
  for (let i = 0; i < SECONDS_BUCKETS.length; i++) {
    if (seconds <= SECONDS_BUCKETS[i]) {
      series.perBound[i] += 1;
      return;
    }
  }
}

/** the per-label-set state of a prom-client 15 histogram (not in its typings; the metrics test reads the scrape) */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * Make `histogram` hold exactly `all` (in that order): reset, one zero() per series (prom-client
 * hashes the labels), then each entry's buckets, sum and count set from the series.
 */
function writeHistogram(histogram: Histogram<string>, all: Iterable<DurationSeries>): void {
  histogram.reset();
  const series = [...all];
  for (const s of series) histogram.zero(s.labels);
  const entries = new Map<Record<string, string>, HistogramEntry>();
  for (const entry of Object.values((histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap)) entries.set(entry.labels, entry);
  for (const s of series) {
    const entry = entries.get(s.labels);
    if (!entry) throw new Error(`histogram ${(histogram as unknown as { name: string }).name}: no entry for ${JSON.stringify(s.labels)}`);
    SECONDS_BUCKETS.forEach((bound, i) => (entry.bucketValues[bound] = s.perBound[i]));
    entry.sum = s.sum;
    entry.count = s.count;
  }
}

function countBy(values: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
