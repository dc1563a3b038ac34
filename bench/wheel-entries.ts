// Reads a wheel of many empty entries as verify does (readWheel) and as publish does
// (checkWheel), each in a fresh process, and prints the result, the time and the peak RSS:
//   node scripts/run-ts.mjs bench/wheel-entries.ts write <file.whl> <count> [every|none]
//   node scripts/run-ts.mjs bench/wheel-entries.ts verify|publish <file.whl>
// `none`: RECORD lists only the metadata, so every empty file is a problem.
import { writeManyEntryWheel } from '../test/helpers/many-entries';
import { readWheel } from '../src/verify/wheel';
import { checkWheel } from '../src/wheel/integrity';

const [mode, file, count, record] = process.argv.slice(2);
const started = Date.now();
if (mode === 'write') {
  await writeManyEntryWheel(file!, Number(count), record === 'none' ? 'its own files only' : 'every file');
  console.log(`wrote ${file} in ${Date.now() - started} ms`);
} else {
  let result: string;
  try {
    if (mode === 'verify') {
      const wheel = await readWheel(file!);
      result = `read ${wheel.entries.length} entries, ${wheel.problems.length} problem lines`;
    } else {
      await checkWheel(file!);
      result = 'passed';
    }
  } catch (error) {
    result = `error: ${(error as Error).message.slice(0, 200)}`;
  }
  const peak = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`${mode}: ${result}; ${Date.now() - started} ms, peak RSS ${peak} MB`);
}
