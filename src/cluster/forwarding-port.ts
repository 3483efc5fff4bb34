/**
 * The forwarding port: what a node that does not own a contact center holds for it. Every method
 * goes by request/reply to the owner's command server (subjects.command). Guarantees:
 *   - no hang: each call is answered within `retryForMs` + `timeoutMs` at most;
 *   - while nobody answers the subject (the owner died and the lease has not moved yet) or the
 *     answer is `unavailable` (the owner is giving up), the call is retried until `retryForMs` has
 *     passed: neither was applied, so a retry cannot apply anything twice. A takeover within that
 *     time is invisible to the client apart from the delay;
 *   - a request that reached an owner who did not answer within `timeoutMs` is not retried (it may
 *     have been applied): a command answers `ownerSilent` saying so;
 *   - when the owner cannot be reached, a command answers `ownerUnavailable` (GWS statusCode 4,
 *     HTTP 503 with Retry-After, "nothing was changed"); a query throws that DomainError (a "not
 *     found" would be a lie);
 *   - onEvent hears nothing (notifications come on the bus); stop does nothing.
 */
import type { DomainError, Result } from '../errors.js';
import type { NatsConnection } from 'nats';
import type { SwitchEvent } from '../switch/model.js';
import { COMMAND_METHODS, QUERY_METHODS, ownerSilent, ownerUnavailable, subjects } from './contract.js';
import type { AsyncSwitchPort, RemoteMethod } from './contract.js';
import type { SwitchPort } from '../switch/port.js';
import { decodeReply, encodeRequest, isCommand } from './wire.js';

export interface ForwardingOptions {
  /** how long one request may wait for the owner's answer */
  timeoutMs?: number;
  /** how long to keep retrying while no owner answers */
  retryForMs?: number;
  /** the pause between two attempts */
  retryEveryMs?: number;
  /** told after each attempt that found no owner (for logs and tests) */
  onNoOwner?: (method: RemoteMethod, why: string) => void;
}

type Answer<K extends RemoteMethod> = ReturnType<SwitchPort[K]>;

const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });

function natsCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

export function forwardingPort(nc: NatsConnection, ccId: string, options: ForwardingOptions = {}): AsyncSwitchPort {
  const timeoutMs = options.timeoutMs ?? 3000;
  const retryForMs = options.retryForMs ?? 6000;
  const retryEveryMs = options.retryEveryMs ?? 100;
  const subject = subjects.command(ccId);

  /** a command answers the refusal; a query throws it */
  const refuse = <K extends RemoteMethod>(method: K, refusal: Result<never>): Answer<K> => {
    if (isCommand(method) && method !== 'configure') return refusal as Answer<K>;
    throw (refusal as { ok: false; error: DomainError }).error;
  };

  async function call<K extends RemoteMethod>(method: K, args: Parameters<SwitchPort[K]>): Promise<Answer<K>> {
    const data = encodeRequest({ method, args } as never);
    const deadline = Date.now() + retryForMs;
    let why = 'no node owns it';
    for (;;) {
      try {
        const reply = decodeReply((await nc.request(subject, data, { timeout: timeoutMs })).data);
        if ('value' in reply) return reply.value as Answer<K>;
        why = reply.unavailable;
      } catch (err) {
        const code = natsCode(err);
        if (code === 'TIMEOUT') return refuse(method, ownerSilent(ccId, method, timeoutMs));
        if (code !== '503') return refuse(method, ownerUnavailable(ccId, `the cluster could not be reached (${(err as Error).message})`));
        why = 'no node owns it';
      }
      options.onNoOwner?.(method, why);
      if (Date.now() + retryEveryMs > deadline) return refuse(method, ownerUnavailable(ccId, `${why}, after ${retryForMs} ms`));
      await pause(retryEveryMs);
    }
  }

  const port = {
    onEvent: (_listener: (e: SwitchEvent) => void) => () => undefined,
    stop: () => undefined,
  } as Record<string, unknown>;
  for (const method of [...COMMAND_METHODS, ...QUERY_METHODS]) {
    port[method] = (...args: never[]) => call(method, args as never);
  }
  return port as unknown as AsyncSwitchPort;
}

