/**
 * The one table of the console's buttons: each GWS capability (operationName) with the accessible
 * name of the button that sends it, and what parameter it needs. Buttons are generated from a
 * call's or device's `capabilities` through this table only, so an operation the server does not
 * offer now is never shown.
 */

/** what a button takes from the call's "Number or digits" box: nothing, a destination number, DTMF digits, or a participant's number */
export type Needs = 'nothing' | 'destination' | 'digits' | 'participant';

export interface CallButton {
  label: string;
  needs: Needs;
}

/** call operations shown on an agent's call, in display order */
export const CALL_BUTTONS: Readonly<Record<string, CallButton>> = {
  Answer: { label: 'Answer', needs: 'nothing' },
  Reject: { label: 'Reject', needs: 'nothing' },
  Hangup: { label: 'Hang up', needs: 'nothing' },
  Hold: { label: 'Hold', needs: 'nothing' },
  Retrieve: { label: 'Retrieve', needs: 'nothing' },
  InitiateTransfer: { label: 'Transfer', needs: 'destination' },
  InitiateConference: { label: 'Conference', needs: 'destination' },
  SingleStepTransfer: { label: 'Blind transfer', needs: 'destination' },
  SingleStepConference: { label: 'Add to conference', needs: 'destination' },
  CompleteTransfer: { label: 'Complete transfer', needs: 'nothing' },
  CompleteConference: { label: 'Complete conference', needs: 'nothing' },
  RemoveParticipantFromConference: { label: 'Remove from conference', needs: 'participant' },
  SwapCalls: { label: 'Swap calls', needs: 'nothing' },
  SendDtmf: { label: 'Send DTMF', needs: 'digits' },
  MuteCall: { label: 'Mute', needs: 'nothing' },
  UnmuteCall: { label: 'Unmute', needs: 'nothing' },
  StartCallRecording: { label: 'Start recording', needs: 'nothing' },
  StopCallRecording: { label: 'Stop recording', needs: 'nothing' },
};

/** operations on the supervisor's own monitoring call, in display order */
export const MONITORING_BUTTONS: Readonly<Record<string, string>> = {
  // the supervisor's own leg (supervision.md 3, 4): answer it when auto-answer is off, leave it, mute oneself
  Answer: 'Answer',
  SwitchToListenIn: 'Switch to listen',
  SwitchToCoach: 'Switch to coach',
  SwitchToBargeIn: 'Switch to barge-in',
  MuteMonitoredUser: 'Mute agent',
  UnmuteMonitoredUser: 'Unmute agent',
  MuteCall: 'Mute myself',
  UnmuteCall: 'Unmute myself',
  Hangup: 'Leave the call',
};

/** the three ways to monitor, as the Team table's buttons name them */
export const MONITOR_MODES: readonly { operationName: string; label: string }[] = [
  { operationName: 'ListenIn', label: 'Listen' },
  { operationName: 'Coach', label: 'Coach' },
  { operationName: 'BargeIn', label: 'Barge in' },
];

/** how a monitoring state is said in the Team table */
export const MODE_NAMES: Readonly<Record<string, string>> = { ListenIn: 'listening', Coach: 'coaching', BargeIn: 'barged in' };

/** the system agent states as the state selector names them (custom states keep their displayName) */
export const STATE_LABELS: Readonly<Record<string, string>> = {
  Ready: 'Ready',
  NotReady: 'Not ready',
  AfterCallWork: 'After-call work',
  AuxWork: 'Not ready: other work',
};
