/**
 * Why a request that was accepted failed afterwards: each cause has the errorCode and errorMessage
 * of the CallStateChangeMessage (notificationType Error) the user receives. Codes are
 * Switchboard's own (GWS documents none); see docs/compatibility.md.
 */
export const FailureCause = {
  UnknownDestination: 'UnknownDestination',
  DestinationBusy: 'DestinationBusy',
  DoNotDisturb: 'DoNotDisturb',
  NoAnswer: 'NoAnswer',
  Rejected: 'Rejected',
  PartyHungUp: 'PartyHungUp',
  ForwardLoop: 'ForwardLoop',
  Unavailable: 'Unavailable',
} as const;
export type FailureCause = (typeof FailureCause)[keyof typeof FailureCause];

export const FAILURES: Readonly<Record<FailureCause, { errorCode: number; message: (n: string) => string }>> = {
  UnknownDestination: { errorCode: 1001, message: (n) => `Destination ${n} does not exist` },
  DestinationBusy: { errorCode: 1002, message: (n) => `Destination ${n} is busy` },
  DoNotDisturb: { errorCode: 1003, message: (n) => `Destination ${n} is in Do Not Disturb` },
  NoAnswer: { errorCode: 1004, message: (n) => `Destination ${n} did not answer` },
  Rejected: { errorCode: 1005, message: (n) => `Destination ${n} rejected the call` },
  PartyHungUp: { errorCode: 1006, message: (n) => `Party ${n} hung up during the operation` },
  ForwardLoop: { errorCode: 1007, message: (n) => `Forwarding from ${n} loops` },
  // an extension that can be reached only through a phone, and has none (sip.unregisteredDevices "unavailable")
  Unavailable: { errorCode: 1008, message: (n) => `Destination ${n} is unavailable (no phone registered)` },
};
