/**
 * The legal party-state moves: the one table every change of a leg's state goes through
 * (SwitchCore.setState and SwitchCore.release read it). A move that is not in the table is a
 * defect of the call model: it throws, the command door catches it, logs it and answers the
 * command as an Internal failure, so a wrong move never reaches a notification silently.
 *
 * Staying in the same state is always allowed (a re-asserted Established after a conference).
 * Released is final: a DN that comes back to a call gets a new party.
 */
import { PartyState } from './model.js';

export const PARTY_MOVES: Readonly<Record<PartyState, readonly PartyState[]>> = {
  // the caller's leg: the far end answers, or the attempt ends
  Dialing: [PartyState.Established, PartyState.Released],
  // an offered leg: answered, or refused / not answered / the caller gave up
  Ringing: [PartyState.Established, PartyState.Released],
  Established: [PartyState.Held, PartyState.Released],
  Held: [PartyState.Established, PartyState.Released],
  Released: [],
};

export function isLegalMove(from: PartyState, to: PartyState): boolean {
  return from === to ? from !== PartyState.Released : PARTY_MOVES[from].includes(to);
}

export function assertLegalMove(from: PartyState, to: PartyState, where: string): void {
  if (!isLegalMove(from, to)) throw new Error(`illegal party-state move ${from} -> ${to} (${where})`);
}
