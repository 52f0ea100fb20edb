/**
 * One notify-streams pod (`run` as a child process, as in production) and what can be observed
 * of it from outside: its exit, its logs (pino JSON lines on stdout, with their `time`), and its
 * `/readyz` answers, polled every 50 ms from the moment it is spawned.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { spawnTs, type Child } from '../../support/child.js';

/** Where each pod's output is kept for diagnosis (gitignored). */
export const LOG_DIR = resolve('.state/chaos');

/** One `/readyz` answer that differed from the previous one. */
export interface ReadyTransition {
  /** Wall-clock time (Date.now()) the answer came in. */
  readonly at: number;
  /** HTTP status, or 0 when nothing answered (not listening yet, or gone). */
  readonly status: number;
}

export interface PodOptions {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly stateDir: string;
  readonly sentLog: string;
  readonly sessionTimeout?: string;
  readonly extraArgs?: readonly string[];
}

/** A free TCP port on 127.0.0.1 (so /readyz can be polled before the pod logs its port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

export class ChaosPod {
  readonly transitions: ReadyTransition[] = [];
  private polling = true;
  private poller: Promise<void> = Promise.resolve();
  private last = -1;

  private constructor(
    readonly name: string,
    readonly child: Child,
    readonly port: number,
    readonly spawnedAt: number,
  ) {}

  /** Spawns `run` and starts polling `/readyz` at once. */
  static async start(options: PodOptions): Promise<ChaosPod> {
    const port = await freePort();
    const args = ['run', '--state-dir', options.stateDir, '--sent-log', options.sentLog, '--session-timeout', options.sessionTimeout ?? '6s', '--shutdown-timeout', '20s', '--port', String(port), ...(options.extraArgs ?? [])];
    const spawnedAt = Date.now();
    const pod = new ChaosPod(options.name, spawnTs('src/app/main.ts', args, options.env), port, spawnedAt);
    pod.poller = pod.poll();
    return pod;
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      let status = 0;
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        status = 0;
      }
      if (status !== this.last) {
        this.transitions.push({ at: Date.now(), status });
        this.last = status;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** True while the process has not exited. */
  get alive(): boolean {
    return this.child.process.exitCode === null && this.child.process.signalCode === null;
  }

  /** The latest /readyz status seen (0: no answer). */
  get ready(): number {
    return this.last;
  }

  /** First time at or after `since` that /readyz answered `status`, or null. */
  firstAnswer(status: number, since = 0): number | null {
    let current = 0;
    for (const t of this.transitions) {
      if (t.at < since) {
        current = t.status;
        continue;
      }
      if (t.status === status) return t.at;
    }
    return current === status && this.transitions.length > 0 ? since : null;
  }

  /** Parsed log lines with a given `msg`; `time` as epoch ms (pino writes ISO or epoch). */
  logLines(msg: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.child.stdout().split('\n')) {
      if (!line.includes(`"msg":"${msg}"`)) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        parsed.time = typeof parsed.time === 'string' ? Date.parse(parsed.time) : parsed.time;
        out.push(parsed);
      } catch {
        // a line cut by SIGKILL
      }
    }
    return out;
  }

  /** Sends a signal to the pod's process. */
  signal(signal: NodeJS.Signals): void {
    this.child.process.kill(signal);
  }

  /** SIGKILL, and wait for the process to be gone. */
  async kill(): Promise<void> {
    if (this.alive) this.signal('SIGKILL');
    await this.child.exited;
  }

  /** SIGTERM (clean stop) and its exit code. */
  async stop(): Promise<number | null> {
    if (this.alive) this.signal('SIGTERM');
    return this.child.exited;
  }

  /** Stops polling and writes the pod's output to `.state/chaos/<file>.log`; returns the path. */
  async finish(file: string): Promise<string> {
    this.polling = false;
    await this.poller;
    mkdirSync(LOG_DIR, { recursive: true });
    const path = join(LOG_DIR, `${file}.log`);
    const readyz = this.transitions.map((t) => `${new Date(t.at).toISOString()} ${t.status}`).join('\n');
    writeFileSync(path, `${this.child.stdout()}\n--- stderr ---\n${this.child.stderr()}\n--- /readyz transitions (port ${this.port}) ---\n${readyz}\n`);
    return path;
  }
}
