/**
 * Follows the feedback topic from given offsets (the ends before a demo started producing) and
 * hands every decoded event to a callback. For the demo's live summary; not a consumer group.
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { randomUUID } from 'node:crypto';
import type { DeliveryFeedback } from '../../notify/index.js';
import { appCodecs } from '../codecs.js';

type Consumer = InstanceType<typeof KafkaJs.KafkaConsumer>;

export class FeedbackWatcher {
  private consumer: Consumer | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly bootstrapServers: string,
    private readonly clientConfig: Readonly<Record<string, string | number | boolean>>,
    private readonly topic: string,
  ) {}

  /** Connects and remembers the current end of every partition; events after it are watched. */
  async start(partitions: number, onEvent: (e: DeliveryFeedback) => void): Promise<void> {
    const consumer: Consumer = new KafkaJs.KafkaConsumer(
      { 'bootstrap.servers': this.bootstrapServers, 'group.id': `notify-streams-demo-${randomUUID()}`, 'enable.auto.commit': false, ...this.clientConfig } as never,
      {} as never,
    );
    this.consumer = consumer;
    await new Promise<void>((res, rej) => consumer.connect({ timeout: 10_000 }, (err) => (err ? rej(err) : res())));
    const assignment = [];
    for (let p = 0; p < partitions; p++) {
      const { highOffset } = await new Promise<{ highOffset: number }>((res, rej) =>
        consumer.queryWatermarkOffsets(this.topic, p, 10_000, (err, w) => (err ? rej(err) : res(w as { highOffset: number }))),
      );
      assignment.push({ topic: this.topic, partition: p, offset: highOffset });
    }
    consumer.assign(assignment);
    consumer.setDefaultConsumeTimeout(200);
    const serde = appCodecs().feedback;
    this.loop = (async () => {
      while (!this.stopped) {
        const batch = await new Promise<KafkaJs.Message[]>((res) => consumer.consume(1000, (err, m) => res(err ? [] : m)));
        for (const m of batch) if (m.value) onEvent(serde.deserialize(this.topic, m.value));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    const c = this.consumer;
    if (c) await new Promise<void>((res) => c.disconnect(() => res()));
  }
}
