/**
 * A real nats-server for a test file: JetStream on a free port of 127.0.0.1, storing in a fresh
 * temporary folder (removed by `stop`), started through the cluster scripts' own launcher
 * (scripts/cluster-demo-lib.ts: Debian's package, installed by scripts/install-nats.sh when
 * missing; killed when the test process exits, whatever the way).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../../scripts/cluster-demo-lib.js';

export interface TestNats {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startTestNats(): Promise<TestNats> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-nats-'));
  const server = await startNatsServer(dir);
  return {
    url: server.url,
    port: server.port,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
