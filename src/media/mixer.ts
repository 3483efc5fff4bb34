/**
 * The mixer: the calls of one thread (the main thread in single-thread mode, or one worker), their
 * RTP legs and virtual speakers, driven by one drift-corrected 20 ms clock (clock.ts).
 *
 * Each tick, for every call: one frame is taken from each leg's jitter queue (null = silence) and
 * generated for each virtual speaker (a party without a leg given a tone, 200-3400 Hz, −12 dBFS);
 * every leg then receives the clipped sum of the speakers it hears under the call's current matrix
 * (mix.ts), or the hold audio when it hears nobody ('silence' or a 620 Hz tone at −20 dBFS, per call),
 * encoded in the leg's own codec with the RTP timestamp of the tick: exactly one packet per leg per
 * tick. A DTMF digit being sent to a leg replaces that leg's audio packet (dtmf.ts). If recording,
 * the mix of everyone heard by someone is appended to the WAV file (recorder.ts).
 *
 * Guarantees: who hears whom comes only from the matrix given by `setMatrix` (the switch's "media
 * changed" fact); a change applies from the next tick, with no gap. A digit received on a leg is
 * reported through `onDigit` and, with `relayDtmf` (default on), sent to the legs that hear the
 * sender. Commands that name an unknown call or party throw MediaCommandError with a message naming
 * it; nothing a phone sends can throw out of a tick.
 */
import type { MediaParty } from '../switch/model.js';
import { TickClock } from './clock.js';
import { DtmfSender, checkDtmfDigits } from './dtmf.js';
import type { ReceivedDigit } from './dtmf.js';
import { FRAME_SAMPLES } from './jitter.js';
import { RtpLeg } from './leg.js';
import type { RemoteAddress, RtpLegOptions, RtpLegStats } from './leg.js';
import type { OutgoingEventPacket } from './dtmf.js';
import { SILENT_FRAME, fillFromTable, mixSpeakers, mixTick, planMix, sineTable } from './mix.js';
import type { MixPlan } from './mix.js';
import type { RtpPortAllocator } from './ports.js';
import { WavRecorder } from './recorder.js';
import type { RecordingSummary } from './recorder.js';
import { PayloadType } from './g711.js';
import type { CodecName } from './g711.js';
import { checkRtpStream } from './rtp-stream.js';
import type { RtpStreamIdentity } from './rtp-stream.js';

export const HoldAudio = { Silence: 'silence', Tone: 'tone' } as const;
export type HoldAudio = (typeof HoldAudio)[keyof typeof HoldAudio];

export const HOLD_TONE_HZ = 620;
export const HOLD_TONE_AMPLITUDE = 3277; // −20 dBFS
export const VIRTUAL_SPEAKER_AMPLITUDE = 8192; // −12 dBFS: a 3-way sum never clips
export const TONE_RANGE_HZ = { lowest: 200, highest: 3400 } as const;

export class MediaCommandError extends Error {
  override readonly name = 'MediaCommandError';
}

/** What the mixer needs of a leg (RtpLeg, or a fake in tests). */
export interface MixerLeg {
  readonly localPort: number;
  readonly codec: CodecName;
  readonly canSendEvents: boolean;
  /** whole frames waiting in the leg's jitter queue */
  readonly queuedFrames: number;
  takeFrame(): Int16Array | null;
  sendAudio(pcm: Int16Array, tick: number): void;
  sendEvent(packet: OutgoingEventPacket): void;
  timestampOf(tick: number): number;
  setRemote(remote: RemoteAddress | undefined): void;
  close(): Promise<void>;
  /** what the leg dropped on receive (RtpLeg has these; test legs may not) */
  readonly stats?: Readonly<Pick<RtpLegStats, 'malformedDropped' | 'foreignDropped' | 'unknownPayloadDropped' | 'lateDropped'>>;
}

/** RTP packets a leg dropped on receive: malformed, from a foreign source, unknown payload type, late. */
function droppedBy(leg: MixerLeg): number {
  const s = leg.stats;
  return s ? s.malformedDropped + s.foreignDropped + s.unknownPayloadDropped + s.lateDropped : 0;
}

