/**
 * GWS answers written straight onto a socket, for the places where no fastify reply exists: Node's
 * parser errors ('clientError'), refused `Expect` headers, refused websocket upgrades, connections
 * over the cap. Guarantees: the text is one complete HTTP/1.1 response whose body is the GWS error
 * envelope `{"statusCode":N,"statusMessage":"..."}` in JSON (statusCode from the GWS catalogue,
 * never an HTTP status), with an exact Content-Length and `Connection: close`; header values
 * cannot be split (CR/LF are removed from everything that goes into the head).
 */
import { STATUS_CODES } from 'node:http';
import { JSON_CONTENT_TYPE, errorBody } from './reply.js';

const NO_LINE_BREAKS = /[\r\n]+/g;

/** The complete HTTP/1.1 response carrying a GWS error envelope. */
export function envelopeResponse(httpStatus: number, statusCode: number, statusMessage: string, headers: Record<string, string> = {}): string {
  const body = JSON.stringify(errorBody(statusCode, statusMessage));
  const reason = (STATUS_CODES[httpStatus] ?? 'Error').replace(NO_LINE_BREAKS, ' ');
  const lines = [`HTTP/1.1 ${httpStatus} ${reason}`];
  const all: Record<string, string> = {
    ...headers,
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  for (const [name, value] of Object.entries(all)) lines.push(`${name.replace(NO_LINE_BREAKS, '')}: ${value.replace(NO_LINE_BREAKS, ' ')}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
