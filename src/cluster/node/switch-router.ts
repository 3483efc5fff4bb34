/**
 * The switch a cluster node's GWS layer holds: one SwitchAccess over every contact center, each
 * served by the port this node currently has for it — the local (logged) switch when the node owns
 * the contact center, else the forwarding port to the owner (src/cluster/contract.ts).
 *
 * Guarantees:
 * - a DN's method goes to the port of the DN's contact center (the directory knows which); a DN no
 *   contact center has goes to the first port, whose switch refuses it as on one node;
 * - the methods that name only a call (media, callContactCenter, simulateExternalHangup) go to the
 *   port of the contact center whose tag the CallUUID carries (src/cluster/log-ids.ts); so the
 *   owner answers them synchronously from its own switch (the team's event path reads them so);
 * - listeners given to onEvent hear the events of the switches this node owns, from the moment it
 *   owns them until it stops owning them: the owner renders each notification once;
 * - `configure` keeps the latest topology of each contact center; it reaches the switch only where
 *   this node owns it (a new owner configures its switch at takeover), never over the wire;
 * - before a contact center has a port (the node is starting), its methods answer
 *   ownerUnavailable (retry), never hang.
 */
import type { ContactCenterTopology, SwitchEvent } from '../../switch/model.js';
import type { Awaitable, SwitchAccess } from '../../switch/port-access.js';
import { ownerUnavailable } from '../contract.js';
import { contactCenterOfCall } from '../log-ids.js';

type Listener = (e: SwitchEvent) => void;

/** A contact center's port on this node, and whether it is the local owned switch. */
interface Served {
  port: SwitchAccess;
  owned: boolean;
  /** stop functions of the listeners subscribed to an owned switch */
  unsubscribe: Array<() => void>;
}

export class SwitchRouter implements SwitchAccess {
  private readonly served = new Map<string, Served>();
  private readonly listeners = new Set<Listener>();
  private readonly topologies = new Map<string, ContactCenterTopology>();

  constructor(private readonly contactCenterOfDn: (dn: string) => string | undefined) {}

  // ---------------------------------------------------------------- what the node controls

  /** serve `ccId` through `port`; owned = the local switch (its events reach the listeners) */
  serve(ccId: string, port: SwitchAccess, owned: boolean): void {
    this.withdraw(ccId);
    const s: Served = { port, owned, unsubscribe: [] };
    if (owned) for (const l of this.listeners) s.unsubscribe.push(port.onEvent(l));
    this.served.set(ccId, s);
  }

  /** stop serving `ccId` (lost ownership, shutdown); its listeners are unsubscribed */
  withdraw(ccId: string): void {
    const s = this.served.get(ccId);
    if (!s) return;
    for (const off of s.unsubscribe) off();
    this.served.delete(ccId);
  }

  /** the topology last configured for `ccId` (what a new owner configures its switch with) */
  topology(ccId: string): ContactCenterTopology | undefined {
    return this.topologies.get(ccId);
  }

  contactCenters(): string[] {
    return [...this.topologies.keys()];
  }

  owns(ccId: string): boolean {
    return this.served.get(ccId)?.owned ?? false;
  }

  // ---------------------------------------------------------------- SwitchAccess

  configure(cc: ContactCenterTopology): Awaitable<void> {
    this.topologies.set(cc.id, cc);
    const s = this.served.get(cc.id);
    if (s?.owned) return s.port.configure(cc);
  }

