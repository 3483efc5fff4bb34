/**
 * What every user was last told equals what a GET says now, over fixed-seed random workloads of
 * several calls at once: the kept texts and views (call-text.ts, notification-text.ts,
 * team-notifier.ts kept rows, emission.ts, each leg's last view) never make a notification differ
 * from a fresh read. After each step, in a job of its own as requests are, and on the same
 * (virtual) clock:
 * - for each user and each call: the call of the last CallStateChangeMessage on /v2/me/calls, as
 *   the wire carries it (the attached JSON text when there is one), equals GET
 *   /api/v2/me/calls/{id}; a call GET no longer finds (statusCode 6) was last told Released; GET
 *   /api/v2/me/calls lists exactly the calls last told not Released;
 * - for each user: the devices of the last DeviceStateChangeMessage equal GET
 *   /api/v2/me/devices?fields=* (a user never told anything still reads what it read at the start);
 * - for each supervisor whose CometD session watches /v2/supervision/agents: the last row of each
 *   agent (or the row GET gave when the watch began) equals that agent's row in GET
 *   /api/v2/supervision/agents?fields=*;
 * - every attached text is JSON.stringify of its message, and no request answers HTTP 500.
 * A call's duration and a row's timeInState tick on their own: they are compared only when the
 * message was published at the clock's present moment; the clock moves one due timer per job, as a
 * real clock runs them. The workload: agents logging in and out,
 * Ready / NotReady / AfterCallWork / AuxWork / Lunch, DND, inbound calls to agents and to routing
 * point 7000, dialling, answer, reject, hold and retrieve, mute, DTMF, user data attach / update /
 * delete, recordings, consult transfer and conference (initiate, complete, swap), single-step
 * transfer and conference, removing a participant, release by either side, two supervisors arming
 * ListenIn / Coach / BargeIn (next call and all calls, agent and call scope, agents and the routing
 * point), switching modes mid-call, muting the monitored agent, cancelling, supervisors ending
 * their sessions and watching the team again, the clock moving (external answers, wrap-up, ring
 * timeouts), and two commands in one job. Refused operations are part of it: they must change
 * nothing a user was not told. Each seed runs with other contact-center settings (several
 * supervisors per agent, supervisor legs that ring, wrap-up time, no intrusion, what the agent sees
 * of monitoring). Every assertion names the seed and the step, so a failure can be replayed. The
 * last test is the shortest case of a mismatch seed 20261213 found: a supervisor re-armed on the
 * same target with another span or scope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsonTextOf } from '../../src/bayeux/json-text.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { TEAM_CHANNEL } from '../../src/gws/team-notifier.js';
import type { ContactCenterSettings, UserData } from '../../src/switch/model.js';
import type { CallOperation, CallOperationName } from '../../src/switch/port.js';
import { Api, basic, type CometdSession } from './harness.js';

type Json = Record<string, any>;

/** something a user was told: the message's content, and when (clock ms, and the step) */
interface Told<T> {
  value: T;
  at: number;
  step: number;
}

interface Recipient {
  userName: string;
  id: string;
  dn: string;
  deviceId: string;
  supervisor: boolean;
  /** call id -> the call of the last CallStateChangeMessage about it */
  calls: Map<string, Told<Json>>;
  /** the devices of the last DeviceStateChangeMessage (at the start: what GET read) */
  devices: Told<Json[]> | undefined;
  /** supervisors: the CometD session watching the team, while there is one */
  teamSession?: CometdSession;
  /** supervisors watching the team: agent user name -> the last row (undefined until the watch's first read) */
  rows?: Map<string, Told<Json>>;
}

interface Scenario {
  seed: number;
  steps: number;
  /** what the contact center's settings change from the demo's */
  settings: (s: ContactCenterSettings) => void;
  description: string;
}

