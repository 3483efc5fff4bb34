/**
 * The server process of the routing benchmark (bench/sections/20-routing.ts): Switchboard built
 * from a configuration file, with the passwords of its thousands of bench users hashed at scrypt's
 * smallest cost, so that start-up and first logins measure nothing but themselves (start-up and
 * the login path are benchmarked in their own sections). Everything else is the production app:
 * the real REST and CometD stack, the real call model, logging at `warn`. It prints one line,
 * `listening <baseUrl>`, once it serves; SIGTERM closes it.
 *
 * Usage: node --import tsx bench/routing-server.ts --config FILE   (PORT and HOST from the environment)
 */
import { createApp } from '../src/app/app.js';
import { loadConfig } from '../src/config/load.js';
import { scryptHasher } from '../src/store/password.js';

const BENCH_SCRYPT_COST = Object.freeze({ N: 16, r: 1, p: 1 });

const config = loadConfig({ argv: process.argv.slice(2), env: process.env });
const app = await createApp(config, { passwordHasher: scryptHasher(BENCH_SCRYPT_COST) });
const { baseUrl } = await app.listen();
process.stdout.write(`listening ${baseUrl}\n`);
process.on('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
