/**
 * Route registration for the GWS dialect: each route says whether it needs an authenticated
 * caller, and its handler returns the members of a `{statusCode:0, ...}` answer, or that answer's
 * kept text (an AnswerText), or throws a DomainError. The router remembers every path pattern so an existing path asked with the wrong
 * method can be answered 405 (statusCode 6) instead of 404. A handler may answer now or with a
 * Promise: a ready answer is sent in the same tick (no microtask hop), a thrown refusal reaches the
 * error handler either way (fastify catches a synchronous throw as it does a rejection).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from './context.js';
import { isThenable } from './awaitable.js';
import { AnswerText, sendAnswerText, sendOk } from './reply.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route needs an authenticated caller (the auth hook sets request.caller) */
    auth?: boolean;
  }
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** the members of the answer, or its whole kept text (reply.ts AnswerText) */
type Answer = Record<string, unknown> | AnswerText | void;
export type Handler = (req: FastifyRequest, reply: FastifyReply, caller: Caller) => Promise<Answer> | Answer;

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  return answer instanceof AnswerText ? sendAnswerText(reply, answer) : sendOk(reply, answer ?? {});
}

function patternOf(url: string): RegExp {
  const parts = url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}/?$`);
}

export class Router {
  private readonly known: { method: string; re: RegExp }[] = [];

  constructor(private readonly app: FastifyInstance) {}

  /** an authenticated GWS route */
  route(method: Method, url: string, handler: Handler): void {
    this.remember(method, url);
    this.app.route({
      method,
      url,
      config: { auth: true },
      // a handler's ready answer is sent in the same tick; a Promise is awaited (awaitable.ts)
      handler: (req, reply) => {
        const answer = handler(req, reply, req.caller!);
        if (isThenable(answer)) return answer.then((extra) => (reply.sent ? reply : send(reply, extra)));
        if (!reply.sent) send(reply, answer);
      },
    });
  }

  get(url: string, handler: Handler): void {
    this.route('GET', url, handler);
  }

  post(url: string, handler: Handler): void {
    this.route('POST', url, handler);
  }

  /** a route that answers for itself (public, or hijacked by the Bayeux server) */
  raw(method: Method, url: string, handler: (req: FastifyRequest, reply: FastifyReply) => unknown): void {
    this.remember(method, url);
    this.app.route({ method, url, config: { auth: false }, handler: handler as never });
  }

  /** methods registered for a concrete path (for 405 answers) */
  allowedMethods(path: string): string[] {
    const p = path.split('?', 1)[0];
    return [...new Set(this.known.filter((k) => k.re.test(p)).map((k) => k.method))];
  }

  private remember(method: string, url: string): void {
    this.known.push({ method, re: patternOf(url) });
    if (method === 'GET') this.known.push({ method: 'HEAD', re: patternOf(url) });
  }
}
