/**
 * Simulated endpoints: the outside world of a switch without real phones. External numbers answer
 * after the contact center's externalAnswerDelayMs; simulated extensions ring until GWS Answer and
 * answer at once; media, DTMF and recording go nowhere. The simulation API (/sim/v1) drives these
 * endpoints: a customer calls in, an external party hangs up.
 *
 * Guarantees: every timer goes through the host (so it enters the command door), a leg has at most
 * one pending answer timer, and releasing or moving a leg cancels it. The call model ignores a
 * stale Answered fact, so nothing here needs to know call state.
 */
import { ErrorCode, fail, okVoid } from '../errors.js';
import type { Result } from '../errors.js';
import type { UserData } from '../switch/model.js';
import type { AnswerOutcome, EndpointHost, Endpoints, LegRef, Offer } from './port.js';

const key = (leg: { callUuid: string; dn: string }) => `${leg.callUuid}|${leg.dn}`;

export class SimulatedEndpoints implements Endpoints {
  readonly name = 'simulated';
  private host?: EndpointHost;
  /** leg key -> cancel of its pending answer */
  private readonly answering = new Map<string, () => void>();

  attach(host: EndpointHost): void {
    this.host = host;
  }

  private get door(): EndpointHost {
    if (!this.host) throw new Error('simulated endpoints used before attach()');
    return this.host;
  }

  // ------------------------------------------------------------------ effects

  offer(leg: LegRef, _offer: Offer): void {
    if (leg.kind === 'External') this.answerLater(leg);
  }

  answer(_leg: LegRef): AnswerOutcome {
    return 'Answered';
  }

  release(leg: LegRef): void {
    this.cancel(leg);
  }

  moveLeg(from: LegRef, to: LegRef): void {
    // a still-ringing external number starts its answer delay again on the call it moved to
    if (this.cancel(from)) this.answerLater(to);
  }

  setMedia(): void {}

  sendDtmf(): void {}

  record(): void {}

  stop(): void {
    for (const cancel of this.answering.values()) cancel();
    this.answering.clear();
  }

  // ------------------------------------------------------------------ the simulation API

  /** POST /sim/v1/calls: an external number calls a DN or routing point. */
  inbound(from: string, to: string, userData?: UserData): Result<{ callUuid: string }> {
    if (!this.door.isExternalNumber(from)) {
      return fail(ErrorCode.InvalidValue, `'from' must be an external number (7 or more digits, or starting with '+'), got '${from}'`);
    }
    return this.door.incoming({ from, to, ...(userData ? { userData } : {}) }, this);
  }

  /** The external party (or the only one, if phoneNumber is omitted) hangs up. */
  hangUp(callUuid: string, phoneNumber?: string): Result {
    const externals = this.door.externalLegs(callUuid);
    if (!externals) return fail(ErrorCode.NotFound, `Call ${callUuid} does not exist or has ended`);
    const dn = phoneNumber ? externals.find((x) => x === phoneNumber) : externals.length === 1 ? externals[0] : undefined;
    if (!dn) {
      return fail(
        phoneNumber ? ErrorCode.NotFound : ErrorCode.MissingParameter,
        phoneNumber
          ? `No external party ${phoneNumber} on call ${callUuid}`
          : `Call ${callUuid} has ${externals.length} external parties: give phoneNumber`,
      );
    }
    this.door.fact({ kind: 'HungUp', leg: { callUuid, dn } });
    return okVoid;
  }

  // ------------------------------------------------------------------ answer delays

  private answerLater(leg: LegRef): void {
    const delay = this.door.settings(leg.contactCenterId)?.externalAnswerDelayMs ?? 0;
    const k = key(leg);
    this.answering.get(k)?.();
    const cancel = this.door.timer(delay, 'external answer', () => {
      this.answering.delete(k);
      this.door.fact({ kind: 'Answered', leg: { callUuid: leg.callUuid, dn: leg.dn } });
    });
    this.answering.set(k, cancel);
  }

  private cancel(leg: { callUuid: string; dn: string }): boolean {
    const k = key(leg);
    const cancel = this.answering.get(k);
    if (!cancel) return false;
    cancel();
    this.answering.delete(k);
    return true;
  }
}
