/**
 * The media commands: one message shape for everything the call model asks of the media path,
 * and the one function that carries a command out on a mixer. Both engines (workers.ts: in this
 * thread, or in a worker) go through `executeMediaCommand`, so the two modes cannot drift apart.
 *
 * Guarantees: every command is plain data (structured-clone safe); a command that cannot be done
 * rejects with a MediaCommandError whose message names the call, party or value at fault.
 */
import type { MediaParty } from '../switch/model.js';
import type { ReceivedDigit } from './dtmf.js';
import type { RemoteAddress } from './leg.js';
import { MediaCommandError } from './mixer.js';
import type { AddLegRequest, HoldAudio, Mixer } from './mixer.js';
import type { RecordingSummary } from './recorder.js';

export type MediaCommand =
  | { type: 'addLeg'; callId: string; phoneNumber: string; request: AddLegRequest }
  | { type: 'removeLeg'; callId: string; phoneNumber: string }
  | { type: 'setLegRemote'; callId: string; phoneNumber: string; remote?: RemoteAddress }
  | { type: 'setMatrix'; callId: string; matrix: MediaParty[] }
  | { type: 'setTone'; callId: string; phoneNumber: string; frequencyHz?: number }
  | { type: 'setHoldAudio'; callId: string; holdAudio: HoldAudio }
  | { type: 'startRecording'; callId: string; callUuid?: string }
  | { type: 'pauseRecording'; callId: string }
  | { type: 'resumeRecording'; callId: string }
  | { type: 'stopRecording'; callId: string }
  | { type: 'sendDtmf'; callId: string; digits: string; toPhoneNumbers?: string[] }
  | { type: 'removeCall'; callId: string }
  | { type: 'stats'; reset?: boolean };

/** What each command resolves with. */
export interface MediaCommandResults {
  addLeg: { port: number };
  removeLeg: void;
  setLegRemote: void;
  setMatrix: void;
  setTone: void;
  setHoldAudio: void;
  startRecording: { path: string };
  pauseRecording: void;
  resumeRecording: void;
  stopRecording: RecordingSummary;
  sendDtmf: void;
  removeCall: RecordingSummary | undefined;
  stats: MixerStats;
}

export type MediaCommandType = MediaCommand['type'];

export interface MixerStats {
  calls: number;
  ticks: number;
  skippedTicks: number;
  /** call-ticks abandoned because of a defect (should stay 0) */
  faultyCallTicks: number;
  /** tick lateness since the last reset, ms */
  latenessP50: number;
  latenessP99: number;
  latenessMax: number;
  /** mixing work per tick since the last reset, ms */
  workP50: number;
  /** RTP packets the legs dropped on receive since start (malformed, foreign source, unknown payload, late) */
  rtpDropped: number;
}

export interface MediaEvents {
  onDigit?: (callId: string, phoneNumber: string, digit: ReceivedDigit) => void;
}

/** Tick lateness and work, in 0.1 ms buckets up to 2 s (allocation-free per tick). */
export class TickStatistics {
  private readonly lateness = new Uint32Array(20001);
  private readonly work = new Uint32Array(20001);
  private count = 0;
  private maxLateness = 0;
  ticks = 0;

  record(latenessMs: number, workMs: number): void {
    this.ticks++;
    this.count++;
    this.lateness[TickStatistics.bucket(latenessMs)]++;
    this.work[TickStatistics.bucket(workMs)]++;
    if (latenessMs > this.maxLateness) this.maxLateness = latenessMs;
  }

  summary(mixer: Mixer, reset: boolean): MixerStats {
    const stats: MixerStats = {
      calls: mixer.callCount,
      ticks: this.ticks,
      skippedTicks: mixer.skippedTicks,
      faultyCallTicks: mixer.faultyCallTicks,
      latenessP50: this.percentile(this.lateness, 0.5),
      latenessP99: this.percentile(this.lateness, 0.99),
      latenessMax: this.maxLateness,
      workP50: this.percentile(this.work, 0.5),
      rtpDropped: mixer.rtpDropped,
    };
    if (reset) {
      this.lateness.fill(0);
      this.work.fill(0);
      this.count = 0;
      this.maxLateness = 0;
    }
    return stats;
  }

  private static bucket(ms: number): number {
    return Math.min(20000, Math.max(0, Math.round(ms * 10)));
  }

  private percentile(histogram: Uint32Array, fraction: number): number {
    if (this.count === 0) return 0;
    const wanted = Math.ceil(this.count * fraction);
    let seen = 0;
    for (let bucket = 0; bucket < histogram.length; bucket++) {
      seen += histogram[bucket];
      if (seen >= wanted) return bucket / 10;
    }
    return histogram.length / 10;
  }
}

type Handlers = { [K in MediaCommandType]: (mixer: Mixer, command: Extract<MediaCommand, { type: K }>, statistics: TickStatistics) => unknown };

const HANDLERS = {
  addLeg: (mixer, c) => mixer.addLeg(c.callId, c.phoneNumber, c.request),
  removeLeg: (mixer, c) => mixer.removeLeg(c.callId, c.phoneNumber),
  setLegRemote: (mixer, c) => mixer.setLegRemote(c.callId, c.phoneNumber, c.remote),
  setMatrix: (mixer, c) => mixer.setMatrix(c.callId, c.matrix),
  setTone: (mixer, c) => mixer.setTone(c.callId, c.phoneNumber, c.frequencyHz),
  setHoldAudio: (mixer, c) => mixer.setHoldAudio(c.callId, c.holdAudio),
  startRecording: (mixer, c) => ({ path: mixer.startRecording(c.callId, c.callUuid) }),
  pauseRecording: (mixer, c) => mixer.pauseRecording(c.callId),
  resumeRecording: (mixer, c) => mixer.resumeRecording(c.callId),
  stopRecording: (mixer, c) => mixer.stopRecording(c.callId),
  sendDtmf: (mixer, c) => mixer.sendDtmf(c.callId, c.digits, c.toPhoneNumbers),
  removeCall: (mixer, c) => mixer.removeCall(c.callId),
  stats: (mixer, c, statistics) => statistics.summary(mixer, c.reset ?? false),
} satisfies Handlers;

/** Carry out `command` on `mixer`; unknown command types reject with a MediaCommandError. */
export async function executeMediaCommand(mixer: Mixer, command: MediaCommand, statistics: TickStatistics): Promise<unknown> {
  const handler = (HANDLERS as Record<string, (m: Mixer, c: MediaCommand, s: TickStatistics) => unknown>)[command?.type];
  if (!handler) throw new MediaCommandError(`unknown media command '${String(command?.type)}'`);
  if (command.type !== 'stats' && (typeof command.callId !== 'string' || command.callId === '')) {
    throw new MediaCommandError(`media command '${command.type}' names no call`);
  }
  const phoneNumber = (command as { phoneNumber?: unknown }).phoneNumber;
  if ('phoneNumber' in command && (typeof phoneNumber !== 'string' || phoneNumber === '')) {
    throw new MediaCommandError(`media command '${command.type}' names no party`);
  }
  return handler(mixer, command, statistics);
}
