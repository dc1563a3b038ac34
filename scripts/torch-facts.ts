// The torch CUDA wheels PyTorch published for 2.5-2.15, written out from public facts for the day
// the live index cannot be reached (this repository's machines have no network). Sources: the
// compatibility matrix of pytorch/pytorch RELEASE.md (CUDA builds and Pythons per minor, as
// docs/DESIGN's table copies it) and the file names on download.pytorch.org/whl/<cuXYZ>/torch/
// (linux_x86_64 until 2.5, manylinux_2_28 since 2.6; free-threaded cp313t from 2.6 and cp314t from
// 2.9; aarch64 CUDA wheels for cu128 from 2.7 and for every CUDA build from 2.9). Patch releases
// after 2.11 and the 2.15 row are not in those sources: the live index fills them in.
import { torchWheelName } from '../src/torch/wheels';

interface MinorFacts {
  minor: string;
  patches: number[];
  cuda: string[];
  python: [min: string, max: string];
  /** Pythons that also have a free-threaded (cp3XYt) build. */
  freeThreaded: string[];
  /** CUDA builds that have linux aarch64 wheels. */
  aarch64: string[];
}

const FACTS: MinorFacts[] = [
  {
    minor: '2.5',
    patches: [0, 1],
    cuda: ['11.8', '12.1', '12.4'],
    python: ['3.9', '3.12'],
    freeThreaded: [],
    aarch64: [],
  },
  {
    minor: '2.6',
    patches: [0],
    cuda: ['11.8', '12.4', '12.6'],
    python: ['3.9', '3.13'],
    freeThreaded: ['3.13'],
    aarch64: [],
  },
  {
    minor: '2.7',
    patches: [0, 1],
    cuda: ['11.8', '12.6', '12.8'],
    python: ['3.9', '3.13'],
    freeThreaded: ['3.13'],
    aarch64: ['12.8'],
  },
  {
    minor: '2.8',
    patches: [0],
    cuda: ['12.6', '12.8', '12.9'],
    python: ['3.9', '3.13'],
    freeThreaded: ['3.13'],
    aarch64: ['12.8', '12.9'],
  },
  {
    minor: '2.9',
    patches: [0, 1],
    cuda: ['12.6', '12.8', '13.0'],
    python: ['3.10', '3.14'],
    freeThreaded: ['3.13', '3.14'],
    aarch64: ['12.6', '12.8', '13.0'],
  },
  {
    minor: '2.10',
    patches: [0],
    cuda: ['12.6', '12.8', '13.0'],
    python: ['3.10', '3.14'],
    freeThreaded: ['3.13', '3.14'],
    aarch64: ['12.6', '12.8', '13.0'],
  },
  {
    minor: '2.11',
    patches: [0],
    cuda: ['12.6', '12.8', '13.0'],
    python: ['3.10', '3.14'],
    freeThreaded: ['3.13', '3.14'],
    aarch64: ['12.6', '12.8', '13.0'],
  },
  {
    minor: '2.12',
    patches: [0],
    cuda: ['12.6', '13.0', '13.2'],
    python: ['3.10', '3.14'],
    freeThreaded: ['3.13', '3.14'],
    aarch64: ['12.6', '13.0', '13.2'],
  },
  {
    minor: '2.13',
    patches: [0],
    cuda: ['12.6', '13.0', '13.2'],
    python: ['3.10', '3.15'],
    freeThreaded: ['3.14', '3.15'],
    aarch64: ['12.6', '13.0', '13.2'],
  },
  {
    minor: '2.14',
    patches: [0],
    cuda: ['12.6', '13.0', '13.2'],
    python: ['3.10', '3.15'],
    freeThreaded: ['3.14', '3.15'],
    aarch64: ['12.6', '13.0', '13.2'],
  },
  {
    minor: '2.15',
    patches: [0],
    cuda: ['12.6', '13.0', '13.2'],
    python: ['3.10', '3.15'],
    freeThreaded: ['3.14', '3.15'],
    aarch64: ['12.6', '13.0', '13.2'],
  },
];

function pythonsOf(facts: MinorFacts): string[] {
  const [min, max] = facts.python.map((v) => Number(v.split('.')[1])) as [number, number];
  return Array.from({ length: max - min + 1 }, (_, i) => `3.${min + i}`).flatMap((python) =>
    facts.freeThreaded.includes(python) ? [python, `${python}t`] : [python],
  );
}

/** Every file name the facts say PyTorch's index lists. */
export function factWheelNames(): string[] {
  return FACTS.flatMap((facts) => {
    const linux = facts.minor === '2.5' ? 'linux_x86_64' : 'manylinux_2_28_x86_64';
    return facts.patches.flatMap((patch) =>
      facts.cuda.flatMap((cuda) =>
        pythonsOf(facts).flatMap((python) => {
          const wheel = { version: `${facts.minor}.${patch}`, cuda, python, platform: 'linux-x86_64' as const };
          // Free-threaded Windows wheels came with 2.9.
          const windows = !python.endsWith('t') || Number(facts.minor.split('.')[1]) >= 9;
          return [
            torchWheelName(wheel, linux),
            ...(windows ? [torchWheelName(wheel, 'win_amd64')] : []),
            ...(facts.aarch64.includes(cuda) ? [torchWheelName(wheel, 'manylinux_2_28_aarch64')] : []),
          ];
        }),
      ),
    );
  });
}