export interface AddLegRequest {
  codec: CodecName;
  telephoneEventPayloadType?: number;
  remote?: RemoteAddress;
  /** the party's outgoing RTP stream this leg continues (rtp-stream.ts); default: a new stream */
  stream?: RtpStreamIdentity;
}

/** Why a leg request (plain data, perhaps from another thread) cannot be served, or undefined. */
export function checkAddLegRequest(request: AddLegRequest): string | undefined {
  if (typeof request !== 'object' || request === null) return 'no leg request';
  if (!Object.hasOwn(PayloadType, request.codec)) return `codec '${String(request.codec)}' is neither PCMU nor PCMA`;
  const eventType = request.telephoneEventPayloadType;
  if (eventType !== undefined && (!Number.isInteger(eventType) || eventType < 96 || eventType > 127)) {
    return `telephone-event payload type ${String(eventType)} is not a dynamic payload type (96-127)`;
  }
  if (request.stream !== undefined) {
    const streamProblem = checkRtpStream(request.stream);
    if (streamProblem) return streamProblem;
  }
  const remote = request.remote;
  if (remote !== undefined) {
    if (typeof remote.address !== 'string' || remote.address === '') return 'remote address missing';
    if (!Number.isInteger(remote.port) || remote.port < 1 || remote.port > 65535) return `remote port ${String(remote.port)} is not 1-65535`;
  }
  return undefined;
}

/** Why `matrix` is not of the switch's shape ({phoneNumber, hears: phoneNumber[]}[]), or undefined. */
export function checkMatrix(matrix: readonly MediaParty[]): string | undefined {
  if (!Array.isArray(matrix)) return 'not a list of rows';
  for (let row = 0; row < matrix.length; row++) {
    const entry = matrix[row];
    if (typeof entry?.phoneNumber !== 'string') return `row ${row} has no phoneNumber`;
    if (!Array.isArray(entry.hears) || (entry.hears as unknown[]).some((speaker) => typeof speaker !== 'string')) {
      return `row ${row} (${entry.phoneNumber}): hears must be a list of phone numbers`;
    }
  }
  return undefined;
}

export type LegFactory = (request: AddLegRequest, onDigit: (digit: ReceivedDigit) => void) => Promise<MixerLeg>;

export interface MixerOptions {
  /** ports for the legs; without one (and without `legFactory`) legs take ephemeral ports */
  allocator?: RtpPortAllocator;
  bindAddress?: string;
  relatchAfterMs?: number;
  /** replaces RtpLeg.open (tests without sockets) */
  legFactory?: LegFactory;
  /** where recordings go when startRecording names no folder */
  recordingsFolder?: string;
  /** relay received digits to the legs that hear the sender; default true */
  relayDtmf?: boolean;
  onDigit?: (callId: string, phoneNumber: string, digit: ReceivedDigit) => void;
  /** after each tick: how late it ran and how long the work took (ms) */
  onTickDone?: (latenessMs: number, workMs: number) => void;
}

interface Participant {
  phoneNumber: string;
  leg?: MixerLeg;
  toneTable?: Int16Array;
  toneFrame?: Int16Array;
  dtmfSender?: DtmfSender;
  out: Int16Array;
}

interface CallMedia {
  callId: string;
  participants: Participant[];
  matrix: readonly MediaParty[];
  plan: MixPlan | undefined;
  holdAudio: HoldAudio;
  recorder?: WavRecorder;
  frames: (Int16Array | null)[];
  /** per slot, rebuilt with the plan */
  outs: Int16Array[];
  results: Int16Array[];
}

export class Mixer {
  private readonly calls = new Map<string, CallMedia>();
  private readonly clock: TickClock;
  private readonly toneTables = new Map<string, Int16Array>();
  private readonly accumulator = new Int32Array(FRAME_SAMPLES);
  private readonly recordingOut = new Int16Array(FRAME_SAMPLES);
  private readonly holdFrame = new Int16Array(FRAME_SAMPLES);
  private tick = 0;
  /** call-ticks abandoned because of a defect (each played silence); should stay 0 */
  faultyCallTicks = 0;
  /** RTP packets dropped by legs already closed (their counts outlive them here) */
  private droppedByClosedLegs = 0;

