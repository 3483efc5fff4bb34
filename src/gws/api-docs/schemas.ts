/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of what Switchboard answers and pushes:
 * the statusCode envelope, the resources (device, call, user, ...) and the CometD message shapes
 * (CallStateChangeMessage, DeviceStateChangeMessage, ...), with the CometD channels that carry them.
 *
 * Guarantees: enumerations come from the domain's own `as const` objects and the error catalogue
 * (src/errors.ts), never retyped; the schemas leave room for members added later (no
 * additionalProperties: false on answers) but name every member Switchboard sends today, and the
 * tests validate real answers and real notifications against them (test/api/openapi.test.ts), so a
 * presenter change that breaks a schema fails there.
 */
import { ERROR_TABLE, HTTP_STATUS_BY_STATUS_CODE } from '../../errors.js';
import { CallType, MonitorMode, MonitorScope, MonitorSpan, NotificationType, PartyState, RecordingState } from '../../switch/model.js';
import type { JsonSchema } from '../params.js';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const text = (description: string): JsonSchema => ({ type: 'string', description });
const onOff = (description: string): JsonSchema => ({ type: 'string', enum: ['On', 'Off'], description });
const values = (o: Record<string, string>, description: string): JsonSchema => ({ type: 'string', enum: Object.values(o), description });

/** every statusCode Switchboard answers: 0 and the catalogue's codes */
export const STATUS_CODES: readonly number[] = [0, ...new Set(Object.values(ERROR_TABLE).map((m) => m.statusCode))].sort((a, b) => a - b);

