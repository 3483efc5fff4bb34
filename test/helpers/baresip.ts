/**
 * A real test phone: one Debian baresip process (package baresip-core, installed by
 * scripts/install-test-tools.sh) per phone, headless, configured as shared/spec/media.md 1.1 says:
 * its own config folder under a temporary folder, `net_interface 127.0.0.1`, `audio_player
 * aubridge,nowhere` (alsa,null busy-spins a core), a microphone that plays a steady tone WAV made by
 * sox (16-bit mono 8000 Hz, vol 0.25 = -12 dBFS, longer than any test), every received call recorded
 * by the sndfile module (`<folder>/recordings/dump-<time>-dec.wav` is what the phone decoded), and the
 * netstring JSON control port (ctrl_tcp) through which the test dials, hangs up and hears events.
 *
 * Guarantees:
 * - ports: every phone gets a free block (SIP on P and the P+1 that baresip also binds, RTP on
 *   P+2..P+9, control on P+10) at a random place of 21000-32000 (below the OS's ephemeral ports),
 *   checked free for UDP and TCP and never handed out twice by this process; when baresip still finds
 *   a port taken (another process was faster), the phone starts again on a new block (3 attempts);
 *   no fixed port anywhere;
 * - the account is created over the control port (`uanew`) once the test is connected, so no event
 *   (REGISTER_OK above all) can happen before the test listens;
 * - every wait (ready, registered, an event, a command's reply) has a timeout that fails loudly,
 *   naming the phone, what was awaited, the events seen and the end of baresip's log;
 * - cleanup by PID: `stop()` asks baresip to quit and SIGKILLs it by its PID after 2 s; `PhoneSet`
 *   stops every phone it started, including those whose start was still running when the test failed;
 *   a phone still running when the test process exits, or is ended by SIGTERM, SIGINT or SIGHUP, is
 *   SIGKILLed by its PID; the temporary folder is removed by `PhoneSet.dispose()` unless
 *   SWITCHBOARD_KEEP_PHONES=1 (kept for debugging).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventCollector, withTimeout } from './wait.js';
import { readWav } from './wav.js';
import type { PcmAudio } from './wav.js';

export type PhoneCodec = 'PCMU' | 'PCMA';

export interface PhoneSpec {
  /** a name for messages and the folder, e.g. "customer" */
  name: string;
  /** the steady tone this phone's microphone plays, Hz */
  toneHz: number;
  codec: PhoneCodec;
  /** the SIP user of the account (a DN such as 5001, or a caller number) */
  user: string;
  /** register with this registrar (127.0.0.1:port) and password; without it the phone never registers */
  registrar?: { port: number; password: string };
  /** answer incoming calls at once (`answermode=auto`) */
  autoAnswer?: boolean;
}

/** An event from baresip's control port, stamped with when this process received it. */
export interface PhoneEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
  /** Date.now() when it arrived */
  receivedAt: number;
}

interface CommandReply {
  ok: boolean;
  data: string;
}

const BLOCK_SIZE = 11;
/** longer than any test file (each is bounded under 90 s), short enough for sox to make in a fraction of a second */
const TONE_SECONDS = 150;
const LOG_TAIL = 6000;
const READY_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 5_000;
const QUIT_GRACE_MS = 2_000;
const START_ATTEMPTS = 3;
/** phones' port blocks start at random in this range, below the OS's ephemeral ports (32768-60999) and above the default RTP range */
const PORT_SEARCH = { first: 21_000, last: 32_000 } as const;
const handedOut = new Set<number>();
const running = new Set<ChildProcess>();

function killRunningPhones(): void {
  for (const child of running) {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

process.once('exit', killRunningPhones);
// a test process ended by a signal (a timeout, Ctrl-C) emits no 'exit': kill the phones, then let the
// signal do what it would have done (SIGKILL cannot be caught: phones then outlive the test process)
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killRunningPhones();
    process.kill(process.pid, signal);
  });
}

export function haveBaresip(): boolean {
  return spawnSync('sh', ['-c', 'command -v baresip && command -v sox'], { encoding: 'utf8' }).status === 0;
}

async function udpFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

async function tcpFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports free for UDP and TCP on 127.0.0.1: the search starts at a random port of
 * PORT_SEARCH (where the OS does not hand out ephemeral ports to other programs meanwhile) and moves up
 * past blocks already handed out or busy; a failure lists what was busy.
 */
