/**
 * GET /api/v2/recordings/{callUuid}: the WAV file StartCallRecording wrote for a call (spec/sip.md
 * section 5), served as audio/wav to the supervisors and admins of the call's contact center.
 *
 * Guarantees:
 * - A caller without ROLE_SUPERVISOR or ROLE_ADMIN gets statusCode 5; a callUuid that names no
 *   recording of the caller's contact center (never recorded, recorded elsewhere, file gone, or not
 *   a callUuid at all) gets statusCode 6, so other contact centers' calls cannot be probed.
 * - Which contact center a recording belongs to is learnt from the switch's events the moment a call
 *   first has a recording state, and written beside the WAV (`<callUuid>.json`), so it survives a
 *   restart; the file name comes only from a checked callUuid, never from a path.
 * - A recording still being written (its header sizes are fixed only at Stop) is served with a header
 *   patched to the bytes written so far, so it always plays.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkCallUuidForFile, WAV_HEADER_BYTES, wavHeader } from '../../media/recorder.js';
import { Role } from '../../store/port.js';
import type { SwitchEvent } from '../../switch/model.js';
import type { GwsDeps } from '../context.js';
import { gws } from '../reply.js';
import type { Router } from '../router.js';

/** Calls remembered in memory (the sidecar files keep the rest). */
const REMEMBERED_CALLS = 10_000;

export type RecordingLog = (message: string, fields: Record<string, unknown>) => void;

/** Which contact center each recorded call belongs to, and where its file is. */
export class RecordingCatalog {
  readonly folder: string;
  private readonly owners = new Map<string, string>();
  /** the owner files still being written */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    folder: string,
    private readonly contactCenterOfDn: (dn: string) => string | undefined,
    private readonly log: RecordingLog = () => undefined,
  ) {
    this.folder = resolve(folder);
  }

  /** The switch's event listener: a call that has a recording state belongs to its DN's contact center. */
  readonly onEvent = (event: SwitchEvent): void => {
    if (event.kind !== 'call' || event.view.recordingState === undefined || this.owners.has(event.callUuid)) return;
    const contactCenterId = this.contactCenterOfDn(event.dn);
    if (contactCenterId === undefined || checkCallUuidForFile(event.callUuid) !== undefined) return;
    this.remember(event.callUuid, contactCenterId);
    const sidecar = this.fileOf(event.callUuid, 'json');
    const write = mkdir(this.folder, { recursive: true })
      .then(() => writeFile(sidecar, JSON.stringify({ callUuid: event.callUuid, contactCenterId })))
      .catch((error: unknown) => this.log('cannot write the recording owner file', { file: sidecar, error: String(error) }));
    this.writing = Promise.all([this.writing, write]).then(() => undefined);
  };

  /** Resolves once every owner file started so far is written (or has failed and been logged). */
  written(): Promise<void> {
    return this.writing;
  }

  private remember(callUuid: string, contactCenterId: string): void {
    this.owners.set(callUuid, contactCenterId);
    if (this.owners.size > REMEMBERED_CALLS) this.owners.delete(this.owners.keys().next().value as string);
  }

  private fileOf(callUuid: string, extension: 'wav' | 'json'): string {
    return join(this.folder, `${callUuid}.${extension}`);
  }

  /** The contact center of a recorded call (memory, else its sidecar file), or undefined. */
  async ownerOf(callUuid: string): Promise<string | undefined> {
    if (checkCallUuidForFile(callUuid) !== undefined) return undefined;
    const known = this.owners.get(callUuid);
    if (known !== undefined) return known;
    try {
      const sidecar = JSON.parse(await readFile(this.fileOf(callUuid, 'json'), 'utf8')) as { contactCenterId?: unknown };
      if (typeof sidecar.contactCenterId !== 'string') return undefined;
      this.remember(callUuid, sidecar.contactCenterId);
      return sidecar.contactCenterId;
    } catch {
      return undefined;
    }
  }

  /** The WAV bytes of a call's recording, with sizes that match what is written; undefined when there is none. */
  async wavOf(callUuid: string): Promise<Buffer | undefined> {
    if (checkCallUuidForFile(callUuid) !== undefined) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(this.fileOf(callUuid, 'wav'));
    } catch {
      return undefined;
    }
    if (bytes.length < WAV_HEADER_BYTES) return undefined;
    const dataBytes = bytes.length - WAV_HEADER_BYTES;
    if (bytes.readUInt32LE(40) !== dataBytes) wavHeader(dataBytes).copy(bytes, 0);
    return bytes;
  }
}

export function recordingRoutes(r: Router, deps: GwsDeps): void {
  r.get('/api/v2/recordings/:callUuid', async (req, reply, caller) => {
    const { callUuid } = req.params as { callUuid: string };
    if (!caller.user.roles.includes(Role.Supervisor) && !caller.user.roles.includes(Role.Admin)) {
      throw gws.noPermission('Recordings are for the supervisors and admins of the contact center');
    }
    const catalog = deps.recordings;
    const notFound = () => gws.notFound(`No recording of call ${callUuid}`);
    if (!catalog || (await catalog.ownerOf(callUuid)) !== caller.cc.id) throw notFound();
    const wav = await catalog.wavOf(callUuid);
    if (!wav) throw notFound();
    reply
      .code(200)
      .header('content-type', 'audio/wav')
      .header('content-disposition', `attachment; filename="${callUuid}.wav"`)
      .header('cache-control', 'no-store');
    // the router answers {statusCode: 0} unless the reply is complete: wait until the body is out
    await new Promise<void>((done) => {
      reply.raw.once('finish', done);
      reply.raw.once('close', done);
      reply.send(wav);
    });
  });
}
