/**
 * Closing, at start-up, the monitoring that a killed server left open in the supervision audit
 * (supervision.md 9; docs/supervision.md "Audit").
 *
 * A single server keeps its calls and monitoring configurations in memory. A graceful stop writes
 * each supervisor's `Left` and each configuration's `Cancelled` (reason ServerStopped). A process
 * that dies (SIGKILL, a crash, a power cut) writes nothing, so its last `Joined` or `Armed` would
 * stay open for ever. At the next start, before the switch takes any command, `closeOpenMonitoring`
 * reads each supervisor's newest entries, works out what was still open when the log ends, and
 * appends a `Left` (a supervisor on a call) and a `Cancelled` (a configuration) with the reason
 * ServerStoppedUnexpectedly and the time of this start (when the old process died is not known).
 *
 * Guarantees:
 * - What counts as open is `openMonitoringOf`, a replay of the entries since the supervisor's last
 *   `Cancelled` or `Left` (each leaves a known state: nothing, or an AllCalls configuration with no
 *   call), by the EFFECT table below. A supervisor has at most one configuration and one call.
 * - The walk is bounded: newest first, by pages of one index walk (8 entries first, then up to 200),
 *   and at most MAX_WALK entries per supervisor (beyond that the oldest entry read stands for the
 *   start of the history).
 * - The closing entries sort after what they close, even when this start's clock is behind the
 *   audit's newest entry (they are then written at that entry's time).
 * - Running it twice closes nothing twice: after its entries, each supervisor's log ends in a
 *   `Cancelled` or a `Left` of its own.
 * - Only the supervisors of the directory are read (users with ROLE_SUPERVISOR now); a user whose
 *   role was taken away while the server was down keeps what the old process left open.
 * - It is for a single server only: a cluster node's calls go on at the next owner, and a switch
 *   handed in from outside may still hold its calls (app.ts does not call it then).
 */
import type { AuditEntry, AuditPosition, AuditStore } from '../store/port.js';
import { Role } from '../store/port.js';
import type { Directory } from '../gws/directory.js';
import { MonitorSpan } from '../switch/model.js';

export const UNEXPECTED_STOP_REASON = 'ServerStoppedUnexpectedly';

/** entries read in the first page (most supervisors' newest entry is a boundary), at most in one, and at most per supervisor */
const FIRST_PAGE = 8;
const LARGEST_PAGE = 200;
const MAX_WALK = 10_000;

/** What one supervisor still had open: the entry that describes its configuration and its call, if any. */
export interface OpenMonitoring {
  config?: AuditEntry;
  call?: AuditEntry;
  /** the time of the newest entry read (closing entries are never written before it) */
  newestAt?: number;
}

/**
 * How each entry changes what is open. Every entry carries its configuration's mode, scope, span
 * and target as they were at that moment, so the newest one describes the configuration; the
 * newest entry of the call (Joined, then ModeChanged or a mute) describes the supervisor's leg.
 */
const EFFECT: Readonly<Record<string, (open: OpenMonitoring, entry: AuditEntry) => OpenMonitoring>> = {
  Armed: (open, entry) => ({ ...open, config: entry }),
  Joined: (_open, entry) => ({ config: entry, call: entry }),
  ModeChanged: (open, entry) => onCall(open, entry),
  MonitoredUserMuted: (open, entry) => onCall(open, entry),
  MonitoredUserUnmuted: (open, entry) => onCall(open, entry),
  // a Skipped proves a live configuration (even when the walk started after its Armed)
  Skipped: (open, entry) => ({ ...open, config: entry }),
  // a Left ends the supervisor's one call; a NextCall configuration ends with it
  Left: (_open, entry) => (entry.span === MonitorSpan.AllCalls ? { config: entry } : {}),
  Cancelled: () => ({}),
};

