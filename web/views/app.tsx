/**
 * The console's shell: the sign-in form until signed in; then the header (who, the views, "Sign
 * out"), the "reconnecting" banner while CometD cannot reach the server, the notice of the last
 * action (the server's message on failure), and the chosen view. Supervisors get the Team and Audit
 * views besides their own agent view. "Sign out" with a call in progress asks first: signing out
 * ends the voice session (and any monitoring) while the call goes on.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { act, calls, connection, isSupervisor, notice, signOut, starting, user, view } from '../store.js';
import type { View } from '../store.js';
import { AgentView } from './agent.js';
import { AuditView } from './audit.js';
import { SignIn } from './sign-in.js';
import { TeamView } from './team.js';

const VIEWS: readonly { id: View; label: string; supervisorsOnly: boolean }[] = [
  { id: 'agent', label: 'Agent', supervisorsOnly: false },
  { id: 'team', label: 'Team', supervisorsOnly: true },
  { id: 'audit', label: 'Audit', supervisorsOnly: true },
];

const VIEW_COMPONENTS: Record<View, () => preact.JSX.Element> = { agent: AgentView, team: TeamView, audit: AuditView };

/** "Sign out": at once without calls; with a call in progress, only once the user says so again. */
function SignOut() {
  const [asking, setAsking] = useState(false);
  // the question takes the focus (an alert dialog), on the answer that changes nothing
  const stay = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (asking) stay.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <button type="button" onClick={() => (calls.value.length > 0 ? setAsking(true) : void act(signOut))}>
        Sign out
      </button>
    );
  return (
    <div role="alertdialog" aria-labelledby="sign-out-question" class="sign-out-question">
      <p id="sign-out-question">You have a call in progress. Signing out ends your voice session and any monitoring, and the call goes on without you here.</p>
      <button type="button" class="danger" onClick={() => void act(signOut)}>
        Sign out anyway
      </button>
      <button type="button" ref={stay} onClick={() => setAsking(false)}>
        Stay signed in
      </button>
    </div>
  );
}

export function App() {
  if (starting.value) return <main aria-busy="true" />;
  const u = user.value;
  if (!u) return <SignIn />;
  const views = VIEWS.filter((v) => !v.supervisorsOnly || isSupervisor.value);
  const current = views.some((v) => v.id === view.value) ? view.value : 'agent';
  const Current = VIEW_COMPONENTS[current];
  const message = notice.value;
  return (
    <>
      <header class="top">
        <h1>Switchboard console</h1>
        <nav aria-label="Views">
          {views.map((v) => (
            <button key={v.id} type="button" aria-current={current === v.id ? 'page' : undefined} onClick={() => (view.value = v.id)}>
              {v.label}
            </button>
          ))}
        </nav>
        <p class="who">
          {String(u.firstName ?? '')} {String(u.lastName ?? '')} ({String(u.userName)}){isSupervisor.value ? ' · supervisor' : ''}
        </p>
        <SignOut />
      </header>
      {(connection.value === 'reconnecting' || connection.value === 'connecting') && (
        <div class="banner" role="alert">
          {connection.value === 'reconnecting' ? 'Connection to the server lost: reconnecting…' : 'Connecting…'}
        </div>
      )}
      <div class={`notice ${message?.kind ?? ''}`} role="status" aria-live="polite">
        {message?.text ?? ''}
      </div>
      <main>
        <Current />
      </main>
    </>
  );
}
