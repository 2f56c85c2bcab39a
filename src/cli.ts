/** The `gateway` command line: start, check-config, hash-password, print-defaults. */
import { Command } from 'commander';
import { hashPassword } from './auth/password.js';
import { ConfigError, loadConfig } from './config/load.js';
import { gatewayConfigSchema } from './config/schema.js';
import { createGateway } from './gateway.js';

const program = new Command('gateway').description('Multi-protocol messaging gateway');

program
  .command('start')
  .description('start the gateway')
  .option('-c, --config <path>', 'config file (JSON or YAML)', process.env['GATEWAY_CONFIG'])
  .option('--trace-frames', 'log every frame read and written (log.traceFrames)')
  .action(async (opts: { config?: string; traceFrames?: boolean }) => {
    const loaded = await loadConfig(opts.config, process.env);
    const config = opts.traceFrames
      ? { ...loaded, log: { ...loaded.log, traceFrames: true } }
      : loaded;
    const gateway = createGateway(config);
    // A bug in one connection's handler must not take every other client down with it.
    process.on('uncaughtException', (err) => {
      process.stderr.write(
        `uncaught exception (process kept running): ${err.stack ?? String(err)}\n`,
      );
    });
    process.on('unhandledRejection', (err) => {
      process.stderr.write(`unhandled rejection (process kept running): ${String(err)}\n`);
    });
    const { addresses, management } = await gateway.start();
    for (const a of addresses) {
      process.stdout.write(`${a.protocol} ${a.transport} ${a.host}:${a.port}${a.path ?? ''}\n`);
    }
    if (management) process.stdout.write(`management http ${management.host}:${management.port}\n`);
    const shutdown = (): void => {
      const timer = setTimeout(() => process.exit(1), config.shutdownGraceMs);
      gateway.stop({ graceful: true }).then(
        () => {
          clearTimeout(timer);
          process.exit(0);
        },
        () => process.exit(1),
      );
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

program
  .command('check-config')
  .description('validate a config file and the GATEWAY_* environment, print the result')
  .option('-c, --config <path>', 'config file (JSON or YAML)', process.env['GATEWAY_CONFIG'])
  .action(async (opts: { config?: string }) => {
    const config = await loadConfig(opts.config, process.env);
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
  });

program
  .command('print-defaults')
  .description('print every option with its default (the content of config/default.json)')
  .action(() => {
    process.stdout.write(`${JSON.stringify(gatewayConfigSchema.parse({}), null, 2)}\n`);
  });

program
  .command('hash-password <password>')
  .description('print a scrypt hash for auth.users[].passwordHash')
  .action(async (password: string) => {
    process.stdout.write(`${await hashPassword(password)}\n`);
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
});
