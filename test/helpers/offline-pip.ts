import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * pip without a network, for tests: Debian's setuptools and wheel wheels (python3-setuptools-whl,
 * python3-wheel-whl), plus the upstream setuptools/wheel wheels that CPython 3.12+ ships for its own
 * test suite (Debian's patched setuptools fails with non-Debian Pythons 3.12+: install_layout).
 */
export function offlinePipEnv(): Record<string, string> {
  const links = ['/usr/share/python-wheels'];
  const pyenv = path.join(process.env.PYENV_ROOT ?? path.join(process.env.HOME ?? '/root', '.pyenv'), 'versions');
  for (const version of existsSync(pyenv) ? readdirSync(pyenv) : []) {
    const minor = version.split('.').slice(0, 2).join('.');
    for (const dir of ['test', 'test/wheeldata']) {
      const full = path.join(pyenv, version, 'lib', `python${minor}`, dir);
      if (existsSync(full) && readdirSync(full).some((f) => /^(setuptools|wheel)-.*\.whl$/.test(f))) links.push(full);
    }
  }
  return { PIP_NO_INDEX: '1', PIP_FIND_LINKS: links.join(' '), PIP_DISABLE_PIP_VERSION_CHECK: '1' };
}
