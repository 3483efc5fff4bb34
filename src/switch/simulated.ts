/**
 * SimulatedSwitch: the call model with simulated endpoints only (external numbers answer after a
 * delay, extensions ring until GWS Answer; src/endpoints/simulated.ts). What the app builds when
 * no phone is connected; the call model itself is src/switch/call-model.ts.
 */
import { CallModel } from './call-model.js';
import type { SwitchOptions } from './call-model.js';

export class SimulatedSwitch extends CallModel {
  constructor(options: Omit<SwitchOptions, 'endpoints'>) {
    super(options);
  }
}
