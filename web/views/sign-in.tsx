/**
 * The sign-in form: "User name", "Password", "Sign in". A refusal shows the server's own
 * statusMessage (the notice region of the page); the password field is cleared after a failure.
 */
import { useRef, useState } from 'preact/hooks';
import { notice, signIn } from '../store.js';

export function SignIn() {
  const [busy, setBusy] = useState(false);
  const password = useRef<HTMLInputElement>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    const ok = await signIn(String(form.get('userName') ?? '').trim(), String(form.get('password') ?? ''));
    setBusy(false);
    if (!ok && password.current) {
      password.current.value = '';
      password.current.focus();
    }
  };
  const error = notice.value?.kind === 'error' ? notice.value.text : undefined;
  return (
    <main class="sign-in">
      <h1>Switchboard console</h1>
      <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        <label>
          User name
          <input name="userName" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" ref={password} required />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
