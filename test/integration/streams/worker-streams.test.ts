import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsConfigError, WorkerStreams, type StreamsLogger } from '../../../src/streams/index.js';
import { BOOTSTRAP, createTopics, produce, readTopic, uniqueName, waitFor, type TestRecord } from '../../support/kafka.js';

const MODULE = new URL('./fixtures/counting-topology.ts', import.meta.url);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function capturingLogger(lines: { level: string; fields: { [key: string]: unknown }; msg?: string }[]): StreamsLogger {
  const at = (level: string) => (fields: object, msg?: string) => lines.push({ level, fields: fields as { [key: string]: unknown }, ...(msg !== undefined ? { msg } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('stream threads in worker processes', () => {
  it('two workers share the tasks, count exactly once each record, call the main process and report merged metrics', async () => {
    const input = uniqueName('workers-in');
    const output = uniqueName('workers-out');
    await createTopics([
      { name: input, partitions: 4 },
      { name: output, partitions: 4 },
    ]);
    const stateDir = mkdtempSync(join(tmpdir(), 'workers-'));
    dirs.push(stateDir);
    const lines: { level: string; fields: { [key: string]: unknown }; msg?: string }[] = [];
    const seenBy = new Map<number, number>();
    const streams = new WorkerStreams(
      { applicationId: uniqueName('workers'), bootstrapServers: BOOTSTRAP, processingGuarantee: 'exactly_once_v2', stateDir, sessionTimeoutMs: 6000, logger: capturingLogger(lines) },
      {
        module: MODULE,
        args: { input, output },
        threads: 2,
        services: {
          seen: ({ thread }: { key: string; thread: number }) => {
            seenBy.set(thread, (seenBy.get(thread) ?? 0) + 1);
            return true;
          },
        },
      },
    );
    await streams.start();
    try {
      // Both workers own tasks before traffic starts.
      await waitFor(() => streams.isReady() && streams.runningTaskIds().length === 4 && lines.filter((l) => l.msg === 'task restored and running' && l.fields['worker'] === 1).length > 0 && lines.some((l) => l.msg === 'task restored and running' && l.fields['worker'] === 0), 60_000, 'tasks on both workers');
      const records: TestRecord[] = [];
      for (let i = 0; i < 2_000; i++) records.push({ key: `user-${i % 50}`, value: String(i) });
      await produce(input, records);
      const finals = new Map<string, number>();
      const out = await readTopic(output, (rs) => {
        for (const r of rs) finals.set(r.key!, Math.max(finals.get(r.key!) ?? 0, Number(r.value!.toString())));
        return rs.length >= 2_000;
      }, 60_000);
      expect(out).toHaveLength(2_000);
      for (let k = 0; k < 50; k++) expect(finals.get(`user-${k}`)).toBe(40);
      // Each worker processed some records, each through the main process's service.
      expect([...seenBy.keys()].sort()).toEqual([0, 1]);
      expect(seenBy.get(0)! + seenBy.get(1)!).toBeGreaterThanOrEqual(2_000);
      const processed = await (await streams.metrics()).getSingleMetric('streams_records_processed_total')!.get();
      expect(processed.values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(2_000);
      expect(streams.state).toBe('RUNNING');
    } finally {
      await streams.close();
    }
    expect(streams.state).toBe('NOT_RUNNING');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 120_000);

  it('a module without createTopology fails start() with the reason; a function handler is refused up front', async () => {
    const streams = new WorkerStreams(
      { applicationId: uniqueName('workers-bad'), bootstrapServers: BOOTSTRAP, stateDir: mkdtempSync(join(tmpdir(), 'workers-bad-')) },
      { module: new URL('../../support/kafka.ts', import.meta.url), threads: 1 },
    );
    await expect(streams.start()).rejects.toThrow(/does not export a createTopology/);
    expect(streams.state).toBe('ERROR');
    expect(() => new WorkerStreams({ applicationId: 'x', bootstrapServers: BOOTSTRAP, processingHandler: () => 'CONTINUE' as never }, { module: MODULE, threads: 2 })).toThrow(StreamsConfigError);
    expect(() => new WorkerStreams({ applicationId: 'x', bootstrapServers: BOOTSTRAP }, { module: MODULE, threads: 0 })).toThrow(/threads/);
  }, 60_000);
});
