/**
 * Raw HTTP/1.1 over net.Socket for the fuzzer and the survival test: send bytes exactly as given
 * (in pieces, optionally half-closing), collect what comes back until the server closes the socket
 * (or a bound passes), and split it into responses (interim 1xx skipped, Content-Length and chunked
 * bodies, bodies up to close). Guarantees: never throws for what the server sends; every exchange
 * ends within its bound and destroys its socket.
 */
import net from 'node:net';

export interface RawHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawHttpResponse[];
  /** the server closed (or reset) the socket within the bound */
  closed: boolean;
  /** bytes after the last complete response (a truncated response) */
  leftover: number;
}

export interface RawSendOptions {
  port: number;
  pieces: readonly (string | Buffer)[];
  /** half-close after the last piece (the server then answers what it has and closes) */
  end: boolean;
  /** give up after this many ms */
  boundMs: number;
  /** stop as soon as this many complete responses arrived (instead of waiting for close) */
  stopAfter?: number;
}

/** Split a byte stream into complete responses. */
export function parseResponses(data: Buffer, closed: boolean): { responses: RawHttpResponse[]; leftover: number } {
  const responses: RawHttpResponse[] = [];
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const lines = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) break;
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      at = bodyStart;
      continue;
    }
    if (status === 101) {
      responses.push({ status, headers, body: '' });
      at = data.length;
      break;
    }
    let body: Buffer;
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', p);
        if (lineEnd < 0) break;
        const size = parseInt(data.subarray(p, lineEnd).toString('latin1'), 16);
        if (!Number.isFinite(size)) break;
        if (size === 0) {
          // the last chunk, then optional trailers, then an empty line
          const trailerEnd = data.indexOf('\r\n\r\n', lineEnd);
          if (trailerEnd < 0) break;
          p = trailerEnd + 4;
          complete = true;
          break;
        }
        if (lineEnd + 2 + size + 2 > data.length) break;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(chunks);
      bodyStart = p;
      at = p;
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (!Number.isInteger(length) || bodyStart + length > data.length) break;
      body = data.subarray(bodyStart, bodyStart + length);
      at = bodyStart + length;
    } else if (status === 204 || status === 304) {
      body = Buffer.alloc(0);
      at = bodyStart;
    } else {
      if (!closed) break;
      body = data.subarray(bodyStart);
      at = data.length;
    }
    responses.push({ status, headers, body: body.toString('utf8') });
  }
  return { responses, leftover: data.length - at };
}

/** Send the pieces and collect the answer (see the file comment). */
export function rawExchange(opts: RawSendOptions): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ port: opts.port, host: '127.0.0.1', allowHalfOpen: true });
    const received: Buffer[] = [];
    let finished = false;
    const finish = (closed: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const { responses, leftover } = parseResponses(Buffer.concat(received), closed);
      resolve({ responses, closed, leftover });
    };
    const timer = setTimeout(() => finish(false), opts.boundMs);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (opts.stopAfter !== undefined && parseResponses(Buffer.concat(received), false).responses.length >= opts.stopAfter) finish(false);
    });
    socket.on('connect', () => {
      const write = (index: number): void => {
        if (socket.destroyed) return;
        if (index >= opts.pieces.length) {
          if (opts.end) socket.end();
          return;
        }
        // each piece in its own write, on its own turn, so the server's parser sees it separately
        socket.write(opts.pieces[index], () => setImmediate(() => write(index + 1)));
      };
      write(0);
    });
  });
}
