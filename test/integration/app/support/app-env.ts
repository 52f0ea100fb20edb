/**
 * An isolated notify-streams deployment on the shared local broker: unique topic names and
 * applicationId through NOTIFY_ environment overrides of the default configuration, small
 * partition counts, no quiet hours (so tests do not depend on the time of day), and log
 * providers that print every send (for `--sent-log`).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig, type NotifyConfig } from '../../../../src/notify/index.js';
import { uniqueName, BOOTSTRAP } from '../../../support/kafka.js';

export const BIN = resolve('bin/notify-streams.js');

export interface AppEnv {
  readonly env: Record<string, string>;
  readonly config: NotifyConfig;
  readonly applicationId: string;
}

export function isolatedApp(prefix: string, partitions = 2): AppEnv {
  const id = uniqueName(prefix);
  const env: Record<string, string> = {
    NOTIFY_KAFKA__BOOTSTRAP_SERVERS: BOOTSTRAP,
    NOTIFY_KAFKA__APPLICATION_ID: id,
    NOTIFY_KAFKA__COMMIT_INTERVAL: '300ms',
    NOTIFY_QUIET_HOURS__RULES: '[]',
    NOTIFY_HTTP__PORT: '0',
    NOTIFY_HTTP__TOKENS: '[{businessUnit: shop, env: TEST_TOKEN_SHOP}, {businessUnit: growth, env: TEST_TOKEN_GROWTH}]',
    TEST_TOKEN_SHOP: 'shop-secret-token',
    TEST_TOKEN_GROWTH: 'growth-secret-token',
    NOTIFY_LOGGING__LEVEL: 'info',
  };
  const topics: [string, string][] = [
    ['REQUESTS', 'requests'],
    ['COMMANDS', 'commands'],
    ['SUBSCRIPTIONS', 'subscriptions'],
    ['TEMPLATES', 'templates'],
    ['FEEDBACK', 'feedback'],
    ['BILLING', 'billing'],
    ['DLQ', 'dlq'],
    ['DELIVERY_REPORTS', 'delivery-reports'],
    ['LANES__CRITICAL', 'lane-critical'],
    ['LANES__NORMAL', 'lane-normal'],
    ['LANES__BULK', 'lane-bulk'],
  ];
  for (const [key, name] of topics) {
    env[`NOTIFY_TOPICS__${key}__NAME`] = `${id}.${name}`;
    env[`NOTIFY_TOPICS__${key}__PARTITIONS`] = String(partitions);
  }
  for (const pool of ['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK', 'SMS_GRAY']) env[`NOTIFY_CHANNELS__POOLS__${pool}__PROVIDERS__0__PRINT`] = 'true';
  const config = loadConfig({ env });
  return { env, config, applicationId: id };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI through its launcher, as a user would. */
export function cli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number) : 0;
      res({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

/** Runs the CLI's `main` in this process with `env` set and its output captured (faster). */
export async function cliInProcess(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const { main } = await import('../../../../src/app/main.js');
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
