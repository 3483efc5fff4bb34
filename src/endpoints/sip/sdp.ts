/**
 * SDP offer/answer for the B2BUA (RFC 3264, spec/sip.md section 5), with sdp-transform: one audio
 * stream of PCMU or PCMA at ptime 20, plus telephone-event/8000 (RFC 4733).
 *
 * Guarantees: `readSdp` never throws (bad or unusable SDP gives undefined, the caller answers 488);
 * usable means a plain RTP/AVP audio stream (no SRTP) we can send to: an IPv4 address literal (our
 * RTP sockets are IPv4: an IPv6 address or a host name is unusable) and a port of 0-65535 (0 and
 * 0.0.0.0 are hold);
 * the codec chosen for an offer is the first of the phone's list that we support (the phone's
 * preference); we always answer with exactly that codec, and telephone-event only when the offer
 * had it (with the offer's payload type). The direction we answer mirrors the offer's (sendonly ->
 * recvonly, inactive -> inactive), and a phone's sendonly/inactive is reported as hold.
 * Every SDP we write after reading the remote's keeps the remote's m-lines, in their order (RFC 3264
 * 6 and 8): the audio stream we use is answered, every other one (video, a second audio stream,
 * SRTP) is declined with port 0.
 */
import { isIPv4 } from 'node:net';
import sdpTransform from 'sdp-transform';
import type { CodecName } from '../../media/g711.js';

/** Our codecs, by RTP/AVP static payload type. */
const CODEC_OF_PAYLOAD: Readonly<Record<number, CodecName>> = { 0: 'PCMU', 8: 'PCMA' };
const PAYLOAD_OF_CODEC: Readonly<Record<CodecName, number>> = { PCMU: 0, PCMA: 8 };
/** the telephone-event payload type of our own offers */
export const OUR_TELEPHONE_EVENT = 101;

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** What the answer's direction is, for each offered direction. */
const ANSWER_DIRECTION: Readonly<Record<Direction, Direction>> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/** Directions that mean the phone put the call on hold. */
const HOLD_DIRECTIONS: ReadonlySet<Direction> = new Set<Direction>(['sendonly', 'inactive']);

/** One m-line of a remote SDP, as a declined stream of ours repeats it. */
export interface MediaLine {
  type: string;
  protocol: string;
  /** the line's format list (payload types) */
  formats: string;
}

/** The m-lines of a remote SDP, and which of them is the audio stream we use. */
export interface MediaLayout {
  lines: readonly MediaLine[];
  audioIndex: number;
}

export interface RemoteMedia {
  /** where to send RTP (before latching) */
  address: string;
  port: number;
  /** the codec to use: the first of the remote's list that we support */
  codec: CodecName;
  /** the remote's telephone-event payload type, if it offered or accepted one */
  telephoneEvent?: number;
  direction: Direction;
  /** the remote put the stream on hold (sendonly/inactive, or port 0 / address 0.0.0.0) */
  held: boolean;
  /** the remote's m-lines: what we write next has the same (RFC 3264 6 and 8) */
  layout: MediaLayout;
}

/** A body we read as SDP: no Content-Type, or application/sdp (RFC 3261 21.4.13: anything else is 415). */
export function isSdpContentType(contentType: string | undefined): boolean {
  return contentType === undefined || contentType.split(';')[0].trim().toLowerCase() === 'application/sdp';
}

/** the media ranges of an Accept that take application/sdp, by how specific they are (RFC 7231 5.3.2: the most specific decides) */
const SDP_RANGES: Readonly<Record<string, number>> = { 'application/sdp': 3, 'application/*': 2, '*/*': 1 };

/**
 * May the answer to a request with these Accept values carry SDP? Yes without Accept (RFC 3261
 * 20.1: application/sdp is then assumed); otherwise the most specific range that takes
 * application/sdp decides, by its q (0: not acceptable; none: 1). An empty Accept accepts nothing.
 * Whitespace around "/", ";" and "=" is allowed (RFC 3261 25.1: SLASH, SEMI, EQUAL).
 */
export function acceptsSdp(acceptValues: readonly string[]): boolean {
  if (acceptValues.length === 0) return true;
  let specificity = 0;
  let accepted = false;
  for (const value of acceptValues) {
    for (const range of value.split(',')) {
      const [type, ...params] = range.split(';').map((part) => part.replace(/\s+/g, '').toLowerCase());
      const rank = SDP_RANGES[type] ?? 0;
      if (rank <= specificity) continue;
      const q = params.find((p) => p.startsWith('q='));
      specificity = rank;
      accepted = q === undefined || Number(q.slice(2)) > 0;
    }
  }
  return accepted;
}

