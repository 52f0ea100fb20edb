import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('armHardExit', () => {
  it('kills the process even while its event loop is held in native code', () => {
    const module = resolve('src/app/hard-exit.ts');
    const script = `import { armHardExit } from ${JSON.stringify(module)};
      armHardExit(300);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
      console.log('still alive');`;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).not.toContain('still alive');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
