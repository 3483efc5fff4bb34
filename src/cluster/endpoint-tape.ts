/**
 * The endpoint tape: what the endpoints below a logged switch decided that is not a function of
 * the log (contract.ts, TapeItem), recorded live and played back in replay. Guarantees:
 *   - live, while an entry is applied, every leg selection, every leg effect on endpoints other
 *     than the simulated ones (with Answer's outcome), every fact those endpoints feed from inside
 *     the entry and every audit-availability answer is recorded in order; `end()` hands the tape
 *     over only when it differs from the replay's default (all simulated, audit writable), so a
 *     simulated-only switch writes no `observed` entries;
 *   - in replay, the simulated endpoints run for real (they are deterministic); every other
 *     endpoints are a stand-in of the same name that does nothing but play its part of the tape:
 *     the recorded Answer outcome, and the facts fed after each taped item, at the same point;
 *   - a tape that does not match the replay (an item of the wrong kind, or left over) throws: a
 *     replay that diverges must fail loudly, never carry on with another state.
 */
import type { AnswerOutcome, EndpointFact, EndpointHost, EndpointSelector, Endpoints, LegRef } from '../endpoints/port.js';
import type { MediaParty, RecordingState } from '../switch/model.js';
import type { TapedEffect, TapeItem } from './contract.js';

type Mode = 'replay' | 'live';

export class EndpointTape {
  private mode: Mode = 'replay';
  private recording: TapeItem[] | undefined;
  private playing: TapeItem[] = [];
  private taped = false;
  /** the first mismatch (the door logs what a command throws: finish() throws it again) */
  private divergence: string | undefined;
  private readonly standIns = new Map<string, StandIn>();
  private readonly recorders = new Map<Endpoints, Endpoints>();
  private live: EndpointSelector | undefined;

  /** feed: the door for facts (the call model's own host.fact) */
  constructor(
    private readonly simulated: Endpoints,
    private readonly feed: (f: EndpointFact) => void,
  ) {}

  /** while an entry is applied live */
  get recordingNow(): boolean {
    return this.recording !== undefined;
  }

  /** the selector to give the call model; `live` serves once goLive() has run */
  selector(live: EndpointSelector): EndpointSelector {
    this.live = live;
    return {
      select: (leg) => {
        if (this.mode === 'replay') return this.replaySelect();
        const endpoints = live.select(leg);
        this.recording?.push({ k: 'select', name: endpoints.name });
        return endpoints === this.simulated ? endpoints : this.recorderOf(endpoints);
      },
      all: () => (this.mode === 'replay' ? [this.simulated, ...this.standIns.values()] : live.all()),
    };
  }

  /** the audit check to give the call model: the live answer, recorded; played back in replay */
  audit(liveCheck: (() => boolean) | undefined): () => boolean {
    return () => {
      if (this.mode === 'replay') return this.taped ? this.take('audit').ok : true;
      const ok = liveCheck ? liveCheck() : true;
      this.recording?.push({ k: 'audit', ok });
      return ok;
    };
  }

  /** a fact fed by live endpoints while an entry is applied: taped, then into the door */
  recordFact(f: EndpointFact): void {
    this.recording?.push({ k: 'fact', fact: f });
    this.feed(f);
  }

  /** the endpoints that serve `by` in the switch (its recorder live, its stand-in in replay) */
  endpointsNamed(name: string, by?: Endpoints): Endpoints {
    if (name === this.simulated.name) return this.simulated;
    if (this.mode === 'live' && by) return this.recorderOf(by);
    return this.standIn(name);
  }

  // ------------------------------------------------------------------ live

  begin(): void {
    this.recording = [];
  }

  /** the tape of the entry just applied, or undefined when it is the replay's default */
  end(): TapeItem[] | undefined {
    const tape = this.recording ?? [];
    this.recording = undefined;
    const interesting = tape.some((t) => (t.k === 'select' ? t.name !== this.simulated.name : t.k === 'audit' ? !t.ok : true));
    return interesting ? tape : undefined;
  }

  goLive(): void {
    this.mode = 'live';
  }

  /** the legs served by stand-ins after a replay: their real dialogues died with the old owner */
  isStandIn(endpoints: Endpoints | undefined): boolean {
    return endpoints instanceof StandIn;
  }

  // ------------------------------------------------------------------ replay

  /** play this tape (or the default) while the next entry is applied */
  play(tape: TapeItem[] | undefined): void {
    this.taped = tape !== undefined;
    this.playing = tape ? [...tape] : [];
    this.feedFacts();
  }

  /** the entry is applied: the tape must be used up */
  finish(): void {
    this.feedFacts();
    if (this.playing.length) this.diverge(`${this.playing.length} tape item(s) left over (next: ${JSON.stringify(this.playing[0])})`);
    this.taped = false;
    const divergence = this.divergence;
    this.divergence = undefined;
    if (divergence) throw new Error(`replay diverged: ${divergence}`);
  }

