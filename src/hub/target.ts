import { inputError } from '../core/errors';
import { readList } from '../core/list';
import { shownUrl } from '../core/url';
import type { HubRepo, RepoType } from './client';

/** Where on the Hub the wheels go, read and checked from the step's hf-* inputs. */
export interface HubTarget {
  repo: HubRepo;
  /** The branch the commit goes to; created from the default branch when missing. */
  revision: string;
  /** Folder of the wheels in the repository, without slashes at either end; '' is the top. */
  folder: string;
  endpoint: string;
  token: string;
}

export const TARGETS = ['github-release', 'huggingface'] as const;
export type Target = (typeof TARGETS)[number];

/** `target`: one of TARGETS, or several by comma or newline ("github-release,huggingface"). */
export function parseTargets(value: string): Target[] {
  const items = readList(value, 'lines', 'target');
  const unknown = items.filter((item) => !(TARGETS as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) {
    throw inputError(
      'target',
      items.length === 0 ? 'is empty' : `"${unknown.join(', ')}" is not a target`,
      `Allowed: ${TARGETS.join(', ')}, or both separated by a comma`,
    );
  }
  return TARGETS.filter((target) => items.includes(target));
}

// The Hub's rule for both parts: letters, digits, - _ . ; no -- or .. ; not starting or ending with - or . ; up to 96.
const PART = /^(?!.*(?:--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;

export function parseRepo(value: string, type: RepoType): HubRepo {
  const parts = value.split('/');
  if (parts.length !== 2 || !parts.every((part) => PART.test(part))) {
    throw inputError(
      'hf-repo',
      value === '' ? 'is empty' : `"${value}" is not owner/name`,
      'Give the repository as owner/name (letters, digits, - _ .), e.g. my-org/sageattention-wheels',
    );
  }
  return { type, name: value };
}

/**
 * A branch name the Hub takes (git's check-ref-format, narrowed to what a branch to commit to can be):
 * not a commit id, not a ref path (refs/pr/1, refs/tags/v1), no `..`, spaces or ~^:?*[\.
 */
export function parseRevision(value: string): string {
  const allowed = 'Give a branch name, e.g. main or v2.2 (created from the default branch when missing)';
  if (/^[0-9a-f]{40}$/i.test(value))
    throw inputError('hf-revision', `"${value}" is a commit id; a commit cannot be added to one`, allowed);
  if (value.startsWith('refs/'))
    throw inputError('hf-revision', `"${value}" is a ref path, not a branch name`, allowed);
  const bad =
    value === '' ||
    !/^[A-Za-z0-9._/-]+$/.test(value) ||
    /(^|\/)[.-]|\.\.|\/\/|\/$|\.lock(\/|$)|\.$/.test(value) ||
    value === 'HEAD';
  if (bad) throw inputError('hf-revision', value === '' ? 'is empty' : `"${value}" is not a branch name`, allowed);
  return value;
}

export function parseFolder(value: string): string {
  const folder = value
    .trim()
    .replace(/^\.\/?/, '')
    .replace(/\/+$/, '');
  if (folder.startsWith('/') || folder.split('/').some((part) => part === '..' || part === '.') || /\\/.test(folder)) {
    throw inputError(
      'hf-path',
      `"${value}" is not a folder inside the repository`,
      'Give a relative folder such as wheels or wheels/cu128 (. for the top)',
    );
  }
  return folder;
}

export function parseEndpoint(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username) {
    throw inputError(
      'hf-endpoint',
      `"${shownUrl(value)}" is not an http(s) URL${url?.username ? ' without a user name or password' : ''}`,
      'Give the Hub base URL, e.g. https://huggingface.co or https://hub.example.com',
    );
  }
  return url.href.replace(/\/+$/, '');
}

export function checkToken(value: string): string {
  if (value === '')
    throw inputError(
      'hf-token',
      'is empty and HF_TOKEN is not set',
      'Give a Hugging Face token with write access, e.g. secrets.HF_TOKEN',
    );
  // @huggingface/hub refuses other tokens itself, with a message that would not name the input.
  if (!value.startsWith('hf_'))
    throw inputError(
      'hf-token',
      'does not start with hf_',
      'Give a Hugging Face access token (hf_...) with write access to hf-repo',
    );
  return value;
}
