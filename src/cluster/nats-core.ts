/**
 * The cluster core over one NATS connection, in the shape a node uses (src/cluster/node/node.ts,
 * ClusterCore): the JetStream command log, the KV lease with the node's lease time, the owner's
 * command server and the forwarding port per contact center. Nothing here decides ownership (the
 * node's Ownership does); this only builds the parts.
 */
import type { NatsConnection } from 'nats';
import type { SwitchAccess } from '../switch/port-access.js';
import type { CommandLog, OwnershipLease } from './contract.js';
import { serveCommands } from './command-server.js';
import type { CommandServerLog, ServedPort } from './command-server.js';
import { forwardingPort } from './forwarding-port.js';
import type { ForwardingOptions } from './forwarding-port.js';
import { JetStreamCommandLog } from './jetstream-log.js';
import { KvLease } from './kv-lease.js';

export interface NatsCoreOptions {
  leaseTtlMs: number;
  forwarding?: ForwardingOptions;
  log?: CommandServerLog;
}

export interface NatsCore {
  log: CommandLog;
  lease: OwnershipLease;
  serveCommands(ccId: string, port: SwitchAccess): () => Promise<void>;
  forwarder(ccId: string): SwitchAccess;
  close(): Promise<void>;
}

export async function openNatsCore(nc: NatsConnection, options: NatsCoreOptions): Promise<NatsCore> {
  const log = await JetStreamCommandLog.open(nc);
  const lease = await KvLease.open(nc, options.leaseTtlMs);
  const forwarders = new Map<string, SwitchAccess>();
  return {
    log,
    lease,
    serveCommands: (ccId, port) => serveCommands(nc, ccId, port as ServedPort, options.log),
    forwarder(ccId) {
      let f = forwarders.get(ccId);
      if (!f) forwarders.set(ccId, (f = forwardingPort(nc, ccId, options.forwarding)));
      return f;
    },
    async close() {
      await lease.close();
      await log.close();
    },
  };
}
