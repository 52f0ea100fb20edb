/**
 * `notify-streams trace <messageId>`: every feedback event of one message in order (see
 * FeedbackTrace for how and at what cost). Exit 4 when there is none.
 */
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { FeedbackTrace, formatTrace } from '../trace/feedback-trace.js';
import { loadAppConfig } from './common.js';

export interface TraceOptions {
  readonly config: string;
  readonly json: boolean;
  readonly since?: string;
  readonly timeout: number;
}

export async function traceCommand(messageId: string, options: TraceOptions): Promise<ExitCode> {
  const config = loadAppConfig(options.config);
  let sinceMs: number | undefined;
  if (options.since !== undefined) {
    sinceMs = Date.parse(options.since);
    if (Number.isNaN(sinceMs)) throw new CliError(`--since: expected an ISO-8601 time, got "${options.since}"`, EXIT.USAGE);
  }
  const reader = new FeedbackTrace({ bootstrapServers: config.kafka.bootstrapServers, clientConfig: config.kafka.clientConfig, topic: config.topics.feedback.name });
  let trace;
  try {
    trace = await reader.trace(messageId, { timeoutMs: options.timeout, ...(sinceMs !== undefined ? { sinceMs } : {}) });
  } catch (cause) {
    throw new CliError(`cannot read ${config.topics.feedback.name}: ${(cause as Error).message}`, EXIT.RUNTIME_FAILURE, { cause });
  }
  process.stdout.write(options.json ? `${JSON.stringify(trace, null, 2)}\n` : `${formatTrace(trace)}\n`);
  return trace.events.length === 0 ? EXIT.NOT_FOUND : EXIT.OK;
}
