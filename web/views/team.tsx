/**
 * The supervisor's Team view: the live table of the agents of their groups (from
 * GET /api/v2/supervision/agents, kept current by /v2/supervision/agents, never polled), with per
 * row "Listen", "Coach" and "Barge in" (joining at once when the agent is on a call, else armed for
 * the next one), the choice of "Next call" or "All calls" and of scope "Agent" or "Call"; the
 * monitoring panel for the supervisor's own monitoring (mode switches, agent mute, "Stop
 * monitoring", the who-hears-whom graph); and the routing-point panel (calls waiting, longest wait,
 * "Listen" on the routing point), live from /v2/supervision/routing-points. The monitoring buttons
 * are disabled, saying why, until the supervisor's voice session has started.
 */
import { useState } from 'preact/hooks';
import { callPath, post } from '../api.js';
import type { Json } from '../api.js';
import { MODE_NAMES, MONITOR_MODES, MONITORING_BUTTONS } from '../labels.js';
import type { Received } from '../store.js';
import { act, device, formatSeconds, hearing, monitoringCall, refreshHearing, routingPoints, team, ticking, user } from '../store.js';
import { HearingGraph } from './hearing-graph.js';

const devicePath = () => `/api/v2/me/devices/${encodeURIComponent(String(device.value?.id))}`;

interface MonitorChoice {
  span: 'NextCall' | 'AllCalls';
  scope: 'Agent' | 'Call';
}

function fullName(row: Json): string {
  const name = `${row.firstName ?? ''} ${row.lastName ?? ''}`.trim();
  return name || String(row.userName);
}

/** a phone number as the supervisor knows it: themself, an agent of the team, or the number */
function nameOf(phoneNumber: string): string {
  if (phoneNumber === device.value?.phoneNumber) return `You (${phoneNumber})`;
  const row = team.value.find((r) => r.value.device?.phoneNumber === phoneNumber);
  return row ? `${fullName(row.value)} (${phoneNumber})` : phoneNumber;
}

/** the label of a party in the graph: "You" or the number */
function shortNameOf(phoneNumber: string): string {
  return phoneNumber === device.value?.phoneNumber ? 'You' : phoneNumber;
}

function arm(operationName: string, phoneNumber: string, choice: MonitorChoice, what: string): void {
  const body = { operationName, phoneNumber, supervisorMonitoringMode: choice.span, supervisorMonitoringScope: choice.scope };
  void act(() => post(devicePath(), body), what).then(() => {
    const call = monitoringCall.value;
    if (call) void refreshHearing(String(call.value.id));
  });
}

