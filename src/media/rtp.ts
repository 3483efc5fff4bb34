/**
 * RTP packets (RFC 3550 section 5.1): parse and serialize the fixed header, the CSRC list, the
 * header extension (section 5.3.1) and padding.
 *
 * Guarantees: parsing never throws and never copies; it returns either a packet whose `payload`
 * (and `extension.data`) are views into the received buffer, or a reason why the bytes are not an
 * RTP version-2 packet (too short, wrong version, CSRC list, extension or padding past the end).
 * `readRtpFields` is the same check without allocating (the per-packet receive path).
 * `writeRtpHeader` writes a header in place into a caller-owned buffer (the mixer reuses one buffer
 * per leg), so the per-packet send path allocates nothing.
 */

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_BYTES = 12;

export interface RtpExtension {
  /** the 16-bit profile-defined identifier */
  profile: number;
  /** the extension body, a view (a multiple of 4 bytes) */
  data: Uint8Array;
}

export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  extension?: RtpExtension;
}

export interface RtpPacket extends RtpHeader {
  version: number;
  /** number of padding bytes removed from the end (0 when the P bit is clear) */
  paddingBytes: number;
  csrcs: readonly number[];
  /** a view into the parsed buffer */
  payload: Uint8Array;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: string };

const NO_CSRCS: readonly number[] = Object.freeze([]);

function fail(reason: string): RtpParseResult {
  return { ok: false, reason };
}

/**
 * The fields of a packet, read without allocating into a caller-owned object (the receive path of
 * a leg reuses one); `payloadStart`/`payloadEnd` bound the payload in the buffer.
 */
export interface RtpFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcCount: number;
  /** offset of the extension header (its profile word), or -1 */
  extensionStart: number;
  paddingBytes: number;
  payloadStart: number;
  payloadEnd: number;
}

export function emptyRtpFields(): RtpFields {
  return { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, csrcCount: 0, extensionStart: -1, paddingBytes: 0, payloadStart: 0, payloadEnd: 0 };
}

const readUint32 = (bytes: Uint8Array, at: number) =>
  ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;

/** Read the header of `bytes` into `fields`; returns why it is not RTP v2, or undefined when it is. */
export function readRtpFields(bytes: Uint8Array, fields: RtpFields): string | undefined {
  if (bytes.length < RTP_FIXED_HEADER_BYTES) return `too short for an RTP header (${bytes.length} bytes)`;
  const first = bytes[0];
  const version = first >> 6;
  if (version !== RTP_VERSION) return `RTP version ${version}, expected 2`;
  const csrcCount = first & 0x0f;
  let offset = RTP_FIXED_HEADER_BYTES + 4 * csrcCount;
  if (offset > bytes.length) return `CSRC list of ${csrcCount} runs past the end`;
  fields.extensionStart = -1;
  if ((first & 0x10) !== 0) {
    if (offset + 4 > bytes.length) return 'header extension runs past the end';
    const length = 4 * ((bytes[offset + 2] << 8) | bytes[offset + 3]);
    if (offset + 4 + length > bytes.length) return 'header extension runs past the end';
    fields.extensionStart = offset;
    offset += 4 + length;
  }
  let end = bytes.length;
  let paddingBytes = 0;
  if ((first & 0x20) !== 0) {
    paddingBytes = bytes[bytes.length - 1];
    if (paddingBytes === 0 || end - paddingBytes < offset) return `invalid padding count ${paddingBytes}`;
    end -= paddingBytes;
  }
  const second = bytes[1];
  fields.marker = (second & 0x80) !== 0;
  fields.payloadType = second & 0x7f;
  fields.sequenceNumber = (bytes[2] << 8) | bytes[3];
  fields.timestamp = readUint32(bytes, 4);
  fields.ssrc = readUint32(bytes, 8);
  fields.csrcCount = csrcCount;
  fields.paddingBytes = paddingBytes;
  fields.payloadStart = offset;
  fields.payloadEnd = end;
  return undefined;
}

