/**
 * The simulation API (/sim/v1, admin role only, off when config.simApi is false): the outside
 * world of the simulated switch. A customer calls a DN or routing point of the admin's contact
 * center, an external party hangs up, and who hears whom on a call (supervision.md section 5).
 * Calls of other contact centers answer like unknown ones (statusCode 6). A new call may give the
 * customer a test `tone` (Hz, 200-3400, else statusCode 10): with SIP on it is a virtual speaker in the
 * call's mixer, so a real phone that hears the customer hears the tone (spec/sip.md section 5).
 */
import { TONE_RANGE_HZ } from '../media/mixer.js';
import { Role } from '../store/port.js';
import type { Caller, GwsDeps } from './context.js';
import type { OperationTable } from './operations.js';
import { dispatch, parameterPolicy, readBody, rowOf } from './operations.js';
import { USER_DATA_OPTIONAL_PARAM } from './params.js';
import type { ParamSpec } from './params.js';
import { gws, unwrap } from './reply.js';
import type { Router } from './router.js';

function requireAdmin(caller: Caller): void {
  if (!caller.user.roles.includes(Role.Admin)) throw gws.noPermission('The simulation API /sim/v1 needs the role ROLE_ADMIN');
}

/** the body of POST /sim/v1/calls, in the order it is checked */
export const SIM_CALL_BODY = [
  { name: 'from', kind: 'text', required: true, trim: true, expects: 'the external number calling, e.g. "+15551234567"', description: 'the external number calling', example: '+15551234567' },
  { name: 'to', kind: 'text', required: true, trim: true, expects: 'a DN or routing point of your contact center', description: 'a DN or routing point of your contact center', example: '5001' },
  USER_DATA_OPTIONAL_PARAM,
  {
    name: 'tone',
    kind: 'number',
    range: { lowest: TONE_RANGE_HZ.lowest, highest: TONE_RANGE_HZ.highest, unit: 'Hz' },
    description: "a test tone the customer plays into the call (with SIP on, heard by real phones through the call's mixer)",
    example: 440,
  },
] as const satisfies readonly ParamSpec[];

async function callOfCenter(deps: GwsDeps, caller: Caller, callUuid: string): Promise<void> {
  if ((await deps.sw.callContactCenter(callUuid)) !== caller.cc.id) throw gws.notFound(`Call ${callUuid} not found`);
}

interface SimCallCtx {
  deps: GwsDeps;
  callUuid: string;
}

export const SIM_CALL_OPERATIONS: OperationTable<SimCallCtx> = {
  Hangup: rowOf<SimCallCtx>()({
    summary: 'An external party of the call hangs up',
    params: [{ name: 'phoneNumber', kind: 'text', trim: true, description: 'which external party (default: the first one)', example: '+15551234567' }],
    build: (v) => v.phoneNumber,
    run: async (ctx, phoneNumber) => void unwrap(await ctx.deps.sw.simulateExternalHangup(ctx.callUuid, phoneNumber)),
  }),
};

export function simRoutes(r: Router, deps: GwsDeps): void {
  r.post('/sim/v1/calls', async (req, _reply, caller) => {
    const { from, to, userData, tone } = readBody(req.body, SIM_CALL_BODY, 'POST /sim/v1/calls', parameterPolicy(deps.config, req.log));
    requireAdmin(caller);
    if (!deps.directory.deviceByNumber(caller.cc.id, to)) {
      throw gws.notFound(`'to' must be a DN or routing point of your contact center; ${to} is unknown`);
    }
    const { callUuid } = unwrap(await deps.sw.simulateInbound(from, to, userData));
    if (tone !== undefined) deps.tones?.assignTone(callUuid, from, tone);
    return { callUuid };
  });

  r.post('/sim/v1/calls/:callUuid', (req, _reply, caller) => {
    const { callUuid } = req.params as { callUuid: string };
    return dispatch(SIM_CALL_OPERATIONS, '/sim/v1/calls/{callUuid}', req.body, caller.who, async () => {
      requireAdmin(caller);
      await callOfCenter(deps, caller, callUuid);
      return { deps, callUuid };
    }, parameterPolicy(deps.config, req.log));
  });

  r.get('/sim/v1/calls/:callUuid/media', async (req, _reply, caller) => {
    const { callUuid } = req.params as { callUuid: string };
    requireAdmin(caller);
    await callOfCenter(deps, caller, callUuid);
    const parties = await deps.sw.media(callUuid);
    if (!parties) throw gws.notFound(`Call ${callUuid} not found`);
    return { parties };
  });
}
