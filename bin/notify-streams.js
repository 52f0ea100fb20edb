#!/usr/bin/env node
// Launcher of the notify-streams CLI. Runs the compiled build (dist/, `npm run build`) when it
// exists and is not older than the sources' entry point, otherwise the TypeScript sources through
// tsx's loader (installed by `make setup`). Exit codes: see `notify-streams --help`.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'app', 'main.js');
const source = join(root, 'src', 'app', 'main.ts');

let entry = source;
if (existsSync(compiled) && (!existsSync(source) || statSync(compiled).mtimeMs >= statSync(source).mtimeMs)) {
  entry = compiled;
} else {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
process.exit(code);
