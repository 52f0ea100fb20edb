/**
 * The channel contract shared by every provider, pool and the router: what goes out
 * ({@link OutboundMessage}), what comes back per message ({@link SendResult}) and what arrives
 * later ({@link DeliveryReport}).
 */

/** Delivery channels (DESIGN F3). */
export type Channel = 'SMS' | 'PUSH' | 'WECHAT' | 'EMAIL' | 'WEBHOOK';

/** The channels in a stable order, for schemas and iteration. */
export const CHANNELS: readonly Channel[] = ['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK'];

/** Message categories (DESIGN F3); they drive retry policy upstream and routing here. */
export type Category = 'VERIFICATION' | 'NOTIFICATION' | 'MARKETING';

/** Push platform of a device token; free-form so new vendor channels need no code change. */
export type PushPlatform = 'APNS' | 'FCM' | 'HUAWEI' | (string & {});

/** Where a message goes: the user plus the address the channel needs. */
export interface Recipient {
  userId: string;
  /** E.164, for SMS. */
  phone?: string;
  /** For PUSH. */
  deviceToken?: string;
  pushPlatform?: PushPlatform;
  /** For WECHAT. */
  openId?: string;
  /** For EMAIL. */
  email?: string;
  /** For WEBHOOK (a provider may also pin one URL in config). */
  webhookUrl?: string;
  /** IANA time zone, informational for providers. */
  timeZone?: string;
}

/** A rendered message ready for a provider. Immutable by convention: providers never mutate it. */
export interface OutboundMessage {
  messageId: string;
  channel: Channel;
  category: Category;
  recipient: Recipient;
  subject?: string;
  body: string;
  /** Carrier/vendor template code (SMS carriers, WeChat template id). */
  templateCode?: string;
  templateParams: Record<string, string>;
  /** Routing tags (DESIGN F18), e.g. `env=gray`. */
  tags: Record<string, string>;
  /** Epoch millis after which the message is useless; providers map it to their TTL fields. */
  expireAt?: number;
  /** Request priority (e.g. `CRITICAL`, `HIGH`, `NORMAL`, `LOW`); providers map it. */
  priority?: string;
  /** Push collapse key (apns-collapse-id, FCM collapse_key). */
  collapseKey?: string;
}

/** The provider took the message; `billableUnits` is what it will charge (e.g. SMS segments). */
export interface AcceptedResult {
  messageId: string;
  status: 'ACCEPTED';
  provider: string;
  providerMessageId?: string;
  billableUnits: number;
}

/** Sending may succeed later (timeout, throttling, provider down, circuit open). */
export interface RetryableErrorResult {
  messageId: string;
  status: 'RETRYABLE_ERROR';
  provider: string;
  reason: string;
}

/**
 * Sending this message will never succeed as is (bad address, rejected content).
 * `unregistered` means the address is gone for good (APNs 410, FCM UNREGISTERED): the member
 * system should drop it.
 */
export interface PermanentErrorResult {
  messageId: string;
  status: 'PERMANENT_ERROR';
  provider: string;
  reason: string;
  unregistered?: boolean;
}

/** One outcome per message; `provider` names the provider that answered (or the pool/router). */
export type SendResult = AcceptedResult | RetryableErrorResult | PermanentErrorResult;

/** An asynchronous outcome reported by the provider after acceptance (e.g. an SMPP receipt). */
export interface DeliveryReport {
  /** Present when the provider could map its own id back to ours. */
  messageId?: string;
  providerMessageId: string;
  provider: string;
  status: 'DELIVERED' | 'FAILED';
  reason?: string;
  /** Epoch millis when the report was received. */
  at: number;
}

/** Receives delivery reports; must not throw (exceptions are caught and dropped). */
export type DeliveryReportListener = (report: DeliveryReport) => void;

/**
 * One provider speaking one protocol. Implementations do only the protocol: rate limits,
 * in-flight limits, timeouts, circuit breaking and metrics are added around them by
 * `GuardedProvider`.
 */
export interface ChannelProvider {
  /** Unique name across the router (used in results, metrics and routing). */
  readonly name: string;
  /** The channel this instance serves. */
  readonly channel: Channel;
  /** Whether this provider can carry the message (e.g. push platform); default: yes. */
  supports?(message: OutboundMessage): boolean;
  /**
   * Gets the provider ready to put a message on the wire (bind, connect, fetch a token). The
   * guard calls it before taking a rate-limit token, so setup time cannot bunch sends up at
   * the peer. Rejects when the provider is unreachable (treated as a retryable failure).
   */
  prepare?(): Promise<void>;
  /**
   * Sends one message. Resolves with the outcome; may reject only on unexpected failures, which
   * the guard treats as retryable. `signal` aborts when the configured timeout passes.
   */
  send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult>;
  /** Subscribes to delivery reports, where the protocol has them. */
  onDeliveryReport?(listener: DeliveryReportListener): void;
  /** Releases connections; in-flight sends settle (possibly as retryable errors). */
  close(): Promise<void>;
}
