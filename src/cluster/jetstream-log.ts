/**
 * The CommandLog on NATS JetStream (nats-server 2.9): one stream, SWITCHBOARD_LOG, with one subject
 * per contact center (switchboard.log.<token>). Guarantees:
 *   - append publishes with the header Nats-Expected-Last-Subject-Sequence = the sequence the
 *     owner last saw (0 for an empty log, sent as such), so the server itself refuses an append
 *     after somebody else's: that is the fencing; a refusal answers the subject's last sequence;
 *   - the publish waits for the stream's acknowledgement (the entry is stored) before answering;
 *   - read delivers the subject's entries after a sequence, in order, up to the last one at the
 *     time of the call (an ordered consumer, stopped once nothing is pending);
 *   - follow (log-tail.ts, for a hot standby) keeps one ordered consumer per follower, from the
 *     sequence asked, delivering as entries are stored until stopped (the client library recreates
 *     an ordered consumer that missed a message or its heartbeats, from the last one delivered);
 *   - the stream is created when missing with file storage and no age limit: the log is the
 *     state; it is never trimmed (no snapshots yet: the replay time grows with the log);
 *   - `identity` names this stream by its creation time: every node that opens it, at any start,
 *     reads the same one, and a stream deleted and made again has another.
 */
import { headers as natsHeaders, JSONCodec, type JetStreamClient, type JetStreamManager, type NatsConnection, type StreamInfo, DeliverPolicy, StorageType, RetentionPolicy, DiscardPolicy } from 'nats';
import type { AppendOutcome, CommandLog, LogEntry, LoggedEntry } from './contract.js';
import { subjects } from './contract.js';
import type { LogTail } from './log-tail.js';

/** JetStream's error code for a failed expected-last-sequence check */
const WRONG_LAST_SEQUENCE = 10071;

const codec = JSONCodec<LogEntry>();

export class JetStreamCommandLog implements CommandLog, LogTail {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** the stream's name and creation time (see the top of this file) */
    readonly identity: string,
  ) {}

  static async open(nc: NatsConnection, options: { replicas?: number } = {}): Promise<JetStreamCommandLog> {
    const jsm = await nc.jetstreamManager();
    const config = {
      name: subjects.logStream,
      subjects: [subjects.logWildcard],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: options.replicas ?? 1,
    };
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(subjects.logStream);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      info = await jsm.streams.add(config).catch(async (e) => {
        // another node created it meanwhile
        const made = await jsm.streams.info(subjects.logStream).catch(() => undefined);
        if (!made) throw e;
        return made;
      });
    }
    return new JetStreamCommandLog(nc.jetstream(), jsm, `${subjects.logStream} created ${info.created}`);
  }

  async append(ccId: string, entry: LogEntry, expectedLastSeq: number): Promise<AppendOutcome> {
    const h = natsHeaders();
    h.set('Nats-Expected-Last-Subject-Sequence', String(expectedLastSeq));
    try {
      const ack = await this.js.publish(subjects.log(ccId), codec.encode(entry), { headers: h });
      return { ok: true, seq: ack.seq };
    } catch (err) {
      if (apiCode(err) !== WRONG_LAST_SEQUENCE) throw err;
      return { ok: false, lastSeq: await this.lastSeq(ccId) };
    }
  }

  async read(ccId: string, afterSeq = 0): Promise<LoggedEntry[]> {
    const last = await this.lastSeq(ccId);
    if (last <= afterSeq) return [];
    const consumer = await this.js.consumers.get(subjects.logStream, {
      filterSubjects: subjects.log(ccId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSeq + 1,
    });
    const out: LoggedEntry[] = [];
    const messages = await consumer.consume();
    try {
      for await (const m of messages) {
        if (m.seq > last) break;
        out.push({ seq: m.seq, entry: codec.decode(m.data) });
        if (m.seq >= last || m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
    return out;
  }

  follow(ccId: string, afterSeq: number, deliver: (entry: LoggedEntry) => void, failed: (err: unknown) => void): () => void {
    let following = true;
    let close: (() => Promise<void>) | undefined;
    void (async () => {
      const consumer = await this.js.consumers.get(subjects.logStream, {
        filterSubjects: subjects.log(ccId),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: afterSeq + 1,
      });
      const messages = await consumer.consume();
      close = () => messages.close().then(() => undefined);
      if (!following) return void (await close());
      for await (const m of messages) {
        if (!following) break;
        deliver({ seq: m.seq, entry: codec.decode(m.data) });
      }
    })().catch((err: unknown) => {
      if (following) failed(err);
      following = false;
    });
    return () => {
      following = false;
      void close?.().catch(() => undefined);
    };
  }

  async lastSeq(ccId: string): Promise<number> {
    try {
      const m = await this.jsm.streams.getMessage(subjects.logStream, { last_by_subj: subjects.log(ccId) });
      return m.seq;
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
  }

  async close(): Promise<void> {}
}

function apiCode(err: unknown): number | undefined {
  return (err as { api_error?: { err_code?: number } }).api_error?.err_code;
}

/** stream or message not found (JetStream answers 404 with its own codes) */
function isNotFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { code?: number } };
  return e.api_error?.code === 404 || e.code === '404';
}
