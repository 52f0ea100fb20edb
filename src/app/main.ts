/**
 * The `notify-streams` command line. Exit codes (see exit-codes.ts): 0 ok, 1 runtime failure,
 * 2 usage or configuration error, 3 shutdown exceeded its bound, 4 trace found nothing.
 */
import { Command, CommanderError, Option } from 'commander';
import { configCheckCommand } from './cli/config-command.js';
import { DEFAULT_CONFIG_FILE, parseDurationOption, parseIntOption } from './cli/common.js';
import { demoCommand } from './cli/demo-command.js';
import { produceCommand } from './cli/produce-command.js';
import { runCommand } from './cli/run-command.js';
import { topicsCreateCommand } from './cli/topics-command.js';
import { traceCommand } from './cli/trace-command.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';

const EXIT_HELP = `
Exit codes:
  0  success, or stopped cleanly by SIGTERM/SIGINT
  1  runtime failure (Kafka unreachable, a stream thread died, producing failed)
  2  usage or configuration error (the bad option or config key is named)
  3  shutdown did not finish within --shutdown-timeout
  4  trace: no feedback events for that messageId

Configuration: one YAML file (-c, default ${DEFAULT_CONFIG_FILE}) plus NOTIFY_<PATH> environment
overrides, e.g. NOTIFY_KAFKA__BOOTSTRAP_SERVERS=broker:9092.`;

function configOption(): Option {
  return new Option('-c, --config <file>', 'configuration file').default(DEFAULT_CONFIG_FILE);
}

export function buildProgram(setExit: (code: ExitCode) => void): Command {
  const program = new Command('notify-streams')
    .description('A message center built as a Kafka Streams-style stream processor')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run a pod: the stream processor (all stream threads), the HTTP server and metrics, until SIGTERM/SIGINT')
    .addOption(configOption())
    .option('--threads <n>', 'stream threads, each with its own consumer, sharing this process (default: kafka.threads of the config, else 1)', parseIntOption)
    .option('--workers <n>', 'instead of --threads: this many worker processes, each running one stream thread on a core of its own (channel providers stay in this process)', parseIntOption)
    .option('--state-dir <dir>', 'local state (RocksDB stores, checkpoints)', process.env.NOTIFY_STATE_DIR ?? '.state')
    .option('--port <n>', 'HTTP port (default: http.port of the config; 0 picks a free one)', parseIntOption)
    .option('--shutdown-timeout <duration>', 'bound on a clean shutdown; exit 3 beyond it', parseDurationOption, 30_000)
    .option('--sent-log <file>', 'append the lines of log providers with print: true to this file')
    .option('--no-processor', 'HTTP intake and trace only, no stream processing')
    .option('--session-timeout <duration>', 'consumer group session timeout', parseDurationOption)
    .addHelpText('after', '\nSIGTERM/SIGINT: stop fetching, finish in-flight sends, flush stores, commit, leave the group, exit 0.')
    .action(async (o: { config: string; threads?: number; workers?: number; stateDir: string; port?: number; shutdownTimeout: number; sentLog?: string; processor: boolean; sessionTimeout?: number }) => {
      setExit(await runCommand(o));
    });

  const topics = program.command('topics').description('manage the topics of the application');
  topics
    .command('create')
    .description('create every topic (requests, commands, subscriptions, templates, lanes, feedback, billing, dlq) as configured; idempotent')
    .addOption(configOption())
    .option('--replication-factor <n>', 'replication factor of new topics', parseIntOption, 1)
    .option('--timeout <duration>', 'how long to wait for the cluster', parseDurationOption, 30_000)
    .action(async (o: { config: string; replicationFactor: number; timeout: number }) => {
      setExit(await topicsCreateCommand(o));
    });

  program
    .command('produce')
    .description('send realistic mixed requests: every category and channel, duplicates, scheduled, revoked, invalid')
    .addOption(configOption())
    .option('-n, --count <n>', 'request records to send', parseIntOption, 500)
    .option('-r, --rate <n>', 'records per second (0: as fast as possible)', parseIntOption, 200)
    .option('--seed <n>', 'random seed (same seed, same traffic)', parseIntOption, 42)
    .option('--users <n>', 'distinct users (fewer: more fatigue suppression)', parseIntOption, 5000)
    .addOption(new Option('--profile <profile>', 'demo: scheduled up to days ahead and producer retries; settling: everything settles within seconds').choices(['demo', 'settling']).default('demo'))
    .option('--id-prefix <prefix>', 'prefix of every messageId')
    .option('--ids-out <file>', 'write one JSON line per request (messageId, kind, channel, category)')
    .option('--no-progress', 'no progress bar')
    .action(async (o: { config: string; count: number; rate: number; seed: number; users: number; profile: 'demo' | 'settling'; idPrefix?: string; idsOut?: string; progress: boolean }) => {
      setExit(await produceCommand(o));
    });

  program
    .command('trace')
    .description('print every feedback event of one message, in order')
    .argument('<messageId>', 'the message to trace')
    .addOption(configOption())
    .option('--json', 'print JSON instead of lines', false)
    .option('--since <time>', 'start the scan at this ISO-8601 time instead of the oldest retained event')
    .option('--timeout <duration>', 'bound on the scan', parseDurationOption, 30_000)
    .action(async (messageId: string, o: { config: string; json: boolean; since?: string; timeout: number }) => {
      setExit(await traceCommand(messageId, o));
    });

  const config = program.command('config').description('work with configuration files');
  config
    .command('check')
    .description('validate a configuration file (with NOTIFY_ environment overrides) and print the effective configuration')
    .argument('<file>', 'the YAML file')
    .option('--json', 'print JSON instead of YAML', false)
    .option('-q, --quiet', 'print only OK or the problems', false)
    .action((file: string, o: { json: boolean; quiet: boolean }) => {
      setExit(configCheckCommand(file, o));
    });

  program
    .command('demo')
    .description('the quick start: processor + demo traffic + live outcome table, then a clean stop')
    .addOption(configOption())
    .option('-n, --count <n>', 'request records to send', parseIntOption, 300)
    .option('-r, --rate <n>', 'records per second', parseIntOption, 150)
    .option('--duration <duration>', 'stop after this long even if some requests are still pending', parseDurationOption, 90_000)
    .option('--state-dir <dir>', 'local state', '.state')
    .option('--log-file <file>', 'where the processor logs go', '.state/demo.log')
    .option('--threads <n>', 'stream threads', parseIntOption)
    .option('--port <n>', 'HTTP port (default: http.port of the config)', parseIntOption)
    .action(async (o: { config: string; count: number; rate: number; duration: number; stateDir: string; logFile: string; threads?: number; port?: number }) => {
      setExit(await demoCommand(o));
    });

  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (err instanceof CliError) {
      process.stderr.write(`notify-streams: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`notify-streams: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.RUNTIME_FAILURE;
  }
}

// Run when executed directly (bin/notify-streams.js imports this module and calls main).
if (process.argv[1] && /main\.(ts|js)$/.test(process.argv[1])) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
