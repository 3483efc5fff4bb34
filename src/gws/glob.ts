/**
 * The wildcard matcher of GET /api/v2/contacts `filterParameters`: `*` stands for any run of
 * characters (also none), every other character stands for itself, and the comparison ignores
 * case. A pattern without `*` matches when it occurs anywhere in the text (a substring search).
 *
 * Guarantee: no regular expression is built from user input. The match is the two-pointer
 * algorithm (remember the last `*` and where the text stood; on a mismatch, let that `*` swallow
 * one more character), which costs at most pattern length × text length steps, so a pattern of
 * many `*` cannot stall the event loop the way `.*.*.*…` backtracking does.
 */

/** Longest filter pattern accepted (longer ones are refused with statusCode 10 by the route). */
export const MAX_PATTERN_LENGTH = 256;

const WILDCARD = '*';

/** Whole-text match of a lower-cased pattern against a lower-cased text. */
export function globMatches(pattern: string, text: string): boolean {
  let patternIndex = 0;
  let textIndex = 0;
  let starIndex = -1; // position of the last `*` seen in the pattern
  let resumeIndex = 0; // text position that `*` has swallowed up to
  while (textIndex < text.length) {
    if (patternIndex < pattern.length && pattern[patternIndex] === WILDCARD) {
      starIndex = patternIndex++;
      resumeIndex = textIndex;
    } else if (patternIndex < pattern.length && pattern[patternIndex] === text[textIndex]) {
      patternIndex++;
      textIndex++;
    } else if (starIndex >= 0) {
      patternIndex = starIndex + 1;
      textIndex = ++resumeIndex;
    } else {
      return false;
    }
  }
  while (patternIndex < pattern.length && pattern[patternIndex] === WILDCARD) patternIndex++;
  return patternIndex === pattern.length;
}

/**
 * A predicate for one filter pattern: absent, empty or `*` matches everything; with `*` the whole
 * text must match; without, the pattern must occur in the text. Case is ignored.
 */
export function wildcardMatcher(pattern: string | undefined): (text: string) => boolean {
  if (!pattern || pattern === WILDCARD) return () => true;
  const lowered = pattern.toLowerCase();
  if (!lowered.includes(WILDCARD)) return (text) => text.toLowerCase().includes(lowered);
  return (text) => globMatches(lowered, text.toLowerCase());
}