export async function freePortBlock(count: number): Promise<number> {
  const span = PORT_SEARCH.last - PORT_SEARCH.first - count;
  let first = PORT_SEARCH.first + Math.floor(Math.random() * span);
  const busy: string[] = [];
  for (let attempt = 0; attempt < 40; attempt++, first += count) {
    if (first + count > PORT_SEARCH.last) first = PORT_SEARCH.first + ((first - PORT_SEARCH.first) % span);
    const block = Array.from({ length: count }, (_, index) => first + index);
    // reserve before the (asynchronous) checks, so that phones started in parallel never share a block
    if (block.some((port) => handedOut.has(port))) {
      busy.push(`${first} (handed out)`);
      continue;
    }
    for (const port of block) handedOut.add(port);
    let taken: string | undefined;
    for (const port of block) {
      if (!(await udpFree(port))) taken = `${port}/udp`;
      else if (!(await tcpFree(port))) taken = `${port}/tcp`;
      if (taken) break;
    }
    if (!taken) return first;
    busy.push(taken);
    for (const port of block) handedOut.delete(port);
  }
  throw new Error(`no block of ${count} free ports on 127.0.0.1; busy: ${busy.join(', ')}`);
}

/** tone files being made, by path: phones of one folder started in parallel share one sox run */
const makingTones = new Map<string, Promise<string>>();

/**
 * A tone WAV in the codec's format (16-bit mono 8000 Hz), -12 dBFS, made by sox once per folder.
 * Asynchronous: sox takes seconds on a loaded machine, and a synchronous run blocked the event loop
 * long enough for a phone started just before to miss its ready timeout although baresip was ready.
 */
function toneFile(folder: string, toneHz: number): Promise<string> {
  const path = join(folder, `tone${toneHz}.wav`);
  if (existsSync(path) && !makingTones.has(path)) return Promise.resolve(path);
  let making = makingTones.get(path);
  if (!making) {
    making = new Promise<string>((resolve, reject) => {
      const args = ['-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', path, 'synth', String(TONE_SECONDS), 'sine', String(toneHz), 'vol', '0.25'];
      const sox = spawn('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      sox.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      sox.once('error', (error) => reject(new Error(`sox could not make ${path}: ${error.message}`)));
      sox.once('exit', (code) => (code === 0 ? resolve(path) : reject(new Error(`sox could not make ${path}: ${stderr || `exit ${code}`}`))));
    }).finally(() => makingTones.delete(path));
    makingTones.set(path, making);
  }
  return making;
}

/** The account line of shared/spec/media.md 1.1 and the brief: registered (digest, auto-answer) or not. */
export function accountLine(spec: PhoneSpec): string {
  const registrar = spec.registrar;
  const parameters = [
    ...(registrar ? [`auth_pass=${registrar.password}`, 'regint=60'] : ['regint=0']),
    ...(spec.autoAnswer ? ['answermode=auto'] : []),
    `audio_codecs=${spec.codec}`,
  ];
  const address = registrar ? `127.0.0.1:${registrar.port}` : '127.0.0.1';
  return `<sip:${spec.user}@${address}>;${parameters.join(';')}`;
}

function configText(folder: string, sipPort: number, controlPort: number, tonePath: string, recordings: string): string {
  return [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    'call_max_calls 4',
    'audio_player aubridge,nowhere',
    `audio_source aufile,${tonePath}`,
    'audio_alert aubridge,nowhere',
    `audio_path ${folder}`,
    `rtp_ports ${sipPort + 2}-${sipPort + 9}`,
    'jitter_buffer_delay 1-5',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module aubridge.so',
    'module sndfile.so',
    'module_tmp account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${controlPort}`,
    `snd_path ${recordings}`,
    '',
  ].join('\n');
}

/** Splits a byte stream into netstrings ("LEN:payload,"); throws on a malformed frame. */
export class NetstringReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      const colon = this.buffer.indexOf(0x3a);
      if (colon < 0) {
        if (this.buffer.length > 10) throw new Error(`netstring: no length prefix in ${JSON.stringify(this.buffer.subarray(0, 20).toString())}`);
        return out;
      }
      const lengthText = this.buffer.toString('ascii', 0, colon);
      if (!/^\d{1,9}$/.test(lengthText)) throw new Error(`netstring: bad length ${JSON.stringify(lengthText)}`);
      const length = Number(lengthText);
      const end = colon + 1 + length;
      if (this.buffer.length < end + 1) return out;
      if (this.buffer[end] !== 0x2c) throw new Error('netstring: payload not followed by a comma');
      out.push(this.buffer.toString('utf8', colon + 1, end));
      this.buffer = this.buffer.subarray(end + 1);
    }
  }
}

export function netstring(payload: string): string {
  return `${Buffer.byteLength(payload)}:${payload},`;
}

