/**
 * The supervisor's team (Switchboard extension, docs/compatibility.md "Supervision team"): who a
 * supervisor may monitor, each agent rendered as one GWS-style row (device, userState, time in
 * state, calls, who monitors them), and the CometD channel /v2/supervision/agents that carries each
 * changed row to the supervisors of that agent only.
 *
 * Guarantees:
 * - one source for the team rule: `teamOf` (the agents of the groups the supervisor supervises, or
 *   every agent of the contact center when it defines no groups; never the supervisor themself),
 *   `supervisorsOf` is its inverse, and the GET route and the channel both use them;
 * - a row is published with `bayeux.publishToUser` to each supervisor of the agent, never to
 *   anyone else (per-user isolation as on /v2/me/*), and only to supervisors whose contact center
 *   has the supervisor features; a row (or a routing point's panel) that no session of those
 *   supervisors would receive now (Publisher.hasSubscriber) is not rendered at all, and the agent's
 *   last row is then forgotten (a supervisor who subscribes later reads GET, then gets changes); a row does not depend on its viewer, so one object goes to all of
 *   them, with its JSON text attached (each member's text kept per agent while it does not change:
 *   notification-text.ts MemberTexts);
 * - the cost of a change does not grow with the contact center: the supervisors of an agent come
 *   from the groups that hold it, and the monitoring list of a row from what the events said
 *   (monitoring legs by call, armed targets), not from reading every device and call; a
 *   supervisor's device change touches the rows of its old and new targets and of the agents on
 *   every call it has a monitoring leg on (their monitoring lists show its mode, scope and state);
 * - the switch's events of one command are coalesced: the rows they touch are rendered once, in a
 *   microtask after the command, from the switch's state at that moment;
 * - a row whose agent only had the user data of its one call changed (the leg's new view equals
 *   the one the last row showed in every member but userData and duration) is the last row with
 *   that call's userData and duration and the row's timeInState written again (userDataRow), not
 *   read and presented again: every other input of a row reaches the flush as an event that
 *   touches the row in full (touch; a user-data event only touchUserData), and a full read is
 *   always right, so any doubt falls back to it;
 * - the routing points a supervisor may monitor (Directory.supervisesRoutingPoint) are listed with
 *   the calls waiting there, oldest first: the calls with a live leg at the routing point's DN, as
 *   the switch reads them (callsOf, O(calls there), not a walk over every live call); a queue
 *   change is seen in the switch's events (a call's media facts, and the call events of a call
 *   seen waiting), and a change of a routing point's queue is published on
 *   /v2/supervision/routing-points to the supervisors of that routing point only, as a panel (a
 *   snapshot of the whole queue): a change while no interval runs at the end of its job; each
 *   published panel opens an interval of PANEL_INTERVAL_MS, and the changes within it become one
 *   panel when it ends (a panel is as long as the queue, so one per change would make a queue of
 *   n calls cost O(n²) to fill while someone may watch it; the last state always arrives, and a
 *   panel whose read or publication failed is tried again when its interval ends);
 * - a failure is logged and never reaches the switch.
 */
import type { DeviceRecord, UserRecord } from '../store/port.js';
import { Role } from '../store/port.js';
import type { CallEvent, CallView, DeviceEvent, DeviceView, MediaEvent, SwitchEvent } from '../switch/model.js';
import type { Clock } from '../switch/port.js';
import type { Awaitable, SwitchAccess } from '../switch/port-access.js';
import { atJobEnd } from '../microtask.js';
import { LOGGED_OUT_USER_STATE, userStateOf } from './agent-states.js';
import { principalOf } from './context.js';
import { SUPERVISOR } from './device-ops.js';
import type { CenterEntry, Directory } from './directory.js';
import { permitted } from './gates.js';
import type { Publisher } from './notifier.js';
import type { Json } from './present.js';
import { presentCall, presentDevice, viewsDifferOnlyInUserData, withUserDataOf } from './present.js';
import { flat, MemberTexts } from './notification-text.js';
import { CallTexts } from './call-text.js';
import { withJsonText } from '../bayeux/json-text.js';
import type { Urls } from './urls.js';

