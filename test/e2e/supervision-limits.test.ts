/**
 * Supervision end to end (shared/spec/supervision.md section 10), rows 12, 13 and 17: a second
 * supervisor on the same agent (refused by default; listening allowed with maxSupervisorsPerAgent 2,
 * never two loud ones), the arming refusals (role, feature, other contact center, groups), and
 * routing-point monitoring following successive calls to the agents who answer them.
 * The bodies are in ../helpers/supervision-scenarios-limits.ts, shared with the three-node test
 * (test/cluster/e2e/three-nodes.test.ts).
 */
import { test } from 'node:test';
import { withE2E } from '../helpers/supervision-steps.js';
import { LIMIT_SCENARIOS } from '../helpers/supervision-scenarios-limits.js';

for (const scenario of Object.values(LIMIT_SCENARIOS)) test(scenario.title, () => withE2E(scenario.start ?? {}, (e) => scenario.run(e)));
