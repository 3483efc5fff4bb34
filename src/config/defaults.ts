/**
 * Defaults of the contact-center settings and features, used by the demo and by the configuration
 * loader (a file's partial settings are merged over these). Each call returns a fresh object.
 */
import type { ContactCenterSettings, SipSettings } from '../switch/model.js';
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
    sip: defaultSipSettings(),
  };
}

/** The SIP settings of a contact center with none given: nailed-up phones, unregistered DNs simulated, silent hold, no trunks. */
export function defaultSipSettings(): SipSettings {
  return { agentPhoneMode: 'nailedUp', unregisteredDevices: 'simulate', holdAudio: 'silence', trunks: [] };
}

/** The SIP settings in force for `settings` (stored settings written before SIP existed have none). */
export function sipSettingsOf(settings: ContactCenterSettings | undefined): SipSettings {
  return settings?.sip ?? defaultSipSettings();
}