export const TEAM_CHANNEL = '/v2/supervision/agents';
export const TEAM_MESSAGE_TYPE = 'SupervisedAgentStateChangeMessage';
/** a team message's text before its one row */
const TEAM_MESSAGE_HEAD = `{"messageType":${JSON.stringify(TEAM_MESSAGE_TYPE)},"agents":[`;
export const ROUTING_POINTS_CHANNEL = '/v2/supervision/routing-points';
export const ROUTING_POINT_MESSAGE_TYPE = 'SupervisedRoutingPointStateChangeMessage';
/** at most one routing-point panel per routing point in this many ms (see the guarantee above) */
export const PANEL_INTERVAL_MS = 1000;

/** a routing point's panel interval (see panelIntervals): whether its queue changed, or its panel failed, since it began */
interface PanelInterval {
  changed: boolean;
}

export interface TeamLog {
  error(o: object, msg?: string): void;
}

export interface TeamDeps {
  directory: Directory;
  sw: SwitchAccess;
  urls: Urls;
  clock: Clock;
}

/** members a row keeps of a call the agent is on (what a supervisor may see, no capabilities) */
const CALL_MEMBERS = ['id', 'callUuid', 'state', 'callType', 'ani', 'dnis', 'participants', 'userData', 'duration', 'mute', 'recordingState', 'supervisorListeningIn', 'monitoredUserMuted'] as const;

function only(source: Json, members: readonly string[]): Json {
  const out: Json = {};
  for (const m of members) if (source[m] !== undefined) out[m] = source[m];
  return out;
}

/**
 * The event path reads the switch that emitted the event, which answers at once (on a cluster node
 * it is the contact center's local owner switch); a Promise there is a wiring mistake.
 */
function local<T>(v: Awaitable<T>): T {
  if (v instanceof Promise) throw new Error('team: the event path read a remote switch; give Team the local switch of the events it hears');
  return v;
}

/** add `member` to key's set in `sets` (present), or remove it, dropping a set that empties */
function noteMember(sets: Map<string, Set<string>>, key: string, member: string, present: boolean): void {
  let set = sets.get(key);
  if (!present) {
    set?.delete(member);
    if (set?.size === 0) sets.delete(key);
    return;
  }
  if (!set) sets.set(key, (set = new Set()));
  set.add(member);
}

export class Team {
  /** agent DN -> when its agent state last changed (clock ms, and the row's ISO text of it, formatted once) */
  private readonly stateSince = new Map<string, Since>();
  /** supervisor DN -> the DN it was last seen monitoring (so a cancel also refreshes the old target) */
  private readonly lastTarget = new Map<string, string>();
  /**
   * target DN -> the supervisor DNs whose last seen target it is: lastTarget inverted, so a row finds
   * its armed supervisors without a walk over every supervisor (monitorsOf still checks each one
   * against its device view)
   */
  private readonly armedOn = new Map<string, Set<string>>();
  /** call uuid -> DNs with a live monitoring leg on it (from the call events) */
  private readonly monitoringLegs = new Map<string, Set<string>>();
  /** supervisor DN -> the calls it has a live monitoring leg on: monitoringLegs inverted (noteMonitoringLeg keeps both) */
  private readonly legsOfSupervisor = new Map<string, Set<string>>();
  private readonly startedAt: Since;
  /** DN -> whether anything but a call's user data touched it since the last flush (touch, touchUserData) */
  private pending: Map<string, boolean> | undefined;
  /** agent record -> its last published row, with what userDataRow needs to write the next one */
  private readonly keptRows = new WeakMap<UserRecord, KeptRow>();
  /** supervisorsOf by loaded contact center and agent record (see supervisorsKept) */
  private readonly supervisorsByCenter = new WeakMap<CenterEntry, KeptSupervisors>();
  /** the views the events since the last flush carried (the rows of the next flush read them first) */
  private heard: Heard = { devices: new Map(), calls: new Map() };
  /** call uuid -> the routing point it was last seen waiting at */
  private readonly waitingAt = new Map<string, string>();
  private pendingRoutingPoints: Set<string> | undefined;
  /**
   * routing point DN -> its panel interval, from a published panel until PANEL_INTERVAL_MS later:
   * whether its queue changed since (a panel is then published when the interval ends)
   */
  private readonly panelIntervals = new Map<string, PanelInterval>();
  private out: Publisher | undefined;
  private log: TeamLog | undefined;
  /** each agent's row text, member by member (notification-text.ts MemberTexts), its calls from kept segments (call-text.ts) */
  private readonly rowTexts = new MemberTexts();
  private readonly rowCallTexts = new CallTexts();

