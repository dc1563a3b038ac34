/**
 * Why git would refuse `name` as a branch or tag name (git check-ref-format's rules, for
 * refs/tags/<name>), or undefined when it would take it.
 */
export function refNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(name)) return 'holds a space or a control character';
  const bad = /[~^:?*[\\]/.exec(name)?.[0];
  if (bad) return `holds "${bad}"`;
  if (name.includes('..')) return 'holds ".."';
  if (name.includes('@{')) return 'holds "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty part between slashes';
  if (name.endsWith('.')) return 'ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `has a part starting with "." (${part})`;
    if (part.endsWith('.lock')) return `has a part ending with ".lock" (${part})`;
  }
  return undefined;
}
