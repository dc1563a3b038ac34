import { inputError } from '../core/errors';
import { readList } from '../core/list';
import { compareVersions, majorMinor } from '../core/version';
import { type TorchReleases, torchVersionProblem } from './releases';

const INPUT = 'torch-versions';
const VERSION = /^\d+\.\d+(?:\.\d+)?$/;
const FORMS =
  'Allowed: latest, latest-N (the N newest minors), versions (2.7.1, or 2.7 for its newest patch), ranges (2.9-2.15)';

/** One item of torch-versions: `latest-N`, a version ("2.7.1", "2.7") or a range of minors. */
export type TorchSelector = { latest: number } | { version: string } | { from: string; to: string };

/** The items of a torch-versions input, checked for form alone (no release is needed, no request made). */
export function parseTorchVersions(text: string): TorchSelector[] {
  const tokens = readList(text.replace(/\s*-\s*/g, '-'), 'words', INPUT);
  if (tokens.length === 0) throw inputError(INPUT, 'is empty', FORMS);
  return tokens.map((token): TorchSelector => {
    const latest = /^latest(?:-(\d+))?$/.exec(token);
    if (latest) {
      const count = Number(latest[1] ?? 1);
      if (count < 1) throw inputError(INPUT, `"${token}" picks nothing`, FORMS);
      return { latest: count };
    }
    if (token === '2.1') {
      throw inputError(
        INPUT,
        'torch "2.1" is not supported (YAML reads an unquoted 2.10 as 2.1: quote it)',
        'Write 2.10 or 2.10.0',
      );
    }
    const [from = '', to, extra] = token.split('-');
    if (extra !== undefined || !VERSION.test(from) || (to !== undefined && !VERSION.test(to)))
      throw inputError(INPUT, `"${token}" is not a version, a range or latest-N`, FORMS);
    if (to === undefined) return { version: from };
    if (compareVersions(from, to) > 0)
      throw inputError(INPUT, `the range "${token}" runs backwards`, 'Write the lower version first, like 2.9-2.15');
    return { from, to };
  });
}

/**
 * The torch versions a torch-versions input picks, in the order given, repeats merged: exact
 * versions as given, and for `latest`, `latest-N`, a bare minor or a range, the newest patch of each minor.
 */
export function selectTorchVersions(text: string, releases: TorchReleases): string[] {
  const picked = parseTorchVersions(text).flatMap((selector) => pick(selector, releases));
  return [...new Set(picked)];
}

function pick(selector: TorchSelector, releases: TorchReleases): string[] {
  const minors = releases.minors;
  if ('latest' in selector) {
    if (selector.latest > minors.length)
      throw inputError(
        INPUT,
        `"latest-${selector.latest}" asks for ${selector.latest} minors, and PyTorch has published ${minors.length}`,
        `Known: ${minors.join(', ')}`,
      );
    return minors.slice(-selector.latest).map((minor) => releases.newest(minor)!);
  }
  if ('version' in selector) {
    const problem = torchVersionProblem(releases, selector.version);
    if (problem) throw inputError(INPUT, problem.given, problem.allowed);
    return [releases.find(selector.version)!];
  }
  const { from, to } = selector;
  const beyond = [from, to].find(
    (end) => compareVersions(majorMinor(end), minors[0]!) < 0 || compareVersions(majorMinor(end), minors.at(-1)!) > 0,
  );
  if (beyond)
    throw inputError(
      INPUT,
      `the range "${from}-${to}" reaches ${beyond}, outside what PyTorch has published`,
      `Known: ${minors.join(', ')}`,
    );
  const inRange = minors.filter(
    (minor) => compareVersions(minor, majorMinor(from)) >= 0 && compareVersions(minor, majorMinor(to)) <= 0,
  );
  if (inRange.length === 0)
    throw inputError(INPUT, `the range "${from}-${to}" holds no PyTorch release`, `Known: ${minors.join(', ')}`);
  return inRange.map((minor) => releases.newest(minor)!);
}
