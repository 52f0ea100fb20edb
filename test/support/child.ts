import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** A TypeScript program run with tsx as a child process, with its output collected. */
export interface Child {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout has shown `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function spawnTs(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  // tsx as a loader inside one node process (not the tsx CLI, which forks a second process
  // that a SIGKILL of the first would leave running).
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: async (text, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`child ${script} did not print "${text}" within ${timeoutMs} ms; stderr:\n${err.slice(-3000)}`);
        if (child.exitCode !== null) throw new Error(`child ${script} exited with ${child.exitCode}; stderr:\n${err.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