const SCENARIOS: Scenario[] = [
  { seed: 20261210, steps: 400, settings: () => {}, description: 'demo settings' },
  {
    seed: 20261211,
    steps: 400,
    settings: (s) => {
      s.supervision.maxSupervisorsPerAgent = 2;
      s.supervision.autoAnswer = false;
      s.supervision.notifyAgent = 'coachAndBarge';
      s.wrapUpTime = 2;
    },
    description: 'two supervisors per agent, supervisor legs ring, wrap-up 2 s, ListenIn hidden',
  },
  {
    seed: 20261212,
    steps: 400,
    settings: (s) => {
      s.supervision.maxSupervisorsPerAgent = 2;
      s.supervision.intrusion = false;
      s.supervision.notifyAgent = 'never';
      s.ringNoAnswerMs = 4000;
      s.afterWrapUp = 'NotReady';
      s.wrapUpTime = 1;
    },
    description: 'two supervisors per agent, no intrusion, monitoring invisible, ring timeout 4 s',
  },
  {
    seed: 20261213,
    steps: 400,
    settings: (s) => {
      s.supervision.maxSupervisorsPerAgent = 2;
      s.externalAnswerDelayMs = 300;
      s.wrapUpTime = 3;
    },
    description: 'two supervisors per agent, the agent sees them, external numbers answer in 300 ms, wrap-up 3 s',
  },
];

const AGENTS = ['agent1', 'agent2', 'agent3', 'agent4', 'agent5', 'agent6'];
const SUPERVISORS = ['supervisor1', 'supervisor2'];
const ROUTING_POINT = '7000';
/** where calls, transfers and conferences go: agents (agent7 never logs in), the routing point, a supervisor, an external number */
const DESTINATIONS = ['5001', '5002', '5003', '5004', '5005', '5006', '5007', ROUTING_POINT, ROUTING_POINT, '5101', '+15550007777'];
const USER_DATA_KEYS = ['Step', 'Note', 'Order', 'Lang'];
/**
 * How likely each operation is among those a leg offers (1 when not listed): what ends a call or a
 * leg less, what a call lives through (hold, consultations and their completion, user data) more,
 * so that calls last long enough to be transferred, conferenced and monitored.
 */
const OPERATION_WEIGHTS: Partial<Record<CallOperationName, number>> = {
  Answer: 6,
  Hangup: 1,
  ClearCall: 0.2,
  Reject: 0.5,
  Hold: 2,
  Retrieve: 3,
  InitiateTransfer: 2,
  InitiateConference: 2,
  CompleteTransfer: 4,
  CompleteConference: 4,
  SingleStepTransfer: 1,
  SingleStepConference: 1.5,
  SwapCalls: 1.5,
  AttachUserData: 1.5,
  UpdateUserData: 2,
  SendDtmf: 0.5,
  SwitchToListenIn: 3,
  SwitchToBargeIn: 3,
  SwitchToCoach: 3,
  MuteMonitoredUser: 2,
  UnmuteMonitoredUser: 2,
};

const nextJob = () => new Promise((resolve) => setImmediate(resolve));

/** where an attached text first differs from JSON.stringify of its message, with some text around */
function whereTextsDiffer(attached: string, plain: string): string {
  let at = 0;
  while (at < attached.length && attached[at] === plain[at]) at++;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 60), at + 40));
  return `at ${at}, the text has ${around(attached)} where JSON.stringify has ${around(plain)}`;
}

/** a call without what ticks on its own */
function callWithoutDuration(call: Json): Json {
  const { duration: _duration, ...rest } = call;
  return rest;
}

/** a team row without what ticks on its own (its time in state, its calls' durations) */
function rowWithoutTime(row: Json): Json {
  const { timeInState: _timeInState, ...rest } = row;
  return { ...rest, calls: (rest.calls as Json[]).map(callWithoutDuration) };
}