export const SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  StatusOk: {
    type: 'object',
    description: 'Every successful GWS answer: statusCode 0, and the members of the resource asked for',
    properties: { statusCode: { const: 0 } },
    required: ['statusCode'],
  },
  StatusError: {
    type: 'object',
    description: `A refusal. statusCode → HTTP status: ${STATUS_CODES.filter((c) => c !== 0)
      .map((c) => `${c} → ${HTTP_STATUS_BY_STATUS_CODE[c]}`)
      .join(', ')} (storage faults 12 and 13 with 503; 4 with 503 and Retry-After when a cluster node cannot reach its contact center's owner; see docs/compatibility.md)`,
    properties: {
      statusCode: { type: 'integer', enum: STATUS_CODES.filter((c) => c !== 0) },
      statusMessage: text('what went wrong and what to send instead'),
    },
    required: ['statusCode', 'statusMessage'],
    additionalProperties: false,
  },
  UserState: {
    type: 'object',
    properties: {
      id: text('the agent-state definition (GET /api/v2/settings/agent-states)'),
      displayName: text('for people'),
      state: { type: 'string', enum: ['LoggedOut', 'Ready', 'NotReady'] },
      workMode: { type: 'string', enum: ['ManualIn', 'AutoIn', 'AfterCallWork', 'AuxWork'] },
      reason: text('the NotReady reason'),
    },
    required: ['displayName', 'state'],
  },
  SupervisorMonitoringState: {
    type: 'object',
    description: 'present while monitoring is configured on the device',
    properties: {
      state: values(MonitorMode, 'what the supervisor does'),
      mode: values(MonitorSpan, 'supervisorMonitoringMode: NextCall or AllCalls'),
      scope: values(MonitorScope, 'supervisorMonitoringScope'),
      targetDeviceUri: text("the monitored agent's device"),
      targetPhoneNumber: text('the monitored routing point'),
    },
    required: ['state', 'mode', 'scope'],
  },
  Device: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      deviceState: { type: 'string', enum: ['Active', 'Inactive'], description: 'Active while a contact-center session is logged in on it' },
      userState: ref('UserState'),
      phoneNumber: text('the DN'),
      e164Number: { type: 'string' },
      telephonyNetwork: { type: 'string' },
      doNotDisturb: onOff('Do Not Disturb'),
      forwardTo: text('where calls are forwarded'),
      voiceEnvironmentUri: { type: 'string' },
      capabilities: { type: 'array', items: { type: 'string' }, description: 'the device operations possible now, for this caller' },
      channels: { type: 'array', items: { type: 'string' } },
      supervisorMonitoringState: ref('SupervisorMonitoringState'),
    },
    required: ['id', 'deviceState', 'userState', 'phoneNumber', 'doNotDisturb', 'capabilities'],
  },
  Participant: {
    type: 'object',
    properties: { phoneNumber: { type: 'string' }, digits: { type: 'string' }, formattedPhoneNumber: { type: 'string' }, e164Number: { type: 'string', description: 'empty for internal DNs' } },
    required: ['phoneNumber'],
  },
  Call: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      state: values(PartyState, "the caller's leg"),
      callUuid: { type: 'string' },
      connId: { type: 'string' },
      deviceUri: { type: 'string' },
      participants: { type: 'array', items: ref('Participant') },
      ani: { type: 'string' },
      dnis: { type: 'string' },
      callType: values(CallType, 'Internal, Inbound, Outbound or Consult'),
      capabilities: { type: 'array', items: { type: 'string' }, description: 'the call operations possible now, for this caller' },
      userData: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
      duration: text('seconds, as a string'),
      mute: onOff("the caller's own mute"),
      recordingState: values(RecordingState, 'present once recording started'),
      supervisorListeningIn: { type: 'boolean' },
      monitoredUserMuted: { type: 'boolean' },
      monitoring: { type: 'boolean', description: "whether this is a supervisor's monitoring leg" },
      parentCallUri: text('a consultation call: the call it consults from'),
      parentCallPath: { type: 'string' },
      uri: { type: 'string' },
      path: { type: 'string' },
    },
    required: ['id', 'state', 'callUuid', 'participants', 'callType', 'capabilities', 'uri'],
  },
  User: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      userName: { type: 'string' },
      firstName: { type: 'string' },
      lastName: { type: 'string' },
      emailAddress: { type: 'string' },
      roles: { type: 'array', items: { type: 'string' } },
      enabled: { type: 'boolean' },
      contactCenterId: { type: 'string' },
      settings: { type: 'object' },
      devices: { type: 'array', items: ref('Device'), description: 'with ?subresources=devices' },
      calls: { type: 'array', items: ref('Call'), description: 'with ?subresources=calls' },
      channels: { type: 'array', items: ref('VoiceChannel'), description: 'with ?subresources=channels' },
      features: { type: 'array', items: ref('Feature'), description: 'with ?subresources=features' },
      uri: { type: 'string' },
      path: { type: 'string' },
    },
    required: ['id', 'userName', 'roles', 'uri'],
  },
  VoiceChannel: {
    type: 'object',
    properties: { channel: { const: 'voice' }, userState: ref('UserState'), dndState: onOff('Do Not Disturb') },
    required: ['channel', 'userState', 'dndState'],
  },
  Feature: {
    type: 'object',
    properties: { id: { type: 'string' }, displayName: { type: 'string' }, description: { type: 'string' }, uri: { type: 'string' }, path: { type: 'string' } },
    required: ['id', 'displayName'],
  },
  AgentStateSetting: {
    type: 'object',
    properties: { id: { type: 'string' }, displayName: { type: 'string' }, state: { type: 'string' }, operationName: text('what to POST to /api/v2/me/channels/voice'), workMode: { type: 'string' }, reason: { type: 'string' } },
    required: ['id', 'displayName', 'state', 'operationName'],
  },
  Contact: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      type: { const: 'User' },
      userName: { type: 'string' },
      phoneNumbers: { type: 'array', items: { type: 'object' } },
      availability: { type: 'object' },
      roles: { type: 'array', items: { type: 'string' } },
      uri: { type: 'string' },
    },
    required: ['id', 'name', 'type', 'uri'],
  },
  MediaParty: {
    type: 'object',
    description: 'who hears whom (supervision.md section 5)',
    properties: { phoneNumber: { type: 'string' }, hears: { type: 'array', items: { type: 'string' } } },
    required: ['phoneNumber', 'hears'],
  },
  AuditEntry: {
    type: 'object',
    properties: {
      time: { type: 'string', format: 'date-time' },
      event: { type: 'string' },
      supervisor: { type: 'object' },
      target: { type: 'object' },
      agent: { type: 'object' },
      callUuid: { type: 'string' },
      mode: { type: 'string' },
      scope: { type: 'string' },
      supervisorMonitoringMode: { type: 'string' },
      reason: { type: 'string' },
    },
    required: ['time', 'event', 'supervisor', 'target'],
  },
  Uris: {
    type: 'object',
    description: 'a GWS collection without ?fields: the members as uris',
    properties: { statusCode: { const: 0 }, uris: { type: 'array', items: { type: 'string' } } },
    required: ['statusCode'],
  },
  // ---- CometD (Bayeux) messages and the GWS notifications they carry
  BayeuxMessage: {
    type: 'object',
    description: 'One Bayeux 1.0 message; a POST to /api/v2/notifications carries an array of them (spec/cometd.md)',
    properties: {
      channel: text('a meta channel (/meta/handshake, /meta/connect, /meta/subscribe, /meta/unsubscribe, /meta/disconnect) or a GWS channel'),
      clientId: { type: 'string' },
      id: { type: 'string' },
      version: { type: 'string' },
      supportedConnectionTypes: { type: 'array', items: { type: 'string', enum: ['long-polling', 'websocket', 'callback-polling'] } },
      connectionType: { type: 'string' },
      subscription: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      successful: { type: 'boolean' },
      error: text('"<code>::<message>" on a refusal'),
      advice: { type: 'object', properties: { reconnect: { type: 'string', enum: ['retry', 'handshake', 'none'] }, interval: { type: 'integer' }, timeout: { type: 'integer' } } },
      data: { type: 'object', description: 'a delivery: one of the notification messages' },
      ext: {
        type: 'object',
        description: 'Bayeux extensions; unknown members are ignored both ways',
        properties: {
          ack: { description: 'the ack extension: true in a handshake that asks for it and in its reply, then the batch id in connects and their replies' },
          switchStart: {
            type: 'string',
            description:
              'in every successful handshake reply: an opaque name of the start of the call state this server serves, to compare for equality only. It changes exactly when that state starts afresh (every voice session and call then ended): at each start of a single server; in a cluster, only when its command log is made anew, never at a node\'s restart (docs/compatibility.md)',
          },
        },
      },
    },
    required: ['channel'],
  },
  CallStateChangeMessage: {
    type: 'object',
    description: 'on /v2/me/calls: a call changed as the DN phoneNumber sees it; `call` equals what GET /api/v2/me/calls/{id} returns at that moment',
    properties: {
      messageType: { const: 'CallStateChangeMessage' },
      notificationType: values(NotificationType, 'what changed'),
      phoneNumber: text('the DN the event is reported for'),
      call: ref('Call'),
      extensions: { type: 'object', description: 'T-Server extensions, e.g. {"BusinessCall": 0}' },
      digits: text('notificationType DtmfSent: the digits sent'),
      errorCode: { type: 'integer', description: 'notificationType Error: why an accepted request failed later' },
      errorMessage: { type: 'string' },
    },
    required: ['messageType', 'notificationType', 'phoneNumber', 'call'],
  },
  DeviceStateChangeMessage: {
    type: 'object',
    description: 'on /v2/me/devices: agent state, DND, forwarding or supervisor monitoring of a device changed',
    properties: { messageType: { const: 'DeviceStateChangeMessage' }, devices: { type: 'array', items: ref('Device'), minItems: 1 } },
    required: ['messageType', 'devices'],
  },
  ChannelStateChangeMessageV2: {
    type: 'object',
    description: "on /v2/me/channels: the voice channel's agent state or DND changed",
    properties: { messageType: { const: 'ChannelStateChangeMessageV2' }, channels: { type: 'array', items: ref('VoiceChannel'), minItems: 1 } },
    required: ['messageType', 'channels'],
  },
  SupervisedAgentStateChangeMessage: {
    type: 'object',
    description: 'on /v2/supervision/agents (supervisors only): an agent of a group the supervisor supervises changed; the row equals GET /api/v2/supervision/agents?fields=*',
    properties: { messageType: { const: 'SupervisedAgentStateChangeMessage' }, agents: { type: 'array', items: ref('SupervisedAgent'), minItems: 1 } },
    required: ['messageType', 'agents'],
  },
  SupervisedAgent: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      userName: { type: 'string' },
      firstName: { type: 'string' },
      lastName: { type: 'string' },
      userState: ref('UserState'),
      userStateSince: { type: 'string', format: 'date-time' },
      timeInState: { type: 'integer', description: 'seconds' },
      device: { type: 'object' },
      calls: { type: 'array', items: { type: 'object' } },
      monitoring: { type: 'array', items: { type: 'object' } },
      uri: { type: 'string' },
      path: { type: 'string' },
    },
    required: ['id', 'userName', 'userState', 'uri'],
  },
  SupervisedRoutingPointStateChangeMessage: {
    type: 'object',
    description: "on /v2/supervision/routing-points (supervisors only): the queue of a routing point the supervisor may monitor changed; the row equals GET /api/v2/supervision/routing-points",
    properties: {
      messageType: { const: 'SupervisedRoutingPointStateChangeMessage' },
      routingPoints: { type: 'array', items: ref('SupervisedRoutingPoint'), minItems: 1 },
    },
    required: ['messageType', 'routingPoints'],
  },
  SupervisedRoutingPoint: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      phoneNumber: text("the routing point's DN"),
      callsWaiting: { type: 'integer' },
      longestWait: text('seconds, as a string'),
      calls: {
        type: 'array',
        description: 'the calls waiting, oldest first',
        items: { type: 'object', properties: { callUuid: { type: 'string' }, duration: { type: 'string' }, ani: { type: 'string' }, userData: { type: 'object' } }, required: ['callUuid', 'duration'] },
      },
    },
    required: ['id', 'phoneNumber', 'callsWaiting', 'longestWait', 'calls'],
  },
};

/** A CometD channel a client subscribes to, and the message it carries. */
export interface ChannelDoc {
  channel: string;
  messageType: string;
  description: string;
}

export const COMETD_CHANNELS: readonly ChannelDoc[] = [
  { channel: '/v2/me/calls', messageType: 'CallStateChangeMessage', description: "the user's calls: state, participants, user data, recording, mute, monitoring, DTMF, errors after acceptance" },
  { channel: '/v2/me/devices', messageType: 'DeviceStateChangeMessage', description: "the user's devices: agent state, Do Not Disturb, forwarding, supervisor monitoring, capabilities" },
  { channel: '/v2/me/channels', messageType: 'ChannelStateChangeMessageV2', description: 'the voice channel: agent state and Do Not Disturb' },
  { channel: '/v2/supervision/agents', messageType: 'SupervisedAgentStateChangeMessage', description: 'supervisors: the agents of the groups they supervise (Switchboard extension)' },
  { channel: '/v2/supervision/routing-points', messageType: 'SupervisedRoutingPointStateChangeMessage', description: 'supervisors: the queues of the routing points they may monitor (Switchboard extension)' },
];
