/**
 * Start-up provisioning: what the store holds after `provision` is what the server serves.
 * - contact centers named by the configuration are applied (created, or updated by name);
 * - with none named, the demo is applied only when the store is empty;
 * so a restart keeps everything provisioned and never duplicates it. Contact centers stored earlier
 * but no longer named by the configuration are kept (and returned). `provisionReporting` also names
 * the users whose password changed (a cluster node tells the running nodes: session-relay.ts).
 */
import type { Config } from '../config/types.js';
import { demoContactCenter } from '../config/demo.js';
import type { ContactCenterRecord, ProvisioningStore } from './port.js';

/** What a start-up provisioning did: every contact center stored, and the users whose password changed. */
export interface Provisioned {
  centers: ContactCenterRecord[];
  /** user names (unique across contact centers) whose configured password is a new one */
  usersWithNewPassword: string[];
}

export async function provisionReporting(store: ProvisioningStore, config: Pick<Config, 'contactCenters'>): Promise<Provisioned> {
  const usersWithNewPassword: string[] = [];
  const specs = config.contactCenters ?? ((await store.isEmpty()) ? [demoContactCenter()] : []);
  for (const spec of specs) usersWithNewPassword.push(...(await store.applyContactCenter(spec)).usersWithNewPassword);
  return { centers: await store.listContactCenters(), usersWithNewPassword };
}

export async function provision(store: ProvisioningStore, config: Pick<Config, 'contactCenters'>): Promise<ContactCenterRecord[]> {
  return (await provisionReporting(store, config)).centers;
}
