/**
 * Start-up provisioning: what the store holds after `provision` is what the server serves.
 * - contact centers named by the configuration are applied (created, or updated by name);
 * - with none named, the demo is applied only when the store is empty;
 * so a restart keeps everything provisioned and never duplicates it. Contact centers stored earlier
 * but no longer named by the configuration are kept (and returned).
 */
import type { Config } from '../config/types.js';
import { demoContactCenter } from '../config/demo.js';
import type { ContactCenterRecord, ProvisioningStore } from './port.js';

export async function provision(store: ProvisioningStore, config: Pick<Config, 'contactCenters'>): Promise<ContactCenterRecord[]> {
  if (config.contactCenters) {
    for (const spec of config.contactCenters) await store.applyContactCenter(spec);
  } else if (await store.isEmpty()) {
    await store.applyContactCenter(demoContactCenter());
  }
  return store.listContactCenters();
}
