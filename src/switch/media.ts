/**
 * Who hears whom: the one pure function (supervision.md section 5). The simulated switch exposes
 * its result at GET /sim/v1/calls/{id}/media; a real RTP mixer will mix audio with the same rules.
 *
 * A party is present when its leg is Established. Listener L hears speaker P when both are
 * present, L != P, and none of these hold:
 *   1. P is a supervisor in ListenIn;
 *   2. P is a supervisor in Coach, L is not the agent P monitors, and L is not a supervisor
 *      (another supervisor on the call also hears a coach);
 *   3. P is muted (MuteCall);
 *   4. P is the monitored agent muted by MuteMonitoredUser, and L is not a supervisor.
 */
import { MonitorMode } from './model.js';
import type { MediaParty } from './model.js';

export interface MediaInput {
  phoneNumber: string;
  present: boolean;
  muted: boolean;
  /** set for a supervisor's monitoring leg */
  supervisor?: { mode: MonitorMode; monitoredPhoneNumber?: string };
  /** this party is an agent muted by a supervisor's MuteMonitoredUser */
  mutedByMonitor: boolean;
}

export function hears(listener: MediaInput, speaker: MediaInput): boolean {
  if (listener === speaker || !listener.present || !speaker.present) return false;
  const sup = speaker.supervisor;
  if (sup?.mode === MonitorMode.ListenIn) return false;
  if (sup?.mode === MonitorMode.Coach && listener.phoneNumber !== sup.monitoredPhoneNumber && !listener.supervisor) return false;
  if (speaker.muted) return false;
  if (speaker.mutedByMonitor && !listener.supervisor) return false;
  return true;
}

/** For every party (in the order given), the phone numbers it hears (in the same order). */
export function mediaMatrix(parties: readonly MediaInput[]): MediaParty[] {
  return parties.map((l) => ({
    phoneNumber: l.phoneNumber,
    hears: parties.filter((p) => hears(l, p)).map((p) => p.phoneNumber),
  }));
}
