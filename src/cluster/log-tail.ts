/**
 * The log tail: what a hot standby (standby.ts) needs of a CommandLog besides the CommandLog port
 * itself (contract.ts). Guarantees of every implementation:
 *   - `follow` delivers every entry of the contact center with seq > afterSeq, oldest first, each
 *     once, then every entry appended later, in log order, until the returned stop function runs;
 *   - nothing is delivered after stop; when the tail breaks (the log is out of reach for good),
 *     `failed` is told once and nothing more is delivered: the follower must start again.
 * The in-memory log delivers synchronously, inside `follow` and inside `append` (after the entry is
 * stored); JetStream delivers from an ordered consumer, asynchronously.
 */
import type { CommandLog, LoggedEntry } from './contract.js';

export interface LogTail {
  follow(ccId: string, afterSeq: number, deliver: (entry: LoggedEntry) => void, failed: (err: unknown) => void): () => void;
}

export type FollowableLog = CommandLog & LogTail;

/** whether a log can be followed (a log without a tail gets no standby: takeovers replay it all) */
export function canFollow(log: CommandLog): log is FollowableLog {
  return typeof (log as Partial<LogTail>).follow === 'function';
}
