import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  ConfigError,
  configWording,
  describeError,
  errorMessage,
  redactSecrets,
} from '../connector';
import { EXIT, exitCodeFor, failureKindOf } from '../command-line/exit-codes';
import { COMMANDS, OTHER_COMMANDS } from '../command-line/usage';
import { WordedFailure } from '../command-line/worded-failure';
import { webhookSecrets } from './alerts-config';
import { Alerter } from './alerts';
import { loadConfigFile, withEnabledOverrides, type StandaloneConfig } from './config-file';
import { ConfigStore } from './config-store';
import { DEFAULT_DESTINATION, parseDestination, redactPassword } from './destination';
import { ServeMetrics } from './metrics';
import { formatLogLine } from './serve/log-line';
import type { ServeApp } from './serve/routes';
import { parseSchedule, resolveTimeZone } from './serve/schedule';
import { checkSchedules, Scheduler, type Level } from './serve/scheduler';
import { startServer } from './serve/server';
import { exitCodeOf } from './sync/report';
import { runSync } from './sync/run';
import { formatSummary, TerminalProgress } from './sync/terminal';
import { Warehouse } from './warehouse';
import { WEBHOOK_PATH } from './webhooks/receiver';
import { WebhookService } from './webhooks/service';

interface SyncFlags {
  config: string;
  destination: string;
  pipeline?: string[];
  rebuild?: string[];
  softDelete?: boolean;
  json?: boolean;
  verbose?: boolean;
}

interface ServeFlags {
  config: string;
  destination: string;
  host: string;
  port: number;
  token?: string;
  softDelete?: boolean;
  timezone?: string;
  publicUrl?: string;
}

/**
 * `sync` and `serve`: the connector on its own, writing into DuckDB or PostgreSQL. Human output:
 * progress and logs on stderr, the summary on stdout (`--json` makes it JSON, for scripts).
 * Exit status (command-line/exit-codes.ts): 0 done, 1 a pipeline failed on its data or code, 2 wrong
 * command line or config, 3 transient (safe to retry), 143 stopped by SIGTERM.
 */
export async function runStandaloneCli(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const secrets: string[] = [];
  // One line, never a stack trace: what failed, and (by the exit status) what to do about it.
  const fail = (error: unknown) => {
    const text =
      error instanceof WordedFailure ? error.message : describeError(error, configWording());
    const message = redactSecrets(redactPassword(text), secrets);
    process.stderr.write(`error: ${message}\n`);
    return exitCodeFor([failureKindOf(error)]);
  };
  const program = new Command()
    .name('source-stripe-customers')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
  const common = (command: Command) =>
    command
      .addHelpText('after', OTHER_COMMANDS)
      .requiredOption(
        '--config <path>',
        'config JSON file (api_key may come from STRIPE_API_KEY instead)',
      )
      .option(
        '--destination <url>',
        'duckdb:PATH or postgres://user@host:5432/db (add ?schema=NAME for another schema)',
        DEFAULT_DESTINATION,
      )
      .option(
        '--soft-delete',
        'keep deleted customers as rows marked deleted (_ab_cdc_deleted_at set) instead of deleting them',
      );
  common(program.command('sync').description(COMMANDS.sync))
    .option('--pipeline <name...>', 'run only these pipelines')
    .option(
      '--rebuild <name...>',
      "drop these pipelines' tables and state first, and import everything again",
    )
    .option('--json', 'print the summary as JSON')
    .option('--verbose', "print the engine's informational lines too")
    .action(async (flags: SyncFlags) => {
      try {
        exitCode = await syncCommand(flags, secrets);
      } catch (error) {
        exitCode = fail(error);
      }
    });
  common(program.command('serve').description(COMMANDS.serve))
    .option(
      '--host <address>',
      'address to listen on (another than 127.0.0.1 needs --token)',
      '127.0.0.1',
    )
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 8080)
    .option('--token <token>', 'token the page and the API require (default: SERVE_TOKEN)')
    .option('--timezone <zone>', "time zone of the schedules and the page (default: the machine's)")
    .option(
      '--public-url <url>',
      "the page's address as people reach it (behind a reverse proxy): for the links in alerts, and the host name the page answers for, with --token (default: the address it listens on)",
    )
    .action(async (flags: ServeFlags) => {
      try {
        exitCode = await serveCommand(flags, secrets);
      } catch (error) {
        exitCode = fail(error);
      }
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return fail(error);
  }
  return exitCode;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535.');
  }
  return port;
}

