/**
 * Dialog records (docs/scale-out.md "SIP follows the owner"): the identity of every established SIP
 * dialog of the SIP endpoints, kept where the next owner of the contact center can read it, so that
 * a node that takes over after the owner died can end the phones' calls with a BYE (their audio died
 * with the old owner's mixer; the legs are released by the switch's takeover).
 *
 * Guarantees:
 * - a record is written when a dialog is confirmed (a 2xx sent or received, a Replaces taking a dialog
 *   over) and removed when the dialogue ends; it holds what an in-dialog request needs: Call-ID, local
 *   and remote tags, local and remote URI, remote target, route set, the NAT flow, our CSeq at the
 *   time, plus the contact center, the party (DN or customer number), the role and the GWS legs it
 *   carried then (informational: the legs are released by the switch, not from here);
 * - our CSeq grows after the record (re-INVITEs, keepalive OPTIONS, NOTIFY) without a write: the BYE
 *   of a recorded dialog uses the recorded CSeq + BYE_CSEQ_STEP, above anything sent since unless the
 *   dialog carried more in-dialog requests than that (documented limit);
 * - `byeRecorded` never throws: each BYE has its own timeout and every outcome is returned.
 */
import { Dialog, type DialogState } from '../../sip/dialog.js';
import type { SipServer } from '../../sip/server.js';

/** One established dialog, as plain JSON. */
export interface SipDialogRecord {
  contactCenterId: string;
  /** the DN of the phone, or the customer's number */
  party: string;
  /** the dialogue's role (nailed, perCall, trunkIn, trunkOut, phoneOut) */
  role: string;
  /** the GWS legs the dialog carried when it was recorded */
  legs: Array<{ callUuid: string; dn: string }>;
  /** the SIP dialog's state when it was recorded (our CSeq included) */
  dialog: DialogState;
  /** epoch ms */
  recordedAt: number;
}

/** What the SIP endpoints tell the records, synchronously (the writer works in the background). */
export interface DialogJournal {
  confirmed(record: SipDialogRecord): void;
  ended(contactCenterId: string, callId: string): void;
}

/** Where records are kept (a NATS KV bucket on cluster nodes: src/cluster/kv-dialog-records.ts). */
export interface DialogRecordStore {
  save(record: SipDialogRecord): Promise<void>;
  remove(contactCenterId: string, callId: string): Promise<void>;
  /** the records of one contact center */
  list(contactCenterId: string): Promise<SipDialogRecord[]>;
}

/** how far above the recorded CSeq the takeover's BYE goes (in-dialog requests sent since without a write) */
export const BYE_CSEQ_STEP = 10_000;
/** how long one BYE may wait for its answer */
const BYE_TIMEOUT_MS = 4000;

export type ByeOutcome = { record: SipDialogRecord; status: number } | { record: SipDialogRecord; error: string };

/** BYE each recorded dialog from `server` (the new owner's), CSeq above the recorded one. */
export async function byeRecorded(server: SipServer, records: readonly SipDialogRecord[]): Promise<ByeOutcome[]> {
  return Promise.all(
    records.map(async (record): Promise<ByeOutcome> => {
      // the BYE takes the next local sequence: recorded + BYE_CSEQ_STEP
      const dialog = new Dialog({ ...record.dialog, localSequence: record.dialog.localSequence + BYE_CSEQ_STEP - 1 });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${BYE_TIMEOUT_MS} ms`)), BYE_TIMEOUT_MS);
      });
      try {
        const response = await Promise.race([server.requestInDialog(dialog, 'BYE'), timeout]);
        return { record, status: response.status };
      } catch (error) {
        return { record, error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** The records in memory (tests, and a store-less node). */
export class MemoryDialogRecords implements DialogRecordStore {
  readonly records = new Map<string, SipDialogRecord>();
  private static key(contactCenterId: string, callId: string): string {
    return `${contactCenterId}\n${callId}`;
  }
  async save(record: SipDialogRecord): Promise<void> {
    this.records.set(MemoryDialogRecords.key(record.contactCenterId, record.dialog.callId), structuredClone(record));
  }
  async remove(contactCenterId: string, callId: string): Promise<void> {
    this.records.delete(MemoryDialogRecords.key(contactCenterId, callId));
  }
  async list(contactCenterId: string): Promise<SipDialogRecord[]> {
    return [...this.records.values()].filter((r) => r.contactCenterId === contactCenterId).map((r) => structuredClone(r));
  }
}

/** A journal writing to `store` one write after the other (a removal never overtakes its save). */
export function journalOf(store: DialogRecordStore, onError: (what: string, error: unknown) => void): DialogJournal & { flushed(): Promise<void> } {
  let writes: Promise<void> = Promise.resolve();
  const write = (what: string, step: () => Promise<void>) => {
    writes = writes.then(step).catch((error: unknown) => onError(what, error));
  };
  return {
    confirmed: (record) => write('saving a SIP dialog record', () => store.save(record)),
    ended: (contactCenterId, callId) => write('removing a SIP dialog record', () => store.remove(contactCenterId, callId)),
    flushed: () => writes,
  };
}
