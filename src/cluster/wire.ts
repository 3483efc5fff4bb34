/**
 * Port calls and their answers on the wire (JSON), between a forwarding port and the owner's
 * command server. Guarantees: a Result's DomainError travels as { code, message } and comes back
 * as a DomainError with the same code and message (so the GWS layer answers the same statusCode
 * on any node); every other value is plain JSON (views, uuids, undefined).
 */
import { DomainError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { COMMAND_METHODS, QUERY_METHODS } from './contract.js';
import type { RemoteMethod, RemoteReply, RemoteRequest } from './contract.js';

const REMOTE = new Set<string>([...COMMAND_METHODS, ...QUERY_METHODS]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface WireError {
  code: ErrorCode;
  message: string;
}

function isFailedResult(v: unknown): v is { ok: false; error: DomainError } {
  return typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false && (v as { error?: unknown }).error instanceof DomainError;
}

export function encodeRequest(req: RemoteRequest): Uint8Array {
  return encoder.encode(JSON.stringify(req));
}

/** the request, or undefined when it is not a remote port call */
export function decodeRequest(data: Uint8Array): RemoteRequest | undefined {
  try {
    const req = JSON.parse(decoder.decode(data)) as { method?: unknown; args?: unknown };
    if (typeof req.method !== 'string' || !REMOTE.has(req.method) || !Array.isArray(req.args)) return undefined;
    return req as RemoteRequest;
  } catch {
    return undefined;
  }
}

export function encodeReply(reply: RemoteReply): Uint8Array {
  if ('value' in reply && isFailedResult(reply.value)) {
    const error: WireError = { code: reply.value.error.code, message: reply.value.error.message };
    return encoder.encode(JSON.stringify({ value: { ok: false, error } }));
  }
  return encoder.encode(JSON.stringify(reply));
}

export function decodeReply(data: Uint8Array): RemoteReply {
  const reply = JSON.parse(decoder.decode(data)) as { value?: unknown; unavailable?: string };
  if (typeof reply.unavailable === 'string') return { unavailable: reply.unavailable };
  const v = reply.value as { ok?: unknown; error?: WireError } | undefined;
  if (v && v.ok === false && v.error) return { value: { ok: false, error: new DomainError(v.error.code, v.error.message) } };
  return { value: reply.value };
}

export function isCommand(method: RemoteMethod): boolean {
  return (COMMAND_METHODS as readonly string[]).includes(method);
}
