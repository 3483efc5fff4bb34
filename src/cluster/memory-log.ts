/**
 * The in-memory CommandLog, for unit tests and a single process: the same contract as the
 * JetStream log (append with the expected last sequence, refused otherwise), answered
 * synchronously. Entries are stored as JSON text, so what a replay reads is exactly what the wire
 * would carry. Sequences are shared by all contact centers (as a JetStream stream's are), so no
 * caller can rely on them being contiguous per contact center. It can be followed (log-tail.ts):
 * followers hear each entry synchronously, right after it is stored, before `append` answers.
 */
import type { AppendOutcome, CommandLog, LogEntry, LoggedEntry } from './contract.js';
import type { LogTail } from './log-tail.js';

export class MemoryCommandLog implements CommandLog, LogTail {
  private seq = 0;
  private readonly logs = new Map<string, { seq: number; json: string }[]>();
  private readonly followers = new Map<string, Set<(entry: LoggedEntry) => void>>();

  append(ccId: string, entry: LogEntry, expectedLastSeq: number): AppendOutcome {
    const lastSeq = this.lastSeq(ccId);
    if (lastSeq !== expectedLastSeq) return { ok: false, lastSeq };
    const seq = ++this.seq;
    const json = JSON.stringify(entry);
    this.entriesOf(ccId).push({ seq, json });
    for (const deliver of [...(this.followers.get(ccId) ?? [])]) deliver({ seq, entry: JSON.parse(json) as LogEntry });
    return { ok: true, seq };
  }

  follow(ccId: string, afterSeq: number, deliver: (entry: LoggedEntry) => void): () => void {
    let following = true;
    const once = (entry: LoggedEntry) => following && deliver(entry);
    for (const entry of this.read(ccId, afterSeq)) once(entry);
    let set = this.followers.get(ccId);
    if (!set) this.followers.set(ccId, (set = new Set()));
    const mine = set.add(once);
    return () => {
      following = false;
      mine.delete(once);
    };
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
