/**
 * Operation dispatch, the same for every resource that takes `{operationName, ...}` POSTs.
 * Order (supervision.md section 1 generalised): body is an object (10); operationName present (1),
 * a string (10) and known for this resource (10, listing the valid names; matched ignoring case,
 * for clients that send "singleStepConference"); no unknown parameter (1, naming it and the
 * accepted ones; only logged when config.api.unknownParameters is "warn"); parameters well formed
 * (1/10, read from the row's ParamSpecs in their order); the contact center has the features (3);
 * the caller has the role (5); then the resource is resolved (6) and the operation runs (state
 * checks: 2, and whatever the switch answers).
 *
 * A row is data (gate, parameters, rules, summary) plus two functions: `build` turns the read
 * parameters into the operation's own value, `run` does it. The OpenAPI document and the
 * reference page read the same rows (api-docs/).
 */
import type { Gate, Principal } from './gates.js';
import { checkGate } from './gates.js';
import { thenNow, type Awaitable } from './awaitable.js';
import { bodyObject, OPERATION_NAME_PARAM, readParams, unknownParameterError, unknownParameters } from './params.js';
import type { AnyOfRule, Body, ParamSpec, ParamValues } from './params.js';
import { gws } from './reply.js';

export interface OperationRow<Ctx, P = unknown> {
  gate?: Gate;
  /** one line for the reference: what the operation does */
  summary: string;
  /** the parameters besides operationName, in the order they are checked */
  params: readonly ParamSpec[];
  /** rules over several parameters (checked once the last parameter they name is read) */
  rules?: readonly AnyOfRule[];
  /** the read parameters as the operation's value (may throw 10 for a value's form) */
  build: (values: Readonly<Record<string, unknown>>) => P;
  /** do it; may return extra members for the `{statusCode:0}` response */
  run: (ctx: Ctx, params: P, name: string) => Awaitable<void | Record<string, unknown>>;
}

export type OperationTable<Ctx> = Readonly<Record<string, OperationRow<Ctx, any>>>;

/** What a row is written as: its builder sees the typed values of its own specs. */
export interface RowInput<Ctx, L extends readonly ParamSpec[], P> {
  gate?: Gate;
  summary: string;
  params: L;
  rules?: readonly AnyOfRule[];
  build: (values: ParamValues<L>) => P;
  run: OperationRow<Ctx, P>['run'];
}

/** typed row constructor for a context: `rowOf<Ctx>()({...})` infers the values and P */
export function rowOf<Ctx>() {
  return <const L extends readonly ParamSpec[], P>(r: RowInput<Ctx, L, P>): OperationRow<Ctx, P> => r as unknown as OperationRow<Ctx, P>;
}

/** a row without parameters */
export const NO_PARAMS = [] as const;
export const noValues = (): undefined => undefined;

/** What to do with body members no row parameter accepts (config.api.unknownParameters). */
export interface ParameterPolicy {
  unknownParameters: 'refuse' | 'warn';
  /** where "warn" reports them (the request's log) */
  warn?: (details: object, message: string) => void;
}

export const REFUSE_UNKNOWN: ParameterPolicy = Object.freeze({ unknownParameters: 'refuse' });

/** The policy of a request: the configured one, warning through the request's log. */
export function parameterPolicy(config: { api: { unknownParameters: 'refuse' | 'warn' } }, log: { warn: (o: object, m: string) => void }): ParameterPolicy {
  // refusing needs no log: the shared policy, nothing allocated per request
  if (config.api.unknownParameters === 'refuse') return REFUSE_UNKNOWN;
  return { unknownParameters: 'warn', warn: (o, m) => log.warn(o, m) };
}

const lowerIndex = new WeakMap<object, Map<string, string>>();

function canonicalName(table: Readonly<Record<string, unknown>>, name: string): string | undefined {
  if (Object.hasOwn(table, name)) return name;
  let idx = lowerIndex.get(table);
  if (!idx) {
    idx = new Map(Object.keys(table).map((k) => [k.toLowerCase(), k]));
    lowerIndex.set(table, idx);
  }
  return idx.get(name.toLowerCase());
}

/** The operation a body names, or the GWS refusal. */
export function operationOf<Ctx>(table: OperationTable<Ctx>, resource: string, body: Body): { name: string; row: OperationRow<Ctx, any> } {
  const v = body.operationName;
  const valid = Object.keys(table).join(', ');
  if (v === undefined || v === null) throw gws.missing('operationName', `one of ${valid}`);
  if (typeof v !== 'string') throw gws.invalid(`Parameter 'operationName' must be a string, one of ${valid}`);
  const name = canonicalName(table, v);
  if (!name) throw gws.invalid(`Unknown operationName '${v}' for ${resource}; valid operations are ${valid}`);
  return { name, row: table[name] };
}

/** Refuse (or, per the policy, log) the body members that none of `specs` accepts. */
function checkUnknown(body: Body, specs: readonly ParamSpec[], what: string, policy: ParameterPolicy): void {
  const unknown = unknownParameters(body, specs);
  if (unknown.length === 0) return;
  const error = unknownParameterError(unknown, specs, what);
  if (policy.unknownParameters === 'refuse') throw error;
  policy.warn?.({ operationName: what, unknownParameters: unknown }, `${error.message} (ignored: api.unknownParameters is "warn")`);
}

/** The row's parameters read from the body (unknown members first, per the policy). */
export function parseOperation<Ctx, P>(r: OperationRow<Ctx, P>, name: string, body: Body, policy: ParameterPolicy = REFUSE_UNKNOWN): P {
  checkUnknown(body, [OPERATION_NAME_PARAM, ...r.params], name, policy);
  return r.build(readParams(body, r.params, r.rules));
}

/**
 * A JSON body that is not an operation (POST /sim/v1/calls), read with the same rules: an object
 * (10), no unknown member (1, per the policy; `what` names the request), then the specs in order.
 */
export function readBody<const L extends readonly ParamSpec[]>(rawBody: unknown, specs: L, what: string, policy: ParameterPolicy = REFUSE_UNKNOWN): ParamValues<L> {
  const body = bodyObject(rawBody);
  checkUnknown(body, specs, what, policy);
  return readParams(body, specs) as ParamValues<L>;
}

/**
 * Read, check and run the operation a body names. Answered in the same tick when the context and
 * the row's run are ready values (the local switch), else as a Promise (awaitable.ts); a refusal is
 * thrown either way before anything runs.
 */
export function dispatch<Ctx>(
  table: OperationTable<Ctx>,
  resource: string,
  rawBody: unknown,
  who: Principal,
  resolve: () => Awaitable<Ctx>,
  policy: ParameterPolicy = REFUSE_UNKNOWN,
): Awaitable<Record<string, unknown>> {
  const body = bodyObject(rawBody);
  const { name, row: r } = operationOf(table, resource, body);
  const params = parseOperation(r, name, body, policy);
  checkGate(r.gate, who, name);
  return thenNow(resolve(), (ctx) => thenNow(r.run(ctx, params, name), answerMembers));
}

/** the members a run adds to the `{statusCode:0}` answer (none when it returns nothing) */
const answerMembers = (extra: void | Record<string, unknown>): Record<string, unknown> => extra ?? {};