export function parseRtp(bytes: Uint8Array): RtpParseResult {
  const fields = emptyRtpFields();
  const reason = readRtpFields(bytes, fields);
  if (reason !== undefined) return fail(reason);
  let csrcs = NO_CSRCS;
  if (fields.csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < fields.csrcCount; i++) list.push(readUint32(bytes, RTP_FIXED_HEADER_BYTES + 4 * i));
    csrcs = list;
  }
  const packet: RtpPacket = {
    version: RTP_VERSION,
    marker: fields.marker,
    payloadType: fields.payloadType,
    sequenceNumber: fields.sequenceNumber,
    timestamp: fields.timestamp,
    ssrc: fields.ssrc,
    paddingBytes: fields.paddingBytes,
    csrcs,
    payload: bytes.subarray(fields.payloadStart, fields.payloadEnd),
  };
  if (fields.extensionStart >= 0) {
    const at = fields.extensionStart;
    const length = 4 * ((bytes[at + 2] << 8) | bytes[at + 3]);
    packet.extension = { profile: (bytes[at] << 8) | bytes[at + 1], data: bytes.subarray(at + 4, at + 4 + length) };
  }
  return { ok: true, packet };
}

/** Bytes the header of `header` takes (fixed part, CSRCs, extension). */
export function rtpHeaderLength(header: RtpHeader): number {
  const csrcCount = header.csrcs?.length ?? 0;
  const extensionBytes = header.extension ? 4 + header.extension.data.length : 0;
  return RTP_FIXED_HEADER_BYTES + 4 * csrcCount + extensionBytes;
}

/**
 * Write the header into `target` at `offset`; returns the offset where the payload starts.
 * Throws RangeError on values outside their fields (a programming error, never network input).
 */
export function writeRtpHeader(target: Uint8Array, header: RtpHeader, offset = 0): number {
  const csrcCount = header.csrcs?.length ?? 0;
  if (csrcCount > 15) throw new RangeError('at most 15 CSRCs');
  if (header.payloadType < 0 || header.payloadType > 127) throw new RangeError('payload type is 7 bits');
  if (header.extension && header.extension.data.length % 4 !== 0) {
    throw new RangeError('extension data must be a multiple of 4 bytes');
  }
  writeRtpFixedHeader(target, offset, header.marker, header.payloadType, header.sequenceNumber, header.timestamp, header.ssrc);
  target[offset] |= (header.extension ? 0x10 : 0) | csrcCount;
  let at = offset + RTP_FIXED_HEADER_BYTES;
  for (let i = 0; i < csrcCount; i++, at += 4) writeUint32(target, at, header.csrcs![i]);
  if (header.extension) {
    const { profile, data } = header.extension;
    target[at] = (profile >> 8) & 0xff;
    target[at + 1] = profile & 0xff;
    const words = data.length / 4;
    target[at + 2] = (words >> 8) & 0xff;
    target[at + 3] = words & 0xff;
    target.set(data, at + 4);
    at += 4 + data.length;
  }
  return at;
}

/**
 * The 12-byte fixed header with no CSRCs, extension or padding, from plain numbers (the per-packet
 * send path: no header object). Values are masked to their fields.
 */
export function writeRtpFixedHeader(
  target: Uint8Array,
  offset: number,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): number {
  target[offset] = RTP_VERSION << 6;
  target[offset + 1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  target[offset + 2] = (sequenceNumber >> 8) & 0xff;
  target[offset + 3] = sequenceNumber & 0xff;
  writeUint32(target, offset + 4, timestamp);
  writeUint32(target, offset + 8, ssrc);
  return offset + RTP_FIXED_HEADER_BYTES;
}

function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = (value >>> 24) & 0xff;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

/** A whole packet in a new buffer, with `paddingBytes` of RFC 3550 padding when asked (tests, tools). */
export function serializeRtp(header: RtpHeader, payload: Uint8Array, paddingBytes = 0): Uint8Array {
  if (paddingBytes < 0 || paddingBytes > 255) throw new RangeError('padding is 0-255 bytes');
  const headerBytes = rtpHeaderLength(header);
  const out = new Uint8Array(headerBytes + payload.length + paddingBytes);
  writeRtpHeader(out, header);
  out.set(payload, headerBytes);
  if (paddingBytes > 0) {
    out[0] |= 0x20;
    out[out.length - 1] = paddingBytes;
  }
  return out;
}

/** Signed distance from sequence number `from` to `to`, modulo 2^16 (-32768..32767). */
export function sequenceDistance(from: number, to: number): number {
  return ((((to - from) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}
