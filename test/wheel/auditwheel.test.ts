import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWheel, type BuildOptions } from '../../src/builder/build';
import { which } from '../../src/builder/which';
import { ConfigurationError } from '../../src/core/errors';
import { Inputs } from '../../src/core/step';
import { PROFILES } from '../../src/packages/profiles';
import { step } from '../../src/steps/build';
import { auditwheelRepair, auditwheelShow } from '../../src/wheel/auditwheel';
import { inspectWheel } from '../../src/wheel/integrity';
import { chooseLinuxTag } from '../../src/wheel/manylinux';
import { recordingContext } from '../helpers/context';
import { buildFixtureWheel, FIXTURES, removeScratch, scratch } from '../verify/fixtures';

// auditwheel is a pip install away on most runners; Debian packages none, and this machine reaches
// no Python index, so here the comparison is skipped. .ci/run cannot apt-install it either.
const auditwheel = which('auditwheel', process.env);
const reason = auditwheel ? '' : ' (skipped: auditwheel is not on PATH; `pip install auditwheel` to run it)';

afterAll(removeScratch);

describe(`the built-in check and auditwheel on the cudapkg fixture${reason}`, () => {
  it.skipIf(!auditwheel)(
    'agree on the platform tag, and auditwheel repair with the same exclusions gives a whole wheel with it',
    async () => {
      const wheel = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg'), '9.0');
      const builtin = await chooseLinuxTag(wheel, 'auto', recordingContext().log);
      const shown = await auditwheelShow(wheel);
      expect(builtin?.split('.')[0]).toBe(shown);

      const out = await scratch('auditwheel');
      const repaired = await auditwheelRepair(wheel, 'auto', out, recordingContext().log);
      expect(path.basename(repaired)).toContain(shown);
      expect((await inspectWheel(repaired)).problems).toEqual([]);
    },
    300_000,
  );
});

describe('the build inputs platform-tag and repair', () => {
  const options = (fields: Partial<BuildOptions>): BuildOptions => ({
    profile: PROFILES.generic,
    source: path.join(FIXTURES, 'cudapkg'),
    python: '3.12',
    torch: 'none',
    archList: '9.0',
    versionSuffix: 'auto',
    jobs: '1',
    compileCache: 'off',
    outputDir: '/nonexistent/out',
    env: { PATH: '/nonexistent' },
    ...fields,
  });
  const refused = (fields: Partial<BuildOptions>) =>
    buildWheel(options(fields), recordingContext().log).then(
      () => 'built',
      (e: Error) => (e instanceof ConfigurationError ? e.message : `not a ConfigurationError: ${e.message}`),
    );

  it('refuses a tag the build step cannot give as the inputs are read, before any step of a pipeline runs', () => {
    expect(() => new Inputs(step.spec, { 'platform-tag': 'manylinux_2_99' })).toThrow(
      /^platform-tag: "manylinux_2_99" is not allowed\. Allowed: auto, linux, manylinux_2_5, .*, manylinux_2_41, manylinux1, manylinux2010, manylinux2014$/,
    );
    expect(() => new Inputs(step.spec, { repair: 'delocate' })).toThrow(
      /^repair: "delocate" is not allowed\. Allowed: builtin, auditwheel$/,
    );
  });

  it('refuses a tag sagewheels cannot give, and auditwheel where there is none, before anything is built', async () => {
    expect(await refused({ platformTag: 'manylinux_2_99' })).toMatch(
      /^platform-tag: "manylinux_2_99" is not a platform tag sagewheels can give\. Allowed: auto, linux, manylinux_2_5, .*manylinux_2_41, manylinux1, manylinux2010, manylinux2014$/,
    );
    expect(await refused({ repair: 'auditwheel' })).toBe(
      'repair: is auditwheel, but no auditwheel is on PATH. Install it (pip install auditwheel), or use builtin',
    );
  });
});
