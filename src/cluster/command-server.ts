/**
 * The owner's command server: answers a contact center's command subject (request/reply) from the
 * port that owns it (the logged switch). Guarantees:
 *   - every request gets exactly one reply: the method's answer, or `unavailable` (this node no
 *     longer owns the contact center, the request is not a port call, or the port threw), so a
 *     forwarding port never waits for its timeout when the owner is alive;
 *   - commands keep their order of arrival (the logged switch applies them one at a time);
 *   - stop drains the subscription: requests already received are answered.
 */
import type { Msg, NatsConnection } from 'nats';
import type { SwitchAccess } from '../switch/port-access.js';
import { subjects } from './contract.js';
import type { RemoteReply } from './contract.js';
import { decodeRequest, encodeReply } from './wire.js';

/** the port, and why it can no longer answer (LoggedSwitch.lostBecause) */
export type ServedPort = SwitchAccess & { readonly lostBecause?: string };

export interface CommandServerLog {
  warn(o: object, msg: string): void;
}

export function serveCommands(nc: NatsConnection, ccId: string, port: ServedPort, log?: CommandServerLog): () => Promise<void> {
  const answer = async (msg: Msg): Promise<void> => {
    let reply: RemoteReply;
    const req = decodeRequest(msg.data);
    if (!req) reply = { unavailable: 'not a switch port call' };
    else if (port.lostBecause) reply = { unavailable: port.lostBecause };
    else {
      try {
        const method = port[req.method] as (...args: unknown[]) => unknown;
        reply = { value: await method.apply(port, req.args) };
      } catch (err) {
        log?.warn({ err, method: req.method, contactCenterId: ccId }, 'cluster: a forwarded switch call failed');
        reply = { unavailable: `the owner could not run ${req.method}` };
      }
    }
    msg.respond(encodeReply(reply));
  };
  const sub = nc.subscribe(subjects.command(ccId), { callback: (err, msg) => (err ? log?.warn({ err }, 'cluster: command subscription failed') : void answer(msg)) });
  return async () => {
    await sub.drain().catch(() => undefined);
  };
}
