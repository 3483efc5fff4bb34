/**
 * The shape of Switchboard's configuration. `loadConfig` (load.ts) is the only reader of
 * defaults, the optional JSON file and the environment; it returns a frozen Config.
 */
import type { ContactCenterSpec } from '../store/port.js';

export interface CometdConfig {
  /** ms a /meta/connect is held */
  timeoutMs: number;
  /** advice.interval ms */
  intervalMs: number;
  /** ms after a connect reply before an idle session expires (in addition to interval) */
  maxIntervalMs: number;
  /** per-session queue cap */
  maxQueue: number;
}

export interface Config {
  /** listen address; env HOST; default 127.0.0.1 */
  host: string;
  /** listen port; env PORT; default 8080; 0 = ephemeral */
  port: number;
  /** base of every uri field, e.g. http://127.0.0.1:8080; default derived from host and port */
  publicBaseUrl?: string;
  /** SQLite file, or ":memory:"; env SWITCHBOARD_DB; default ./data/switchboard.db */
  database: string;
  /** pino level; env SWITCHBOARD_LOG_LEVEL; default info */
  logLevel: string;
  /** enforce X-CSRF-TOKEN on cookie-only POST/PUT/DELETE; env SWITCHBOARD_CSRF; default true */
  csrf: boolean;
  /** serve /sim/v1 (admin role); env SWITCHBOARD_SIM_API; default true */
  simApi: boolean;
  /** max request body, bytes; default 65536 */
  bodyLimitBytes: number;
  /** HTTP session idle lifetime, seconds; default 1800 */
  sessionTtlSec: number;
  cometd: CometdConfig;
  /** path of the configuration file that was read, if any */
  configFile?: string;
  /** contact centers described by the file; when absent and the database is empty, the demo is provisioned */
  contactCenters?: ContactCenterSpec[];
}
