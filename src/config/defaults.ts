/**
 * Defaults of the contact-center settings and features, used by the demo and by the configuration
 * loader (a file's partial settings are merged over these). Each call returns a fresh object.
 */
import type { ContactCenterSettings } from '../switch/model.js';
import { ALL_FEATURES } from '../store/port.js';

/** Every feature Switchboard knows, on. */
export const DEFAULT_FEATURES: readonly string[] = Object.freeze([...ALL_FEATURES]);

export function defaultContactCenterSettings(): ContactCenterSettings {
  return {
    wrapUpTime: 0,
    afterWrapUp: 'Ready',
    externalAnswerDelayMs: 1000,
    ringNoAnswerMs: 0,
    supervision: {
      intrusion: true,
      autoAnswer: true,
      maxSupervisorsPerAgent: 1,
      notifyAgent: 'always',
    },
  };
}