function runScenario(scenario: Scenario): void {
  describe(`seed ${scenario.seed} (${scenario.description})`, () => {
    let api: Api;
    /** user id -> the user and what they were told */
    const recipients = new Map<string, Recipient>();
    const byName = new Map<string, Recipient>();
    /** texts that were not JSON.stringify of their message (checked after each step: the publisher must not throw) */
    const wrongTexts: string[] = [];
    let step = -1;

    before(async () => {
      const center = demoContactCenter();
      scenario.settings(center.settings);
      api = await Api.start({ contactCenters: [center] });
      const bayeux = api.app.bayeux;
      const publish = bayeux.publishToUser.bind(bayeux);
      bayeux.publishToUser = (user, channel, data) => {
        const attached = jsonTextOf(data as object);
        const plain = JSON.stringify(data);
        if (attached !== undefined && attached !== plain) wrongTexts.push(`${channel} to ${recipients.get(user)?.userName ?? user}: ${whereTextsDiffer(attached, plain)}`);
        // what the client receives: the attached text when there is one
        const wire = JSON.parse(attached ?? plain) as Json;
        const recipient = recipients.get(user);
        if (recipient) {
          const at = api.clock.now();
          if (channel === '/v2/me/calls') recipient.calls.set(wire.call.id, { value: wire.call, at, step });
          else if (channel === '/v2/me/devices') recipient.devices = { value: wire.devices, at, step };
          else if (channel === TEAM_CHANNEL && recipient.rows) for (const row of wire.agents as Json[]) recipient.rows.set(row.userName, { value: row, at, step });
        }
        publish(user, channel, data);
      };
      for (const userName of [...AGENTS, ...SUPERVISORS]) {
        const id = (await api.get('/api/v2/me', basic(userName))).json.user.id as string;
        const device = await api.deviceOf(userName);
        const recipient: Recipient = { userName, id, dn: device.phoneNumber, deviceId: device.id, supervisor: SUPERVISORS.includes(userName), calls: new Map(), devices: undefined };
        recipients.set(id, recipient);
        byName.set(userName, recipient);
      }
    });

    after(() => api.close());

    test(`${scenario.steps} random steps: every user's last call, device and team messages equal GET`, async (t) => {
      let seed = scenario.seed;
      const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), Math.floor((seed / 2 ** 31) * n));
      const pick = <T>(list: readonly T[]): T => list[next(list.length)];
      /** one of `names`, each as likely as its weight (OPERATION_WEIGHTS; 1 when not listed) */
      const pickWeighted = (names: readonly CallOperationName[]): CallOperationName => {
        const total = names.reduce((sum, name) => sum + (OPERATION_WEIGHTS[name] ?? 1), 0);
        let at = next(total * 10) / 10;
        for (const name of names) {
          at -= OPERATION_WEIGHTS[name] ?? 1;
          if (at < 0) return name;
        }
        return names[names.length - 1];
      };
      const sw = api.app.switch;
      /** how many callers have called (each calls from a number of its own) */
      let callers = 0;
      const callerNumber = () => `+1555${String(++callers).padStart(7, '0')}`;
      /** the live calls of the agents, the supervisors and the routing point */
      const liveCalls = (): string[] => [...new Set([...AGENTS, ...SUPERVISORS].flatMap((u) => sw.callsOf(byName.get(u)!.dn)).concat(sw.callsOf(ROUTING_POINT)))];
      const counts = { calls: 0, released: 0, devices: 0, rows: 0, refused: 0, accepted: 0 };
      const outcome = (ok: boolean): string => {
        if (ok) counts.accepted++;
        else counts.refused++;
        return ok ? 'ok' : 'refused';
      };
      let label = 'start';
      /** when the timers set since the start are due (the switch and the team read the clock through its object: see advanceInJobs) */
      const dueTimers = new Set<number>();
      const setTimer = api.clock.setTimer.bind(api.clock);
      api.clock.setTimer = (ms, fn) => {
        dueTimers.add(api.clock.now() + Math.max(0, ms));
        return setTimer(ms, fn);
      };
      const where = () => `seed ${scenario.seed}, step ${step} (${label})`;

      const watchTeam = async (supervisor: Recipient): Promise<void> => {
        supervisor.teamSession = await api.cometd(supervisor.userName, TEAM_CHANNEL);
        // the watch starts from a read (done at the next check), as a client's would
        supervisor.rows = undefined;
      };
      const unwatchTeam = (supervisor: Recipient): void => {
        supervisor.teamSession = undefined;
        supervisor.rows = undefined;
      };

      const userDataOperation = (): CallOperation => {
        const key = pick(USER_DATA_KEYS);
        const choice = next(6);
        if (choice === 0) return { name: 'DeleteUserDataPair', key };
        if (choice === 1) return { name: 'DeleteUserData' };
        if (choice === 2) return { name: 'AttachUserData', userData: { [key]: next(100) } };
        return { name: 'UpdateUserData', userData: { [key]: `v${next(1000)}`, Step: next(10) } };
      };

      /** the operation `name` with parameters, for `dn`'s leg of the call */
      const operationNamed = (name: CallOperationName, dn: string, uuid: string): CallOperation => {
        switch (name) {
          case 'InitiateTransfer':
          case 'SingleStepTransfer':
          case 'InitiateConference':
          case 'SingleStepConference':
            return next(3) === 0
              ? { name, destination: { phoneNumber: pick(DESTINATIONS) }, userData: { Consult: `c${next(100)}` } }
              : { name, destination: { phoneNumber: pick(DESTINATIONS) } };
          case 'RemoveParticipantFromConference': {
            const view = sw.callView(uuid, dn);
            return { name, participant: view && view.participants.length > 0 ? pick(view.participants) : '5001' };
          }
          case 'SendDtmf':
            return { name, digits: String(next(1000)) };
          case 'AttachUserData':
          case 'UpdateUserData':
          case 'DeleteUserDataPair':
          case 'DeleteUserData':
            return userDataOperation();
          case 'CompleteTransfer':
          case 'CompleteConference':
          case 'SwapCalls':
          default:
            return { name } as CallOperation;
        }
      };

      const AGENT_OPERATIONS: CallOperationName[] = [
        'Answer', 'Reject', 'Hangup', 'Hold', 'Retrieve', 'ClearCall', 'InitiateTransfer', 'CompleteTransfer', 'SingleStepTransfer',
        'InitiateConference', 'CompleteConference', 'SingleStepConference', 'RemoveParticipantFromConference', 'SwapCalls', 'SendDtmf',
        'AttachUserData', 'UpdateUserData', 'DeleteUserDataPair', 'DeleteUserData', 'StartCallRecording', 'PauseCallRecording',
        'ResumeCallRecording', 'StopCallRecording', 'MuteCall', 'UnmuteCall',
      ];
      const SUPERVISOR_OPERATIONS: CallOperationName[] = [
        'SwitchToListenIn', 'SwitchToBargeIn', 'SwitchToCoach', 'MuteMonitoredUser', 'UnmuteMonitoredUser', 'MuteCall', 'UnmuteCall', 'Hangup', 'Answer',
        'UpdateUserData', 'Hold',
      ];

      /** an operation for `who`'s leg of the call: most often one the leg offers now, else any of `pool` */
      const chooseOperation = (who: Recipient, uuid: string, pool: readonly CallOperationName[]): CallOperation => {
        const offered = (sw.callView(uuid, who.dn)?.capabilities ?? []) as readonly CallOperationName[];
        const name = offered.length > 0 && next(6) !== 0 ? pickWeighted(offered) : pick(pool);
        return operationNamed(name, who.dn, uuid);
      };

      /**
       * An operation on one of `who`'s calls: most often one its leg's capabilities offer now, else any
       * (refused, usually); through the switch port, or through REST (which checks the capabilities).
       * Undefined when `who` has no call.
       */
      const callStep = async (who: Recipient, pool: readonly CallOperationName[], viaRest: boolean): Promise<string | undefined> => {
        const uuids = sw.callsOf(who.dn);
        if (uuids.length === 0) return undefined;
        const uuid = pick(uuids);
        const op = chooseOperation(who, uuid, pool);
        const text = `${who.userName} ${JSON.stringify(op)} on ${uuid.slice(-6)}`;
        if (viaRest) {
          const { name: operationName, ...params } = op as Json;
          const r = await api.post(`/api/v2/me/calls/${uuid}`, { operationName, ...params }, basic(who.userName));
          return `${text} via REST: ${outcome(r.json.statusCode === 0)}`;
        }
        return `${text}: ${outcome(sw.callOperation(who.dn, uuid, op).ok)}`;
      };

      /** a command of the switch port that runs in the job it is called in (for two commands in one job) */
      const switchCommand = (): string => {
        const agent = byName.get(pick(AGENTS))!;
        const choice = next(5);
        if (choice === 0) {
          const state = pick(['Ready', 'NotReady', 'AfterCallWork'] as const);
          const r = state === 'AfterCallWork' ? sw.setAgentState(agent.dn, { state: 'NotReady', workMode: 'AfterCallWork' }) : sw.setAgentState(agent.dn, { state });
          return `${agent.userName} ${state} (switch): ${outcome(r.ok)}`;
        }
        const uuids = sw.callsOf(agent.dn);
        if (choice === 1 || uuids.length === 0) {
          const r = sw.simulateInbound(callerNumber(), pick([agent.dn, ROUTING_POINT]), { Origin: 'web' });
          return `inbound (switch): ${outcome(r.ok)}`;
        }
        const uuid = pick(uuids);
        const op = choice === 2 ? userDataOperation() : chooseOperation(agent, uuid, AGENT_OPERATIONS);
        return `${agent.userName} ${JSON.stringify(op)} on ${uuid.slice(-6)}: ${outcome(sw.callOperation(agent.dn, uuid, op).ok)}`;
      };

      /** one step of the workload: what it did, as the assertions name it */
      const runStep = async (): Promise<string> => {
        // a team nobody watches is watched again after a few steps (changes meanwhile rendered no row)
        if (SUPERVISORS.every((s) => !byName.get(s)!.teamSession)) {
          if (next(4) === 0) return watchTeamAgain();
          // what a row kept from before would miss: the state of an agent whose call goes on
          const onCalls = AGENTS.map((a) => byName.get(a)!).filter((a) => sw.callsOf(a.dn).length > 0);
          if (onCalls.length > 0 && next(2) === 0) {
            const agent = pick(onCalls);
            const body = pick([{ operationName: 'NotReady' }, { operationName: 'Ready' }, { operationName: 'Lunch' }, { operationName: 'AuxWork' }]);
            const r = await api.post('/api/v2/me/channels/voice', body, basic(agent.userName));
            return `unwatched: ${agent.userName} on a call ${JSON.stringify(body)}: ${outcome(r.json.statusCode === 0)}`;
          }
        }
        const kind = next(100);
        if (kind < 10) {
          // a customer calls an agent or the routing point
          const to = next(2) === 0 ? ROUTING_POINT : pick(AGENTS.map((a) => byName.get(a)!.dn));
          const userData: UserData = next(2) === 0 ? { Origin: 'web', Account: `A-${next(100)}` } : {};
          const viaSimulation = next(3) === 0;
          if (viaSimulation) {
            const r = await api.post('/sim/v1/calls', { from: callerNumber(), to, userData }, basic('admin'));
            return `inbound to ${to} via /sim/v1: ${outcome(r.json.statusCode === 0)}`;
          }
          const r = sw.simulateInbound(callerNumber(), to, userData);
          return `inbound to ${to}: ${outcome(r.ok)}`;
        }
        if (kind < 13) {
          // an agent dials
          const agent = byName.get(pick(AGENTS))!;
          const destination = pick(DESTINATIONS);
          const r = await api.post(`/api/v2/me/devices/${agent.deviceId}/calls`, { operationName: 'Dial', destination: { phoneNumber: destination } }, basic(agent.userName));
          return `${agent.userName} dials ${destination}: ${outcome(r.json.statusCode === 0)}`;
        }
        if (kind < 50) {
          // an agent on a call works one of their calls (or, when none is, a call rings one)
          const onCalls = AGENTS.map((a) => byName.get(a)!).filter((a) => sw.callsOf(a.dn).length > 0);
          const agent = onCalls.length > 0 && next(8) !== 0 ? pick(onCalls) : byName.get(pick(AGENTS))!;
          const done = await callStep(agent, AGENT_OPERATIONS, next(3) === 0);
          if (done !== undefined) return done;
          const r = sw.simulateInbound(callerNumber(), agent.dn, {});
          return `${agent.userName} had no call; inbound to it: ${outcome(r.ok)}`;
        }
        if (kind < 60) {
          // a supervisor works their monitoring call (or, when neither is on one, arms)
          const onCalls = SUPERVISORS.map((s) => byName.get(s)!).filter((s) => sw.callsOf(s.dn).length > 0);
          if (onCalls.length > 0) return (await callStep(pick(onCalls), SUPERVISOR_OPERATIONS, next(2) === 0))!;
        }
        if (kind < 67) {
          // a supervisor arms (or re-arms: a switch of mode on the call they monitor)
          const supervisor = byName.get(pick(SUPERVISORS))!;
          const operationName = pick(['ListenIn', 'Coach', 'BargeIn']);
          const onCalls = AGENTS.map((a) => byName.get(a)!.dn).filter((dn) => sw.callsOf(dn).length > 0);
          const target = next(5) === 0 ? ROUTING_POINT : onCalls.length > 0 && next(2) === 0 ? pick(onCalls) : byName.get(pick(AGENTS.slice(0, 4)))!.dn;
          const supervisorMonitoringMode = pick(['AllCalls', 'NextCall']);
          const supervisorMonitoringScope = target === ROUTING_POINT || next(2) === 0 ? 'Call' : 'Agent';
          const r = await api.post(`/api/v2/me/devices/${supervisor.deviceId}`, { operationName, phoneNumber: target, supervisorMonitoringMode, supervisorMonitoringScope }, basic(supervisor.userName));
          return `${supervisor.userName} ${operationName} ${supervisorMonitoringMode} ${supervisorMonitoringScope} on ${target}: ${outcome(r.json.statusCode === 0)}`;
        }
        if (kind < 69) {
          const supervisor = byName.get(pick(SUPERVISORS))!;
          const r = next(2) === 0
            ? await api.post(`/api/v2/me/devices/${supervisor.deviceId}`, { operationName: 'CancelSupervisorMonitoring' }, basic(supervisor.userName))
            : { json: { statusCode: sw.cancelMonitoring(supervisor.dn).ok ? 0 : 2 } };
          return `${supervisor.userName} cancels monitoring: ${outcome(r.json.statusCode === 0)}`;
        }
        if (kind < 75) {
          // an agent's state
          const agent = byName.get(pick(AGENTS))!;
          const body = pick([
            { operationName: 'Ready' },
            { operationName: 'Ready' },
            { operationName: 'NotReady' },
            { operationName: 'NotReady', reason: 'Lunch' },
            { operationName: 'AfterCallWork' },
            { operationName: 'AfterCallWork', wrapUpTime: '2' },
            { operationName: 'AuxWork' },
            { operationName: 'Training' },
          ]);
          const r = await api.post('/api/v2/me/channels/voice', body, basic(agent.userName));
          return `${agent.userName} ${JSON.stringify(body)}: ${outcome(r.json.statusCode === 0)}`;
        }
        if (kind < 78) {
          // a contact-center session starts or ends (a supervisor's end also ends its CometD sessions)
          const who = byName.get(next(4) === 0 ? pick(SUPERVISORS) : pick(AGENTS))!;
          const loggedIn = sw.device(who.dn)?.loggedIn === true;
          const operationName = loggedIn && next(3) !== 0 ? 'EndContactCenterSession' : 'StartContactCenterSession';
          const r = await api.post('/api/v2/me', { operationName, channels: ['voice'] }, basic(who.userName));
          if (who.supervisor && operationName === 'EndContactCenterSession' && r.json.statusCode === 0) unwatchTeam(who);
          if (who.supervisor && operationName === 'StartContactCenterSession' && r.json.statusCode === 0 && !who.teamSession) await watchTeam(who);
          return `${who.userName} ${operationName}: ${outcome(r.json.statusCode === 0)}`;
        }
        if (kind < 79) {
          const who = byName.get(pick([...AGENTS, ...SUPERVISORS]))!;
          const operationName = pick(['DoNotDisturbOn', 'DoNotDisturbOff']);
          const r = await api.post(`/api/v2/me/devices/${who.deviceId}`, { operationName }, basic(who.userName));
          return `${who.userName} ${operationName}: ${outcome(r.json.statusCode === 0)}`;
        }
        if (kind < 83) {
          // a customer (or an external party) hangs up
          const live = liveCalls();
          if (live.length === 0) return 'no live call to hang up';
          const uuid = pick(live);
          if (next(2) === 0) return `the caller of ${uuid.slice(-6)} hangs up: ${outcome(sw.simulateExternalHangup(uuid).ok)}`;
          const r = await api.post(`/sim/v1/calls/${uuid}`, { operationName: 'Hangup' }, basic('admin'));
          return `the caller of ${uuid.slice(-6)} hangs up via /sim/v1: ${outcome(r.json.statusCode === 0)}`;
        }
        if (kind < 89) {
          // time passes: external parties answer, wrap-up and ring timeouts end
          const ms = pick([300, 700, 1000, 1500, 2500, 4500]);
          const fired = await advanceInJobs(ms);
          return `the clock moves ${ms} ms (${fired} timer jobs)`;
        }
        if (kind < 96) {
          // two commands in one job: one flush renders what both changed
          const first = switchCommand();
          return `${first}, then in the same job ${switchCommand()}`;
        }
        // one supervisor, or every one, stops watching the team (nobody watching: no row is rendered)
        const watching = SUPERVISORS.map((s) => byName.get(s)!).filter((s) => s.teamSession);
        if (watching.length === 0) return watchTeamAgain();
        const leaving = next(2) === 0 ? watching : [pick(watching)];
        for (const supervisor of leaving) {
          await supervisor.teamSession!.unsubscribe();
          unwatchTeam(supervisor);
        }
        return `${leaving.map((s) => s.userName).join(' and ')} stop watching the team`;
      };

      /** every supervisor who does not watch the team watches it again (logging in first when logged out) */
      const watchTeamAgain = async (): Promise<string> => {
        const again = SUPERVISORS.map((s) => byName.get(s)!).filter((s) => !s.teamSession);
        for (const supervisor of again) {
          if (sw.device(supervisor.dn)?.loggedIn !== true) await api.startSession(supervisor.userName);
          await watchTeam(supervisor);
        }
        return `${again.map((s) => s.userName).join(' and ')} watch the team again`;
      };

      /**
       * Move the clock, each due timer in a job of its own followed by the job's flushes, as a real
       * clock runs them (VirtualClock.advance fires every due timer in one run: a flush at its end
       * would see a later clock than the events it renders, which no real timer does). Returns how
       * many timer jobs ran.
       */
      const advanceInJobs = async (ms: number): Promise<number> => {
        const end = api.clock.now() + ms;
        let jobs = 0;
        for (;;) {
          const due = Math.min(...[...dueTimers].filter((at) => at <= end));
          if (!Number.isFinite(due)) break;
          api.clock.advance(due - api.clock.now());
          for (const at of [...dueTimers]) if (at <= due) dueTimers.delete(at);
          jobs++;
          await nextJob();
        }
        api.clock.advance(end - api.clock.now());
        return jobs;
      };

      /** every user's last messages against what GET says now */
      const check = async (): Promise<void> => {
        const now = api.clock.now();
        for (const recipient of recipients.values()) {
          const auth = basic(recipient.userName);
          const who = `${where()}: ${recipient.userName}`;
          // devices
          const devices = await api.get('/api/v2/me/devices?fields=*', auth);
          assert.equal(devices.json.statusCode, 0, `${who}: GET devices ${JSON.stringify(devices.json)}`);
          if (recipient.devices === undefined) recipient.devices = { value: devices.json.devices, at: now, step };
          assert.deepEqual(recipient.devices.value, devices.json.devices, `${who}: the last DeviceStateChangeMessage (step ${recipient.devices.step}) against GET /api/v2/me/devices`);
          counts.devices++;
          // calls: the listing holds exactly the calls last told not Released
          const listing = await api.get('/api/v2/me/calls?fields=*', auth);
          assert.equal(listing.json.statusCode, 0, `${who}: GET calls ${JSON.stringify(listing.json)}`);
          const listed = new Set((listing.json.calls as Json[]).map((c) => c.id as string));
          const toldLive = [...recipient.calls].filter(([, told]) => told.value.state !== 'Released').map(([id]) => id);
          assert.deepEqual([...listed].sort(), toldLive.sort(), `${who}: GET /api/v2/me/calls lists the calls last told not Released`);
          for (const [id, told] of recipient.calls) {
            // a call last told Released in an earlier step is checked by the listing above
            if (told.value.state === 'Released' && told.step !== step) continue;
            const read = await api.get(`/api/v2/me/calls/${id}`, auth);
            const message = `${who}: the last CallStateChangeMessage of ${id} (step ${told.step}) against GET /api/v2/me/calls/${id}`;
            if (read.json.statusCode === 6) {
              assert.equal(told.value.state, 'Released', `${message}: GET says the call is gone, the message said ${JSON.stringify(told.value)}`);
              counts.released++;
              continue;
            }
            assert.equal(read.json.statusCode, 0, `${message}: ${JSON.stringify(read.json)}`);
            if (told.at === now) assert.deepEqual(told.value, read.json.call, message);
            else assert.deepEqual(callWithoutDuration(told.value), callWithoutDuration(read.json.call), `${message} (duration aside: told at ${told.at}, now ${now})`);
            counts.calls++;
          }
          // the team, as a watching supervisor last saw it
          if (!recipient.supervisor || !recipient.teamSession) continue;
          await recipient.teamSession.drain();
          const team = await api.get('/api/v2/supervision/agents?fields=*', auth);
          assert.equal(team.json.statusCode, 0, `${who}: GET team ${JSON.stringify(team.json)}`);
          if (recipient.rows === undefined) {
            recipient.rows = new Map((team.json.agents as Json[]).map((row) => [row.userName as string, { value: row, at: now, step }]));
            continue;
          }
          for (const row of team.json.agents as Json[]) {
            const told = recipient.rows.get(row.userName as string);
            assert.ok(told, `${who}: no row of ${row.userName}`);
            const message: string = `${who}: the last row of ${row.userName} on ${TEAM_CHANNEL} (step ${told.step}) against GET /api/v2/supervision/agents`;
            if (told.at === now) assert.deepEqual(told.value, row, message);
            else assert.deepEqual(rowWithoutTime(told.value), rowWithoutTime(row), `${message} (time aside: told at ${told.at}, now ${now})`);
            counts.rows++;
          }
        }
        assert.deepEqual(wrongTexts, [], `${where()}: attached texts that are not JSON.stringify of their message`);
      };

      // the start: every user's first read, the supervisors logged in and watching the team
      for (const supervisor of SUPERVISORS.map((s) => byName.get(s)!)) {
        await api.startSession(supervisor.userName);
        await watchTeam(supervisor);
      }
      for (const agent of AGENTS.slice(0, 4)) await api.startSession(agent, true);
      await nextJob();
      await check();

      for (step = 0; step < scenario.steps; step++) {
        label = await runStep();
        await nextJob();
        await check();
      }
      // the fixed sequences exercised both sides of each comparison
      assert.ok(counts.accepted > scenario.steps / 2 && counts.refused > 5, `${where()}: ${JSON.stringify(counts)}`);
      assert.ok(counts.calls > scenario.steps && counts.released > 5 && counts.rows > scenario.steps * 5, `${where()}: ${JSON.stringify(counts)}`);
      t.diagnostic(`seed ${scenario.seed}: ${JSON.stringify(counts)}`);
    });
  });
}

