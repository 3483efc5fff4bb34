/**
 * `npm start`: read the configuration (arguments, environment, optional file), build the app,
 * listen, and print a banner with the URL and, for the demo, its logins. A bad configuration
 * prints every problem and exits 1; a port in use (HTTP or SIP) says so in one line and exits 1; SIGINT and
 * SIGTERM close gracefully (held long-polls are answered) and exit 0. Once listening, an uncaught
 * exception or unhandled rejection is logged and the process stays up (src/cli/backstop.ts).
 * `--version` prints the version; `--log-format pretty` writes readable log lines instead of JSON.
 */
import { PACKAGE_VERSION, createApp } from '../app/app.js';
import { installProcessBackstop } from './backstop.js';
import { prettyLogStream } from '../gws/logging-pretty.js';
import type { App } from '../app/app.js';
import { DEMO_LOGINS, DEMO_NAME } from '../config/demo.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { StoreLockedError } from '../store/sqlite.js';
import { DatabaseInUseError } from '../store/postgres.js';
import { describeDatabase } from '../store/open.js';
import { SipBindError } from '../app/telephony.js';

function fail(lines: string[]): never {
  for (const l of lines) process.stderr.write(`${l}\n`);
  process.exit(1);
}

const USAGE = `Usage: npm start [-- --config FILE]

Starts Switchboard, a GWS v2 Voice API server, on HOST:PORT (default 127.0.0.1:8080).
Without a configuration file the demo contact center is provisioned on first start.

  --config FILE         contact centers and server options in JSON (see config/sample.json)
  --log-format FORMAT   json (default: one JSON record per line) or pretty (readable lines)
  --version             print the version and exit

SIP phones register on SWITCHBOARD_SIP_HOST:SWITCHBOARD_SIP_PORT (default the HTTP host, 5060;
port 0 turns SIP off), RTP on SWITCHBOARD_RTP_PORTS (default 20000-20999).

Environment: HOST, PORT, SWITCHBOARD_CONFIG, SWITCHBOARD_DB, SWITCHBOARD_LOG_LEVEL,
SWITCHBOARD_LOG_FORMAT, SWITCHBOARD_METRICS, SWITCHBOARD_CSRF, SWITCHBOARD_SIM_API, SWITCHBOARD_SIP_PORT, SWITCHBOARD_SIP_HOST,
SWITCHBOARD_SIP_ADVERTISED_HOST, SWITCHBOARD_RTP_PORTS, SWITCHBOARD_MEDIA_WORKERS,
SWITCHBOARD_RECORDINGS_DIR. Every option: docs/configuration.md.
`;

function readConfig(): Config {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`switchboard ${PACKAGE_VERSION}\n`);
    process.exit(0);
  }
  try {
    return loadConfig({ argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) fail([`Switchboard cannot start: ${err.message}`]);
    throw err;
  }
}

/** The SIP line of the banner: where phones register, or how to turn SIP on. */
function sipLine(app: App, sipPort: number | undefined): string {
  const { sip } = app.config;
  if (app.ownerTelephony) {
    return `  SIP     ${sip.host ?? app.config.host}:${sip.port}, bound only while this node owns contact center ${app.ownerTelephony.sipContactCenter ?? '-'} (SIP follows the owner, docs/scale-out.md)`;
  }
  if (!app.telephony || sipPort === undefined) return '  SIP     off (SWITCHBOARD_SIP_PORT=0); set SWITCHBOARD_SIP_PORT=5060 to connect phones';
  const host = app.telephony.advertisedHost;
  const shown = host.includes(':') ? `[${host}]` : host;
  return `  SIP     sip:${shown}:${sipPort} (UDP and TCP, SWITCHBOARD_SIP_PORT), RTP ${sip.rtpPorts.first}-${sip.rtpPorts.last} (SWITCHBOARD_RTP_PORTS)`;
}

function banner(app: App, baseUrl: string, demo: boolean, sipPort: number | undefined): string {
  const lines = [
    '',
    `Switchboard ${PACKAGE_VERSION} listening on ${baseUrl}`,
    `  REST    ${baseUrl}/api/v2/me`,
    `  CometD  ${baseUrl}/api/v2/notifications`,
    sipLine(app, sipPort),
    `  store   ${describeDatabase(app.config.database)}`,
  ];
  if (demo) {
    lines.push('', `Demo contact center (password for everyone: ${DEMO_LOGINS[0]?.password ?? 'demo'}):`);
    for (const l of DEMO_LOGINS) lines.push(`  ${l.userName.padEnd(12)} ${l.roles.join(', ').padEnd(28)} ${l.dn ?? '-'}`);
    lines.push('', `Try: curl -u agent1:demo ${baseUrl}/api/v2/me`);
    if (sipPort !== undefined && app.telephony) {
      lines.push(`     a phone: user 5001, password demo, domain ${app.telephony.advertisedHost}:${sipPort} (README: "Connect a real phone")`);
    }
  } else {
    for (const cc of app.directory.allCenters()) {
      lines.push('', `Contact center ${cc.record.name} (passwords as in the configuration file):`);
      for (const u of cc.users) {
        const dn = cc.devices.find((d) => d.userId === u.id && d.kind === 'Extension')?.dn ?? '-';
        lines.push(`  ${u.userName.padEnd(12)} ${u.roles.join(', ').padEnd(28)} ${dn}`);
      }
    }
  }
  return lines.join('\n') + '\n\n';
}

async function main(): Promise<void> {
  const config = readConfig();
  // pretty: pino's JSON records turned into readable lines on standard output (logging-pretty.ts)
  const app = await createApp(config, config.logFormat === 'pretty' ? { logStream: prettyLogStream(process.stdout) } : {});
  let listening: { baseUrl: string; port: number; sipPort?: number };
  try {
    listening = await app.listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await app.close().catch(() => undefined);
    if (err instanceof SipBindError) {
      const where = `${err.host}:${err.port}`;
      if (code === 'EADDRINUSE') fail([`SIP port ${where} is in use (UDP or TCP); choose another with SWITCHBOARD_SIP_PORT=<port>, or 0 to run without SIP`]);
      if (code === 'EACCES') fail([`not allowed to listen for SIP on ${where}; choose another SWITCHBOARD_SIP_PORT (or 0 to run without SIP)`]);
      if (code === 'EADDRNOTAVAIL') fail([`address ${err.host} is not available on this machine; set SWITCHBOARD_SIP_HOST`]);
      fail([`Switchboard cannot start: ${err.message}`]);
    }
    if (code === 'EADDRINUSE') fail([`port ${config.port} on ${config.host} is in use; choose another with PORT=<port> (or server.port in the configuration file)`]);
    if (code === 'EACCES') fail([`not allowed to listen on ${config.host}:${config.port}; choose another PORT`]);
    if (code === 'EADDRNOTAVAIL') fail([`address ${config.host} is not available on this machine; set HOST`]);
    throw err;
  }
  const demo = !config.contactCenters && app.directory.allCenters().some((c) => c.record.name === DEMO_NAME);

  // once serving, an exception that escaped every entry point is logged, not fatal (backstop.ts says why)
  installProcessBackstop(process, app.fastify.log.child({ component: 'process' }));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.fastify.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.fastify.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // the banner last: whoever reads it may signal at once, and a signal before the handlers kills the process
  process.stdout.write(banner(app, listening.baseUrl, demo, listening.sipPort));
}

main().catch((err) => {
  if (err instanceof StoreLockedError || err instanceof DatabaseInUseError) fail([`Switchboard cannot start: ${err.message}`]);
  process.stderr.write(`Switchboard failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
