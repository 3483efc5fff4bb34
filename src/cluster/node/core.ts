/**
 * The NATS cluster core of a node: the JetStream command log, the KV lease, the owner's command
 * server and the forwarding port (src/cluster/*, the cluster core), built over the node's one NATS
 * connection, behind the ClusterCore shape the node uses (node.ts).
 */
import type { ClusterCoreFactory } from './node.js';

export const natsClusterCore: ClusterCoreFactory = async () => {
  throw new Error('cluster mode needs the NATS cluster core (JetStream log, KV lease, command server), which is not built yet');
};