  /** a row's calls, each from the segments kept for the agent's record and the call (one function, not a closure per row) */
  private readonly rowMemberText = (key: string, value: unknown, agent: UserRecord): string | undefined => {
    if (key !== 'calls' || !Array.isArray(value)) return undefined;
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const call = value[i] as Json;
      const text = typeof call === 'object' && call !== null && !Array.isArray(call) ? this.rowCallTexts.callText(agent, call) : undefined;
      out += (i === 0 ? '' : ',') + (text ?? JSON.stringify(call));
    }
    // a call the row no longer shows is forgotten (a row's call is never a released one)
    this.rowCallTexts.keepOnly(agent, value as Json[]);
    return out + ']';
  };

  constructor(private readonly deps: TeamDeps) {
    this.startedAt = since(deps.clock.now());
  }

  /** where rows go and where failures are logged (both exist only once the Bayeux server and fastify do) */
  attach(out: Publisher, log: TeamLog): void {
    this.out = out;
    this.log = log;
  }

  /** the agents this supervisor may monitor, in provisioning order */
  teamOf(cc: CenterEntry, supervisorId: string): UserRecord[] {
    if (cc.agentGroups.length === 0) return cc.users.filter((u) => u.id !== supervisorId && u.roles.includes(Role.Agent));
    const ids = new Set(cc.agentGroups.filter((g) => g.supervisorUserIds.includes(supervisorId)).flatMap((g) => g.agentUserIds));
    ids.delete(supervisorId);
    return cc.users.filter((u) => ids.has(u.id));
  }

  /**
   * The supervisors who have this agent in their team and may use the supervisor API: the inverse of
   * teamOf, computed from the groups that hold the agent (not by building every supervisor's team).
   */
  supervisorsOf(cc: CenterEntry, agent: UserRecord): UserRecord[] {
    // SUPERVISOR needs the role: only the center's supervisors are candidates (no scan of every user)
    const candidates = this.deps.directory.usersWithRole(cc.id, Role.Supervisor);
    if (cc.agentGroups.length === 0) {
      if (!agent.roles.includes(Role.Agent)) return [];
      return candidates.filter((s) => s.id !== agent.id && permitted(SUPERVISOR, principalOf(s, cc)));
    }
    const ids = this.deps.directory.groupSupervisorsOf(cc, agent.id);
    if (ids.size === 0) return [];
    return candidates.filter((s) => s.id !== agent.id && ids.has(s.id) && permitted(SUPERVISOR, principalOf(s, cc)));
  }

  /**
   * One agent as a supervisor sees it. The viewer only decides capabilities, which a row leaves out,
   * so every supervisor's row of an agent is the same (the channel sends one object to all of them).
   */
  async row(cc: CenterEntry, agent: UserRecord, viewer: UserRecord): Promise<Json> {
    return drive(this.rowReading(cc, agent, viewer, this.deps.sw));
  }

  /** the row, reading the switch through `source` (the switch itself, or this flush's events first) */
  private *rowReading(cc: CenterEntry, agent: UserRecord, viewer: UserRecord, source: RowSource, inputs?: RowInputs): Reading<Json> {
    const { directory, urls } = this.deps;
    const who = principalOf(viewer, cc);
    const device: DeviceRecord | undefined = directory.devicesOf(agent.id)[0];
    if (inputs) inputs.dn = device?.dn;
    const view = device ? ((yield source.device(device.dn)) as DeviceView | undefined) : undefined;
    const out: Json = { id: agent.id, userName: agent.userName, firstName: agent.firstName, lastName: agent.lastName };
    const userState = view?.loggedIn && view.userId === agent.id ? userStateOf(cc, view.agentState) : LOGGED_OUT_USER_STATE;
    out.userState = userState;
    const stateSince = this.stateSinceOf(device?.dn);
    out.userStateSince = (stateSince.iso ??= new Date(stateSince.at).toISOString());
    out.timeInState = secondsSince(this.deps.clock, stateSince);
    if (device) {
      // a row shows neither the device's capabilities nor its monitoring state: a copy without them
      // (not `delete`, which turns the object into a slow dictionary for JSON.stringify and the rest)
      const { capabilities: _capabilities, supervisorMonitoringState: _monitoring, ...d } = presentDevice(this.deps, cc, device, view, who);
      out.device = d;
    }
    const calls: Json[] = [];
    for (const uuid of device ? ((yield source.callsOf(device.dn)) as string[]) : []) {
      const callView = (yield source.callView(uuid, device!.dn)) as CallView | undefined;
      if (callView && callView.state !== 'Released') {
        calls.push(only(presentCall(this.deps, device!.dn, callView, who), CALL_MEMBERS));
        inputs?.views.push(callView);
      }
    }
    out.calls = calls;
    out.monitoring = device ? yield* this.monitorsOf(cc, device.dn, calls, source) : [];
    out.uri = urls.user(agent.id);
    out.path = `/users/${agent.id}`;
    return out;
  }

  /** when the agent state at dn last changed (the team's start when not since) */
  private stateSinceOf(dn: string | undefined): Since {
    return (dn !== undefined ? this.stateSince.get(dn) : undefined) ?? this.startedAt;
  }

  /**
   * The next row of an agent whose only change since its last row is the user data of the row's one
   * call (see the guarantee at the top): the last row with that call's userData and duration from
   * the leg's new view and timeInState counted again, members in the same order as a read gives
   * them. Undefined when that is not known to be so (no last row, another center load, not one
   * call, no new view of that leg, or the view differs in another member): the caller reads.
   */
  private userDataRow(cc: CenterEntry, kept: KeptRow | undefined, heard: Heard): { row: Json; view: CallView } | undefined {
    if (kept === undefined || kept.cc !== cc) return undefined;
    const view = heard.calls.get(legKey(kept.view.callUuid, kept.dn));
    if (view === undefined || !viewsDifferOnlyInUserData(kept.view, view)) return undefined;
    // CALL_MEMBERS keeps presentCall's order: userData right before duration
    const call = withUserDataOf((kept.row.calls as Json[])[0], view);
    const row: Json = { ...kept.row, timeInState: secondsSince(this.deps.clock, this.stateSinceOf(kept.dn)), calls: [call] };
    return { row, view };
  }

  /**
   * The supervisors monitoring this agent DN: armed on it, or on a monitoring leg of one of its calls.
   * Found through what the switch's events said (monitoring legs by call, armed targets by
   * supervisor DN), so only those supervisors' devices are read, in provisioning order.
   */
  private *monitorsOf(cc: CenterEntry, agentDn: string, calls: Json[], source: RowSource): Reading<Json[]> {
    const { directory } = this.deps;
    const callIds = new Set(calls.map((c) => String(c.callUuid)));
    const candidates = new Set<string>();
    for (const uuid of callIds) for (const dn of this.monitoringLegs.get(uuid) ?? []) candidates.add(dn);
    for (const supervisorDn of this.armedOn.get(agentDn) ?? NO_DNS) candidates.add(supervisorDn);
    const out: Json[] = [];
    if (candidates.size === 0) return out;
    candidates.delete(agentDn);
    for (const device of inProvisioningOrder(cc, candidates)) {
      const view = (yield source.device(device.dn)) as DeviceView | undefined;
      if (!view?.loggedIn) continue;
      const legCall = ((yield source.callsOf(device.dn)) as string[]).find((u) => callIds.has(u) && this.monitoringLegs.get(u)?.has(device.dn));
      const armed = view.monitoring?.targetDn === agentDn ? view.monitoring : undefined;
      if (!armed && legCall === undefined) continue;
      const supervisor = view.userId ? directory.user(view.userId) : directory.ownerOf(device);
      const entry: Json = { supervisor: supervisor ? { id: supervisor.id, userName: supervisor.userName, phoneNumber: device.dn } : { phoneNumber: device.dn } };
      const m = view.monitoring;
      if (m) {
        entry.state = m.state;
        entry.mode = m.mode;
        entry.scope = m.scope;
        if (m.targetIsRoutingPoint) entry.targetPhoneNumber = m.targetDn;
      }
      if (legCall !== undefined) {
        entry.callUuid = legCall;
      }
      out.push(entry);
    }
    return out;
  }

  /** the routing points this supervisor may monitor, each with its waiting calls */
  routingPointsOf(cc: CenterEntry, supervisorId: string): Promise<Json[]> {
    return Promise.all(
      this.deps.directory
        .routingPointsOf(cc.id)
        .filter((d) => this.deps.directory.supervisesRoutingPoint(cc, supervisorId, d.dn))
        .map((d) => this.routingPoint(cc, d)),
    );
  }

  /** one routing point: the calls waiting there, oldest first, and the longest wait (seconds) */
  async routingPoint(cc: CenterEntry, point: DeviceRecord): Promise<Json> {
    const { sw } = this.deps;
    const waiting: Json[] = [];
    // the calls with a live leg at the routing point (the switch's index of legs by DN: O(calls there))
    const legs = sw.callsOf(point.dn);
    for (const uuid of legs instanceof Promise ? await legs : legs) {
      // the local switch answers at once: no await (a microtask) per call
      const answer = sw.callView(uuid, point.dn);
      const view = answer instanceof Promise ? await answer : answer;
      if (!view || view.state === 'Released') continue;
      const call: Json = { callUuid: view.callUuid, duration: String(view.duration) };
      if (view.ani !== undefined) call.ani = view.ani;
      if (Object.keys(view.userData).length) call.userData = { ...view.userData };
      waiting.push(call);
    }
    waiting.sort((a, b) => Number(b.duration) - Number(a.duration));
    const longestWait = waiting.length ? Number(waiting[0].duration) : 0;
    return { id: point.id, phoneNumber: point.dn, callsWaiting: waiting.length, longestWait: String(longestWait), calls: waiting };
  }

  /** the listener to give switch.onEvent */
  readonly onEvent = (e: SwitchEvent): void => {
    try {
      if (e.kind === 'device') this.device(e);
      else if (e.kind === 'call') this.call(e);
      else if (e.kind === 'media') this.media(e);
    } catch (err) {
      this.log?.error({ err, event: { kind: e.kind } }, 'team notification failed');
    }
  };

  private device(e: DeviceEvent): void {
    if (e.agentStateChanged) this.stateSince.set(e.dn, since(this.deps.clock.now()));
    // the row of an agent nobody supervises would be dropped by the flush: no flush for it
    if (this.supervised(e.dn)) {
      this.heard.devices.set(e.dn, e.view);
      this.touch(e.dn);
    }
    const before = this.lastTarget.get(e.dn);
    const now = e.view.monitoring?.targetDn;
    if (before !== undefined && before !== now) this.touch(before);
    if (now !== undefined) this.touch(now);
    if (before !== now) this.retarget(e.dn, before, now);
    // the rows of the agents on the calls this supervisor monitors show its monitoring (mode, scope,
    // state) as its device says: they change with it, even when its legs do not (a re-arm on the
    // same target, a routing point's or a followed call's)
    for (const uuid of this.legsOfSupervisor.get(e.dn) ?? NO_DNS) {
      for (const dn of local(this.deps.sw.callView(uuid, e.dn))?.participants ?? NO_DNS) this.touch(dn);
    }
  }

  /** the one place lastTarget and its inverse armedOn change, together */
  private retarget(supervisorDn: string, before: string | undefined, now: string | undefined): void {
    if (before !== undefined) noteMember(this.armedOn, before, supervisorDn, false);
    if (now === undefined) {
      this.lastTarget.delete(supervisorDn);
      return;
    }
    this.lastTarget.set(supervisorDn, now);
    noteMember(this.armedOn, now, supervisorDn, true);
  }

  /** a call's media fact: see whether it joined or left a routing point's queue */
  private media(e: MediaEvent): void {
    this.queueChanged(e.contactCenterId, e.callUuid);
  }

  /** the call joined or left a routing point's queue: that routing point's panel is due */
  private queueChanged(contactCenterId: string, callUuid: string): void {
    const { sw, directory } = this.deps;
    const before = this.waitingAt.get(callUuid);
    const now = directory.routingPointsOf(contactCenterId).find((d) => (local(sw.callView(callUuid, d.dn))?.state ?? 'Released') !== 'Released')?.dn;
    if (now) this.waitingAt.set(callUuid, now);
    else this.waitingAt.delete(callUuid);
    for (const dn of new Set([before, now])) if (dn) this.touchRoutingPoint(dn);
  }

  private touchRoutingPoint(dn: string): void {
    const interval = this.panelIntervals.get(dn);
    if (interval) {
      interval.changed = true;
      return;
    }
    if (!this.pendingRoutingPoints) {
      this.pendingRoutingPoints = new Set();
      atJobEnd(this.flushRoutingPointsNow);
    }
    this.pendingRoutingPoints.add(dn);
  }

  private async flushRoutingPoints(): Promise<void> {
    const dns = this.pendingRoutingPoints ?? new Set<string>();
    this.pendingRoutingPoints = undefined;
    for (const dn of dns) {
      let interval: PanelInterval | undefined;
      try {
        const point = this.deps.directory.deviceByDn(dn);
        const cc = point && this.deps.directory.center(point.contactCenterId);
        if (!point || !cc) continue;
        // SUPERVISOR needs the role: only the center's supervisors are candidates (no scan of every user)
        const recipients = this.deps.directory
          .usersWithRole(cc.id, Role.Supervisor)
          .filter((supervisor) => permitted(SUPERVISOR, principalOf(supervisor, cc)) && this.deps.directory.supervisesRoutingPoint(cc, supervisor.id, dn));
        // a panel reads every call waiting there: rendered only when someone watches the routing point
        if (recipients.length === 0 || !this.anyListens(recipients, ROUTING_POINTS_CHANNEL)) continue;
        interval = this.startPanelInterval(dn);
        const data = { messageType: ROUTING_POINT_MESSAGE_TYPE, routingPoints: [await this.routingPoint(cc, point)] };
        for (const supervisor of recipients) this.out?.publishToUser(supervisor.id, ROUTING_POINTS_CHANNEL, data);
      } catch (err) {
        // the supervisors still show an older panel: another is tried when the interval ends
        if (interval) interval.changed = true;
        this.log?.error({ err, routingPoint: dn }, 'routing-point notification failed');
      }
    }
  }

  /** a panel of dn is being published: changes in the next PANEL_INTERVAL_MS wait for the interval's end */
  private startPanelInterval(dn: string): PanelInterval {
    const interval: PanelInterval = { changed: false };
    this.panelIntervals.set(dn, interval);
    this.deps.clock.setTimer(PANEL_INTERVAL_MS, () => {
      this.panelIntervals.delete(dn);
      if (interval.changed) this.touchRoutingPoint(dn);
    });
    return interval;
  }

  private call(e: CallEvent): void {
    this.noteMonitoringLeg(e);
    this.heard.calls.set(legKey(e.callUuid, e.dn), e.view);
    if (e.notificationType === 'AttachedDataChanged') this.touchUserData(e.dn);
    else this.touch(e.dn);
    const cc = local(this.deps.sw.callContactCenter(e.callUuid));
    if (this.waitingAt.has(e.callUuid) && cc) this.queueChanged(cc, e.callUuid);
    // a supervisor's leg changes what the rows of the agents on that call show; not its user data
    // (every leg of the call shows the same, and the agent's own leg's event touches its row)
    if (e.view.monitoring && e.notificationType !== 'AttachedDataChanged') for (const p of e.view.participants) this.touch(p);
  }

  /** keep monitoringLegs and its inverse as the events say: a supervisor's leg is there until its view is Released */
  private noteMonitoringLeg(e: CallEvent): void {
    if (!e.view.monitoring) return;
    const released = e.view.state === 'Released';
    noteMember(this.monitoringLegs, e.callUuid, e.dn, !released);
    noteMember(this.legsOfSupervisor, e.dn, e.callUuid, !released);
  }

  /** dn's row is due, and must be read in full */
  private touch(dn: string): void {
    this.due().set(dn, true);
  }

  /** dn's row is due for a change of a call's user data only (userDataRow may write it from the last row) */
  private touchUserData(dn: string): void {
    const pending = this.due();
    if (!pending.has(dn)) pending.set(dn, false);
  }

  /** the DNs due at the next flush (the first of a job schedules that flush) */
  private due(): Map<string, boolean> {
    if (!this.pending) {
      this.pending = new Map();
      atJobEnd(this.flushNow);
    }
    return this.pending;
  }

  /** the microtask of a flush (one function for every flush, not a closure each) */
  private readonly flushNow = (): void => void this.flush();
  private readonly flushRoutingPointsNow = (): void => void this.flushRoutingPoints();

  private async flush(): Promise<void> {
    const dns = this.pending ?? new Map<string, boolean>();
    this.pending = undefined;
    const heard = this.heard;
    // events heard while a row awaits a remote read go to new maps (an empty pair is kept as it is;
    // emptying and reusing a finished flush's maps was measured slower: old maps holding young views)
    if (heard.devices.size > 0 || heard.calls.size > 0) this.heard = { devices: new Map(), calls: new Map() };
    const { directory } = this.deps;
    // agent -> whether its row must be read in full (anything but user data touched one of its DNs)
    const agents = new Map<UserRecord, boolean>();
    for (const [dn, full] of dns) {
      const owner = directory.ownerOfDn(dn);
      if (owner) agents.set(owner, full || agents.get(owner) === true);
    }
    for (const [agent, full] of agents) {
      try {
        const cc = directory.center(agent.contactCenterId);
        if (!cc) continue;
        const supervisors = this.supervisorsKept(cc, agent);
        if (supervisors.length === 0) continue;
        if (!this.anyListens(supervisors, TEAM_CHANNEL)) {
          // nobody would receive the row: it is not rendered, and the last row is forgotten, since
          // userDataRow may only start from a row that saw every change since
          this.keptRows.delete(agent);
          continue;
        }
        // a row does not depend on who views it: one object for every supervisor, its text written once
        const kept = this.keptRows.get(agent);
        const written = full ? undefined : this.userDataRow(cc, kept, heard);
        let shown: Json;
        if (written !== undefined) {
          shown = written.row;
          this.keptRows.set(agent, { cc, dn: kept!.dn, row: shown, view: written.view });
        } else {
          const inputs: RowInputs = { dn: undefined, views: [] };
          const row = drive(this.rowReading(cc, agent, supervisors[0], new HeardFirst(heard, this.deps.sw), inputs));
          shown = row instanceof Promise ? await row : row;
          // only a row of one call can be written from the last one
          if (inputs.dn !== undefined && inputs.views.length === 1) this.keptRows.set(agent, { cc, dn: inputs.dn, row: shown, view: inputs.views[0] });
          else this.keptRows.delete(agent);
        }
        const data = { messageType: TEAM_MESSAGE_TYPE, agents: [shown] };
        const text = this.rowTexts.text(agent, shown, this.rowMemberText);
        const published = text === undefined ? data : withJsonText(data, flat(TEAM_MESSAGE_HEAD + text + ']}'));
        for (const supervisor of supervisors) this.out?.publishToUser(supervisor.id, TEAM_CHANNEL, published);
      } catch (err) {
        this.log?.error({ err, agent: agent.userName }, 'team notification failed');
      }
    }
  }

  /** would one of these users receive a message on this channel now? (yes when the publisher cannot tell) */
  private anyListens(users: readonly UserRecord[], channel: string): boolean {
    const out = this.out;
    if (!out?.hasSubscriber) return true;
    for (const u of users) if (out.hasSubscriber(u.id, channel)) return true;
    return false;
  }

  /** has the user at dn (as the flush finds them) a supervisor who would get their row? */
  private supervised(dn: string): boolean {
    const owner = this.deps.directory.ownerOfDn(dn);
    if (!owner) return false;
    const cc = this.deps.directory.center(owner.contactCenterId);
    return cc !== undefined && this.supervisorsKept(cc, owner).length > 0;
  }

  /**
   * supervisorsOf, kept per loaded contact center: the answer depends only on provisioning (groups,
   * roles, features), which changes only when a center is loaded again, and a load makes a new
   * CenterEntry, so a kept answer is never stale. Equal answers share one array (in a center
   * without groups every agent has the same supervisors: one list, not one per agent).
   */
  private supervisorsKept(cc: CenterEntry, agent: UserRecord): readonly UserRecord[] {
    let kept = this.supervisorsByCenter.get(cc);
    if (!kept) this.supervisorsByCenter.set(cc, (kept = { byAgent: new Map(), lists: new Map() }));
    let supervisors = kept.byAgent.get(agent);
    if (!supervisors) {
      const found = this.supervisorsOf(cc, agent);
      const key = found.map((s) => s.id).join(' ');
      supervisors = kept.lists.get(key);
      if (!supervisors) kept.lists.set(key, (supervisors = found));
      kept.byAgent.set(agent, supervisors);
    }
    return supervisors;
  }
}

