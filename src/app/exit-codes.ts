/**
 * Exit codes of the `notify-streams` CLI. Scripts can rely on them; README lists them too.
 */
export const EXIT = {
  /** Done, or stopped cleanly by SIGTERM/SIGINT. */
  OK: 0,
  /** A runtime failure: Kafka unreachable, a stream thread died, a trace or produce failed. */
  RUNTIME_FAILURE: 1,
  /** Bad usage or configuration: unknown option, invalid config file (the key is named). */
  USAGE: 2,
  /** Shutdown did not finish within the configured bound; the process was stopped anyway. */
  SHUTDOWN_TIMEOUT: 3,
  /** `trace`: the message has no feedback events (unknown id, or not processed yet). */
  NOT_FOUND: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that ends the CLI with a specific exit code and a message for the operator. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
