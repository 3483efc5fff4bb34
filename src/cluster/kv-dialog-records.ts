/**
 * The SIP dialog records of a cluster (src/endpoints/sip/dialog-records.ts) in the NATS KV bucket
 * `switchboard-sip-dialogs` (file storage, no TTL, history 1): key = `<contact center token>.<Call-ID
 * token>` (base64url, as subjects need), value = the record as JSON. Only the owner of a contact
 * center writes its records; the next owner lists them at takeover and BYEs each one.
 * Guarantees: `list` returns every record of the contact center written before the call and not
 * removed (deleted keys are skipped); a value that is not a record is skipped, never thrown.
 */
import type { KV, NatsConnection } from 'nats';
import type { DialogRecordStore, SipDialogRecord } from '../endpoints/sip/dialog-records.js';
import { subjectToken } from './contract.js';

export const SIP_DIALOGS_BUCKET = 'switchboard-sip-dialogs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class KvDialogRecords implements DialogRecordStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<KvDialogRecords> {
    return new KvDialogRecords(await nc.jetstream().views.kv(SIP_DIALOGS_BUCKET, { history: 1 }));
  }

  private static key(contactCenterId: string, callId: string): string {
    return `${subjectToken(contactCenterId)}.${subjectToken(callId)}`;
  }

  async save(record: SipDialogRecord): Promise<void> {
    await this.kv.put(KvDialogRecords.key(record.contactCenterId, record.dialog.callId), encoder.encode(JSON.stringify(record)));
  }

  async remove(contactCenterId: string, callId: string): Promise<void> {
    await this.kv.delete(KvDialogRecords.key(contactCenterId, callId));
  }

  async list(contactCenterId: string): Promise<SipDialogRecord[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(`${subjectToken(contactCenterId)}.*`)) keys.push(key);
    const records: SipDialogRecord[] = [];
    for (const key of keys) {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) continue;
      try {
        const record = JSON.parse(decoder.decode(entry.value)) as SipDialogRecord;
        if (record?.dialog?.callId && record.contactCenterId === contactCenterId) records.push(record);
      } catch {
        // not a record: skipped
      }
    }
    return records;
  }
}
