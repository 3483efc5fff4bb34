/**
 * The in-memory CommandLog, for unit tests and a single process: the same contract as the
 * JetStream log (append with the expected last sequence, refused otherwise), answered
 * synchronously. Entries are stored as JSON text, so what a replay reads is exactly what the wire
 * would carry. Sequences are shared by all contact centers (as a JetStream stream's are), so no
 * caller can rely on them being contiguous per contact center.
 */
import type { AppendOutcome, CommandLog, LogEntry, LoggedEntry } from './contract.js';

export class MemoryCommandLog implements CommandLog {
  private seq = 0;
  private readonly logs = new Map<string, { seq: number; json: string }[]>();

  append(ccId: string, entry: LogEntry, expectedLastSeq: number): AppendOutcome {
    const lastSeq = this.lastSeq(ccId);
    if (lastSeq !== expectedLastSeq) return { ok: false, lastSeq };
    const seq = ++this.seq;
    this.entriesOf(ccId).push({ seq, json: JSON.stringify(entry) });
    return { ok: true, seq };
  }

  read(ccId: string, afterSeq = 0): LoggedEntry[] {
    return this.entriesOf(ccId)
      .filter((e) => e.seq > afterSeq)
      .map((e) => ({ seq: e.seq, entry: JSON.parse(e.json) as LogEntry }));
  }

  lastSeq(ccId: string): number {
    const entries = this.entriesOf(ccId);
    return entries.length ? entries[entries.length - 1].seq : 0;
  }

  async close(): Promise<void> {}

  private entriesOf(ccId: string): { seq: number; json: string }[] {
    let entries = this.logs.get(ccId);
    if (!entries) this.logs.set(ccId, (entries = []));
    return entries;
  }
}
