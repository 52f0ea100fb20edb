/**
 * `notify-streams config check <file>`: validates the file with the environment's overrides and
 * prints the effective configuration (durations in milliseconds), or each problem with its key.
 */
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../notify/index.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatConfigError } from './common.js';

export function configCheckCommand(file: string, options: { json: boolean; quiet: boolean }): ExitCode {
  try {
    const config = loadConfig({ file, env: process.env });
    if (!options.quiet) process.stdout.write(options.json ? `${JSON.stringify(config, null, 2)}\n` : `# effective configuration of ${file} (durations in milliseconds)\n${stringify(config)}`);
    process.stderr.write(`${file}: OK\n`);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(err)}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
}
