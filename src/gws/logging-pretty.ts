/**
 * The human-readable log mode (`--log-format pretty`, SWITCHBOARD_LOG_FORMAT=pretty): a stream that
 * takes pino's newline-delimited JSON and writes one line per record,
 *   `12:04:05.123 INFO  [bayeux] request completed method=GET route=/api/v2/me statusCode=200 …`
 * Guarantees: it never drops a record (a line that is not JSON is written as it came), it prints
 * only what pino was given (redactions stay redacted), and it needs no dependency (no pino-pretty).
 */

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, printed in the head of the line or not at all */
const HEAD_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'reqId']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object' && 'stack' in v && typeof (v as { stack: unknown }).stack === 'string') {
    return `\n    ${(v as { stack: string }).stack.replace(/\n/g, '\n    ')}`;
  }
  return JSON.stringify(v);
}

function clockOf(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  return date.toISOString().slice(11, 23);
}

/** One pino JSON record as a readable line (without the newline). */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return json;
    record = parsed as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = LEVEL_NAMES[Number(record.level)] ?? String(record.level ?? '?');
  const parts = [clockOf(record.time), level.padEnd(5)];
  if (typeof record.component === 'string') parts.push(`[${record.component}]`);
  if (typeof record.reqId === 'string') parts.push(`(${record.reqId})`);
  if (record.msg !== undefined) parts.push(String(record.msg));
  for (const [key, v] of Object.entries(record)) {
    if (HEAD_FIELDS.has(key) || v === undefined) continue;
    parts.push(`${key}=${value(v)}`);
  }
  return parts.join(' ');
}

/** What the pretty stream writes to: standard output, or anything with write (tests). */
interface LineTarget {
  write(text: string): unknown;
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * A write-only stream for pino that turns each JSON line into a pretty one on `target`. When the
 * target fails (standard output piped into a reader that went away: EPIPE), logging stops quietly:
 * an unhandled error there would reach the process backstop, whose log line would fail again, in
 * a loop that keeps the process busy and deaf to SIGTERM.
 */
export function prettyLogStream(target: LineTarget): { write(chunk: string): boolean } {
  let pending = '';
  let broken = false;
  target.on?.('error', () => {
    broken = true;
  });
  return {
    write(chunk: string): boolean {
      if (broken) return true;
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') target.write(`${prettyLine(line)}\n`);
        newline = pending.indexOf('\n');
      }
      return true;
    },
  };
}
