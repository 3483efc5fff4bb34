/**
 * The last-resort process handlers: an exception nobody caught ('uncaughtException') or a rejected
 * promise nobody handled ('unhandledRejection') is logged and the process keeps serving.
 *
 * This is a backstop, not the mechanism. Every entry point that can throw — timers, socket and
 * server callbacks, the upgrade handler, the switch's command door, route handlers — catches its own
 * failures and answers what it can (a GWS envelope, a Bayeux error, a SIP response). Reaching this
 * handler means one of them missed a case: the log line says so ("BUG"), with the error, so it can
 * be fixed there. Staying up is the lesser evil for a contact center (every agent's calls and
 * notifications live in this process), at the price that the failed operation's state may be half
 * done. Guarantees: installing twice installs once; the handlers never throw themselves.
 */

export interface BackstopLog {
  error(o: object, msg: string): void;
}

const INSTALLED = Symbol.for('switchboard.processBackstop');

/** Install the handlers on `proc` (the process); returns a function that removes them. */
export function installProcessBackstop(proc: NodeJS.Process, log: BackstopLog): () => void {
  const marked = proc as NodeJS.Process & { [INSTALLED]?: () => void };
  const existing = marked[INSTALLED];
  if (existing) return existing;
  const report = (kind: string, err: unknown): void => {
    try {
      log.error({ err, kind }, `BUG: ${kind} reached the process backstop; the process stays up (fix the entry point that let it through)`);
    } catch {
      // a failing logger must not turn the backstop into a crash
    }
  };
  const onException = (err: unknown): void => report('uncaughtException', err);
  const onRejection = (reason: unknown): void => report('unhandledRejection', reason);
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  const remove = (): void => {
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
    delete marked[INSTALLED];
  };
  marked[INSTALLED] = remove;
  return remove;
}
