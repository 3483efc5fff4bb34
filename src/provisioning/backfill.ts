/**
 * The hash backfill: scrypt for the pending credentials of a provisioning (pending.ts), after the
 * start, in the background. Guarantees:
 *   - at most `concurrency` hashes at once (default one fewer than the cores, at least one), so
 *     logins (the verify queue) keep the rest of the machine;
 *   - each result is stored by a compare-and-set on the pending string (a password changed or
 *     already completed by a login meanwhile is left alone);
 *   - `close` stops taking new work and waits for the hashes in flight; `idle()` settles when
 *     nothing is queued or running (tests, the bench);
 *   - failures are reported to `onError`, the entry dropped (its user still logs in: the pending
 *     credential verifies, and is completed then).
 */
import { availableParallelism } from 'node:os';
import type { PasswordHasher } from '../store/password.js';
import type { FingerprintKey } from './fingerprint.js';
import type { CompletePending } from './pending.js';

export interface PendingHash {
  pending: string;
  password: string;
}

export class HashBackfill {
  private readonly queue: PendingHash[] = [];
  private running = 0;
  private closed = false;
  private waiters: Array<() => void> = [];
  /** hashes stored so far */
  completed = 0;

  constructor(
    private readonly hasher: PasswordHasher,
    private readonly key: FingerprintKey,
    private readonly complete: CompletePending,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly concurrency = Math.max(1, availableParallelism() - 1),
  ) {}

  add(entries: readonly PendingHash[]): void {
    if (this.closed) return;
    this.queue.push(...entries);
    this.pump();
  }

  get pending(): number {
    return this.queue.length + this.running;
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await this.idle();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.running++;
      void this.one(entry).finally(() => {
        this.running--;
        this.pump();
        if (this.pending === 0) for (const w of this.waiters.splice(0)) w();
      });
    }
  }

  private async one({ pending, password }: PendingHash): Promise<void> {
    try {
      const hash = await this.hasher.hash(password);
      if (this.closed) return;
      await this.complete(pending, hash, this.key.of(hash, password));
      this.completed++;
    } catch (err) {
      this.onError(err);
    }
  }
}
