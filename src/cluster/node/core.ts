/**
 * The NATS cluster core of a node: the JetStream command log, the KV lease (bucket TTL =
 * LEASE_TTL_MS), the owner's command server and the forwarding port (src/cluster/*), built over the
 * node's one NATS connection, in the ClusterCore shape the node uses (node.ts).
 */
import type { SwitchAccess } from '../../switch/port-access.js';
import { serveCommands } from '../command-server.js';
import { forwardingPort } from '../forwarding-port.js';
import { JetStreamCommandLog } from '../jetstream-log.js';
import { KvLease } from '../kv-lease.js';
import type { ClusterCoreFactory } from './node.js';
import { LEASE_TTL_MS } from './ownership.js';

export const natsClusterCore: ClusterCoreFactory = async (nc) => {
  const log = await JetStreamCommandLog.open(nc);
  const lease = await KvLease.open(nc, LEASE_TTL_MS);
  return {
    log,
    logIdentity: log.identity,
    lease,
    serveCommands: (ccId, port) => serveCommands(nc, ccId, port as SwitchAccess & { lostBecause?: string }),
    forwarder: (ccId) => forwardingPort(nc, ccId) as unknown as SwitchAccess,
    async close() {
      await lease.close();
      await log.close();
    },
  };
};
