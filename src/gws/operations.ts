/**
 * Operation dispatch, the same for every resource that takes `{operationName, ...}` POSTs.
 * Order (supervision.md section 1 generalised): body is an object (10); operationName present (1),
 * a string (10) and known for this resource (10, listing the valid names; matched ignoring case,
 * for clients that send "singleStepConference"); parameters well formed (1/10); the contact
 * center has the features (3); the caller has the role (5); then the resource is resolved (6)
 * and the operation runs (state checks: 2, and whatever the switch answers).
 */
import type { Gate, Principal } from './gates.js';
import { checkGate } from './gates.js';
import { bodyObject } from './params.js';
import type { Body } from './params.js';
import { gws } from './reply.js';

export interface OperationRow<Ctx, P = unknown> {
  gate?: Gate;
  /** read and validate the parameters (throws 1/10) */
  parse: (b: Body) => P;
  /** do it; may return extra members for the `{statusCode:0}` response */
  run: (ctx: Ctx, params: P, name: string) => void | Record<string, unknown> | Promise<void | Record<string, unknown>>;
}

export type OperationTable<Ctx> = Readonly<Record<string, OperationRow<Ctx, any>>>;

/** typed row constructor: infers P from parse for run */
export function row<Ctx, P>(r: OperationRow<Ctx, P>): OperationRow<Ctx, P> {
  return r;
}

export const noParams = (): undefined => undefined;

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

export async function dispatch<Ctx>(
  table: OperationTable<Ctx>,
  resource: string,
  rawBody: unknown,
  who: Principal,
  resolve: () => Ctx,
): Promise<Record<string, unknown>> {
  const body = bodyObject(rawBody);
  const { name, row: r } = operationOf(table, resource, body);
  const params = r.parse(body);
  checkGate(r.gate, who, name);
  const ctx = resolve();
  const extra = await r.run(ctx, params, name);
  return extra ?? {};
}
