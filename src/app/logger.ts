/**
 * The process logger: pino JSON lines on stdout (or a given stream). At info level and above,
 * personal data and secrets are masked wherever they appear in a log object (phone numbers,
 * emails, device tokens, WeChat openIds, bearer tokens); at debug and trace they are shown, for
 * a developer's machine only.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { StreamsLogger } from '../streams/index.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const SENSITIVE = ['phone', 'email', 'deviceToken', 'openId', 'token', 'authorization', 'webhookUrl'] as const;

/** Redaction paths for every sensitive field up to three levels deep. */
const REDACT_PATHS = SENSITIVE.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]);

/** Masks one sensitive value, keeping just enough to recognise it. */
export function maskValue(value: unknown, field: string): unknown {
  if (typeof value !== 'string' || value === '') return value;
  switch (field) {
    case 'phone':
      // +8613812345678 → +86*******5678
      return value.length <= 6 ? '***' : value.slice(0, 3) + '*'.repeat(value.length - 7) + value.slice(-4);
    case 'email': {
      const at = value.indexOf('@');
      return at <= 0 ? '***' : `${value[0]}***${value.slice(at)}`;
    }
    case 'webhookUrl':
      try {
        return `${new URL(value).origin}/***`;
      } catch {
        return '***';
      }
    default:
      return `***(${value.length})`;
  }
}

/** Creates the process logger. `destination` defaults to stdout. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const mask = level !== 'debug' && level !== 'trace';
  const options = {
    level,
    base: { service: 'notify-streams' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(mask
      ? { redact: { paths: REDACT_PATHS, censor: (value: unknown, path: string[]) => maskValue(value, path[path.length - 1] ?? '') } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The engine's logger interface on top of pino, under a `component` field. */
export function streamsLogger(logger: Logger, component: string): StreamsLogger {
  const child = logger.child({ component });
  return {
    debug: (obj, msg) => child.debug(obj, msg),
    info: (obj, msg) => child.info(obj, msg),
    warn: (obj, msg) => child.warn(obj, msg),
    error: (obj, msg) => child.error(obj, msg),
  };
}
