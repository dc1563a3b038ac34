// The action's entry: runs main.mjs's run(), which @github/local-action imports itself.
import { run } from './main.mjs';

await run();
