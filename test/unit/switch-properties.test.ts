/**
 * The SwitchPort contract (test/helpers/switch-contract.ts: scenarios and the property test of the
 * switch invariants, through the port only), run against the call model with simulated endpoints
 * and with in-process fake phones behind the endpoints port. Seed fixed in CI (FC_SEED, FC_RUNS to
 * vary); fast-check prints the seed and path of a failing run.
 */
import { fakePhoneHarness, runSwitchContract, simulatedHarness } from '../helpers/switch-contract.js';

runSwitchContract('simulated endpoints', simulatedHarness);
runSwitchContract('fake phones', fakePhoneHarness);
