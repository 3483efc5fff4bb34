/**
 * Early errors — answers given before the request was read to its end (oversized body or head,
 * malformed request, a request too slow to arrive, an unsupported `Expect`) — and the lingering
 * close that lets the client read them.
 *
 * Guarantees:
 *  - every such answer is the GWS envelope in JSON (statusCode 10, or 4 for the server's own
 *    refusals), with the HTTP status of the EARLY_ERRORS table below;
 *  - `100 Continue` is never sent for a body whose Content-Length is over the limit: it is answered
 *    413 at once;
 *  - after an early answer what the client still sends is read and discarded for at most `lingerMs`
 *    and `lingerBytes`, so the kernel does not reset the connection (RST) while the answer sits
 *    unread in the client's buffer; past either bound the connection is destroyed. After a parser
 *    error the connection is closed that way (answer, FIN, drain, close); after an answer given by a
 *    route before the body was read (413, 401) the body is drained and the connection stays usable.
 *  - nothing here throws into Node's event emitters: a failure is logged and the socket destroyed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ERROR_TABLE } from '../errors.js';
import { JSON_CONTENT_TYPE, errorBody } from './reply.js';
import { envelopeResponse } from './wire.js';

export interface LingerLimits {
  lingerMs: number;
  lingerBytes: number;
}

export interface EarlyErrorLimits extends LingerLimits {
  bodyLimitBytes: number;
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface EarlyErrorLog {
  debug(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

interface EarlyError {
  httpStatus: number;
  message: (limits: EarlyErrorLimits) => string;
}

/** Node's parser and timeout errors ('clientError'), by error code; anything else is a 400. */
const EARLY_ERRORS: Readonly<Record<string, EarlyError>> = {
  HPE_HEADER_OVERFLOW: {
    httpStatus: 431,
    message: (l) => `Request head (request line and headers) is larger than the limit of ${l.maxHeaderBytes} bytes`,
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    httpStatus: 408,
    message: (l) => `Request not received in time: the headers must arrive within ${l.headersTimeoutMs} ms and the whole request within ${l.requestTimeoutMs} ms`,
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    httpStatus: 413,
    message: () => 'Chunk extensions of the request body are too large',
  },
  HPE_UNEXPECTED_CONTENT_LENGTH: {
    httpStatus: 400,
    message: () => 'A request may not carry both Content-Length and Transfer-Encoding',
  },
  HPE_INVALID_METHOD: {
    httpStatus: 400,
    message: () => 'Malformed HTTP request: unknown method',
  },
};

const MALFORMED: EarlyError = { httpStatus: 400, message: () => 'Malformed HTTP request' };

/** The interval at which a lingering connection's received bytes are compared with lingerBytes. */
const LINGER_CHECK_MS = 50;

/**
 * Close a socket gracefully: shut the write side now (after what is queued, e.g. an answer), read
 * and discard what still arrives within the bounds, then destroy it.
 */
export function lingeringClose(socket: Duplex, limits: LingerLimits): void {
  if (socket.destroyed) return;
  const net = socket as Socket;
  const startBytes = typeof net.bytesRead === 'number' ? net.bytesRead : 0;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(deadline);
    clearInterval(sizeCheck);
    socket.destroy();
  };
  const overSize = (): boolean => typeof net.bytesRead === 'number' && net.bytesRead - startBytes > limits.lingerBytes;
  const deadline = setTimeout(finish, limits.lingerMs);
  const sizeCheck = setInterval(() => overSize() && finish(), LINGER_CHECK_MS);
  deadline.unref();
  sizeCheck.unref();
  socket.on('error', finish);
  socket.on('close', finish);
  socket.on('end', finish);
  socket.on('data', () => overSize() && finish());
  socket.end();
  socket.resume();
}

/**
 * After an answer given before its request was read to the end: keep the connection reading (Node
 * discards the rest of an unread body); once the body has been read in full the connection is a
 * normal keep-alive one again (the client was not told to close, so it may reuse it), and past a
 * linger bound it is destroyed. Call before the response is sent; a complete request needs nothing.
 */
