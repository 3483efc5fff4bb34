/**
 * Switch events → CometD notifications for the user who has the event's DN (gws-voice-api.md 2):
 * DeviceEvent → DeviceStateChangeMessage on /v2/me/devices (and ChannelStateChangeMessageV2 on
 * /v2/me/channels when the agent state or DND changed); CallEvent → CallStateChangeMessage on
 * /v2/me/calls. Each message is rendered from the view the event carries (computed at emit time),
 * never re-queried; each message is built once for its one recipient, and the participant
 * objects are shared (present.ts presentParticipant: one frozen object per number). Device and
 * voice channel messages carry their JSON text, written from kept fragments (notification-text.ts),
 * and call messages theirs, from the segments kept per leg or with each participant serialised
 * once (call-text.ts), so Bayeux does not serialise them again. The
 * recipient is the user the event names (its userId: who was logged in at the DN when it
 * happened), else the device's owner (a DN with no session still rings). A failure here is logged
 * and never reaches the switch.
 */
import type { CallEvent, DeviceEvent, SwitchEvent } from '../switch/model.js';
import { principalOf } from './context.js';
import type { Directory } from './directory.js';
import type { Json, PresentDeps } from './present.js';
import { presentCall, presentDevice, presentVoiceChannel } from './present.js';
import { channelMessage, deviceMessage } from './notification-text.js';
import { CallTexts } from './call-text.js';
import { withJsonText } from '../bayeux/json-text.js';

export interface Publisher {
  publishToUser(userKey: string, channel: string, data: unknown): void;
  /**
   * Would a message to this user on this channel reach a session now (BayeuxServer.hasSubscriber)?
   * A cluster node's bus answers yes, since the user may be connected to another node; a publisher
   * without it (a test's) counts as yes too.
   */
  hasSubscriber?(userKey: string, channel: string): boolean;
}

export interface NotifierLog {
  error(o: object, msg?: string): void;
}

export const CHANNELS = { devices: '/v2/me/devices', channels: '/v2/me/channels', calls: '/v2/me/calls' } as const;

export class Notifier {
  /** each leg's last call text, kept in segments (call-text.ts) */
  private readonly callTexts = new CallTexts();

  constructor(
    private readonly deps: PresentDeps & { directory: Directory },
    private readonly out: Publisher,
    private readonly log: NotifierLog,
  ) {}

  /** the listener to give switch.onEvent */
  readonly onEvent = (e: SwitchEvent): void => {
    try {
      if (e.kind === 'device') this.device(e);
      else if (e.kind === 'call') this.call(e);
    } catch (err) {
      this.log.error({ err, event: { kind: e.kind, dn: 'dn' in e ? e.dn : undefined } }, 'notification failed');
    }
  };

  private target(dn: string, userId: string | undefined) {
    const device = this.deps.directory.deviceByDn(dn);
    const named = userId === undefined ? undefined : this.deps.directory.user(userId);
    const user = device && (named ?? this.deps.directory.ownerOf(device));
    const cc = user && this.deps.directory.center(user.contactCenterId);
    return device && user && cc ? { device, user, cc, who: principalOf(user, cc) } : undefined;
  }

  private device(e: DeviceEvent): void {
    const t = this.target(e.dn, e.userId);
    if (!t) return;
    this.out.publishToUser(t.user.id, CHANNELS.devices, deviceMessage(t.device, presentDevice(this.deps, t.cc, t.device, e.view, t.who)));
    if (e.agentStateChanged) this.out.publishToUser(t.user.id, CHANNELS.channels, channelMessage(presentVoiceChannel(t.cc, e.view)));
  }

  private call(e: CallEvent): void {
    const t = this.target(e.dn, e.userId);
    if (!t) return;
    const data: Json = {
      messageType: 'CallStateChangeMessage',
      notificationType: e.notificationType,
      phoneNumber: e.dn,
      call: presentCall(this.deps, e.dn, e.view, t.who),
    };
    if (e.extensions && Object.keys(e.extensions).length) data.extensions = e.extensions;
    if (e.notificationType === 'Error') {
      if (e.errorCode !== undefined) data.errorCode = e.errorCode;
      if (e.errorMessage !== undefined) data.errorMessage = e.errorMessage;
    }
    if (e.notificationType === 'DtmfSent' && e.digits !== undefined) data.digits = e.digits;
    const text = this.callTexts.text(t.device, data);
    this.out.publishToUser(t.user.id, CHANNELS.calls, text === undefined ? data : withJsonText(data, text));
  }
}
