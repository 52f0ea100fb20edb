import { Worker } from 'node:worker_threads';

/**
 * Ends the process with SIGKILL after `ms`, from a thread of its own: the shutdown's own bound
 * runs on the event loop, which a native call can hold (a Kafka client's teardown waiting for a
 * broker that is gone), and a process that said it exits must exit. The thread does not keep
 * the process alive.
 */
export function armHardExit(ms: number): void {
  new Worker(`setTimeout(() => process.kill(process.pid, 'SIGKILL'), ${Math.max(0, Math.floor(ms))})`, { eval: true }).unref();
}
