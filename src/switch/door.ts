/**
 * The one door of the call model. Every change to switch state enters here: a REST command, a
 * timer, the simulation API, or a fact from an endpoint (SIP/RTP events, simulated answers).
 *
 * Rules this file guarantees (a change must keep them):
 *   1. One command at a time. A command runs to completion before the next one starts; a fact that
 *      arrives while a command runs (an endpoint answering synchronously inside an effect) waits in
 *      a queue and runs right after the command's own work, inside the same command (a fact fed
 *      during the settle runs too, and the command settles again).
 *   2. A port command entered while another command runs is refused (InvalidState), never nested.
 *   3. One emission at the end. Events produced during a command (call views, device views, audit
 *      facts, media changes) are kept in the order they were produced and delivered to listeners
 *      only once the command (settle included) is complete.
 *   4. No exception leaves the door. A throwing command is logged through the injected log and
 *      answered as an Internal failure Result; the switch still settles, so what is emitted equals
 *      what a GET returns. A throwing listener is logged and the other listeners still get the event.
 *   5. Events produced by a listener's own command are delivered after the current ones, in order.
 */
import { ErrorCode, fail } from '../errors.js';
import type { Result } from '../errors.js';
import type { SwitchEvent } from './model.js';

/** Where the switch reports what went wrong inside it (the app passes its logger). */
export interface SwitchLog {
  error(o: object, msg?: string): void;
}

export const silentLog: SwitchLog = { error: () => undefined };

export type SwitchListener = (e: SwitchEvent) => void;

export class CommandDoor {
  private running = false;
  private readonly queued: { name: string; fn: () => void }[] = [];
  private outbox: SwitchEvent[] = [];
  private delivering = false;
  private listeners: SwitchListener[] = [];

  /**
   * settle: what ends every command (route queued calls, render what changed); it receives
   * whether the command asked for routing.
   */
  constructor(
    private readonly settle: (route: boolean) => void,
    private readonly log: SwitchLog,
  ) {}

  get busy(): boolean {
    return this.running;
  }

  onEvent(listener: SwitchListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== listener);
    };
  }

  /** Record an event; delivered at the end of the current command (at once outside one). */
  emit(e: SwitchEvent): void {
    this.outbox.push(e);
    if (!this.running) this.deliver();
  }

  /** Run one command through the door (rules 1–4). `route: false` skips routing queued calls. */
  run<T>(name: string, fn: () => Result<T>, options: { route?: boolean } = {}): Result<T> {
    if (this.running) {
      this.log.error({ command: name }, 'switch command refused: another command is running');
      return fail(ErrorCode.InvalidState, `${name} cannot start while another switch command is running; retry`);
    }
    this.running = true;
    let result: Result<T>;
    try {
      result = this.guard(name, fn);
      // facts fed by effects of the settle itself (routing offers a call to a leg whose endpoint
      // refuses it at once) run inside this command too, followed by another settle
      do {
        this.drainQueued();
        this.settleGuarded(name, options.route ?? true);
      } while (this.queued.length > 0);
    } finally {
      this.running = false;
    }
    this.deliver();
    return result;
  }

  /**
   * A fact or timer: queued behind the running command, or run as a command of its own.
   * Its outcome has nobody to answer to, so a failure is logged only.
   */
  submit(name: string, fn: () => void): void {
    if (this.running) {
      this.queued.push({ name, fn });
      return;
    }
    this.run(name, () => {
      fn();
      return { ok: true, value: undefined };
    });
  }

  private guard<T>(name: string, fn: () => Result<T>): Result<T> {
    try {
      return fn();
    } catch (err) {
      this.logFailure(name, err);
      return fail(ErrorCode.Internal, `The switch could not complete ${name}: internal error (logged)`);
    }
  }

  /** the settle of a command, guarded as a command (rule 4); no closure per command */
  private settleGuarded(name: string, route: boolean): void {
    try {
      this.settle(route);
    } catch (err) {
      this.logFailure(`${name} (settle)`, err);
    }
  }

  /** the one log line of a command that threw (rule 4) */
  private logFailure(command: string, err: unknown): void {
    this.log.error({ err, command }, 'switch command failed');
  }

  private drainQueued(): void {
    while (this.queued.length) {
      const next = this.queued.shift()!;
      this.guard(next.name, () => {
        next.fn();
        return { ok: true, value: undefined };
      });
    }
  }

  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.outbox.length) {
        const batch = this.outbox;
        this.outbox = [];
        for (const e of batch) {
          for (const listener of this.listeners) {
            try {
              listener(e);
            } catch (err) {
              this.log.error({ err, event: e.kind }, 'switch event listener failed');
            }
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}