for (const scenario of SCENARIOS) runScenario(scenario);

describe('a supervisor re-armed on the same target (the shortest case of seed 20261213)', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ contactCenters: [demoContactCenter()] });
  });
  after(() => api.close());

  test('the row of the agent whose call the supervisor follows shows the new span, as GET does', async () => {
    const rows: Json[] = [];
    const bayeux = api.app.bayeux;
    const publish = bayeux.publishToUser.bind(bayeux);
    bayeux.publishToUser = (user, channel, data) => {
      const row = (data as { agents?: Json[] }).agents?.[0];
      if (channel === TEAM_CHANNEL && row?.userName === 'agent1') rows.push(JSON.parse(JSON.stringify(row)));
      publish(user, channel, data);
    };
    await api.startSession('agent1', true);
    await api.startSession('supervisor1');
    await api.cometd('supervisor1', TEAM_CHANNEL);
    const supervisor = await api.deviceOf('supervisor1');
    const arm = (supervisorMonitoringMode: string) =>
      api.ok(`/api/v2/me/devices/${supervisor.id}`, { operationName: 'ListenIn', phoneNumber: ROUTING_POINT, supervisorMonitoringMode }, basic('supervisor1'));
    await arm('AllCalls');
    // a call to the routing point goes to agent1, who answers: supervisor1 follows it
    const call = api.app.switch.simulateInbound('+15550000001', ROUTING_POINT, {});
    assert.ok(call.ok);
    await nextJob();
    assert.ok(api.app.switch.callOperation('5001', call.value.callUuid, { name: 'Answer' }).ok);
    await nextJob();
    const read = async () => ((await api.get('/api/v2/supervision/agents?fields=*', basic('supervisor1'))).json.agents as Json[]).find((a) => a.userName === 'agent1')!;
    assert.equal(rows.at(-1)?.monitoring[0]?.mode, 'AllCalls');
    assert.deepEqual(rows.at(-1), await read());
    // the same target and mode, another span: supervisor1's configuration changes, its leg does not
    await arm('NextCall');
    await nextJob();
    const now = await read();
    assert.equal(now.monitoring[0].mode, 'NextCall');
    assert.deepEqual(rows.at(-1), now, 'the last row of agent1 against GET /api/v2/supervision/agents after the re-arm');
  });
});