  /**
   * a stand-in's effect: in replay, take its item and answer its outcome; live (a leg whose phone
   * was on the old owner, until its hang-up is applied) it is taped like any other, outcome default
   */
  playEffect(name: string, effect: TapedEffect): AnswerOutcome | undefined {
    if (this.mode === 'live') {
      this.tapeEffect(name, effect);
      return undefined;
    }
    const item = this.take('effect');
    if (item.name !== name || item.effect !== effect) this.diverge(`the tape has ${item.effect} on ${item.name}, the switch did ${effect} on ${name}`);
    return item.outcome;
  }

  private replaySelect(): Endpoints {
    if (!this.taped) return this.simulated;
    return this.endpointsNamed(this.take('select').name);
  }

  private take<K extends TapeItem['k']>(k: K): Extract<TapeItem, { k: K }> {
    const item = this.playing.shift();
    if (!item || item.k !== k) this.diverge(`expected ${k} on the tape, found ${item ? item.k : 'nothing'}`);
    return item as Extract<TapeItem, { k: K }>;
  }

  /** facts recorded right after the item just taken are fed now (inside the same effect) */
  feedFacts(): void {
    while (this.playing[0]?.k === 'fact') {
      const item = this.playing.shift() as Extract<TapeItem, { k: 'fact' }>;
      this.feed(item.fact);
    }
  }

  private diverge(why: string): never {
    this.divergence ??= why;
    throw new Error(`replay diverged: ${why}`);
  }

  private standIn(name: string): StandIn {
    let s = this.standIns.get(name);
    if (!s) this.standIns.set(name, (s = new StandIn(name, this)));
    return s;
  }

  private recorderOf(endpoints: Endpoints): Endpoints {
    let r = this.recorders.get(endpoints);
    if (!r) this.recorders.set(endpoints, (r = recorder(endpoints, (effect) => this.tapeEffect(endpoints.name, effect))));
    return r;
  }

  private tapeEffect(name: string, effect: TapedEffect): EffectItem | undefined {
    if (!this.recording) return undefined;
    const item: EffectItem = { k: 'effect', name, effect };
    this.recording.push(item);
    return item;
  }
}

type EffectItem = Extract<TapeItem, { k: 'effect' }>;

/** Live endpoints with their leg effects taped (each before it runs, so facts it feeds follow it). */
function recorder(inner: Endpoints, tape: (effect: TapedEffect) => EffectItem | undefined): Endpoints {
  return {
    name: inner.name,
    offer(leg, offer) {
      tape('offer');
      inner.offer(leg, offer);
    },
    answer(leg) {
      const item = tape('answer');
      const outcome = inner.answer(leg);
      if (item) item.outcome = outcome;
      return outcome;
    },
    release(leg) {
      tape('release');
      inner.release(leg);
    },
    moveLeg(from, to) {
      tape('moveLeg');
      inner.moveLeg(from, to);
    },
    sendDtmf(leg, digits) {
      tape('sendDtmf');
      inner.sendDtmf(leg, digits);
    },
    setMedia: (callUuid, matrix) => inner.setMedia(callUuid, matrix),
    record: (callUuid, state) => inner.record(callUuid, state),
    stop: () => inner.stop(),
  };
}

/** Replay's stand-in for endpoints that are not simulated: plays the tape, touches nothing. */
class StandIn implements Endpoints {
  constructor(
    readonly name: string,
    private readonly tape: EndpointTape,
  ) {}
  offer(_leg: LegRef): void {
    this.played('offer');
  }
  answer(_leg: LegRef): AnswerOutcome {
    return this.played('answer') ?? 'Pending';
  }
  release(_leg: LegRef): void {
    this.played('release');
  }
  moveLeg(_from: LegRef, _to: LegRef): void {
    this.played('moveLeg');
  }
  sendDtmf(_leg: LegRef, _digits: string): void {
    this.played('sendDtmf');
  }
  setMedia(_callUuid: string, _matrix: readonly MediaParty[]): void {}
  record(_callUuid: string, _state: RecordingState): void {}
  stop(): void {}

  private played(effect: TapedEffect): AnswerOutcome | undefined {
    const outcome = this.tape.playEffect(this.name, effect);
    this.tape.feedFacts();
    return outcome;
  }
}

/**
 * The host live endpoints get: facts inside an entry are taped; outside one they go to `outside`
 * (logged as inputs of their own). Their timers are `outside.timer` (the real clock, not the
 * numbered log clock): what such a timer does reaches the switch only as facts, which are logged,
 * and a replay, whose stand-ins set no timers, numbers the switch's own timers the same.
 */
export function tapedHost(
  host: EndpointHost,
  tape: EndpointTape,
  outside: { fact(f: EndpointFact): void; incoming: EndpointHost['incoming']; dial: EndpointHost['dial']; timer: EndpointHost['timer'] },
): EndpointHost {
  return {
    ...host,
    timer: outside.timer,
    fact: (f) => (tape.recordingNow ? tape.recordFact(f) : outside.fact(f)),
    incoming: (call, by) => (tape.recordingNow ? host.incoming(call, tape.endpointsNamed(by.name, by)) : outside.incoming(call, by)),
    dial: (dn, destination) => (tape.recordingNow ? host.dial(dn, destination) : outside.dial(dn, destination)),
  };
}
