/**
 * `notify-streams topics create`: every topic of DESIGN §3 with the configured partitions,
 * compaction for the tables; idempotent (existing topics are reported and left alone, with a
 * warning when their partition count differs from the configuration).
 */
import { KafkaAdmin } from '../../streams/index.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { appTopics } from '../kafka/topics.js';
import { loadAppConfig } from './common.js';

export interface TopicsCreateOptions {
  readonly config: string;
  readonly replicationFactor: number;
  readonly timeout: number;
}

export async function topicsCreateCommand(options: TopicsCreateOptions): Promise<ExitCode> {
  const config = loadAppConfig(options.config);
  const topics = appTopics(config, options.replicationFactor);
  const admin = new KafkaAdmin({ 'bootstrap.servers': config.kafka.bootstrapServers, 'socket.connection.setup.timeout.ms': options.timeout, ...config.kafka.clientConfig });
  try {
    let result: { created: string[]; existing: string[] };
    let counts: Map<string, number>;
    try {
      counts = await admin.partitionCounts(topics.map((t) => t.name), options.timeout);
      result = await admin.createTopics(topics.filter((t) => !counts.has(t.name)), options.timeout);
    } catch (cause) {
      throw new CliError(`cannot create topics on ${config.kafka.bootstrapServers}: ${(cause as Error).message}`, EXIT.RUNTIME_FAILURE, { cause });
    }
    const created = new Set(result.created);
    let mismatch = false;
    for (const t of topics) {
      const existing = counts.get(t.name);
      const status = created.has(t.name) ? 'created' : 'exists';
      const note = existing !== undefined && existing !== t.partitions ? `  WARNING: has ${existing} partitions, configured ${t.partitions}` : '';
      if (note) mismatch = true;
      const compact = t.config?.['cleanup.policy'] === 'compact' ? ' compacted' : '';
      process.stdout.write(`${status.padEnd(8)} ${t.name.padEnd(28)} ${String(t.partitions).padStart(3)} partitions${compact}  ${t.role}${note}\n`);
    }
    process.stdout.write(`${result.created.length} created, ${topics.length - result.created.length} already existed\n`);
    if (mismatch) process.stderr.write('partition counts differ from the configuration; Kafka cannot shrink a topic, and growing one moves keys between partitions\n');
    return EXIT.OK;
  } finally {
    // A client that never connected throws from close(); there is nothing to release then.
    await admin.close().catch(() => undefined);
  }
}