function ChoiceGroup<T extends string>({ legend, name, options, value, onChange }: { legend: string; name: string; options: [T, string][]; value: T; onChange: (v: T) => void }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map(([v, label]) => (
        <label key={v} class="radio">
          <input type="radio" name={name} value={v} checked={value === v} onChange={() => onChange(v)} />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

/** what the monitoring buttons say while the supervisor has no voice session (the switch would refuse them) */
const NEEDS_SESSION = 'Start your voice session first';

function AgentRow({ received, choice, canMonitor }: { received: Received; choice: MonitorChoice; canMonitor: boolean }) {
  const row = received.value;
  const name = fullName(row);
  const dn = row.device?.phoneNumber as string | undefined;
  const state = row.userState as Json;
  const call = (row.calls as Json[])[0];
  const monitors = (row.monitoring as Json[]) ?? [];
  const onCall = Boolean(call);
  return (
    <tr data-agent={String(row.userName)}>
      <th scope="row">{name}</th>
      <td class="number">{dn ?? '—'}</td>
      <td>
        {String(state.displayName)}
        {state.reason && state.reason !== state.displayName ? ` (${String(state.reason)})` : ''}
      </td>
      <td class="number">{formatSeconds(ticking(row.timeInState, received.at))}</td>
      <td>
        {call
          ? `${String(call.callType)} ${((call.participants as Json[]) ?? []).map((p) => String(p.phoneNumber)).filter((p) => p !== device.value?.phoneNumber).join(', ')} · ${formatSeconds(ticking(call.duration, received.at))}`
          : '—'}
      </td>
      <td>{monitors.length ? monitors.map((m) => `${String(m.supervisor?.userName ?? m.supervisor?.phoneNumber)} ${MODE_NAMES[String(m.state)] ?? String(m.state ?? '')}`).join('; ') : '—'}</td>
      <td class="buttons">
        {dn &&
          MONITOR_MODES.map((m) => (
            <button
              key={m.operationName}
              type="button"
              disabled={!canMonitor}
              title={canMonitor ? `${m.label} ${name}${onCall ? ' now' : choice.span === 'AllCalls' ? ' on every call' : ' on the next call'}` : NEEDS_SESSION}
              onClick={() => arm(m.operationName, dn, choice, onCall ? `${m.label}: joining ${name}'s call` : `${m.label}: armed for ${choice.span === 'AllCalls' ? `all of ${name}'s calls` : `${name}'s next call`}`)}
            >
              {m.label}
            </button>
          ))}
      </td>
    </tr>
  );
}

function MonitoringPanel() {
  const state = device.value?.supervisorMonitoringState as Json | undefined;
  const call = monitoringCall.value;
  if (!state && !call) return null;
  const caps = new Set<string>((call?.value.capabilities as string[]) ?? []);
  const target = state ? String(state.targetPhoneNumber ?? team.value.find((r) => state.targetDeviceUri && String(state.targetDeviceUri).endsWith(`/${r.value.device?.id}`))?.value.device?.phoneNumber ?? '') : '';
  const run = (operationName: string) =>
    void act(() => post(callPath(call!.value.id), { operationName })).then(() => call && refreshHearing(String(call.value.id)));
  const hear = hearing.value;
  return (
    <section aria-labelledby="monitoring-heading" class="monitoring">
      <h3 id="monitoring-heading">Monitoring</h3>
      {state && (
        <p>
          {MODE_NAMES[String(state.state)] ?? String(state.state)} · {target ? nameOf(target) : ''} · {state.mode === 'NextCall' ? 'next call' : 'all calls'} · scope {String(state.scope).toLowerCase()}
        </p>
      )}
      {call && <p>On the call ({String(call.value.state)}){call.value.monitoredUserMuted ? ' · agent muted for the customer' : ''}</p>}
      <div class="buttons">
        {call &&
          Object.entries(MONITORING_BUTTONS)
            .filter(([op]) => caps.has(op))
            .map(([op, label]) => (
              <button key={op} type="button" onClick={() => run(op)}>
                {label}
              </button>
            ))}
        {state && (
          <button type="button" class="danger" onClick={() => void act(() => post(devicePath(), { operationName: 'CancelSupervisorMonitoring' }), 'Monitoring stopped')}>
            Stop monitoring
          </button>
        )}
      </div>
      {call && hear && hear.callUuid === call.value.id && <HearingGraph parties={hear.parties} nameOf={nameOf} shortNameOf={shortNameOf} />}
    </section>
  );
}

function RoutingPointPanel({ choice, canMonitor }: { choice: MonitorChoice; canMonitor: boolean }) {
  const points = routingPoints.value;
  return (
    <section aria-labelledby="routing-heading" class="routing">
      <h3 id="routing-heading">Routing points</h3>
      {points.length === 0 ? (
        <p>No routing point distributes to your groups.</p>
      ) : (
        <table class="routing-table">
          <caption>Calls waiting at your routing points</caption>
          <thead>
            <tr>
              <th scope="col">Routing point</th>
              <th scope="col">Calls waiting</th>
              <th scope="col">Longest wait</th>
              <th scope="col">Callers</th>
              <th scope="col">Monitor</th>
            </tr>
          </thead>
          <tbody>
            {points.map((r) => {
              const point = r.value;
              const dn = String(point.phoneNumber);
              const waiting = (point.calls as Json[]) ?? [];
              return (
                <tr key={String(point.id)} data-routing-point={dn}>
                  <th scope="row">{dn}</th>
                  <td class="number">{String(point.callsWaiting)}</td>
                  <td class="number">{waiting.length ? formatSeconds(ticking(point.longestWait, r.at)) : '—'}</td>
                  <td>{waiting.length ? waiting.map((c) => String(c.ani ?? c.callUuid)).join(', ') : '—'}</td>
                  <td class="buttons">
                    <button type="button" disabled={!canMonitor} title={canMonitor ? `Listen on routing point ${dn}` : NEEDS_SESSION} onClick={() => arm('ListenIn', dn, { span: choice.span, scope: 'Call' }, `Listening on routing point ${dn}`)}>
                      Listen
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function TeamView() {
  const [choice, setChoice] = useState<MonitorChoice>({ span: 'AllCalls', scope: 'Call' });
  const sessionStarted = device.value?.deviceState === 'Active';
  return (
    <section aria-labelledby="team-heading" class="team">
      <h2 id="team-heading">Team of {String(user.value?.userName)}</h2>
      {!sessionStarted && device.value && (
        <p>
          Start your voice session to monitor:{' '}
          <button type="button" onClick={() => void act(() => post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }))}>
            Start voice session
          </button>
        </p>
      )}
      <div class="choices">
        <ChoiceGroup legend="Monitor" name="span" value={choice.span} options={[['NextCall', 'Next call'], ['AllCalls', 'All calls']]} onChange={(span) => setChoice({ ...choice, span })} />
        <ChoiceGroup legend="Scope" name="scope" value={choice.scope} options={[['Agent', 'Agent'], ['Call', 'Call']]} onChange={(scope) => setChoice({ ...choice, scope })} />
      </div>
      <MonitoringPanel />
      <table class="team-table">
        <caption>Agents of your groups</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">DN</th>
            <th scope="col">State</th>
            <th scope="col">Time in state</th>
            <th scope="col">Call</th>
            <th scope="col">Monitored by</th>
            <th scope="col">Monitor</th>
          </tr>
        </thead>
        <tbody>
          {team.value.map((r) => (
            <AgentRow key={String(r.value.id)} received={r} choice={choice} canMonitor={sessionStarted} />
          ))}
        </tbody>
      </table>
      <RoutingPointPanel choice={choice} canMonitor={sessionStarted} />
    </section>
  );
}
