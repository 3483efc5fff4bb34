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

/** Defaults of the SIP endpoints' server-wide options (config `sip.*`, docs/telephony.md "B2BUA and GWS mapping"). */
export const SIP_ENDPOINT_DEFAULTS = Object.freeze({
  /** new INVITEs one source address may send per second before 503 + Retry-After */
  invitesPerSecondPerSource: 20,
  /** how often established dialogs are probed with in-dialog OPTIONS, ms (0 = never) */
  keepaliveMs: 30_000,
  /** how long a per-call or trunk INVITE may ring before it is cancelled, ms */
  inviteTimeoutMs: 60_000,
});

/** The SIP settings in force for `settings` (stored settings written before SIP existed have none). */
export function sipSettingsOf(settings: ContactCenterSettings | undefined): SipSettings {
  return settings?.sip ?? defaultSipSettings();
}