  login: SwitchAccess['login'] = (dn, req) => this.byDn(dn, (p) => p.login(dn, req));
  logout: SwitchAccess['logout'] = (dn) => this.byDn(dn, (p) => p.logout(dn));
  setAgentState: SwitchAccess['setAgentState'] = (dn, req) => this.byDn(dn, (p) => p.setAgentState(dn, req));
  setDoNotDisturb: SwitchAccess['setDoNotDisturb'] = (dn, on) => this.byDn(dn, (p) => p.setDoNotDisturb(dn, on));
  setForward: SwitchAccess['setForward'] = (dn, destination) => this.byDn(dn, (p) => p.setForward(dn, destination));
  dial: SwitchAccess['dial'] = (dn, destination, userData) => this.byDn(dn, (p) => p.dial(dn, destination, userData));
  callOperation: SwitchAccess['callOperation'] = (dn, callUuid, op) => this.byDn(dn, (p) => p.callOperation(dn, callUuid, op));
  monitor: SwitchAccess['monitor'] = (dn, req) => this.byDn(dn, (p) => p.monitor(dn, req));
  cancelMonitoring: SwitchAccess['cancelMonitoring'] = (dn) => this.byDn(dn, (p) => p.cancelMonitoring(dn));
  /** `to` is a DN or routing point of the called contact center */
  simulateInbound: SwitchAccess['simulateInbound'] = (from, to, userData) => this.byDn(to, (p) => p.simulateInbound(from, to, userData));
  device: SwitchAccess['device'] = (dn) => this.byDn(dn, (p) => p.device(dn), () => undefined);
  callsOf: SwitchAccess['callsOf'] = (dn) => this.byDn(dn, (p) => p.callsOf(dn), () => []);
  callView: SwitchAccess['callView'] = (callUuid, dn) => this.byDn(dn, (p) => p.callView(callUuid, dn), () => undefined);

  callContactCenter: SwitchAccess['callContactCenter'] = (callUuid) => this.byCall(callUuid, (p) => p.callContactCenter(callUuid), () => undefined);
  media: SwitchAccess['media'] = (callUuid) => this.byCall(callUuid, (p) => p.media(callUuid), () => undefined);
  simulateExternalHangup: SwitchAccess['simulateExternalHangup'] = (callUuid, phoneNumber) =>
    this.byCall(
      callUuid,
      (p) => p.simulateExternalHangup(callUuid, phoneNumber),
      () => this.first((p) => p.simulateExternalHangup(callUuid, phoneNumber), ownerUnavailable('?', 'this node has not joined the cluster yet')),
    );

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    const offs: Array<() => void> = [];
    for (const s of this.served.values()) {
      if (!s.owned) continue;
      const off = s.port.onEvent(listener);
      s.unsubscribe.push(off);
      offs.push(off);
    }
    return () => {
      this.listeners.delete(listener);
      for (const off of offs) off();
    };
  }

  stop(): void {
    for (const ccId of [...this.served.keys()]) {
      const s = this.served.get(ccId)!;
      this.withdraw(ccId);
      if (s.owned) s.port.stop();
    }
  }

  // ---------------------------------------------------------------- dispatch

  /** a query passes `orElse` (its empty answer); a command without a port answers ownerUnavailable */
  private byDn<T>(dn: string, call: (p: SwitchAccess) => Awaitable<T>, orElse?: () => T): Awaitable<T> {
    const ccId = this.contactCenterOfDn(dn);
    const s = ccId === undefined ? this.served.values().next().value : this.served.get(ccId);
    if (s) return call(s.port);
    return orElse ? orElse() : (ownerUnavailable(ccId ?? dn, 'this node has not joined the cluster yet') as T);
  }

  /** the first port's answer (any contact center) */
  private first<T>(call: (p: SwitchAccess) => Awaitable<T>, none: T): Awaitable<T> {
    const s = this.served.values().next().value;
    return s ? call(s.port) : none;
  }

  /** the port of the call's contact center (by the CallUUID's tag); `orElse` for a uuid of none */
  private byCall<T>(callUuid: string, call: (p: SwitchAccess) => Awaitable<T>, orElse: () => Awaitable<T>): Awaitable<T> {
    const ccId = contactCenterOfCall(callUuid, this.served.keys());
    const s = ccId === undefined ? undefined : this.served.get(ccId);
    return s ? call(s.port) : orElse();
  }
}
