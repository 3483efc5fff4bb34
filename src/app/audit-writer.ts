/**
 * Supervision audit (supervision.md section 9): every MonitorEvent of the switch is appended to
 * the audit store with the DNs mapped to the users who had them at that moment.
 *
 * The audit never fails open (docs/security.md section 7). Guarantees:
 * - Entries are written one at a time, in the order the switch emitted them.
 * - An entry the store refuses with a storage fault (disk full, I/O error, corrupt or locked file;
 *   store/faults.ts) stays at the head of a bounded in-memory queue (`maxPending`) and is retried
 *   every `retryMs` until the store takes it; the entries behind it wait their turn. Nothing
 *   acknowledged is lost while the process lives, unless more than `maxPending` entries pile up
 *   (then the newest are dropped, counted and logged once).
 * - While entries wait, `fault()` says why in one sentence and `available()` is false: the GWS
 *   layer refuses to arm supervision (statusCode 13), the switch joins no supervisor to a call,
 *   and GET /readyz answers 503 with the reason. The fault is logged once when it starts and once
 *   when the store takes the held entries again, never per event.
 * - An entry refused as invalid (a constraint the store enforces) can never be written: it is
 *   logged in full and dropped, so it cannot block the queue forever.
 * - At shutdown `close()` makes a last attempt; entries still unwritten are logged in full (the
 *   log is the last copy). If the process dies instead, the held entries are lost: the log has the
 *   line saying the fault began and how many were held.
 */
import type { AuditEntry, AuditStore } from '../store/port.js';
import { storeFaultOf } from '../store/faults.js';
import type { MonitorEvent, SwitchEvent } from '../switch/model.js';
import type { Directory } from '../gws/directory.js';

export interface AuditLog {
  error(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface AuditWriterOptions {
  /** most entries held in memory while the store refuses them */
  maxPending: number;
  /** milliseconds between two attempts while the store refuses writes */
  retryMs: number;
}

export const DEFAULT_AUDIT_WRITER_OPTIONS: Readonly<AuditWriterOptions> = Object.freeze({ maxPending: 10_000, retryMs: 1000 });

/** Store error codes that mean "this entry is invalid", not "the store is in trouble". */
const INVALID_ENTRY = /^SQLITE_(CONSTRAINT|MISMATCH|RANGE|TOOBIG)/;

interface Fault {
  code: string;
  reason: string;
}

export class AuditWriter {
  private readonly pending: AuditEntry[] = [];
  private readonly options: AuditWriterOptions;
  private current: Fault | undefined;
  private writing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private closed = false;

  constructor(
    private readonly store: Pick<AuditStore, 'append'>,
    private readonly directory: Directory,
    private readonly log: AuditLog,
    options: Partial<AuditWriterOptions> = {},
  ) {
    this.options = { ...DEFAULT_AUDIT_WRITER_OPTIONS, ...options };
  }

  readonly onEvent = (e: SwitchEvent): void => {
    if (e.kind !== 'monitor') return;
    let entry: AuditEntry;
    try {
      entry = this.entryOf(e);
    } catch (err) {
      this.log.error({ err }, 'audit entry could not be built');
      return;
    }
    if (this.pending.length >= this.options.maxPending) {
      if (this.dropped++ === 0) {
        this.log.error({ maxPending: this.options.maxPending, entry }, 'audit queue full: new audit entries are being lost until the store takes writes again');
      }
      return;
    }
    this.pending.push(entry);
    this.kick();
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

  /** why the audit cannot be written now (one sentence), or undefined when it can */
  fault(): string | undefined {
    if (!this.current && this.pending.length < this.options.maxPending) return undefined;
    const why = this.current ? `${this.current.reason} (${this.current.code})` : 'too many entries are waiting to be written';
    const lost = this.dropped ? `, ${this.dropped} lost` : '';
    return `the supervision audit cannot be written: ${why}; ${this.pending.length} entries held in memory${lost}`;
  }

  /** the audit can be written (what the switch asks before joining a supervisor to a call) */
  readonly available = (): boolean => this.fault() === undefined;

  /** entries held in memory, not yet in the store */
  get held(): number {
    return this.pending.length;
  }

  /**
   * Resolves once every entry queued so far is stored, or at once when the store refuses writes
   * (a reader then sees what the store has; the held entries follow when it recovers).
   */
  async drain(): Promise<void> {
    while (this.writing) {
      await this.writing;
      if (this.current) return;
    }
  }

  /** stop retrying; one last attempt, then log in full whatever is still not written */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.drain();
    if (this.pending.length > 0) await this.flush();
    if (this.pending.length > 0) {
      this.log.error({ entries: this.pending, fault: this.current }, `${this.pending.length} supervision audit entries could not be written before shutdown: this log holds the only copy`);
    }
  }

  private kick(): void {
    if (this.writing || this.retryTimer || this.closed) return;
    this.writing = this.flush().finally(() => {
      this.writing = undefined;
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const entry = this.pending[0];
      try {
        await this.store.append(entry);
      } catch (err) {
        const code = String((err as { code?: unknown } | null)?.code ?? '');
        if (INVALID_ENTRY.test(code)) {
          this.pending.shift();
          this.log.error({ err, entry }, 'audit entry refused by the store as invalid; dropped (it is in this line)');
          continue;
        }
        this.enterFault(err);
        return;
      }
      this.pending.shift();
    }
    if (this.current) {
      this.log.warn({ code: this.current.code, lost: this.dropped }, 'supervision audit writable again: every held entry is stored; supervision is allowed again');
      this.current = undefined;
      this.dropped = 0;
    }
  }

  private enterFault(err: unknown): void {
    const known = storeFaultOf(err);
    const fault: Fault = known ?? { code: String((err as { code?: unknown } | null)?.code ?? 'UNKNOWN'), reason: `the audit store failed: ${(err as Error)?.message ?? String(err)}` };
    if (!this.current) {
      this.current = fault;
      this.log.error({ err, code: fault.code, held: this.pending.length }, `${this.fault()}; supervision is refused and the entries are retried every ${this.options.retryMs} ms`);
    }
    this.current = fault;
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.options.retryMs);
    this.retryTimer.unref();
  }
}
