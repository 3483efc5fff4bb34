/**
 * G.711 µ-law (PCMU, RTP payload type 0) and A-law (PCMA, payload type 8) codecs for 16-bit linear
 * PCM, by lookup tables built once when the module loads: a 256-entry decode table and a 65,536-entry
 * encode table per law, indexed by the 16-bit sample's two's-complement bit pattern.
 *
 * Guarantees: the tables follow ITU-T G.711 exactly, in the convention of its reference software
 * (ITU-T G.191): µ-law works on the 14 most significant bits with a bias of 33 and A-law on the 13
 * most significant bits, and negative samples are taken as their one's complement before the
 * magnitude is quantised. Decoding yields the midpoint of each quantisation interval, left-justified
 * to 16 bits (µ-law ±32124 at full scale, A-law ±32256). encode(decode(code)) === code for every
 * code except µ-law 0x7F (negative zero, which decodes to 0 and encodes as 0xFF). The per-frame
 * functions never allocate.
 */

export const PayloadType = { PCMU: 0, PCMA: 8 } as const;
export type G711PayloadType = (typeof PayloadType)[keyof typeof PayloadType];
export type CodecName = keyof typeof PayloadType;

/** µ-law segment end points on the 14-bit biased magnitude (G.711 table 2a). */
function muLawEncodeSample(sample: number): number {
  const negative = sample < 0;
  // one's complement of negatives, then 14-bit magnitude plus the bias of 33
  let magnitude = ((negative ? ~sample : sample) >> 2) + 33;
  if (magnitude > 0x1fff) magnitude = 0x1fff;
  let segment = 1;
  for (let rest = magnitude >> 6; rest !== 0; rest >>= 1) segment++;
  const step = (magnitude >> segment) & 0x0f;
  const code = ((8 - segment) << 4) | (0x0f - step);
  return negative ? code : code | 0x80;
}

function muLawDecodeSample(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  const magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
  return code < 0x80 ? -magnitude : magnitude;
}

function aLawEncodeSample(sample: number): number {
  const negative = sample < 0;
  let magnitude = (negative ? ~sample : sample) >> 4; // 12-bit magnitude
  if (magnitude > 15) {
    let exponent = 1;
    while (magnitude > 31) {
      magnitude >>= 1;
      exponent++;
    }
    magnitude = (magnitude - 16) + (exponent << 4);
  }
  if (!negative) magnitude |= 0x80;
  return magnitude ^ 0x55; // even-bit inversion
}

function aLawDecodeSample(code: number): number {
  const plain = (code ^ 0x55) & 0x7f;
  const exponent = plain >> 4;
  let mantissa = plain & 0x0f;
  if (exponent > 0) mantissa += 16;
  let magnitude = (mantissa << 4) + 8;
  if (exponent > 1) magnitude <<= exponent - 1;
  return code > 0x7f ? magnitude : -magnitude;
}

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decode(code);
  return table;
}

function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let bits = 0; bits < 65536; bits++) table[bits] = encode(bits >= 32768 ? bits - 65536 : bits);
  return table;
}

export interface G711Law {
  readonly name: CodecName;
  readonly payloadType: G711PayloadType;
  /** code byte -> 16-bit sample */
  readonly decodeTable: Int16Array;
  /** (sample & 0xffff) -> code byte */
  readonly encodeTable: Uint8Array;
  /** the code byte of digital silence */
  readonly silence: number;
}

export const MU_LAW: G711Law = {
  name: 'PCMU',
  payloadType: PayloadType.PCMU,
  decodeTable: buildDecodeTable(muLawDecodeSample),
  encodeTable: buildEncodeTable(muLawEncodeSample),
  silence: 0xff,
};

export const A_LAW: G711Law = {
  name: 'PCMA',
  payloadType: PayloadType.PCMA,
  decodeTable: buildDecodeTable(aLawDecodeSample),
  encodeTable: buildEncodeTable(aLawEncodeSample),
  silence: 0xd5,
};

const LAWS_BY_PAYLOAD_TYPE: Readonly<Record<number, G711Law>> = {
  [PayloadType.PCMU]: MU_LAW,
  [PayloadType.PCMA]: A_LAW,
};

/** The law for an RTP payload type, or undefined when it is not G.711. */
export function lawForPayloadType(payloadType: number): G711Law | undefined {
  return LAWS_BY_PAYLOAD_TYPE[payloadType];
}

export function lawForCodec(codec: CodecName): G711Law {
  return LAWS_BY_PAYLOAD_TYPE[PayloadType[codec]];
}

/** Encode `count` samples of `pcm` (from `pcmOffset`) into `target` at `targetOffset`. */
export function encodeInto(
  law: G711Law,
  pcm: Int16Array,
  target: Uint8Array,
  targetOffset = 0,
  count = pcm.length,
  pcmOffset = 0,
): void {
  const table = law.encodeTable;
  for (let i = 0; i < count; i++) target[targetOffset + i] = table[pcm[pcmOffset + i] & 0xffff];
}

/** Decode `count` code bytes of `codes` (from `codesOffset`) into `pcm` at `pcmOffset`. */
export function decodeInto(
  law: G711Law,
  codes: Uint8Array,
  pcm: Int16Array,
  pcmOffset = 0,
  count = codes.length,
  codesOffset = 0,
): void {
  const table = law.decodeTable;
  for (let i = 0; i < count; i++) pcm[pcmOffset + i] = table[codes[codesOffset + i]];
}

/** Encode a whole buffer (allocates the result; for tools and tests, not the per-tick path). */
export function encode(law: G711Law, pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  encodeInto(law, pcm, out);
  return out;
}

/** Decode a whole buffer (allocates the result; for tools and tests, not the per-tick path). */
export function decode(law: G711Law, codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  decodeInto(law, codes, out);
  return out;
}
