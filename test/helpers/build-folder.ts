// Every test file: reproducible builds work in a folder of this file's own instead of the canonical
// /tmp/sagewheels/build, which test files running at once (and other runs on the machine) would
// share: the second would build elsewhere, with a warning and other bytes.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';

process.env.SAGEWHEELS_BUILD_FOLDER ??= path.join(tmpdir(), `sagewheels-test-build-${randomBytes(4).toString('hex')}`);