export class BaresipPhone {
  readonly events: EventCollector<PhoneEvent>;
  private output = '';
  private socket: net.Socket | undefined;
  private readonly replies = new Map<string, (reply: CommandReply) => void>();
  private nextToken = 1;
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    readonly spec: PhoneSpec,
    readonly folder: string,
    readonly sipPort: number,
    readonly controlPort: number,
    private readonly child: ChildProcess,
  ) {
    this.events = new EventCollector<PhoneEvent>(`phone ${spec.name} events`);
    running.add(child);
    this.exit = new Promise<void>((resolve) =>
      child.once('exit', () => {
        this.exited = true;
        running.delete(child);
        resolve();
      }),
    );
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-LOG_TAIL * 4);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** the baresip process id */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** whether the baresip process has exited */
  get hasExited(): boolean {
    return this.exited;
  }

  /** the folder the sndfile module writes the call recordings to */
  get recordingsFolder(): string {
    return join(this.folder, 'recordings');
  }

  /** the SIP URI that reaches this phone directly */
  get directUri(): string {
    return `sip:${this.spec.user}@127.0.0.1:${this.sipPort}`;
  }

  /** Start baresip in a new folder under `parent`, connect to its control port and create its account. */
  static async start(spec: PhoneSpec, parent: string): Promise<BaresipPhone> {
    // a port checked free can still be taken by another process before baresip binds it: new block, again
    for (let attempt = 1; ; attempt++) {
      try {
        return await BaresipPhone.startOnce(spec, parent);
      } catch (err) {
        if (attempt >= START_ATTEMPTS || !/Address already in use/.test((err as Error).message)) throw err;
      }
    }
  }

  private static async startOnce(spec: PhoneSpec, parent: string): Promise<BaresipPhone> {
    const folder = join(parent, spec.name);
    mkdirSync(join(folder, 'recordings'), { recursive: true });
    const tone = await toneFile(parent, spec.toneHz);
    const block = await freePortBlock(BLOCK_SIZE);
    const controlPort = block + BLOCK_SIZE - 1;
    writeFileSync(join(folder, 'config'), configText(folder, block, controlPort, tone, join(folder, 'recordings')));
    writeFileSync(join(folder, 'accounts'), '');
    writeFileSync(join(folder, 'contacts'), '');
    const child = spawn('baresip', ['-f', folder], { stdio: ['ignore', 'pipe', 'pipe'] });
    const phone = new BaresipPhone(spec, folder, block, controlPort, child);
    try {
      await phone.untilReady();
      await phone.connect();
      const created = await phone.command('uanew', accountLine(spec));
      if (!created.ok) throw new Error(`uanew refused: ${created.data}`);
      return phone;
    } catch (err) {
      await phone.stop();
      throw new Error(`phone ${spec.name} did not start: ${(err as Error).message}\n--- baresip log ---\n${phone.logTail()}`);
    }
  }

  logTail(): string {
    return this.output.replace(/\[\d+:\d\d:\d\d\] audio=[^\n]*?\(bit\/s\)\s*/g, '').slice(-LOG_TAIL);
  }

  private untilReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.output.includes('baresip is ready.')) finish();
      };
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onExit = (): void => finish(new Error('baresip exited before it was ready'));
      const timer = setTimeout(() => finish(new Error(`baresip not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      this.child.stdout?.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  private async connect(): Promise<void> {
    const socket = net.connect(this.controlPort, '127.0.0.1');
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      }),
      COMMAND_TIMEOUT_MS,
      `phone ${this.spec.name}: control port ${this.controlPort}`,
    );
    socket.on('error', () => undefined);
    const reader = new NetstringReader();
    socket.on('data', (chunk: Buffer) => {
      for (const payload of reader.push(chunk)) this.onMessage(payload);
    });
    this.socket = socket;
  }

  private onMessage(payload: string): void {
    const message = JSON.parse(payload) as Record<string, unknown>;
    if (message.event === true) {
      this.events.push({ ...(message as Omit<PhoneEvent, 'receivedAt'>), type: String(message.type), receivedAt: Date.now() });
    } else if (message.response === true && typeof message.token === 'string') {
      const resolve = this.replies.get(message.token);
      this.replies.delete(message.token);
      resolve?.({ ok: message.ok === true, data: String(message.data ?? '') });
    }
  }

  /** Send one control command and wait for its reply. */
  command(command: string, params?: string): Promise<CommandReply> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error(`phone ${this.spec.name}: not connected`));
    const token = String(this.nextToken++);
    const reply = new Promise<CommandReply>((resolve) => this.replies.set(token, resolve));
    socket.write(netstring(JSON.stringify({ command, ...(params !== undefined ? { params } : {}), token })));
    return withTimeout(reply, COMMAND_TIMEOUT_MS, `phone ${this.spec.name}: reply to ${command} ${params ?? ''}`);
  }

  private async commandOk(command: string, params?: string): Promise<void> {
    const reply = await this.command(command, params);
    if (!reply.ok) throw new Error(`phone ${this.spec.name}: ${command} ${params ?? ''} refused: ${reply.data}`);
  }

  dial(uri: string): Promise<void> {
    return this.commandOk('dial', uri);
  }

  hangup(): Promise<void> {
    return this.commandOk('hangup');
  }

  /** The next event of this type (not taken by an earlier wait), whether it already arrived or not. */
  async waitEvent(type: string, timeoutMs = 10_000, filter: (event: PhoneEvent) => boolean = () => true): Promise<PhoneEvent> {
    try {
      return await this.events.next((event) => event.type === type && filter(event), timeoutMs, type);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- baresip ${this.spec.name} log ---\n${this.logTail()}`);
    }
  }

  /** Waits for REGISTER_OK, failing at once on REGISTER_FAIL. */
  async waitRegistered(timeoutMs = 10_000): Promise<void> {
    const outcomes = new Set(['REGISTER_OK', 'REGISTER_FAIL']);
    let event: PhoneEvent;
    try {
      event = await this.events.next((e) => outcomes.has(e.type), timeoutMs, 'REGISTER_OK or REGISTER_FAIL');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- baresip ${this.spec.name} log ---\n${this.logTail()}`);
    }
    if (event.type === 'REGISTER_FAIL') throw new Error(`phone ${this.spec.name}: registration failed: ${event.param}`);
  }

  /** The call recordings (what the phone decoded), oldest first. */
  recordings(): string[] {
    return readdirSync(this.recordingsFolder)
      .filter((name) => name.endsWith('-dec.wav'))
      .sort()
      .map((name) => join(this.recordingsFolder, name));
  }

  /** The one recording of this phone's call (throws when there is none or more than one). */
  onlyRecording(): PcmAudio {
    const files = this.recordings();
    if (files.length !== 1) throw new Error(`phone ${this.spec.name}: expected one recording, found ${files.length}: ${files.join(', ')}`);
    return readWav(files[0]);
  }

  /** Quit (hanging up), then SIGKILL by PID if it is still there after a short grace. */
  async stop(): Promise<void> {
    if (!this.exited && this.socket) {
      try {
        this.socket.write(netstring(JSON.stringify({ command: 'quit', token: 'quit' })));
      } catch {
        // the socket may be gone already
      }
    }
    if (!this.exited) {
      const timer = setTimeout(() => this.kill(), this.socket ? QUIT_GRACE_MS : 0);
      await this.exit;
      clearTimeout(timer);
    }
    this.socket?.destroy();
    for (let port = this.sipPort; port < this.sipPort + BLOCK_SIZE; port++) handedOut.delete(port);
  }

  private kill(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The phones of one test: started in one temporary folder, all stopped (and the folder removed) at the end. */
export class PhoneSet {
  readonly folder = mkdtempSync(join(tmpdir(), 'switchboard-phones-'));
  private readonly phones: BaresipPhone[] = [];
  /** starts not yet settled: stopAll waits for them, so a phone still starting is never left behind */
  private readonly starting = new Set<Promise<BaresipPhone>>();

  async start(spec: PhoneSpec): Promise<BaresipPhone> {
    const started = BaresipPhone.start(spec, this.folder);
    this.starting.add(started);
    try {
      const phone = await started;
      this.phones.push(phone);
      return phone;
    } finally {
      this.starting.delete(started);
    }
  }

  /** Stop every phone (in parallel), after the starts still running settle; recordings stay until `dispose`. */
  async stopAll(): Promise<void> {
    // a start that fails stops its own phone; one that succeeds lands in this.phones
    await Promise.allSettled([...this.starting]);
    await Promise.all(this.phones.map((phone) => phone.stop()));
  }

  /** Stop every phone and remove the folder (kept, and named, when SWITCHBOARD_KEEP_PHONES=1). */
  async dispose(): Promise<void> {
    await this.stopAll();
    if (process.env.SWITCHBOARD_KEEP_PHONES === '1') {
      for (const phone of this.phones) {
        writeFileSync(join(phone.folder, 'events.json'), JSON.stringify(phone.events.items, null, 1));
        writeFileSync(join(phone.folder, 'log.txt'), phone.logTail());
      }
      console.log(`phones kept in ${this.folder}`);
    } else {
      rmSync(this.folder, { recursive: true, force: true });
    }
  }
}
