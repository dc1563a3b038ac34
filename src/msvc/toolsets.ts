import { inputError } from '../core/errors';
import { compareVersions } from '../core/version';

/**
 * MSVC toolsets: the VC\Tools\MSVC\14.NN.BBBBB folder of a Visual Studio install, the _MSC_VER its
 * compiler (cl 19.NN) defines, and the last Visual Studio release that shipped it as its default
 * (which names its side-by-side installer component).
 * Sources: Microsoft Learn "Microsoft C++ (MSVC) compiler versioning" and "Predefined macros"
 * (_MSC_VER table; 16.8/16.9 share 14.28 and 16.10/16.11 share 14.29), and the C++ team blog "MSVC
 * Toolset Minor Version Number 14.40 in VS 2022 v17.10". Visual Studio 2026 (18.x) ships 14.50.
 */
const TOOLSETS: readonly { toolset: string; mscVer: number; vs: string }[] = [
  { toolset: '14.10', mscVer: 1910, vs: '15.2' },
  { toolset: '14.11', mscVer: 1911, vs: '15.4' },
  { toolset: '14.12', mscVer: 1912, vs: '15.5' },
  { toolset: '14.13', mscVer: 1913, vs: '15.6' },
  { toolset: '14.14', mscVer: 1914, vs: '15.7' },
  { toolset: '14.15', mscVer: 1915, vs: '15.8' },
  { toolset: '14.16', mscVer: 1916, vs: '15.9' },
  { toolset: '14.20', mscVer: 1920, vs: '16.0' },
  { toolset: '14.21', mscVer: 1921, vs: '16.1' },
  { toolset: '14.22', mscVer: 1922, vs: '16.2' },
  { toolset: '14.23', mscVer: 1923, vs: '16.3' },
  { toolset: '14.24', mscVer: 1924, vs: '16.4' },
  { toolset: '14.25', mscVer: 1925, vs: '16.5' },
  { toolset: '14.26', mscVer: 1926, vs: '16.6' },
  { toolset: '14.27', mscVer: 1927, vs: '16.7' },
  { toolset: '14.28', mscVer: 1928, vs: '16.9' },
  { toolset: '14.29', mscVer: 1929, vs: '16.11' },
  { toolset: '14.30', mscVer: 1930, vs: '17.0' },
  { toolset: '14.31', mscVer: 1931, vs: '17.1' },
  { toolset: '14.32', mscVer: 1932, vs: '17.2' },
  { toolset: '14.33', mscVer: 1933, vs: '17.3' },
  { toolset: '14.34', mscVer: 1934, vs: '17.4' },
  { toolset: '14.35', mscVer: 1935, vs: '17.5' },
  { toolset: '14.36', mscVer: 1936, vs: '17.6' },
  { toolset: '14.37', mscVer: 1937, vs: '17.7' },
  { toolset: '14.38', mscVer: 1938, vs: '17.8' },
  { toolset: '14.39', mscVer: 1939, vs: '17.9' },
  { toolset: '14.40', mscVer: 1940, vs: '17.10' },
  { toolset: '14.41', mscVer: 1941, vs: '17.11' },
  { toolset: '14.42', mscVer: 1942, vs: '17.12' },
  { toolset: '14.43', mscVer: 1943, vs: '17.13' },
  { toolset: '14.44', mscVer: 1944, vs: '17.14' },
  { toolset: '14.50', mscVer: 1950, vs: '18.0' },
];

/** A folder name under VC\Tools\MSVC: 14.44.35207. */
export const TOOLSET_FOLDER = /^14\.\d{2}\.\d+$/;

const TOOLSET_INPUT = /^14\.\d{2}(?:\.\d+)?$/;

/** "14.44.35207" -> "14.44" */
export const toolsetMinor = (toolset: string): string => toolset.split('.').slice(0, 2).join('.');

/**
 * The _MSC_VER of a toolset's compiler. A toolset newer than the table (14.51 and on) follows the
 * rule every row follows: cl 19.NN of toolset 14.NN defines 19NN.
 */
export function mscVer(toolset: string): number {
  const minor = toolsetMinor(toolset);
  return TOOLSETS.find((row) => row.toolset === minor)?.mscVer ?? 1900 + Number(minor.split('.')[1]);
}

/** The `toolset` input: 14.NN (the newest 14.NN.x installed) or a full 14.NN.BBBBB folder name. */
export function parseToolsetInput(value: string): string {
  if (!TOOLSET_INPUT.test(value)) {
    throw inputError(
      'toolset',
      `"${value}" is not an MSVC toolset version`,
      'Allowed: 14.NN or 14.NN.BBBBB, e.g. 14.44 or 14.44.35207',
    );
  }
  return value;
}

export const toolsetMatches = (folder: string, wanted: string): boolean =>
  folder === wanted || toolsetMinor(folder) === wanted;

export const newestFirst = (a: string, b: string): number => compareVersions(b, a);

/**
 * The newest toolset Microsoft shipped whose _MSC_VER is in [min, max], with the Visual Studio
 * Installer component that adds it side by side (as in Microsoft.VisualStudio.Component.VC.14.44.17.14.x86.x64).
 */
export function newestShippedToolset(min: number, max: number): { toolset: string; component: string } | undefined {
  const row = TOOLSETS.filter((r) => r.mscVer >= min && r.mscVer <= max).at(-1);
  return (
    row && { toolset: row.toolset, component: `Microsoft.VisualStudio.Component.VC.${row.toolset}.${row.vs}.x86.x64` }
  );
}
