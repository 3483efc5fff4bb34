/**
 * What GWS routes are given (the dependencies built by the composition root) and what they know
 * of the caller once authentication has run.
 */
import type { BayeuxServer } from '../bayeux/port.js';
import type { Config } from '../config/types.js';
import type { Store, UserRecord } from '../store/port.js';
import type { SwitchAccess } from '../switch/port-access.js';
import type { Auth } from './auth.js';
import type { CenterEntry, Directory } from './directory.js';
import type { Principal } from './gates.js';
import type { Session, Sessions } from './sessions.js';
import type { Team } from './team-notifier.js';
import type { Urls } from './urls.js';
import type { RecordingCatalog } from './routes/recordings.js';
import type { MetricsExposition, ReadinessChecks } from './routes/health.js';

export interface GwsDeps {
  config: Config;
  directory: Directory;
  sw: SwitchAccess;
  store: Store;
  urls: Urls;
  sessions: Sessions;
  auth: Auth;
  bayeux?: BayeuxServer;
  /** package version, for /api/v2/diagnostics/version */
  version: string;
  /** resolves once every audit entry emitted so far is stored (the audit GET reads its writes) */
  auditWritten?: () => Promise<void>;
  /** why the supervision audit cannot be written now (arming is refused, /readyz is 503), or undefined */
  auditFault?: () => string | undefined;
  /** the supervision team extension (GET /api/v2/supervision/agents and its CometD channel) */
  team?: Team;
  /** recorded calls and their WAV files (GET /api/v2/recordings/{callUuid}) */
  recordings?: RecordingCatalog;
  /** test tones of simulated parties (POST /sim/v1/calls `tone`); absent when SIP is off (no mixer) */
  tones?: { assignTone(callUuid: string, phoneNumber: string, frequencyHz: number): void };
  /** the readiness checks of GET /readyz (the audit fault alone when absent) */
  readiness?: ReadinessChecks;
  /** the Prometheus exposition of GET /metrics (not served when absent) */
  metrics?: MetricsExposition;
}

export interface Caller {
  user: UserRecord;
  cc: CenterEntry;
  who: Principal;
  session: Session;
  /** authenticated by an Authorization header (CSRF does not apply) rather than the cookie alone */
  byAuthorization: boolean;
}

export function principalOf(user: UserRecord, cc: CenterEntry): Principal {
  return { roles: user.roles, features: cc.features };
}
