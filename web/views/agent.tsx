/**
 * The agent view: the voice session, the state selector (Ready, Not ready and its reasons from
 * GET /api/v2/settings/agent-states, After-call work), the dial box and the current calls, each
 * with its state, other party, ticking duration, user data (edited with UpdateUserData and
 * DeleteUserDataPair where the call allows them), a supervisor indicator (as the
 * contact center's notifyAgent policy lets the server show it) and the buttons of its capabilities.
 */
import { useEffect, useState } from 'preact/hooks';
import { callPath, post } from '../api.js';
import type { Json } from '../api.js';
import { CALL_BUTTONS, STATE_LABELS } from '../labels.js';
import type { Needs } from '../labels.js';
import type { Received } from '../store.js';
import { act, agentStates, calls, device, formatSeconds, supervisorNumbers, ticking } from '../store.js';

/** what the call's box adds to an operation's body, by what the button needs */
const PARAMETER_BODY: Readonly<Record<Needs, (value: string) => Json>> = {
  nothing: () => ({}),
  destination: (value) => ({ destination: { phoneNumber: value } }),
  digits: (value) => ({ digits: value }),
  participant: (value) => ({ participant: value }),
};

const devicePath = () => `/api/v2/me/devices/${encodeURIComponent(String(device.value?.id))}`;

/** the option of the state selector that shows the device's userState */
function currentState(userState: Json | undefined): string {
  if (!userState || userState.state === 'LoggedOut') return '';
  const byId = agentStates.value.find((s) => s.id !== undefined && s.id === userState.id);
  if (byId) return String(byId.operationName);
  const byState = agentStates.value.find((s) => s.state === userState.state && (s.workMode ?? undefined) === (userState.workMode ?? undefined) && !s.reason);
  return byState ? String(byState.operationName) : '';
}

/**
 * The state selector. Choosing in the list only picks a state; **Set** (or Enter in the list)
 * sends it, so that arrowing through the list with the keyboard does not make the agent Ready, or
 * Not ready for every reason passed on the way. The list shows the device's state, except while
 * the agent has picked another and not set it yet; after a refused or failed change, the device's
 * state again.
 */
