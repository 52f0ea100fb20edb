/**
 * The one error class of the channels package. Per-message failures are never thrown: they are
 * {@link SendResult}s. This is for configuration, credentials and lifecycle problems, which an
 * operator must fix, and for protocol failures that a provider turns into results.
 */
import type { SendResult } from './types.js';

/** What went wrong; match on this, never on message text. */
export type ChannelErrorCode =
  | 'CONFIG_INVALID'
  | 'SECRET_UNAVAILABLE'
  | 'PROVIDER_CLOSED'
  | 'PROTOCOL_ERROR'
  | 'NOT_CONNECTED';

/** Error with a code and whether retrying the same operation can succeed. */
export class ChannelError extends Error {
  readonly code: ChannelErrorCode;
  readonly retriable: boolean;

  constructor(code: ChannelErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChannelError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Builds an ACCEPTED result. */
export function accepted(
  messageId: string,
  provider: string,
  billableUnits: number,
  providerMessageId?: string,
): SendResult {
  return providerMessageId === undefined
    ? { messageId, status: 'ACCEPTED', provider, billableUnits }
    : { messageId, status: 'ACCEPTED', provider, providerMessageId, billableUnits };
}

/** Builds a RETRYABLE_ERROR result. */
export function retryable(messageId: string, provider: string, reason: string): SendResult {
  return { messageId, status: 'RETRYABLE_ERROR', provider, reason };
}

/** Builds a PERMANENT_ERROR result; `unregistered` only when the address is gone for good. */
export function permanent(messageId: string, provider: string, reason: string, unregistered = false): SendResult {
  return unregistered
    ? { messageId, status: 'PERMANENT_ERROR', provider, reason, unregistered: true }
    : { messageId, status: 'PERMANENT_ERROR', provider, reason };
}

/** A short, credential-free description of an unknown thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
