/**
 * Limits on a call's user data (docs/security.md section 2, "User data"): a call keeps at most
 * `maxKeys` keys and `maxBytes` bytes of user data serialised as JSON. Every client-supplied
 * change (Dial, AttachUserData, UpdateUserData, the userData of transfers and conferences, a
 * simulated inbound call) is checked here before anything changes; a change past a limit is
 * refused with InvalidValue (GWS statusCode 10) naming the limit. Keys the switch writes itself
 * (the GSIP_* recording keys) and the merge of a consultation's data on completion are not
 * client input and are not refused.
 */
import { ErrorCode, fail, ok } from '../errors.js';
import type { Result } from '../errors.js';
import type { UserData } from './model.js';

export interface UserDataLimits {
  /** most keys one call keeps */
  maxKeys: number;
  /** most bytes of one call's user data, serialised as JSON (UTF-8) */
  maxBytes: number;
}

export const DEFAULT_USER_DATA_LIMITS: Readonly<UserDataLimits> = Object.freeze({ maxKeys: 100, maxBytes: 64 * 1024 });

/** The call's user data with `extra` merged in, or the refusal when a limit would be passed. */
export function mergeUserData(current: UserData, extra: UserData | undefined, limits: UserDataLimits): Result<UserData> {
  const merged = { ...current, ...(extra ?? {}) };
  if (!extra) return ok(merged);
  const keys = Object.keys(merged).length;
  if (keys > limits.maxKeys) {
    return fail(ErrorCode.InvalidValue, `User data would have ${keys} keys; a call keeps at most ${limits.maxKeys} keys`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(merged), 'utf8');
  if (bytes > limits.maxBytes) {
    return fail(ErrorCode.InvalidValue, `User data would be ${bytes} bytes; a call keeps at most ${limits.maxBytes} bytes of user data (serialised as JSON)`);
  }
  return ok(merged);
}