async function open(
  flags: { config: string; destination: string },
  secrets: string[],
): Promise<{ loaded: StandaloneConfig; warehouse: Warehouse }> {
  const destination = parseDestination(flags.destination);
  secrets.push(...destination.secrets);
  const loaded = await loadConfigFile(flags.config);
  secrets.push(loaded.config.connection.apiKey);
  const warehouse = await Warehouse.open(destination);
  return { loaded, warehouse };
}

async function syncCommand(flags: SyncFlags, secrets: string[]): Promise<number> {
  const started = Date.now();
  const { loaded, warehouse } = await open(flags, secrets);
  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
    process.stderr.write('\nSIGTERM received: stopping at the next checkpoint.\n');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const overrides = await warehouse.bookkeeping.enabledOverrides();
    const config = withEnabledOverrides(loaded.config, overrides);
    const timeZone = resolveTimeZone(undefined);
    for (const pipeline of loaded.config.pipelines) {
      const override = overrides.get(pipeline.name);
      if (override !== undefined && override !== pipeline.enabled) {
        process.stderr.write(
          `${pipeline.name}: ${override ? 'enabled' : 'disabled'} on the pipelines page (the config says ${pipeline.enabled ? 'enabled' : 'disabled'}); the page's switch wins.\n`,
        );
      }
      try {
        parseSchedule(pipeline, timeZone);
      } catch (error) {
        process.stderr.write(
          `WARN ${errorMessage(error)} (sync ignores schedules; serve refuses to start)\n`,
        );
      }
    }
    const enabled = config.pipelines.filter((pipeline) => pipeline.enabled).map((p) => p.name);
    const chosen = flags.pipeline ?? enabled;
    const pipelines = [...new Set([...chosen, ...(flags.rebuild ?? [])])];
    for (const name of pipelines) {
      const pipeline = config.pipelines.find((candidate) => candidate.name === name);
      if (!pipeline) {
        throw new ConfigError(
          `There is no pipeline "${name}" in the config (pipelines: ${config.pipelines.map((p) => p.name).join(', ')}).`,
        );
      }
      if (!pipeline.enabled) {
        throw new ConfigError(
          `Pipeline "${name}" is disabled (in the config or on the pipelines page): enable it to sync it.`,
        );
      }
    }
    if (pipelines.length === 0) {
      process.stderr.write('No pipeline is enabled: nothing to sync.\n');
    }
    const report = await runSync({
      config,
      warehouse,
      pipelines,
      softDelete: flags.softDelete === true,
      trigger: 'sync',
      ...(flags.rebuild ? { rebuild: flags.rebuild } : {}),
      stopRequested: () => stopRequested,
      observer: new TerminalProgress(process.stderr, flags.verbose === true),
    });
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ ...report, seconds }, null, 2)}\n`
        : formatSummary(report, seconds),
    );
    return exitCodeOf(report);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await warehouse.close();
  }
}

/** How often serve looks at the config file for changes made on disk. */
const CONFIG_CHECK_MS = 2_000;

async function serveCommand(flags: ServeFlags, secrets: string[]): Promise<number> {
  const timeZone = resolveTimeZone(flags.timezone);
  const token = flags.token ?? process.env.SERVE_TOKEN;
  if (token) secrets.push(token);
  if (flags.publicUrl !== undefined && !/^https?:\/\/[^/]/i.test(flags.publicUrl)) {
    throw new ConfigError(
      `--public-url "${flags.publicUrl}" is not an http:// or https:// address: give the page's address as people open it, e.g. https://sync.example.com.`,
    );
  }
  const { loaded, warehouse } = await open(flags, secrets);
  const keepSecretsOf = (config: StandaloneConfig) => {
    secrets.push(config.config.connection.apiKey);
    if (config.alerts) secrets.push(...webhookSecrets(config.alerts.webhookUrl));
    if (config.webhookSecret) secrets.push(config.webhookSecret);
  };
  keepSecretsOf(loaded);
  const log = (level: Level, pipeline: string | undefined, message: string) => {
    const text = redactSecrets(redactPassword(message), secrets);
    process.stdout.write(formatLogLine(new Date(), level, pipeline, text));
  };
  let pageUrl = flags.publicUrl ?? '';
  const alerter = new Alerter(loaded.alerts, {
    get pageUrl() {
      return pageUrl;
    },
    log,
  });
  let scheduler: Scheduler;
  const metrics = new ServeMetrics({
    stripeStats: () => scheduler.stripeStats(),
    lastSuccesses: () => scheduler.lastSuccesses(),
    pipelineNames: () => scheduler.config.config.pipelines.map((pipeline) => pipeline.name),
  });
  try {
    checkSchedules(loaded, timeZone);
    scheduler = new Scheduler(loaded, warehouse, {
      softDelete: flags.softDelete === true,
      timeZone,
      log,
      hooks: {
        runFinished: (run) => {
          metrics.runFinished(run.report);
          if (run.report.status === 'failed') {
            alerter.notify({
              event: 'failure',
              pipeline: run.pipeline,
              error: redactSecrets(redactPassword(run.report.error ?? 'unknown error'), secrets),
              ...(run.runId ? { runId: run.runId } : {}),
            });
          } else if (run.recovered) {
            alerter.notify({
              event: 'recovery',
              pipeline: run.pipeline,
              ...(run.runId ? { runId: run.runId } : {}),
            });
          }
        },
        staleChanged: (pipeline, stale, lastSuccess) => {
          if (stale) {
            alerter.notify({
              event: 'stale',
              pipeline,
              ...(lastSuccess === undefined ? {} : { lastSuccess }),
            });
          }
        },
      },
    });
    await scheduler.start();
  } catch (error) {
    await warehouse.close();
    throw error;
  }
  const webhooks = new WebhookService({
    warehouse,
    gate: scheduler.gate,
    secret: () => scheduler.config.webhookSecret,
    current: () => scheduler.runningConfig(),
    stripe: () => scheduler.stripePort,
    softDelete: flags.softDelete === true,
    log,
  });
  // Deliveries a killed process acknowledged are applied now; an inbox that cannot be opened
  // answers deliveries 503 (Stripe tries again) until it can.
  await webhooks.start().catch(() => {});
  const applyConfig = (next: StandaloneConfig) => {
    keepSecretsOf(next);
    scheduler.apply(next);
    alerter.configure(next.alerts);
  };
  const store = new ConfigStore(flags.config, loaded, {
    validate: (next) => checkSchedules(next, timeZone),
  });
  let reportedRejection: string | undefined;
  const refreshConfig = async () => {
    const next = await store.refresh();
    if (next) {
      applyConfig(next);
      log(
        'INFO',
        undefined,
        `${flags.config} changed on disk: now running its new version (schedules re-planned).`,
      );
    }
    const rejected = store.rejectedChange;
    if (rejected && rejected.version !== reportedRejection) {
      reportedRejection = rejected.version;
      log(
        'ERROR',
        undefined,
        `${flags.config} changed on disk but cannot be used, so the previous version keeps running: ${rejected.error}`,
      );
    }
  };
  const app: ServeApp = {
    scheduler,
    store,
    warehouse,
    metrics,
    destination: warehouse.destination.display,
    refreshConfig,
    applyConfig,
    checkConfig: (next) => checkSchedules(next, timeZone),
  };
  let server;
  try {
    server = await startServer(app, {
      host: flags.host,
      port: flags.port,
      ...(token ? { token } : {}),
      destination: warehouse.destination.display,
      redact: (text) => redactSecrets(redactPassword(text), secrets),
      webhooks: {
        path: WEBHOOK_PATH,
        receive: (request, response) => webhooks.receive(request, response),
      },
      ...(flags.publicUrl ? { publicHost: new URL(flags.publicUrl).hostname } : {}),
    });
  } catch (error) {
    await webhooks.stop();
    await scheduler.stop();
    await warehouse.close();
    throw error;
  }
  pageUrl ||= server.url;
  const watcher = setInterval(() => {
    refreshConfig().catch((error: unknown) =>
      log('WARN', undefined, `could not read ${flags.config}: ${errorMessage(error)}`),
    );
  }, CONFIG_CHECK_MS);
  watcher.unref();
  log(
    'INFO',
    undefined,
    `pipelines page on ${server.url}/ (writing to ${warehouse.destination.display}; schedules in ${timeZone})`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(
        'INFO',
        undefined,
        `${signal} received: stopping (runs under way stop at their next checkpoint).`,
      );
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  clearInterval(watcher);
  await scheduler.stop();
  await server.close();
  await webhooks.stop();
  await warehouse.close();
  log('INFO', undefined, 'stopped.');
  return 0;
}
