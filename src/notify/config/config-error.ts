import { StreamsConfigError } from '../../streams/errors.js';

/** One problem in a configuration file: where (key path) and what. */
export interface ConfigProblem {
  /** Dotted path with indexes, e.g. `fatigue.rules[2].window`; `(root)` for the whole file. */
  readonly key: string;
  readonly message: string;
}

/**
 * The configuration is invalid; startup stops. The message starts with the first bad key and
 * what is wrong with it (e.g. `fatigue.rules[2].window: expected a duration like 24h or 7d`),
 * names the file, and lists any further problems on following lines. Fix the named key in the
 * file, or the `NOTIFY_…` environment variable that overrides it.
 */
export class ConfigError extends StreamsConfigError {
  readonly problems: readonly ConfigProblem[];
  readonly file: string | undefined;

  constructor(problems: readonly ConfigProblem[], file?: string) {
    const [first, ...rest] = problems;
    const head = first ?? { key: '(root)', message: 'invalid configuration' };
    const where = file === undefined ? '' : ` (in ${file})`;
    const more = rest.map((p) => `\n${p.key}: ${p.message}`).join('');
    super(head.key, `${head.message}${where}${more}`);
    this.problems = problems.length > 0 ? problems : [head];
    this.file = file;
  }
}

/** Formats a zod-style path (`['fatigue', 'rules', 2, 'window']`) as `fatigue.rules[2].window`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}
