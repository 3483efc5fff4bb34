/**
 * The registrar's persistence port (docs/telephony.md "Registrations across restarts"): bindings
 * kept in the store so that a restart keeps every phone reachable until its registration would have
 * expired, as a PBX does (Asterisk keeps them in its database). The SQL adapter is
 * src/store/sql/registrations.ts; src/app/telephony.ts restores at start.
 *
 * Rules the port keeps: a binding is identified by (dn, contact URI); saving one replaces it;
 * `liveBindings(now)` returns only those whose expiry is after `now`; removing a binding that is
 * not there is no error. Nothing here is a secret (contacts, addresses, expiry).
 */
import type { Destination } from './transaction.js';

export interface StoredBinding {
  dn: string;
  /** the contact URI as the phone wrote it */
  uri: string;
  /** epoch ms */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** where the REGISTER came from (used to reach a phone behind NAT) */
  source: Destination;
}

export interface BindingStore {
  saveBinding(binding: StoredBinding): Promise<void>;
  deleteBinding(dn: string, uri: string): Promise<void>;
  /** bindings whose expiry is after `now` (older ones are deleted) */
  liveBindings(now: number): Promise<StoredBinding[]>;
}

/** What the registrar tells its persistence, synchronously (the caller writes in the background). */
export interface BindingPersistence {
  saved(binding: StoredBinding): void;
  removed(dn: string, uri: string): void;
}
