import { describe, expect, it } from 'vitest';
import { tokenMayWrite } from '../../src/hub/access';

const repo = { type: 'model' as const, name: 'octo/wheels' };
const fineGrained = (entity: { type: string; name: string }, permissions: string[]) => ({
  role: 'fineGrained',
  fineGrained: { global: ['discussion.write'], scoped: [{ entity, permissions }] },
});

describe("the Hub token's write access, from whoami-v2's auth.accessToken", () => {
  it('by role: write and admin may, read may not, anything else is not known', () => {
    expect(tokenMayWrite({ role: 'write' }, repo)).toBe(true);
    expect(tokenMayWrite({ role: 'admin' }, repo)).toBe(true);
    expect(tokenMayWrite({ role: 'read' }, repo)).toBe(false);
    expect(tokenMayWrite(undefined, repo)).toBeUndefined();
  });

  it('fine-grained: repo.write on the repository or its owner, nothing else', () => {
    expect(tokenMayWrite(fineGrained({ type: 'model', name: 'octo/wheels' }, ['repo.write']), repo)).toBe(true);
    expect(tokenMayWrite(fineGrained({ type: 'user', name: 'octo' }, ['repo.content.read', 'repo.write']), repo)).toBe(
      true,
    );
    expect(tokenMayWrite(fineGrained({ type: 'org', name: 'octo' }, ['repo.write']), repo)).toBe(true);
    expect(tokenMayWrite(fineGrained({ type: 'user', name: 'octo' }, ['repo.content.read']), repo)).toBe(false);
    expect(tokenMayWrite(fineGrained({ type: 'dataset', name: 'octo/wheels' }, ['repo.write']), repo)).toBe(false);
    expect(tokenMayWrite(fineGrained({ type: 'org', name: 'other' }, ['repo.write']), repo)).toBe(false);
  });
});
