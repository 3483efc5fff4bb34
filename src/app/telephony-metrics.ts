/**
 * The telephony's Prometheus metrics (docs/telephony.md "Operability"), in the app's one registry
 * (src/app/metrics.ts `Metrics.telephony` calls this; src/app/telephony.ts feeds it).
 *
 * - switchboard_sip_registrations: extensions with a live registration (read at scrape time);
 * - switchboard_sip_active_dialogs: SIP dialogs of the B2BUA that are up (read at scrape time);
 * - switchboard_sip_requests_total{method,outcome}: requests we answered finally, by method and
 *   status class (2xx ... 6xx), each answer once (retransmissions are not counted again);
 * - switchboard_sip_dropped_total{reason}: messages refused or dropped before any handling
 *   (malformed_answered, malformed_dropped, blocked; a flood's 503s are INVITE 5xx answers);
 * - switchboard_rtp_legs: RTP legs open in the mixers (read at scrape time);
 * - switchboard_mixer_tick_lateness_seconds{worker,quantile}: p50, p99 and max lateness of the
 *   mixer clocks since the previous scrape (each scrape resets the workers' windows), and
 *   switchboard_mixer_skipped_ticks{worker}: ticks dropped after stalls since the start;
 * - switchboard_rtp_packets_dropped{worker}: RTP packets the legs dropped on receive since the start.
 * Guarantees: label values come from closed sets (SIP method names are limited to the methods we
 * accept; anything else is "other"); a failing source makes the scrape skip that metric, never fail.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MixerStats } from '../media/commands.js';

const METHODS = new Set(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'REFER', 'NOTIFY', 'INFO']);

export interface TelephonySource {
  registrations(): number;
  activeDialogs(): number;
  rtpLegs(): number;
  /** per worker, since the last reset */
  mixerStats(reset: boolean): Promise<MixerStats[]>;
}

export interface TelephonySink {
  answered(method: string, status: number): void;
  dropped(reason: 'malformed_answered' | 'malformed_dropped' | 'blocked'): void;
}

export function telephonyMetrics(registry: Registry, source: TelephonySource): TelephonySink {
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        try {
          this.set(read());
        } catch {
          // the source is closing: keep the last value
        }
      },
    });
  gauge('switchboard_sip_registrations', 'Extensions with a live SIP registration', () => source.registrations());
  gauge('switchboard_sip_active_dialogs', 'SIP dialogs of the B2BUA that are up (phones, nailed-up legs, trunks)', () => source.activeDialogs());
  gauge('switchboard_rtp_legs', 'RTP legs open in the mixers', () => source.rtpLegs());
  new Gauge({
    name: 'switchboard_mixer_tick_lateness_seconds',
    help: 'Lateness of the mixer clocks since the previous scrape, by worker and quantile (0.5, 0.99, max)',
    labelNames: ['worker', 'quantile'],
    registers,
    async collect() {
      const stats = await source.mixerStats(true).catch(() => undefined);
      if (!stats) return;
      this.reset();
      stats.forEach((s, index) => {
        const worker = String(index);
        this.set({ worker, quantile: '0.5' }, s.latenessP50 / 1000);
        this.set({ worker, quantile: '0.99' }, s.latenessP99 / 1000);
        this.set({ worker, quantile: 'max' }, s.latenessMax / 1000);
      });
    },
  });
  new Gauge({
    name: 'switchboard_mixer_skipped_ticks',
    help: 'Mixer ticks dropped after stalls over 200 ms since the start, by worker',
    labelNames: ['worker'],
    registers,
    // its own read (metrics are collected concurrently), without resetting the lateness window
    async collect() {
      const stats = await source.mixerStats(false).catch(() => undefined);
      stats?.forEach((s, index) => this.set({ worker: String(index) }, s.skippedTicks));
    },
  });
  new Gauge({
    name: 'switchboard_rtp_packets_dropped',
    help: 'RTP packets the mixers dropped on receive since start (malformed, from a foreign source, unknown payload type, late), by worker',
    labelNames: ['worker'],
    registers,
    async collect() {
      const stats = await source.mixerStats(false).catch(() => undefined);
      stats?.forEach((s, index) => this.set({ worker: String(index) }, s.rtpDropped));
    },
  });
  const requests = new Counter({
    name: 'switchboard_sip_requests_total',
    help: 'SIP requests answered finally, by method and status class',
    labelNames: ['method', 'outcome'],
    registers,
  });
  const dropped = new Counter({
    name: 'switchboard_sip_dropped_total',
    help: 'SIP messages refused or dropped before handling, by reason',
    labelNames: ['reason'],
    registers,
  });
  return {
    answered: (method, status) => requests.inc({ method: METHODS.has(method) ? method : 'other', outcome: `${Math.floor(status / 100)}xx` }),
    dropped: (reason) => dropped.inc({ reason }),
  };
}
