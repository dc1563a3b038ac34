import type { HubRepo } from './client';

/** The token part of the Hub's whoami-v2 answer (`auth.accessToken`), as far as write access goes. */
export interface HubAccessToken {
  role?: string;
  /** A fine-grained token's permissions: global ones, and per user, organisation or repository. */
  fineGrained?: {
    global?: string[];
    scoped?: { entity?: { type?: string; name?: string }; permissions?: string[] }[];
  };
}

/**
 * Whether the token may commit to `repo`: a write (or admin) token, or a fine-grained one with
 * `repo.write` on the repository or on its owner. Undefined when the answer does not say (an OAuth
 * or app token): the commit itself then decides.
 */
export function tokenMayWrite(token: HubAccessToken | undefined, repo: HubRepo): boolean | undefined {
  const role = token?.role;
  if (role === 'write' || role === 'admin') return true;
  if (role === 'read') return false;
  if (role !== 'fineGrained') return undefined;
  const owner = repo.name.split('/')[0];
  return (token?.fineGrained?.scoped ?? []).some(
    ({ entity, permissions }) =>
      permissions?.includes('repo.write') === true &&
      ((entity?.type === repo.type && entity.name === repo.name) ||
        ((entity?.type === 'user' || entity?.type === 'org') && entity.name === owner)),
  );
}