  constructor(private readonly options: MixerOptions = {}) {
    this.clock = new TickClock({
      onTick: (tick, latenessMs) => {
        const started = performance.now();
        this.runTick(tick);
        this.options.onTickDone?.(latenessMs, performance.now() - started);
      },
    });
  }

  /** Start the 20 ms clock (tests may instead call runTick themselves). */
  start(): void {
    this.clock.start();
  }

  get skippedTicks(): number {
    return this.clock.skippedTicks;
  }

  get callCount(): number {
    return this.calls.size;
  }

  /** RTP packets dropped on receive by every leg since start (open legs and closed ones) */
  get rtpDropped(): number {
    let dropped = this.droppedByClosedLegs;
    for (const call of this.calls.values()) for (const p of call.participants) if (p.leg) dropped += droppedBy(p.leg);
    return dropped;
  }

  async addLeg(callId: string, phoneNumber: string, request: AddLegRequest): Promise<{ port: number }> {
    const problem = checkAddLegRequest(request);
    if (problem) throw new MediaCommandError(`leg of ${phoneNumber} in call ${callId}: ${problem}`);
    const call = this.callOrNew(callId);
    const existing = call.participants.find((p) => p.phoneNumber === phoneNumber);
    if (existing?.leg) throw new MediaCommandError(`party ${phoneNumber} already has a leg in call ${callId}`);
    const onDigit = (digit: ReceivedDigit) => this.digitReceived(callId, phoneNumber, digit);
    const leg = await (this.options.legFactory ?? this.openRtpLeg)(request, onDigit);
    const participant = existing ?? this.addParticipant(call, phoneNumber);
    participant.leg = leg;
    call.plan = undefined;
    return { port: leg.localPort };
  }

  /** Whole frames waiting in a leg's jitter queue (diagnostics, tests). */
  queuedFrames(callId: string, phoneNumber: string): number {
    return this.participantOf(callId, phoneNumber).leg?.queuedFrames ?? 0;
  }

  /** A new SDP address for a leg (re-INVITE). */
  setLegRemote(callId: string, phoneNumber: string, remote: RemoteAddress | undefined): void {
    const leg = this.participantOf(callId, phoneNumber).leg;
    if (!leg) throw new MediaCommandError(`party ${phoneNumber} has no leg in call ${callId}`);
    const problem = checkAddLegRequest({ codec: leg.codec, remote });
    if (problem) throw new MediaCommandError(`leg of ${phoneNumber} in call ${callId}: ${problem}`);
    leg.setRemote(remote);
  }

  async removeLeg(callId: string, phoneNumber: string): Promise<void> {
    const call = this.callOf(callId);
    const participant = this.participantOf(callId, phoneNumber);
    const leg = participant.leg;
    participant.leg = undefined;
    participant.dtmfSender = undefined;
    if (!participant.toneTable) this.removeParticipant(call, participant);
    call.plan = undefined;
    if (leg) this.droppedByClosedLegs += droppedBy(leg);
    await leg?.close();
  }

  /** The call's matrix, from the switch's "media changed" fact; applies from the next tick. */
  setMatrix(callId: string, matrix: readonly MediaParty[]): void {
    const problem = checkMatrix(matrix);
    if (problem) throw new MediaCommandError(`matrix of call ${callId}: ${problem}`);
    const call = this.callOrNew(callId);
    call.matrix = matrix.map((row) => ({ phoneNumber: row.phoneNumber, hears: [...row.hears] }));
    call.plan = undefined;
  }

  /** Give a party without a leg a tone (Hz, 200-3400), or take it away (undefined). */
  setTone(callId: string, phoneNumber: string, frequencyHz: number | undefined): void {
    const call = this.callOrNew(callId);
    if (frequencyHz === undefined) {
      const participant = call.participants.find((p) => p.phoneNumber === phoneNumber);
      if (!participant) return;
      participant.toneTable = undefined;
      if (!participant.leg) this.removeParticipant(call, participant);
      call.plan = undefined;
      return;
    }
    if (!Number.isFinite(frequencyHz) || frequencyHz < TONE_RANGE_HZ.lowest || frequencyHz > TONE_RANGE_HZ.highest) {
      throw new MediaCommandError(`tone ${frequencyHz} Hz is outside ${TONE_RANGE_HZ.lowest}-${TONE_RANGE_HZ.highest} Hz`);
    }
    const existing = call.participants.find((p) => p.phoneNumber === phoneNumber);
    if (existing?.leg) throw new MediaCommandError(`party ${phoneNumber} has a leg in call ${callId}; a tone is for parties without one`);
    const participant = existing ?? this.addParticipant(call, phoneNumber);
    participant.toneTable = this.toneTable(Math.round(frequencyHz), VIRTUAL_SPEAKER_AMPLITUDE);
    participant.toneFrame ??= new Int16Array(FRAME_SAMPLES);
    call.plan = undefined;
  }

