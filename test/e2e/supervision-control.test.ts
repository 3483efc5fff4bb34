/**
 * Supervision end to end (shared/spec/supervision.md section 10), rows 10, 11, 14, 15 and 16:
 * MuteMonitoredUser, CancelSupervisorMonitoring during a call, the agent or the supervisor ending
 * their contact-center session, the supervisor hanging up its leg, and hold/retrieve under
 * ListenIn and BargeIn. Each step checks every party's notifications, the media matrix and the audit.
 * The bodies are in ../helpers/supervision-scenarios-control.ts, shared with the three-node test
 * (test/cluster/e2e/three-nodes.test.ts).
 */
import { test } from 'node:test';
import { withE2E } from '../helpers/supervision-steps.js';
import { CONTROL_SCENARIOS } from '../helpers/supervision-scenarios-control.js';

for (const scenario of Object.values(CONTROL_SCENARIOS)) test(scenario.title, () => withE2E(scenario.start ?? {}, (e) => scenario.run(e)));