/** The phrase of our 406 to an INVITE whose Accept takes no SDP (RFC 4475 3.3.15). */
export const NO_SDP_ACCEPTED_REASON = 'Not Acceptable (the answer to an INVITE is SDP; Accept lists no application/sdp)';

/** The phrase of our 488 to SDP that `readSdp` finds unusable. */
export const UNUSABLE_SDP_REASON = 'Not Acceptable Here (no PCMU/PCMA audio to an IPv4 address and port offered)';

/** Parse a remote SDP (offer or answer); undefined when it has no usable audio stream. */
export function readSdp(body: Buffer | string): RemoteMedia | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return undefined;
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(text);
  } catch {
    return undefined;
  }
  // plain RTP only: an RTP/SAVP (SRTP) stream offered with a=crypto is not something we can answer
  const media = session.media ?? [];
  const audioIndex = media.findIndex((m) => m.type === 'audio' && typeof m.port === 'number' && m.protocol === 'RTP/AVP');
  if (audioIndex < 0) return undefined;
  const audio = media[audioIndex];
  const address = audio.connection?.ip ?? session.connection?.ip;
  if (!address || !isIPv4(address)) return undefined;
  if (!Number.isInteger(audio.port) || audio.port < 0 || audio.port > 65535) return undefined;
  const payloads = String(audio.payloads ?? '')
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
  const rtpmap = new Map((audio.rtp ?? []).map((r) => [r.payload, r.codec.toUpperCase()]));
  const codecPayload = payloads.find((p) => CODEC_OF_PAYLOAD[p] !== undefined && (!rtpmap.has(p) || rtpmap.get(p) === CODEC_OF_PAYLOAD[p]));
  if (codecPayload === undefined) return undefined;
  const telephoneEvent = payloads.find((p) => rtpmap.get(p) === 'TELEPHONE-EVENT');
  const direction = ((audio.direction ?? session.direction ?? 'sendrecv') as Direction);
  const held = HOLD_DIRECTIONS.has(direction) || audio.port === 0 || address === '0.0.0.0';
  return {
    address,
    port: audio.port,
    codec: CODEC_OF_PAYLOAD[codecPayload]!,
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    direction,
    held,
    layout: { lines: media.map((m) => ({ type: String(m.type), protocol: String(m.protocol), formats: String(m.payloads ?? '') })), audioIndex },
  };
}

export interface LocalMedia {
  address: string;
  port: number;
  /** codecs in order of preference (an offer lists both, an answer the chosen one) */
  codecs: readonly CodecName[];
  telephoneEvent?: number;
  direction: Direction;
  /** o= session id and version (the version grows with each new SDP of one session) */
  sessionId: number;
  version: number;
  /** the remote's m-lines (from its last SDP): ours has the same, the others declined; none: one audio line */
  layout?: MediaLayout;
}

/** An m-line declined (RFC 3264 6: port 0, one of the offered formats). */
function declined(line: MediaLine): sdpTransform.MediaDescription {
  const format = line.formats.trim().split(/\s+/)[0] || '0';
  return { type: line.type, port: 0, protocol: line.protocol, payloads: format, rtp: [], fmtp: [] };
}

/** Our SDP (offer or answer). */
export function writeSdp(local: LocalMedia): Buffer {
  const payloads = local.codecs.map((c) => PAYLOAD_OF_CODEC[c]);
  const rtp: { payload: number; codec: string; rate: number }[] = local.codecs.map((c) => ({ payload: PAYLOAD_OF_CODEC[c], codec: c, rate: 8000 }));
  const fmtp: { payload: number; config: string }[] = [];
  if (local.telephoneEvent !== undefined) {
    payloads.push(local.telephoneEvent);
    rtp.push({ payload: local.telephoneEvent, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: local.telephoneEvent, config: '0-16' });
  }
  const audio: sdpTransform.MediaDescription = {
    type: 'audio',
    port: local.port,
    protocol: 'RTP/AVP',
    payloads: payloads.join(' '),
    rtp,
    fmtp,
    ptime: 20,
    direction: local.direction,
  };
  const layout = local.layout;
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: 'switchboard',
      sessionId: local.sessionId,
      sessionVersion: local.version,
      netType: 'IN',
      ipVer: 4,
      address: local.address,
    },
    name: 'switchboard',
    connection: { version: 4, ip: local.address },
    timing: { start: 0, stop: 0 },
    media: layout ? layout.lines.map((line, index) => (index === layout.audioIndex ? audio : declined(line))) : [audio],
  };
  return Buffer.from(sdpTransform.write(session), 'utf8');
}

/** The direction of our answer to a remote offer. */
export function answerDirection(offered: Direction): Direction {
  return ANSWER_DIRECTION[offered] ?? 'sendrecv';
}