export function lingerAfterAnswer(req: IncomingMessage, res: ServerResponse, limits: LingerLimits): void {
  // fastify.inject() has no network socket, hence nothing to linger on
  if (req.complete || !(req.socket instanceof Socket)) return;
  // with "Connection: close" Node would destroy the socket right after the answer, unread body and
  // all (the RST that loses the answer); without it, Node reads and discards the body
  res.removeHeader('connection');
  res.once('finish', () => {
    const socket = req.socket;
    if (!socket || socket.destroyed) return;
    if (req.complete) return;
    const startBytes = socket.bytesRead;
    let done = false;
    const finish = (drained: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(sizeCheck);
      // a keep-alive connection may see many early answers: leave no listener behind on it
      socket.removeListener('close', onClose);
      if (!drained) socket.destroy();
    };
    const onClose = (): void => finish(false);
    const deadline = setTimeout(() => finish(false), limits.lingerMs);
    const sizeCheck = setInterval(() => socket.bytesRead - startBytes > limits.lingerBytes && finish(false), LINGER_CHECK_MS);
    deadline.unref();
    sizeCheck.unref();
    req.once('end', () => finish(true));
    socket.once('close', onClose);
    // a body that was being read when the error came may be paused: let it flow into the void
    req.removeAllListeners('data');
    req.resume();
  });
}

/** An answer on a Node response outside fastify (Expect handling), with the lingering close. */
function answer(req: IncomingMessage, res: ServerResponse, httpStatus: number, statusCode: number, message: string, limits: LingerLimits): void {
  const body = JSON.stringify(errorBody(statusCode, message));
  res.statusCode = httpStatus;
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  lingerAfterAnswer(req, res, limits);
  res.end(body);
}

function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/**
 * Handle 'checkContinue' and 'checkExpectation' on the Node server: an acceptable 100-continue
 * request gets its `100 Continue` and goes on to the server's 'request' listener (fastify).
 */
export function handleEarlyErrors(server: Server, limits: EarlyErrorLimits, log: EarlyErrorLog): void {
  const invalid = ERROR_TABLE.InvalidValue.statusCode;

  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    try {
      const length = declaredLength(req);
      if (length !== undefined && length > limits.bodyLimitBytes) {
        answer(req, res, 413, invalid, `Request body is larger than the limit of ${limits.bodyLimitBytes} bytes`, limits);
        return;
      }
      res.writeContinue();
      server.emit('request', req, res);
    } catch (err) {
      log.warn({ err }, 'checkContinue handler failed');
      req.socket.destroy();
    }
  });

  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    try {
      const expectation = String(req.headers.expect ?? '').slice(0, 100);
      answer(req, res, 417, invalid, `Expect: ${JSON.stringify(expectation)} is not supported; the only expectation understood is 100-continue`, limits);
    } catch (err) {
      log.warn({ err }, 'checkExpectation handler failed');
      req.socket.destroy();
    }
  });
}

/** The 'clientError' handler (fastify's clientErrorHandler option): a GWS answer, then a lingering close. */
export function clientErrorHandler(limits: EarlyErrorLimits, log: EarlyErrorLog): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    try {
      if (err.code === 'ECONNRESET' || socket.destroyed) {
        socket.destroy();
        return;
      }
      const known = (err.code && EARLY_ERRORS[err.code]) || MALFORMED;
      log.debug({ code: err.code, reason: err.message }, 'client error');
      // a response already under way on this connection cannot be followed by another head
      const underway = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
      if (!socket.writable || underway) {
        socket.destroy();
        return;
      }
      socket.write(envelopeResponse(known.httpStatus, ERROR_TABLE.InvalidValue.statusCode, known.message(limits)));
      lingeringClose(socket, limits);
    } catch (failure) {
      log.warn({ err: failure }, 'clientError handler failed');
      socket.destroy();
    }
  };
}
