/**
 * How the GWS layer and the app hold the switch: a SwitchPort whose methods may answer now or
 * later. The local call model answers synchronously; a cluster node's forwarding port
 * (src/cluster/contract.ts, AsyncSwitchPort) answers with Promises. Callers `await` every method,
 * so either can be plugged in without a change above the port. Listening and stopping stay local.
 */
import type { SwitchPort } from './port.js';

export type Awaitable<T> = T | Promise<T>;

export type SwitchAccess = {
  [K in Exclude<keyof SwitchPort, 'onEvent' | 'stop'>]: (...args: Parameters<SwitchPort[K]>) => Awaitable<ReturnType<SwitchPort[K]>>;
} & Pick<SwitchPort, 'onEvent' | 'stop'>;
