/**
 * Switch events → CometD notifications for the user who has the event's DN (gws-voice-api.md 2):
 * DeviceEvent → DeviceStateChangeMessage on /v2/me/devices (and ChannelStateChangeMessageV2 on
 * /v2/me/channels when the agent state or DND changed); CallEvent → CallStateChangeMessage on
 * /v2/me/calls. Each message is rendered from the view the event carries (computed at emit time),
 * never re-queried; each message is built once for its one recipient, and the participant
 * objects of one emission are shared by all its messages (built once per number, not once per
 * viewer). Device and voice channel messages carry their JSON text, written from kept fragments
 * (notification-text.ts), and call messages theirs, with each participant serialised once per
 * emission (call-text.ts), so Bayeux does not serialise them again. The
 * recipient is the user the event names (its userId: who was logged in at the DN when it
 * happened), else the device's owner (a DN with no session still rings). A failure here is logged
 * and never reaches the switch.
 */
import type { CallEvent, DeviceEvent, SwitchEvent } from '../switch/model.js';
import { principalOf } from './context.js';
import type { Directory } from './directory.js';
import type { Json, PresentDeps } from './present.js';
import { presentCall, presentDevice, presentParticipant, presentVoiceChannel } from './present.js';
import { channelMessage, deviceMessage } from './notification-text.js';
import { callMessageText } from './call-text.js';
import { withJsonText } from '../bayeux/json-text.js';
import { atJobEnd } from '../microtask.js';

export interface Publisher {
  publishToUser(userKey: string, channel: string, data: unknown): void;
}

export interface NotifierLog {
  error(o: object, msg?: string): void;
}

export const CHANNELS = { devices: '/v2/me/devices', channels: '/v2/me/channels', calls: '/v2/me/calls' } as const;

export class Notifier {
  /** participant objects of the current emission, one per number, and their JSON texts (forgotten in the next microtask) */
  private emission: Emission | undefined;

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

  /**
   * One participant object per number for all the messages of one emission (the door emits a
   * command's events synchronously; the directory does not change in between). Messages share these
   * objects and nobody mutates them: Bayeux serialises a message when it is published.
   */
  private readonly participantOf = (n: string): Json => {
    const objects = this.current().objects;
    let p = objects.get(n);
    if (!p) objects.set(n, (p = presentParticipant(this.deps.directory, n)));
    return p;
  };

  /** a participant's JSON text, written once per emission (call-text.ts splices it into every message that lists it) */
  private readonly participantText = (p: Json): string => {
    const texts = this.current().texts;
    let text = texts.get(p);
    if (text === undefined) texts.set(p, (text = JSON.stringify(p)));
    return text;
  };

  private current(): Emission {
    if (!this.emission) {
      const started: Emission = (this.emission = { objects: new Map(), texts: new Map() });
      atJobEnd(() => {
        if (this.emission === started) this.emission = undefined;
      });
    }
    return this.emission;
  }

  private call(e: CallEvent): void {
    const t = this.target(e.dn, e.userId);
    if (!t) return;
    const data: Json = {
      messageType: 'CallStateChangeMessage',
      notificationType: e.notificationType,
      phoneNumber: e.dn,
      call: presentCall(this.deps, e.dn, e.view, t.who, this.participantOf),
    };
    if (e.extensions && Object.keys(e.extensions).length) data.extensions = e.extensions;
    if (e.notificationType === 'Error') {
      if (e.errorCode !== undefined) data.errorCode = e.errorCode;
      if (e.errorMessage !== undefined) data.errorMessage = e.errorMessage;
    }
    if (e.notificationType === 'DtmfSent' && e.digits !== undefined) data.digits = e.digits;
    const text = callMessageText(data, this.participantText);
    this.out.publishToUser(t.user.id, CHANNELS.calls, text === undefined ? data : withJsonText(data, text));
  }
}

/** what one emission shares among its messages */
interface Emission {
  /** participant objects by number */
  objects: Map<string, Json>;
  /** their JSON texts, by object */
  texts: Map<Json, string>;
}
