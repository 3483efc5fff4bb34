/**
 * The HTTP server's 'upgrade' handler: which websocket upgrades reach the Bayeux server.
 *
 * Guarantees: an upgrade is answered with a GWS JSON envelope whenever it is refused here — a
 * connection refused at the cap (503, statusCode 4), a path other than /api/v2/notifications (404,
 * statusCode 6), a foreign browser Origin (403, statusCode 3; no Origin is allowed), a failure of
 * this handler or of the Bayeux server (500, statusCode 4, logged) — followed by a lingering close.
 * Basic credentials not verified yet are verified first (so the Bayeux hook, which is synchronous,
 * finds them); a connection whose upgrade presents valid credentials is marked authenticated for the
 * connection guard. Nothing thrown here or in the Bayeux server escapes to the event loop.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BayeuxServer } from '../bayeux/port.js';
import { ERROR_TABLE } from '../errors.js';
import type { Auth } from './auth.js';
import { lingeringClose } from './early-errors.js';
import { JSON_CONTENT_TYPE } from './reply.js';
import type { LingerLimits } from './early-errors.js';
import { FOREIGN_ORIGIN_MESSAGE, NOTIFICATIONS_PATH, foreignOrigin } from './http.js';
import type { HttpFront } from './http.js';
import { envelopeResponse } from './wire.js';

export interface UpgradeDeps {
  bayeux: BayeuxServer;
  auth: Pick<Auth, 'prepare' | 'authenticateSync'>;
  front: HttpFront;
  limits: LingerLimits;
  log: { error(o: object, msg: string): void; debug(o: object, msg: string): void };
}

/** Answer an upgrade on its raw socket with a GWS envelope, then close it gracefully. */
export function refuseUpgrade(socket: Duplex, limits: LingerLimits, httpStatus: number, statusCode: number, message: string): void {
  if (socket.destroyed) return;
  socket.on('error', () => socket.destroy());
  if (socket.writable) socket.write(envelopeResponse(httpStatus, statusCode, message));
  lingeringClose(socket, limits);
}

/** The GWS statusCode that goes with each HTTP status the Bayeux server refuses an upgrade with. */
const BAYEUX_REFUSALS: Readonly<Record<number, number>> = {
  400: ERROR_TABLE.InvalidValue.statusCode,
  401: ERROR_TABLE.NotAuthenticated.statusCode,
  403: ERROR_TABLE.Forbidden.statusCode,
  404: ERROR_TABLE.NotFound.statusCode,
  426: ERROR_TABLE.InvalidValue.statusCode,
  500: ERROR_TABLE.Internal.statusCode,
  503: ERROR_TABLE.Internal.statusCode,
};

/** The Bayeux server's `renderRefusal`: its refusals in the GWS envelope (statusCode, never an HTTP status). */
export function gwsRefusal(httpStatus: number, message: string): { contentType: string; body: string } {
  const statusCode = BAYEUX_REFUSALS[httpStatus] ?? (httpStatus >= 500 ? ERROR_TABLE.Internal.statusCode : ERROR_TABLE.InvalidValue.statusCode);
  return { contentType: JSON_CONTENT_TYPE, body: JSON.stringify({ statusCode, statusMessage: message }) };
}

export function upgradeHandler(deps: UpgradeDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { bayeux, auth, front, limits, log } = deps;
  const fail = (socket: Duplex, req: IncomingMessage, err: unknown): void => {
    log.error({ err, url: req.url?.slice(0, 256) }, 'websocket upgrade failed');
    try {
      refuseUpgrade(socket, limits, 500, ERROR_TABLE.Internal.statusCode, 'Internal error during the websocket upgrade');
    } catch {
      socket.destroy();
    }
  };
  const proceed = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (socket.destroyed) return;
    if (auth.authenticateSync(req) !== null) front.connections.markAuthenticated(socket as Socket);
    bayeux.handleUpgrade(req, socket, head);
  };
  return (req, socket, head) => {
    try {
      if (front.connections.refused(socket as Socket)) {
        return refuseUpgrade(socket, limits, 503, ERROR_TABLE.Internal.statusCode, 'Server is at its connection limit; try again shortly');
      }
      const path = (req.url ?? '').split('?', 1)[0];
      if (path !== NOTIFICATIONS_PATH && !path.startsWith(`${NOTIFICATIONS_PATH}/`)) {
        return refuseUpgrade(socket, limits, 404, ERROR_TABLE.NotFound.statusCode, `No websocket endpoint at ${path.slice(0, 200)}; CometD is at ${NOTIFICATIONS_PATH}`);
      }
      const foreign = foreignOrigin(front.origins, req.headers);
      if (foreign !== undefined) return refuseUpgrade(socket, limits, 403, ERROR_TABLE.Forbidden.statusCode, FOREIGN_ORIGIN_MESSAGE(foreign));
      const verifying = auth.prepare(req.headers.authorization, req.socket.remoteAddress);
      if (!verifying) return proceed(req, socket, head);
      verifying.then(() => proceed(req, socket, head)).catch((err: unknown) => fail(socket, req, err));
    } catch (err) {
      fail(socket, req, err);
    }
  };
}
