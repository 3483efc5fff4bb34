/**
 * Replaces (RFC 3891) for the SIP endpoints: the dialog identifier of a `Replaces` header, or of the
 * `Replaces` parameter of a REFER's Refer-To (RFC 3515 / RFC 5589 attended transfer), and whether it
 * names one of our dialogs. Pure: no SIP traffic, no state; docs/telephony.md ("REFER" and "INVITE
 * with Replaces") says what the B2BUA does with a match.
 *
 * Guarantees:
 * - `parseReplaces` accepts `call-id;to-tag=x;from-tag=y[;early-only]` (parameters in any order,
 *   names case-insensitive) and refuses a value without a Call-ID or without both tags (RFC 3891
 *   section 6.1 makes both mandatory).
 * - `replacesDialog` matches by Call-ID and both tags. RFC 3891 section 3 names the tags from the
 *   side of the UA that receives the INVITE (to-tag = our local tag); a transferor writing the
 *   Refer-To copies them from its own side of that dialog, so both orders are accepted, and nothing else.
 * - `parseReferTo` never throws: a malformed URI or escape gives undefined.
 */
import { numberOf, parseUri } from '../../sip/uri.js';
import type { Dialog } from '../../sip/dialog.js';

export interface ReplacesTarget {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

export function parseReplaces(value: string): ReplacesTarget | undefined {
  const [callIdPart, ...params] = value.split(';');
  const callId = callIdPart?.trim();
  if (!callId) return undefined;
  const named = new Map<string, string>();
  for (const param of params) {
    const [name, raw = ''] = param.split('=', 2);
    if (name) named.set(name.trim().toLowerCase(), raw.trim());
  }
  const toTag = named.get('to-tag');
  const fromTag = named.get('from-tag');
  if (!toTag || !fromTag) return undefined;
  return { callId, toTag, fromTag, earlyOnly: named.has('early-only') };
}

/** Does `target` name `dialog` (Call-ID and both tags, in either order)? */
export function replacesDialog(dialog: Pick<Dialog, 'callId' | 'localTag' | 'remoteTag'>, target: ReplacesTarget): boolean {
  if (dialog.callId !== target.callId) return false;
  const receiverSide = target.toTag === dialog.localTag && target.fromTag === dialog.remoteTag;
  const senderSide = target.toTag === dialog.remoteTag && target.fromTag === dialog.localTag;
  return receiverSide || senderSide;
}

/** Refer-To: the target user, and the dialog of a `Replaces` header parameter (attended transfer). */
export function parseReferTo(value: string): { user?: string; replaces?: ReplacesTarget; malformedReplaces?: true } | undefined {
  const open = value.indexOf('<');
  const close = value.indexOf('>', open + 1);
  const inner = open >= 0 && close > open ? value.slice(open + 1, close) : value.trim();
  const question = inner.indexOf('?');
  const uri = parseUri(question >= 0 ? inner.slice(0, question) : inner);
  if (!uri) return undefined;
  // the number the target names, as a Request-URI's (tel:, user=phone without visual separators)
  const number = numberOf(uri);
  const out: { user?: string; replaces?: ReplacesTarget; malformedReplaces?: true } = number ? { user: number } : {};
  if (question < 0) return out;
  for (const pair of inner.slice(question + 1).split('&')) {
    const [name, raw] = pair.split('=', 2);
    if (name?.toLowerCase() !== 'replaces') continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw ?? '');
    } catch {
      return undefined;
    }
    const replaces = parseReplaces(decoded);
    if (replaces) out.replaces = replaces;
    else out.malformedReplaces = true;
  }
  return out;
}
