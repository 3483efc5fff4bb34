/**
 * The server side of the CometD `ack` extension (reliable, ordered server→client delivery), as the
 * CometD server's AcknowledgedMessagesExtension does it.
 *
 * A client asks for it with `ext: {ack: true}` on its handshake; the server answers `ext.ack: true`.
 * From then on every successful connect reply carrying deliveries opens a new batch and says its id
 * in `ext.ack`; every connect request says in `ext.ack` the last batch the client received. A batch
 * stays with the server until a connect acknowledges it; the deliveries of batches that the next
 * connect does not acknowledge (the reply was lost) are sent again, first and in order, in the
 * answer to that connect. Delivery is therefore at least once and never reordered. With ack on,
 * deliveries travel only in connect replies (also over websocket).
 */

/** One delivery sent in a batch and not yet acknowledged. */
interface Unacknowledged {
  readonly batch: number;
  readonly message: string;
}

export class AckState {
  /** id of the last batch sent; the JS client starts from 0 */
  private batch = 0;
  private unacknowledged: Unacknowledged[] = [];

  /** Did this handshake ask for the extension? */
  static requested(ext: unknown): boolean {
    return ext !== null && typeof ext === 'object' && (ext as { ack?: unknown }).ack === true;
  }

  /** Deliveries sent and not acknowledged yet. */
  get pending(): number {
    return this.unacknowledged.length;
  }

  /**
   * A connect arrived saying (in `ext.ack`) which batch the client last received: acknowledged
   * deliveries are forgotten; the others are returned, to be sent again ahead of anything new.
   */
  acknowledge(ext: unknown): string[] {
    const acked = ext !== null && typeof ext === 'object' ? (ext as { ack?: unknown }).ack : undefined;
    const upTo = typeof acked === 'number' && Number.isFinite(acked) ? acked : -Infinity;
    const resend = this.unacknowledged.filter((u) => u.batch > upTo).map((u) => u.message);
    this.unacknowledged = [];
    return resend;
  }

  /** Deliveries leave in a connect reply: they form a new batch, whose id the reply carries. */
  send(messages: readonly string[]): number {
    if (messages.length === 0) return this.batch;
    this.batch++;
    for (const message of messages) this.unacknowledged.push({ batch: this.batch, message });
    return this.batch;
  }
}
