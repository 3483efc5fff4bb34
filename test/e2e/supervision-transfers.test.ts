/**
 * Supervision end to end (shared/spec/supervision.md section 10), rows 6-9: the monitored agent
 * transfers or conferences while a supervisor is on the call. Agent scope releases the supervisor
 * with the agent; Call scope follows the call to the new agent; a conference shows four parties.
 * Each step checks every party's notifications, the media matrix (section 5) and the audit.
 * The bodies are in ../helpers/supervision-scenarios-transfers.ts, shared with the three-node test
 * (test/cluster/e2e/three-nodes.test.ts).
 */
import { test } from 'node:test';
import { withE2E } from '../helpers/supervision-steps.js';
import { TRANSFER_SCENARIOS } from '../helpers/supervision-scenarios-transfers.js';

for (const scenario of Object.values(TRANSFER_SCENARIOS)) test(scenario.title, () => withE2E(scenario.start ?? {}, (e) => scenario.run(e)));