  setHoldAudio(callId: string, holdAudio: HoldAudio): void {
    if (holdAudio !== HoldAudio.Silence && holdAudio !== HoldAudio.Tone) {
      throw new MediaCommandError(`hold audio '${String(holdAudio)}' is neither 'silence' nor 'tone'`);
    }
    this.callOrNew(callId).holdAudio = holdAudio;
  }

  startRecording(callId: string, callUuid: string = callId, folder = this.options.recordingsFolder): string {
    const call = this.callOf(callId);
    if (!folder) throw new MediaCommandError('no recordings folder configured');
    if (call.recorder && !call.recorder.isStopped) throw new MediaCommandError(`call ${callId} is already recording`);
    try {
      call.recorder = WavRecorder.start(folder, callUuid);
    } catch (error) {
      throw new MediaCommandError((error as Error).message);
    }
    return call.recorder.path;
  }

  pauseRecording(callId: string): void {
    this.recorderOf(callId).pause();
  }

  resumeRecording(callId: string): void {
    this.recorderOf(callId).resume();
  }

  stopRecording(callId: string): RecordingSummary {
    const call = this.callOf(callId);
    const summary = this.recorderOf(callId).stop();
    call.recorder = undefined;
    return summary;
  }

  /** Send digits as RFC 4733 events to `toPhoneNumbers` (default: every leg of the call). */
  sendDtmf(callId: string, digits: string, toPhoneNumbers?: readonly string[]): void {
    const problem = typeof digits === 'string' ? checkDtmfDigits(digits) : 'digits must be a string';
    if (problem) throw new MediaCommandError(problem);
    const call = this.callOf(callId);
    const targets = toPhoneNumbers
      ? toPhoneNumbers.map((phoneNumber) => this.participantOf(callId, phoneNumber))
      : call.participants.filter((p) => p.leg);
    for (const participant of targets) {
      if (!participant.leg?.canSendEvents) {
        throw new MediaCommandError(`party ${participant.phoneNumber} has no telephone-event payload type`);
      }
    }
    for (const participant of targets) {
      participant.dtmfSender ??= new DtmfSender();
      try {
        participant.dtmfSender.enqueue(digits);
      } catch (error) {
        throw new MediaCommandError((error as Error).message);
      }
    }
  }

  async removeCall(callId: string): Promise<RecordingSummary | undefined> {
    const call = this.calls.get(callId);
    if (!call) return undefined;
    this.calls.delete(callId);
    const summary = call.recorder?.stop();
    for (const p of call.participants) if (p.leg) this.droppedByClosedLegs += droppedBy(p.leg);
    await Promise.all(call.participants.map((p) => p.leg?.close()));
    return summary;
  }

  async close(): Promise<void> {
    this.clock.stop();
    await Promise.all([...this.calls.keys()].map((callId) => this.removeCall(callId)));
  }

  /** One 20 ms tick for every call (the clock calls it; tests may call it directly). */
  runTick(tick: number = this.tick): void {
    this.tick = tick + 1;
    for (const call of this.calls.values()) {
      try {
        this.mixCall(call, tick);
      } catch {
        // a defect in one call must not stop the others; that call skips this tick
        this.faultyCallTicks++;
      }
    }
  }

