/** Shown at the end of `sagewheels <step> --help`: what a first run of each step looks like. */
export const EXAMPLES: Record<string, readonly string[]> = {
  matrix: [
    'sagewheels matrix --torch-versions 2.9.1,2.10.0 --python-versions 3.10-3.13',
    'sagewheels matrix --torch-versions 2.10.0 --cuda-versions 13.0 --arch-list "8.0 9.0 12.0"',
  ],
  'setup-cuda': [
    'sagewheels setup-cuda --cuda-version 13.0',
    'sagewheels setup-cuda --cuda-version 12.8.1 --method redist --install-dir ~/cuda-12.8',
  ],
  'setup-msvc': ['sagewheels setup-msvc --cuda-version 12.8'],
  build: [
    'sagewheels build --torch-version 2.10.0 --cuda-version 13.0 --arch-list "8.0 8.9 9.0 12.0"',
    'sagewheels build --package generic --source ./ext --torch preinstalled --python .venv/bin/python',
  ],
  verify: [
    'sagewheels verify --wheels wheelhouse --arch-list "8.0 9.0 12.0"',
    'sagewheels verify --wheels "wheelhouse/*.whl" --arch-list 12.0 --runtime-test never',
  ],
  publish: [
    'GITHUB_REPOSITORY=me/wheels sagewheels publish --wheels wheelhouse --tag v2.2.0 --dry-run',
    'sagewheels publish --wheels "wheelhouse/*.whl" --tag v2.2.0 --draft --on-conflict skip',
  ],
  run: [
    'sagewheels run --steps setup-cuda,build,verify --cuda-version 13.0 --torch-version 2.10.0',
    'sagewheels run --torch-version 2.10.0 --cuda-version 13.0 --tag v2.2.0 --dry-run',
  ],
};