function onCall(open: OpenMonitoring, entry: AuditEntry): OpenMonitoring {
  return open.call && open.call.callUuid === entry.callUuid ? { config: entry, call: entry } : { ...open, config: entry };
}

/** Entries after which the state is known without anything older. */
const BOUNDARY = new Set(['Left', 'Cancelled']);

/** What is open after these entries (oldest first; the first may be a boundary, or the start of the history). */
export function openMonitoringOf(oldestFirst: readonly AuditEntry[]): OpenMonitoring {
  let open: OpenMonitoring = {};
  for (const entry of oldestFirst) open = (EFFECT[entry.event] ?? ((same: OpenMonitoring) => same))(open, entry);
  const newest = oldestFirst[oldestFirst.length - 1];
  return newest ? { ...open, newestAt: newest.at } : open;
}

/** A supervisor's entries since (and with) their newest boundary, oldest first. */
async function sinceLastBoundary(store: Pick<AuditStore, 'recentOfSupervisor'>, contactCenterId: string, supervisorUserId: string): Promise<AuditEntry[]> {
  const newestFirst: AuditEntry[] = [];
  let before: AuditPosition | undefined;
  for (let size = FIRST_PAGE; newestFirst.length < MAX_WALK; size = Math.min(LARGEST_PAGE, size * 4)) {
    const page = await store.recentOfSupervisor(contactCenterId, supervisorUserId, size, before);
    for (const entry of page) {
      newestFirst.push(entry);
      if (BOUNDARY.has(entry.event)) return newestFirst.reverse();
    }
    if (page.length < size) break;
    const last = page[page.length - 1];
    before = { at: last.at, id: last.id! };
  }
  return newestFirst.reverse();
}

/**
 * The closing entries for what is open: the call's Left first, then the configuration's Cancelled.
 * Both carry the configuration as its newest entry left it (mode, scope, span, target); the Left
 * adds the call and the agent of the call's newest entry. They are written at `at`, or at the
 * newest entry's time when the clock is behind it, so that they sort after what they close.
 */
export function closingEntries(open: OpenMonitoring, at: number): AuditEntry[] {
  const describing = open.config ?? open.call;
  if (!describing) return [];
  const when = Math.max(at, open.newestAt ?? at);
  const { id: _id, reason: _reason, callUuid: _call, agentDn: _agentDn, agentUserId: _agentUserId, ...config } = describing;
  const closing: AuditEntry[] = [];
  if (open.call) {
    const { callUuid, agentDn, agentUserId } = open.call;
    closing.push({ ...config, ...(callUuid ? { callUuid } : {}), ...(agentDn ? { agentDn } : {}), ...(agentUserId ? { agentUserId } : {}), event: 'Left', at: when, reason: UNEXPECTED_STOP_REASON });
  }
  if (open.config) closing.push({ ...config, event: 'Cancelled', at: when, reason: UNEXPECTED_STOP_REASON });
  return closing;
}

/** What one supervisor still has open, by the audit alone. */
export async function openMonitoringIn(store: Pick<AuditStore, 'recentOfSupervisor'>, contactCenterId: string, supervisorUserId: string): Promise<OpenMonitoring> {
  return openMonitoringOf(await sinceLastBoundary(store, contactCenterId, supervisorUserId));
}

/**
 * Appends the closing entries for every supervisor of every contact center in the directory;
 * resolves to the entries written (for the caller's log line).
 */
export async function closeOpenMonitoring(store: Pick<AuditStore, 'append' | 'recentOfSupervisor'>, directory: Directory, at: number): Promise<AuditEntry[]> {
  const written: AuditEntry[] = [];
  for (const center of directory.allCenters()) {
    for (const supervisor of directory.usersWithRole(center.id, Role.Supervisor)) {
      const closing = closingEntries(await openMonitoringIn(store, center.id, supervisor.id), at);
      for (const entry of closing) {
        await store.append(entry);
        written.push(entry);
      }
    }
  }
  return written;
}