/** one loaded center's supervisorsOf answers: by agent record, and each distinct list once (by its ids) */
interface KeptSupervisors {
  byAgent: Map<UserRecord, readonly UserRecord[]>;
  lists: Map<string, readonly UserRecord[]>;
}

/**
 * The switch as the rows of one flush read it: a device or a call leg an event of these commands
 * carried is that event's view (the switch emits a view whenever it changes, so the last one heard
 * is the current one; a call's duration is the one of its event), anything else is read from the
 * switch. So a row does not render again what the switch has just rendered.
 */
class HeardFirst implements RowSource {
  constructor(
    private readonly heard: Heard,
    private readonly sw: SwitchAccess,
  ) {}

  device(dn: string): Awaitable<DeviceView | undefined> {
    return this.heard.devices.get(dn) ?? this.sw.device(dn);
  }

  callsOf(dn: string): Awaitable<string[]> {
    return this.sw.callsOf(dn);
  }

  callView(callUuid: string, dn: string): Awaitable<CallView | undefined> {
    return this.heard.calls.get(legKey(callUuid, dn)) ?? this.sw.callView(callUuid, dn);
  }
}

/** a moment a row shows: clock ms and its ISO text (formatted by the first row that shows it) */
interface Since {
  at: number;
  iso?: string;
}

