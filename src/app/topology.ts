/**
 * What the switch is told about a contact center, from its provisioning snapshot: one DnConfig per
 * device; a routing point's `targets` are the DNs of the agents of the groups linked to it (none
 * linked: every agent of the center); an agent's own wrap-up time rides on their DN.
 */
import type { ContactCenterSnapshot } from '../store/port.js';
import type { ContactCenterTopology, DnConfig } from '../switch/model.js';

export function topologyOf(s: ContactCenterSnapshot): ContactCenterTopology {
  const ccId = s.contactCenter.id;
  const usersById = new Map(s.users.map((u) => [u.id, u]));
  const dnOfUser = new Map<string, string[]>();
  for (const d of s.devices) {
    if (d.kind !== 'Extension' || !d.userId) continue;
    const list = dnOfUser.get(d.userId) ?? [];
    list.push(d.dn);
    dnOfUser.set(d.userId, list);
  }
  const dns: DnConfig[] = s.devices.map((d) => {
    const cfg: DnConfig = { number: d.dn, kind: d.kind, contactCenterId: ccId };
    if (d.kind === 'RoutingPoint') {
      const groups = s.agentGroups.filter((g) => g.routingPoints.includes(d.dn));
      if (groups.length) cfg.targets = [...new Set(groups.flatMap((g) => g.agentUserIds.flatMap((u) => dnOfUser.get(u) ?? [])))];
    } else if (d.userId) {
      const wrap = usersById.get(d.userId)?.wrapUpTime;
      if (wrap !== undefined) cfg.wrapUpTime = wrap;
    }
    return cfg;
  });
  return { id: ccId, settings: s.contactCenter.settings, dns };
}
