/**
 * Runs `peer-worker.mjs` (an SMSC or an HTTP receiver) in a worker thread and talks to it.
 * For measurements where the peer must not share the sender's event loop.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** What the threaded peer saw. */
export interface PeerStats {
  received: number;
  arrivals: number[];
}

/** A peer in its own thread. */
export class ThreadedPeer {
  readonly port: number;
  readonly #worker: Worker;

  private constructor(worker: Worker, port: number) {
    this.#worker = worker;
    this.port = port;
  }

  static async start(kind: 'smpp' | 'http', options: { keepArrivals?: boolean } = {}): Promise<ThreadedPeer> {
    const worker = new Worker(new URL('./peer-worker.mjs', import.meta.url), { workerData: { kind, ...options } });
    const [ready] = (await once(worker, 'message')) as [{ port: number }];
    return new ThreadedPeer(worker, ready.port);
  }

  async stats(): Promise<PeerStats> {
    this.#worker.postMessage('stats');
    const [stats] = (await once(this.#worker, 'message')) as [PeerStats];
    return stats;
  }

  async reset(): Promise<void> {
    this.#worker.postMessage('reset');
    await once(this.#worker, 'message');
  }

  async close(): Promise<void> {
    this.#worker.postMessage('close');
    await once(this.#worker, 'exit');
  }
}
