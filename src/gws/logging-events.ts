/**
 * One info line per switch fact an operator follows: each call event ("call event": callUuid, dn,
 * user, notificationType, the dn's leg state), each agent-state change ("agent state": dn, user,
 * state, workMode, reason) and each supervision event ("supervision event": event, supervisor and
 * target DNs, mode, scope, reason). Media events and device changes that are not agent-state
 * changes are not logged. Subscribed to the switch beside the notifier; never throws into it; at a
 * level above info nothing of a line is built.
 */
import type { CallEvent, DeviceEvent, MediaEvent, MonitorEvent, SwitchEvent } from '../switch/model.js';

export interface InfoLog {
  info(fields: object, message: string): void;
  /** pino's: when it says info is off, no line's fields are built (asked per event: levels can change) */
  isLevelEnabled?(level: string): boolean;
}

type LineOf<E> = (event: E) => { fields: object; message: string } | undefined;

const LINES: { [K in SwitchEvent['kind']]: LineOf<Extract<SwitchEvent, { kind: K }>> } = {
  call: (e: CallEvent) => ({
    message: 'call event',
    fields: { callUuid: e.callUuid, dn: e.dn, userId: e.userId, notificationType: e.notificationType, state: e.view.state, errorCode: e.errorCode },
  }),
  device: (e: DeviceEvent) =>
    e.agentStateChanged
      ? {
          message: 'agent state',
          fields: { dn: e.dn, userId: e.userId, state: e.view.agentState.state, workMode: e.view.agentState.workMode, reason: e.view.agentState.reason },
        }
      : undefined,
  monitor: (e: MonitorEvent) => ({
    message: 'supervision event',
    fields: { event: e.event, supervisorDn: e.supervisorDn, targetDn: e.targetDn, agentDn: e.agentDn, callUuid: e.callUuid, mode: e.mode, scope: e.scope, reason: e.reason },
  }),
  media: (_e: MediaEvent) => undefined,
};

/** The listener to give `SwitchPort.onEvent`. */
export function switchEventLogger(log: InfoLog): (event: SwitchEvent) => void {
  return (event) => {
    try {
      if (log.isLevelEnabled?.('info') === false) return;
      const line = (LINES[event.kind] as LineOf<SwitchEvent>)(event);
      if (line) log.info(line.fields, line.message);
    } catch {
      // a log sink failure must not reach the switch's listeners
    }
  };
}
