/**
 * Deterministic T-Server-shaped ids for a logged switch: a replay of the same log hands out the
 * same CallUUIDs and ConnIDs in the same order. Guarantees:
 *   - CallUUID: 32 upper-case alphanumerics = the contact center's tag (6, from a hash of its id,
 *     so any node can tell a call's contact center from its uuid: `contactCenterOfCall`) + the log's
 *     seed (10, random at the log's genesis, so ids never repeat across logs) + a counter (16);
 *   - ConnID: 16 hex digits = 4 from the seed + a 12-digit counter;
 *   - nothing random after construction.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IdSource } from '../switch/port.js';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

function alnum(bytes: Uint8Array, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALNUM[bytes[i % bytes.length] & 31];
  return s;
}

/** the 6-character prefix of every CallUUID of this contact center */
export function callTag(ccId: string): string {
  return alnum(createHash('sha256').update(ccId).digest(), 6);
}

/** a fresh seed for a log's genesis entry */
export function newIdSeed(): string {
  return alnum(randomBytes(10), 10);
}

export function loggedIds(ccId: string, seed: string): IdSource {
  const prefix = callTag(ccId) + seed.padEnd(10, '0').slice(0, 10);
  const connPrefix = createHash('sha256').update(seed).digest('hex').slice(0, 4);
  let calls = 0;
  let conns = 0;
  return {
    callUuid: () => prefix + String(++calls).padStart(16, '0'),
    connId: () => connPrefix + (++conns).toString(16).padStart(12, '0'),
  };
}

/** which of these contact centers a CallUUID belongs to (undefined: none of them) */
export function contactCenterOfCall(callUuid: string, ccIds: Iterable<string>): string | undefined {
  const tag = callUuid.slice(0, 6);
  for (const id of ccIds) if (callTag(id) === tag) return id;
  return undefined;
}
