import { afterEach, describe, expect, it } from 'vitest';
import { consoleContext } from '../../src/core/console';

describe('consoleContext', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const make = (verbose = false) => {
    let text = '';
    let clock = 0;
    const ctx = consoleContext({ write: (t) => void (text += t), verbose, now: () => (clock += 1500) });
    return { ctx, text: () => text };
  };

  it('shows a group as its title and time, its lines only when verbose; warnings always', async () => {
    const quiet = make();
    await quiet.ctx.log.group('Build', async () => {
      quiet.ctx.log.info('compiling a.cu');
      quiet.ctx.log.warning('slow disk');
    });
    expect(quiet.text()).toBe('▸ Build\n  warning: slow disk\n  (1.5 s)\n');
    const loud = make(true);
    await loud.ctx.log.group('Build', async () => loud.ctx.log.info('compiling a.cu'));
    expect(loud.text()).toBe('▸ Build\n  compiling a.cu\n  (1.5 s)\n');
  });

  it("prints the end of a failed group's lines", async () => {
    const { ctx, text } = make();
    await expect(
      ctx.log.group('Build', async () => {
        for (let i = 1; i <= 50; i++) ctx.log.info(`line ${i}`);
        throw new Error('ptxas died');
      }),
    ).rejects.toThrow('ptxas died');
    expect(text()).toContain('  line 50\n');
    expect(text()).toContain('  line 11\n');
    expect(text()).not.toContain('  line 10\n');
  });

  it('masks secrets and exports into this process for the steps that follow', () => {
    const { ctx, text } = make();
    ctx.env.secret('hunter2');
    ctx.log.info('token is hunter2');
    ctx.env.set('CUDA_HOME', '/opt/cuda');
    ctx.env.addPath('/opt/cuda/bin');
    expect(text()).toBe('token is ***\n');
    expect(process.env.CUDA_HOME).toBe('/opt/cuda');
    expect(process.env.PATH?.startsWith('/opt/cuda/bin:')).toBe(true);
  });
});
