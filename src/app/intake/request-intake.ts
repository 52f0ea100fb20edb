/**
 * Intake for systems that do not speak Kafka (F1): a validated request is encoded with the Avro
 * contract and produced to the requests topic, keyed by userId, through a {@link DurableProducer}
 * — the caller hears "accepted" only once Kafka acknowledged the record.
 */
import type { NotificationRequest } from '../../notify/index.js';
import { appCodecs } from '../codecs.js';
import type { Delivered, DurableProducer } from '../kafka/durable-producer.js';

export class RequestIntake {
  constructor(
    private readonly producer: DurableProducer,
    private readonly topic: string,
  ) {}

  /** Resolves when the request is durably written; rejects with KafkaUnavailableError otherwise. */
  submit(request: NotificationRequest): Promise<Delivered> {
    const value = appCodecs().request.serialize(this.topic, request);
    return this.producer.send(this.topic, request.recipient.userId, value, { messageId: request.messageId });
  }
}

/**
 * Bearer tokens per business unit, read from the environment variables the configuration names
 * (`http.tokens[].env`). A unit whose variable is unset has no token and cannot use the API.
 */
export class TokenTable {
  private readonly byToken = new Map<string, string>();
  readonly missing: string[] = [];

  constructor(tokens: readonly { businessUnit: string; env: string }[], env: Readonly<Record<string, string | undefined>> = process.env) {
    for (const t of tokens) {
      const value = env[t.env];
      if (value) this.byToken.set(value, t.businessUnit);
      else this.missing.push(t.env);
    }
  }

  /** The business unit a token belongs to, or undefined. */
  unitOf(token: string): string | undefined {
    return this.byToken.get(token);
  }
}