const since = (at: number): Since => ({ at });

/** whole seconds from a moment to now (a row's timeInState) */
const secondsSince = (clock: Clock, moment: Since): number => Math.max(0, Math.floor((clock.now() - moment.at) / 1000));

/** an agent's last published row: its center load, the row's device DN, and the view its one call was presented from */
interface KeptRow {
  cc: CenterEntry;
  dn: string;
  row: Json;
  view: CallView;
}

/** what a row was read from, as userDataRow needs it: the row's device DN and the views of the calls it shows */
interface RowInputs {
  dn: string | undefined;
  views: CallView[];
}

/** the reads a row makes (the switch's own methods, or a source that answers from events first) */
type RowSource = Pick<SwitchAccess, 'device' | 'callsOf' | 'callView'>;

/** the last views the events of the commands since the last flush carried */
interface Heard {
  devices: Map<string, DeviceView>;
  calls: Map<string, CallView>;
}

const legKey = (callUuid: string, dn: string): string => `${callUuid}|${dn}`;

/** no DNs (one shared empty set, not a new one per row) */
const NO_DNS: ReadonlySet<string> = new Set();

/**
 * A computation that yields each read of the switch (`(yield source.device(dn)) as DeviceView`: the
 * answer's type is the read's) and is resumed with its answer: `drive` runs it synchronously while
 * the switch answers at once (the local switch of the event path) and awaits from the first answer
 * that is a Promise (a remote switch), so one row builder serves both.
 */