  private mixCall(call: CallMedia, tick: number): void {
    const plan = call.plan ?? this.replan(call);
    const participants = call.participants;
    const frames = call.frames;
    for (let slot = 0; slot < participants.length; slot++) {
      const participant = participants[slot];
      frames[slot] = participant.leg
        ? participant.leg.takeFrame()
        : participant.toneTable
          ? fillFromTable(participant.toneTable, tick * FRAME_SAMPLES, participant.toneFrame!)
          : null;
    }
    const hold =
      call.holdAudio === HoldAudio.Tone
        ? fillFromTable(this.toneTable(HOLD_TONE_HZ, HOLD_TONE_AMPLITUDE), tick * FRAME_SAMPLES, this.holdFrame)
        : SILENT_FRAME;
    const outs = mixTick(plan, frames, hold, call.outs, this.accumulator, call.results);
    for (let slot = 0; slot < participants.length; slot++) {
      const { leg, dtmfSender } = participants[slot];
      if (!leg) continue;
      const event = dtmfSender?.next(leg.timestampOf(tick));
      if (event) leg.sendEvent(event);
      else leg.sendAudio(outs[slot], tick);
    }
    if (call.recorder) call.recorder.write(mixSpeakers(frames, plan.heardByAnyone, this.recordingOut, this.accumulator));
  }

  private digitReceived(callId: string, phoneNumber: string, digit: ReceivedDigit): void {
    this.options.onDigit?.(callId, phoneNumber, digit);
    if (this.options.relayDtmf === false) return;
    const call = this.calls.get(callId);
    if (!call) return;
    const plan = call.plan ?? this.replan(call);
    const senderSlot = call.participants.findIndex((p) => p.phoneNumber === phoneNumber);
    call.participants.forEach((participant, slot) => {
      if (!participant.leg?.canSendEvents || !plan.listeners[slot].speakers.includes(senderSlot)) return;
      (participant.dtmfSender ??= new DtmfSender()).enqueue(digit.digit);
    });
  }

  private readonly openRtpLeg: LegFactory = (request, onDigit) => {
    const legOptions: RtpLegOptions = {
      codec: request.codec,
      telephoneEventPayloadType: request.telephoneEventPayloadType,
      remote: request.remote,
      ...(request.stream ? { stream: request.stream } : {}),
      bindAddress: this.options.bindAddress,
      relatchAfterMs: this.options.relatchAfterMs,
      onDigit,
    };
    return RtpLeg.open(this.options.allocator, legOptions).catch((error: Error) => {
      throw new MediaCommandError(error.message);
    });
  };

  private replan(call: CallMedia): MixPlan {
    call.outs = call.participants.map((p) => p.out);
    return (call.plan = planMix(call.matrix, call.participants.map((p) => p.phoneNumber)));
  }

  private toneTable(frequencyHz: number, amplitude: number): Int16Array {
    const key = `${frequencyHz}/${amplitude}`;
    let table = this.toneTables.get(key);
    if (!table) this.toneTables.set(key, (table = sineTable(frequencyHz, amplitude)));
    return table;
  }

  private callOrNew(callId: string): CallMedia {
    let call = this.calls.get(callId);
    if (!call) {
      call = { callId, participants: [], matrix: [], plan: undefined, holdAudio: HoldAudio.Silence, frames: [], outs: [], results: [] };
      this.calls.set(callId, call);
    }
    return call;
  }

  private callOf(callId: string): CallMedia {
    const call = this.calls.get(callId);
    if (!call) throw new MediaCommandError(`no media for call ${callId}`);
    return call;
  }

  private participantOf(callId: string, phoneNumber: string): Participant {
    const participant = this.callOf(callId).participants.find((p) => p.phoneNumber === phoneNumber);
    if (!participant) throw new MediaCommandError(`party ${phoneNumber} has no media in call ${callId}`);
    return participant;
  }

  private recorderOf(callId: string): WavRecorder {
    const recorder = this.callOf(callId).recorder;
    if (!recorder) throw new MediaCommandError(`call ${callId} is not recording`);
    return recorder;
  }

  private addParticipant(call: CallMedia, phoneNumber: string): Participant {
    const participant: Participant = { phoneNumber, out: new Int16Array(FRAME_SAMPLES) };
    call.participants.push(participant);
    call.frames.push(null);
    return participant;
  }

  private removeParticipant(call: CallMedia, participant: Participant): void {
    const index = call.participants.indexOf(participant);
    if (index < 0) return;
    call.participants.splice(index, 1);
    call.frames.pop();
  }
}
