#!/usr/bin/env node
// The CLI's entry (dist/cli/index.mjs): any Node can evaluate this file, and it says which Node
// sagewheels needs before importing the bundle, whose modules (fs.glob) need Node 24.
const NEEDED = 24;
const found = process.versions.node;
if (Number(found.split('.')[0]) < NEEDED) {
  process.stderr.write(`sagewheels needs Node ${NEEDED} (found ${found}); npm ci in a checkout brings it\n`);
  process.exit(1);
}
await import('./main.mjs');