type Reading<T> = Generator<Awaitable<unknown>, T, unknown>;

function drive<T>(reading: Reading<T>, step: IteratorResult<Awaitable<unknown>, T> = reading.next()): Awaitable<T> {
  while (!step.done) {
    const answer = step.value;
    if (answer instanceof Promise) {
      return answer.then(
        (value) => drive(reading, reading.next(value)),
        (err) => drive(reading, reading.throw(err)),
      );
    }
    step = reading.next(answer);
  }
  return step.value;
}

/** device list -> the position of each extension DN in it (provisioning order) */
const extensionPositions = new WeakMap<readonly DeviceRecord[], Map<string, number>>();

/** the extensions of the contact center among `dns`, in provisioning order (no walk over every device) */
function inProvisioningOrder(cc: CenterEntry, dns: Set<string>): DeviceRecord[] {
  let positions = extensionPositions.get(cc.devices);
  if (!positions) {
    positions = new Map();
    cc.devices.forEach((d, i) => d.kind === 'Extension' && positions!.set(d.dn, i));
    extensionPositions.set(cc.devices, positions);
  }
  const found: number[] = [];
  for (const dn of dns) {
    const at = positions.get(dn);
    if (at !== undefined) found.push(at);
  }
  return found.sort((a, b) => a - b).map((i) => cc.devices[i]);
}
