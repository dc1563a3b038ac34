/** A wheel file name's parts (PEP 427): name-version(-build)?-python-abi-platform.whl */
export interface WheelName {
  distribution: string;
  version: string;
  build?: string;
  python: string;
  abi: string;
  platform: string;
}

export function parseWheelName(fileName: string): WheelName {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const parts = base.endsWith('.whl') ? base.slice(0, -4).split('-') : [];
  if (parts.length !== 5 && parts.length !== 6) {
    throw new Error(`"${base}" is not a wheel file name (name-version-python-abi-platform.whl)`);
  }
  const [distribution, version, ...rest] = parts as [string, string, ...string[]];
  const [python, abi, platform] = rest.slice(-3) as [string, string, string];
  return { distribution, version, build: rest.length === 4 ? rest[0] : undefined, python, abi, platform };
}

export function formatWheelName(name: WheelName): string {
  return `${[name.distribution, name.version, name.build, name.python, name.abi, name.platform].filter(Boolean).join('-')}.whl`;
}

/** The local version label: "1.0.0+cu128torch2.7.1" -> "cu128torch2.7.1". */
export const localLabel = (version: string): string | undefined => version.split('+')[1];

/** PEP 503 normalization, as indexes and pip compare project names. */
export const normalizeProject = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');
