/**
 * Pieces shared by the real-phone tests: letting audio flow for a measured time (the only timer these
 * tests use: a recording needs seconds of audio, it is not a wait for an event), and collecting each
 * phone's recording with the wall-clock time of its call's CALL_ESTABLISHED.
 * Guarantees: `listeningOf` fails loudly when the phone never established a call or left no
 * single recording; `assertHearing` fails with the whole table of levels when any listener heard
 * something other than expected, or a recording's timeline does not match the wall clock.
 */
import assert from 'node:assert/strict';
import type { BaresipPhone, PhoneEvent } from '../helpers/baresip.js';
import { describeResults, hearingAll, recordingSecondOf, timelineProblem } from '../helpers/baresip-hearing.js';
import type { Listening, Phase, TonedParty } from '../helpers/baresip-hearing.js';

/** Let `milliseconds` of audio reach the recordings (a media duration, not a synchronisation). */
export function letAudioFlow(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** The first CALL_ESTABLISHED of a phone (its recorded call). */
export function establishedOf(phone: BaresipPhone): PhoneEvent {
  const [event] = phone.events.filter((e) => e.type === 'CALL_ESTABLISHED');
  assert.ok(event, `phone ${phone.spec.name} never established a call: ${phone.events.describe()}`);
  return event;
}

/**
 * A phone's recording and when its first sample arrived: the later of its first CALL_ESTABLISHED and
 * the first CALL_RTPESTAB (a nailed-up leg may get its first packet later than its 200 OK; a customer
 * may get early media before it, but sndfile records from the established call on).
 */
export function listeningOf(phone: BaresipPhone, name: string, skippedBy?: Listening['skippedBy']): Listening {
  const established = establishedOf(phone).receivedAt;
  const [firstRtp] = phone.events.filter((e) => e.type === 'CALL_RTPESTAB');
  const startedAt = Math.max(established, firstRtp?.receivedAt ?? established);
  return { name, audio: phone.onlyRecording(), establishedAt: startedAt, ...(skippedBy ? { skippedBy } : {}) };
}

/**
 * The same, aligned on the end of the recording (the phone's first CALL_CLOSED): for nailed-up legs,
 * which may get no packet for a while after their 200 OK; what came before the first packet is silence.
 */
export function listeningByEnd(phone: BaresipPhone, name: string, skippedBy?: Listening['skippedBy']): Listening {
  const [closed] = phone.events.filter((e) => e.type === 'CALL_CLOSED');
  assert.ok(closed, `phone ${phone.spec.name} never closed its call: ${phone.events.describe()}`);
  return { ...listeningOf(phone, name, skippedBy), closedAt: closed.receivedAt };
}

/** Check every phase for every listener, and every listener's timeline against `closedAt` (per listener). */
export function assertHearing(listenings: Listening[], phases: Phase[], parties: TonedParty[], closedAt: Record<string, number>): string {
  const timeline = listenings.map((l) => (closedAt[l.name] !== undefined ? timelineProblem(l, closedAt[l.name]) : undefined)).filter((p) => p !== undefined);
  const results = hearingAll(listenings, phases, parties);
  const durations = listenings.map((l) => {
    const closed = closedAt[l.name];
    const skipped = closed !== undefined && l.skippedBy ? l.skippedBy(closed) - l.skippedBy(l.establishedAt) : 0;
    const late = l.closedAt !== undefined ? `, first packet ${recordingSecondOf(l, l.establishedAt) < 0 ? (-recordingSecondOf(l, l.establishedAt)).toFixed(2) : '0.00'} s after the call began` : '';
    return `${l.name}: recording ${l.audio.durationSec.toFixed(2)} s, call ${closed === undefined ? '?' : ((closed - l.establishedAt) / 1000).toFixed(2)} s, skipped by the server ${skipped.toFixed(2)} s${late}`;
  });
  const table = `${describeResults(results)}\ntimelines: ${durations.join('; ')}`;
  assert.ok(results.length > 0, 'no phase was checked');
  assert.deepEqual(timeline, [], `recording timelines:\n${timeline.join('\n')}\n${table}`);
  const failed = results.filter((r) => !r.ok);
  assert.equal(failed.length, 0, `what the phones heard differs from the expected matrix:\n${table}`);
  return table;
}