function StateSelector() {
  const userState = device.value?.userState as Json | undefined;
  const value = currentState(userState);
  // what the agent picked and has not seen take effect yet; null: the list shows the device's state
  const [picked, setPicked] = useState<string | null>(null);
  useEffect(() => {
    if (picked !== null && picked === value) setPicked(null);
  }, [value]);
  // the pick that Set would send: a state other than the device's
  const toSet = picked !== null && picked !== '' && picked !== value ? picked : undefined;
  const set = (e: Event) => {
    e.preventDefault();
    if (toSet === undefined) return;
    void act(() => post('/api/v2/me/channels/voice', { operationName: toSet })).then((ok) => !ok && setPicked(null));
  };
  return (
    <form class="state" onSubmit={set}>
      <label>
        State
        <select value={picked ?? value} onChange={(e) => setPicked((e.currentTarget as HTMLSelectElement).value)} onKeyDown={(e) => e.key === 'Enter' && set(e)}>
          {value === '' && <option value="">{String(userState?.displayName ?? 'Logged Out')}</option>}
          {agentStates.value.map((s) => (
            <option key={String(s.operationName)} value={String(s.operationName)}>
              {s.reason ? `Not ready: ${String(s.displayName)}` : (STATE_LABELS[String(s.operationName)] ?? String(s.displayName))}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={toSet === undefined}>
        Set
      </button>
    </form>
  );
}

function DialBox() {
  const [number, setNumber] = useState('');
  const dial = (e: Event) => {
    e.preventDefault();
    const phoneNumber = number.trim();
    if (!phoneNumber) return;
    void act(() => post(`${devicePath()}/calls`, { operationName: 'Dial', destination: { phoneNumber } })).then((ok) => ok && setNumber(''));
  };
  return (
    <form class="dial" onSubmit={dial}>
      <label>
        Number to dial
        <input value={number} onInput={(e) => setNumber((e.currentTarget as HTMLInputElement).value)} inputMode="tel" />
      </label>
      <button type="submit">Dial</button>
    </form>
  );
}

function otherParty(call: Json): string {
  const numbers = ((call.participants as Json[]) ?? []).map((p) => String(p.phoneNumber));
  return numbers.length ? numbers.join(', ') : String(call.dnis ?? '');
}

/**
 * What the agent is told of a supervisor on this call, as far as notifyAgent lets the server show
 * it: `supervisorListeningIn`, or a supervisor among the participants (Coach, BargeIn).
 */
function supervisorShown(call: Json): string | undefined {
  const present = ((call.participants as Json[]) ?? []).map((p) => supervisorNumbers.value.get(String(p.phoneNumber))).find(Boolean);
  if (present) return `A supervisor, ${present}, is on this call (coaching or barged in)`;
  if (call.supervisorListeningIn === true) return 'A supervisor is listening in';
  return undefined;
}

/**
 * The call's user data, editable where the call's capabilities allow: "Save data" sends
 * UpdateUserData with one key and value (added, or replacing the key's value), and each key's
 * "Remove" DeleteUserDataPair. The list itself is always the server's, from the call's notifications.
 */
function UserData({ call, caps }: { call: Json; caps: ReadonlySet<string> }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const entries = Object.entries((call.userData as Json) ?? {});
  const path = callPath(call.id);
  const save = (e: Event) => {
    e.preventDefault();
    void act(() => post(path, { operationName: 'UpdateUserData', userData: { [key.trim()]: value } })).then((ok) => {
      if (!ok) return;
      setKey('');
      setValue('');
    });
  };
  return (
    <>
      {entries.length > 0 && (
        <dl class="user-data" aria-label="User data">
          {entries.map(([name, data]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>
                {String(data)}
                {caps.has('DeleteUserDataPair') && (
                  <button type="button" class="small" aria-label={`Remove ${name}`} onClick={() => void act(() => post(path, { operationName: 'DeleteUserDataPair', key: name }))}>
                    Remove
                  </button>
                )}
              </dd>
            </div>
          ))}
        </dl>
      )}
      {caps.has('UpdateUserData') && (
        <form class="user-data-form" aria-label="Edit user data" onSubmit={save}>
          <label>
            Key
            <input value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            Value
            <input value={value} onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <button type="submit" disabled={key.trim() === ''}>
            Save data
          </button>
        </form>
      )}
    </>
  );
}

function CallCard({ received }: { received: Received }) {
  const call = received.value;
  const [parameter, setParameter] = useState('');
  // the buttons wait for the answer and the call's next notification (or a second) after a click,
  // so a double click sends one operation, not a second one the server must refuse
  const [sentAt, setSentAt] = useState<number | null>(null);
  const busy = sentAt !== null && sentAt === received.at;
  const caps = new Set<string>((call.capabilities as string[]) ?? []);
  const other = otherParty(call);
  const recording = String(call.recordingState ?? '').toLowerCase();
  const run = (operationName: string, needs: Needs) => {
    const body: Json = { operationName, ...PARAMETER_BODY[needs](parameter.trim()) };
    if (busy) return;
    const at = received.at;
    setSentAt(at);
    void act(() => post(callPath(call.id), body)).then((ok) => {
      if (!ok) return setSentAt(null);
      // digits sent, or a number transferred to: the box is ready for the next one
      if (needs !== 'nothing') setParameter('');
      setTimeout(() => setSentAt((sent) => (sent === at ? null : sent)), 1000);
    });
  };
  const needsParameter = Object.entries(CALL_BUTTONS).some(([op, b]) => caps.has(op) && b.needs !== 'nothing');
  const parameterId = `call-parameter-${call.id}`;
  return (
    <li class="call">
      <article aria-label={`Call with ${other}`}>
        <h3>
          {other} <span class={`call-state ${String(call.state).toLowerCase()}`}>{String(call.state)}</span>
        </h3>
        <p class="call-meta">
          {String(call.callType)} · <span aria-label="Duration">{formatSeconds(ticking(call.duration, received.at))}</span>
          {call.mute === 'On' && ' · muted'}
          {recording && (recording === 'recording' ? ' · recording' : ` · recording ${recording}`)}
        </p>
        {supervisorShown(call) && (
          <p class="supervisor-indicator" role="status">
            {supervisorShown(call)}
          </p>
        )}
        <UserData call={call} caps={caps} />
        {needsParameter && (
          <label for={parameterId} class="parameter">
            Number or digits
            <input id={parameterId} value={parameter} onInput={(e) => setParameter((e.currentTarget as HTMLInputElement).value)} />
          </label>
        )}
        <div class="buttons">
          {Object.entries(CALL_BUTTONS)
            .filter(([op]) => caps.has(op))
            .map(([op, b]) => (
              <button key={op} type="button" onClick={() => run(op, b.needs)} disabled={busy || (b.needs !== 'nothing' && parameter.trim() === '')}>
                {b.label}
              </button>
            ))}
        </div>
      </article>
    </li>
  );
}

export function AgentView() {
  const d = device.value;
  const own = calls.value.filter((c) => c.value.monitoring !== true);
  return (
    <section aria-labelledby="agent-heading" class="agent">
      <h2 id="agent-heading">Agent</h2>
      {!d && <p>You have no voice device: ask an administrator for an extension.</p>}
      {d && (
        <>
          <p class="device">
            Extension <strong>{String(d.phoneNumber)}</strong> · voice session {d.deviceState === 'Active' ? 'started' : 'not started'}
            {d.doNotDisturb === 'On' && ' · do not disturb'}
          </p>
          {d.deviceState !== 'Active' ? (
            <button type="button" onClick={() => void act(() => post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }))}>
              Start voice session
            </button>
          ) : (
            <StateSelector />
          )}
          <DialBox />
          <h3 id="calls-heading">Calls</h3>
          {own.length === 0 ? (
            <p>No calls.</p>
          ) : (
            <ul class="calls" aria-labelledby="calls-heading">
              {own.map((c) => (
                <CallCard key={String(c.value.id)} received={c} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
