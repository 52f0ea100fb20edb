/**
 * The chaos suite's own broker: `tools/kafka/kafka.sh` with its home folder `.kafka-chaos` on
 * 127.0.0.1:19092 (controller 19093), which these tests stop and start. It is never the shared
 * development broker on 9092: {@link assertOwnBroker} refuses to run a case against it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BOOTSTRAP } from '../../support/kafka.js';

const KAFKA_SH = resolve('tools/kafka/kafka.sh');

/** Environment of kafka.sh for the chaos broker (ports from the bootstrap address). */
function brokerEnv(): NodeJS.ProcessEnv {
  const port = Number(BOOTSTRAP.split(':').pop());
  return {
    ...process.env,
    KAFKA_HOME_DIR: process.env.KAFKA_HOME_DIR ?? '.kafka-chaos',
    // The jars `make kafka-fetch` put in .kafka/lib, rather than a second download.
    ...(process.env.KAFKA_LIB_DIR || !existsSync(resolve('.kafka/lib/.complete')) ? {} : { KAFKA_LIB_DIR: resolve('.kafka/lib') }),
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: process.env.KAFKA_CONTROLLER_PORT ?? String(port + 1),
  };
}

/** Throws unless the tests point at a broker of their own (never the shared one on 9092). */
export function assertOwnBroker(): void {
  if (!/^127\.0\.0\.1:\d+$/.test(BOOTSTRAP) || BOOTSTRAP.endsWith(':9092')) {
    throw new Error(`the chaos suite stops its broker; KAFKA_BOOTSTRAP=${BOOTSTRAP} must be a broker of its own (make chaos starts one on 127.0.0.1:19092)`);
  }
}

function kafkaSh(command: 'up' | 'down' | 'status'): Promise<string> {
  assertOwnBroker();
  return new Promise((res, rej) => {
    execFile(KAFKA_SH, [command], { env: brokerEnv(), timeout: 120_000 }, (err, stdout, stderr) => (err ? rej(new Error(`kafka.sh ${command} failed: ${stderr || stdout || String(err)}`)) : res(stdout.trim())));
  });
}

/** Stops the chaos broker (SIGTERM, controlled shutdown); resolves once its process is gone. */
export async function brokerDown(): Promise<void> {
  const out = await kafkaSh('down');
  // `down` says "kafka not running" when the broker is not ours (a shared one): the case would
  // then not test an outage at all.
  if (!out.includes('kafka stopped')) throw new Error(`the chaos broker was not stopped (${out}); is it started by kafka.sh with KAFKA_HOME_DIR=.kafka-chaos?`);
}

/** Starts the chaos broker; resolves once it serves metadata. */
export async function brokerUp(): Promise<void> {
  await kafkaSh('up');
}
