/**
 * Supervision audit (supervision.md section 9): every MonitorEvent of the switch is appended to
 * the audit store with the DNs mapped to the users who had them at that moment. Appends are
 * queued in order; `drain()` waits for the pending ones (at shutdown). A failed write is logged.
 */
import type { AuditEntry, AuditStore } from '../store/port.js';
import type { MonitorEvent, SwitchEvent } from '../switch/model.js';
import type { Directory } from '../gws/directory.js';

export interface AuditLog {
  error(o: object, msg?: string): void;
}

export class AuditWriter {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: AuditStore,
    private readonly directory: Directory,
    private readonly log: AuditLog,
  ) {}

  readonly onEvent = (e: SwitchEvent): void => {
    if (e.kind !== 'monitor') return;
    let entry: AuditEntry;
    try {
      entry = this.entryOf(e);
    } catch (err) {
      this.log.error({ err }, 'audit entry could not be built');
      return;
    }
    this.tail = this.tail
      .then(() => this.store.append(entry))
      .catch((err) => this.log.error({ err, entry }, 'audit write failed'));
  };

  entryOf(e: MonitorEvent): AuditEntry {
    const owner = (dn: string | undefined) => (dn ? this.directory.ownerOfDn(dn)?.id : undefined);
    const entry: AuditEntry = {
      at: e.at,
      contactCenterId: e.contactCenterId,
      event: e.event,
      supervisorUserId: owner(e.supervisorDn) ?? '',
      supervisorDn: e.supervisorDn,
      targetDn: e.targetDn,
      mode: e.mode,
      scope: e.scope,
      span: e.span,
    };
    const target = owner(e.targetDn);
    if (target && this.directory.deviceByDn(e.targetDn)?.kind === 'Extension') entry.targetUserId = target;
    if (e.agentDn) {
      entry.agentDn = e.agentDn;
      const agent = owner(e.agentDn);
      if (agent) entry.agentUserId = agent;
    }
    if (e.callUuid) entry.callUuid = e.callUuid;
    if (e.reason) entry.reason = e.reason;
    return entry;
  }

  /** wait until every queued entry is written */
  drain(): Promise<void> {
    return this.tail;
  }
}
