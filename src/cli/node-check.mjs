#!/usr/bin/env node
// The CLI's entry (dist/cli/index.mjs): any Node can evaluate this file, and it says which Node
// sagewheels needs before importing the bundle, whose modules (fs.glob) need Node 24.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NEEDED = 24;
const found = process.versions.node;
if (Number(found.split('.')[0]) < NEEDED) {
  // The checkout's node_modules/.bin/node (the `node` dev dependency, after npm ci) is Node 24:
  // the message names the command that runs this very call on it.
  const script = fileURLToPath(import.meta.url);
  const node = path.resolve(path.dirname(script), '../../node_modules/.bin/node');
  const quote = (arg) => (/^[\w./:=,@+%-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  const relative = (file) => path.relative(process.cwd(), file) || '.';
  const args = process.argv.slice(2).map(quote).join(' ');
  const command = [relative(node), relative(script), args].filter(Boolean).join(' ');
  process.stderr.write(
    existsSync(node)
      ? `sagewheels needs Node ${NEEDED} (found ${found}); the checkout's Node ${NEEDED} runs it: ${command}\n`
      : `sagewheels needs Node ${NEEDED} (found ${found}); npm ci in the checkout brings it, then: ${command}\n`,
  );
  process.exit(1);
}
await import('./main.mjs');
