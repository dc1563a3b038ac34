import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { archName, formatArch, parseArch } from '../arch/arch';
import type { Log } from '../core/context';
import { errorMessage } from '../core/errors';
import { compareVersions, majorMinor } from '../core/version';
import { describeAbi } from '../abi/detect';
import { claimedAbi, claimProblems, testCombinations } from './abi';
import type { RuntimeCall } from '../packages/profile';
import { packageOfProject, type PackageProfile } from '../packages/profiles';
import { judgeLinuxWheel } from '../wheel/manylinux';
import { coverage, servedBy, type ModuleCode } from './coverage';
import { prepareEnvironment, runProbe, type TestEnvironment } from './environment';
import { codeName } from './fatbin';
import { planWheels, type VerifyOptions, type WheelPlan } from './plan';
import { DISPATCH_PROBE, IMPORT_PROBE, RUNTIME_PROBE } from './probes';
import {
  REPORT_SCHEMA,
  type DispatchReport,
  type ModuleReport,
  type Report,
  type RuntimeReport,
  type WheelReport,
} from './report';
import { extensionModules, readWheel, topLevelNames, type WheelArchive } from './wheel';

/** Reads, checks and tests each wheel; throws only for bad input, never for a wheel that fails. */
export async function verifyWheels(options: VerifyOptions, log: Log): Promise<Report> {
  const plans = await planWheels(options);
  const wheels: WheelReport[] = [];
  for (const plan of plans) {
    wheels.push(await log.group(`verify ${path.basename(plan.file)}`, () => new WheelCheck(plan, options, log).run()));
  }
  const archs = wheels
    .map((w) => Object.keys(w.gpus))
    .reduce((common, keys) => common.filter((gpu) => keys.includes(gpu)))
    .sort(compareVersions);
  return {
    schema: REPORT_SCHEMA,
    package:
      options.profile === 'auto'
        ? [...new Set(wheels.map((w) => w.package ?? 'generic'))].join(', ')
        : options.profile.name,
    requested: options.requested.map(formatArch),
    archs,
    passed: wheels.every((w) => w.passed),
    wheels,
  };
}

/** One wheel through every check, each finding a sentence in `report.problems`. */
class WheelCheck {
  readonly report: WheelReport;
  private modules: ModuleCode[] = [];
  private profile: PackageProfile;

  constructor(
    private readonly plan: WheelPlan,
    private readonly options: VerifyOptions,
    private readonly log: Log,
  ) {
    this.profile =
      options.profile === 'auto' ? packageOfProject(plan.name.distribution, plan.name.version) : options.profile;
    this.report = {
      file: plan.file,
      name: path.basename(plan.file),
      passed: false,
      problems: [],
      modules: [],
      gpus: {},
      import: { status: 'skipped', modules: [] },
      dispatch: [],
      runtime: { status: 'skipped' },
    };
  }

  private problem(text: string): void {
    this.report.problems.push(text);
    this.log.info(`✗ ${text}`);
  }

  async run(): Promise<WheelReport> {
    let archive: WheelArchive;
    try {
      archive = await readWheel(this.plan.file);
    } catch (error) {
      this.problem(errorMessage(error));
      this.report.import.error = this.report.runtime.reason = 'the wheel could not be read';
      return this.report;
    }
    this.report.project = archive.project;
    this.report.version = this.plan.name.version;
    if (this.options.profile === 'auto') {
      this.profile = packageOfProject(archive.project, this.plan.name.version);
      this.log.info(`package: auto -> ${this.profile.name} (METADATA names project ${archive.project})`);
    }
    this.report.package = this.profile.name;
    for (const p of archive.problems) this.problem(p);
    this.readModules(archive);
    this.judgeLinux(archive);
    const claimed = claimedAbi(this.plan.name);
    if (claimed.limited || claimed.stable) {
      this.report.abi = describeAbi(claimed);
      this.log.info(`ABI claimed: ${this.report.abi}`);
      const breaches = claimProblems(extensionModules(archive), claimed);
      for (const p of breaches) this.problem(p);
      if (breaches.length === 0) this.log.info('symbols: every extension module keeps to the ABI it claims');
    }
    if (archive.problems.length > 0) {
      // Code from a wheel that is not what its RECORD says is never run.
      this.report.import.error = this.report.runtime.reason = 'the wheel failed its integrity check: not installed';
      return this.report;
    }
    this.log.info('archive: file name, METADATA, WHEEL and RECORD agree');

    const dir = await mkdtemp(path.join(this.options.workDir, 'venv-'));
    try {
      const env = await this.install(dir);
      if (env) {
        // A probe that dies (a segfault while loading a module) is a finding, not a crash of verify.
        await this.attempt('the import test', () => this.testImport(env, archive));
        if (this.profile.dispatcher && this.report.import.status === 'passed') {
          await this.attempt('the dispatch check', () => this.testDispatch(env));
        }
        await this.attempt('the runtime test', () => this.testRuntime(env));
      }
      if (this.options.testPythons?.length || this.options.testTorches?.length)
        await this.attempt('the Python x torch test', () => this.testCombinations(env, archive, dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    this.report.passed = this.report.problems.length === 0;
    return this.report;
  }

  private async attempt(what: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (error) {
      this.problem(`${what} failed: ${errorMessage(error)}`);
    }
  }

  private readModules(archive: WheelArchive): void {
    const reports: ModuleReport[] = [];
    for (const ext of extensionModules(archive)) {
      try {
        if (!ext.binary?.gpu) throw new Error(ext.binary?.gpuError ?? 'it is neither an ELF nor a PE/COFF file');
        const { format, entries } = ext.binary.gpu;
        const code = [...new Map(entries.map((e) => [codeName(e), e])).values()];
        this.modules.push({ module: ext.module, code });
        reports.push({ module: ext.module, path: ext.path, format, code: code.map(codeName), archs: {} });
        this.log.info(`${ext.module} (${format}): ${code.length ? code.map(codeName).join(', ') : 'no GPU code'}`);
      } catch (error) {
        reports.push({ module: ext.module, path: ext.path, code: [], archs: {}, error: errorMessage(error) });
        this.problem(`${ext.module}: its GPU code cannot be read: ${errorMessage(error)}`);
      }
    }
    const result = coverage(this.profile, this.options.requested, this.modules);
    for (const row of result.table) reports.find((r) => r.module === row.module)!.archs = row.archs;
    for (const gap of result.gaps) this.problem(gap);
    this.report.modules = reports;
    this.report.gpus = result.gpus;
  }

  /** Linux wheels: the oldest glibc the ELF files load on, and whether the platform tag promises older. */
  private judgeLinux(archive: WheelArchive): void {
    const judged = judgeLinuxWheel(this.plan.name.platform, archive.binaries);
    if (!judged) return;
    this.report.linux = judged.report;
    this.log.info(judged.line);
    for (const p of judged.problems) this.problem(p);
  }

  private async install(dir: string): Promise<TestEnvironment | undefined> {
    try {
      return await prepareEnvironment(this.plan.base, this.plan.file, this.plan.torch, dir, this.options.runner);
    } catch (error) {
      this.report.import = { status: 'failed', modules: [], error: `could not install: ${errorMessage(error)}` };
      this.report.runtime.reason = 'the wheel did not install';
      this.problem(`the import test could not install the wheel: ${errorMessage(error)}`);
      return undefined;
    }
  }

  private importNames(archive: WheelArchive): string[] {
    const { importName } = this.profile;
    return [...new Set([importName ?? topLevelNames(archive), extensionModules(archive).map((e) => e.module)].flat())];
  }

  /** The one wheel on every Python and torch it claims to serve (the matrix's test-pythons, test-torches). */
  private async testCombinations(env: TestEnvironment | undefined, archive: WheelArchive, dir: string): Promise<void> {
    const imp = this.report.import;
    const { combinations, problems } = await testCombinations({
      file: this.plan.file,
      names: this.importNames(archive),
      tested: {
        python: env?.python.version ?? this.plan.base.version,
        torch: env?.torch?.version,
        status: imp.status === 'passed' ? 'passed' : 'failed',
        ...(imp.status === 'passed' ? {} : { error: imp.error ?? 'see the import test' }),
      },
      torch: this.plan.torch,
      pythons: this.options.testPythons?.length
        ? this.options.testPythons
        : [majorMinor(env?.python.version ?? this.plan.base.version)],
      torches: this.options.testTorches ?? [],
      workDir: dir,
      log: this.log,
      runner: this.options.runner,
    });
    this.report.combinations = combinations;
    for (const p of problems) this.problem(p);
  }

  private async testImport(env: TestEnvironment, archive: WheelArchive): Promise<void> {
    const names = this.importNames(archive);
    this.report.import = { status: 'failed', python: env.python.version, torch: env.torch?.version, modules: [] };
    const results = await runProbe<{ module: string; error?: string }[]>(
      env,
      IMPORT_PROBE,
      [JSON.stringify(names)],
      this.options.runner,
    );
    const failed = results.filter((r) => r.error);
    this.report.import.modules = results.map((r) =>
      r.error ? { module: r.module, error: r.error } : { module: r.module },
    );
    this.report.import.status = failed.length ? 'failed' : 'passed';
    for (const r of failed) this.problem(`import ${r.module} failed: ${r.error}`);
    if (!failed.length)
      this.log.info(
        `import: ${names.join(', ')} (Python ${env.python.version}, torch ${env.torch?.version ?? 'none'})`,
      );
  }

  /** With torch reporting each requested GPU, the modules the dispatcher loads must carry its code. */
  private async testDispatch(env: TestEnvironment): Promise<void> {
    const { importName, dispatcher } = this.profile;
    const capabilities = [...new Set(this.options.requested.map(archName))].map((gpu) => gpu.split('.').map(Number));
    const args = [importName!, dispatcher!, JSON.stringify(capabilities)];
    for (const result of await runProbe<DispatchReport[]>(env, DISPATCH_PROBE, args, this.options.runner)) {
      const gpu = parseArch(result.capability);
      const reached = result.modules ?? [];
      const lacking = reached.filter(
        (name) => servedBy(this.modules.find((m) => m.module === name)?.code ?? [], gpu) === 'missing',
      );
      // By name: the probe sees them in the order the code happens to reach them.
      const namespaces = Object.entries(result.namespaces ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const orphans = namespaces.filter(([, module]) => !module);
      result.passed = !result.error && reached.length > 0 && lacking.length === 0 && orphans.length === 0;
      this.report.dispatch.push(result);
      const via = namespaces
        .filter(([, module]) => module)
        .map(([namespace, module]) => `torch.ops.${namespace}, registered by ${module}`);
      const picked = `with compute capability ${result.capability}, ${dispatcher} picks ${result.function}`;
      if (result.error) this.problem(`the dispatch check on ${result.capability} failed: ${result.error}`);
      else if (orphans.length)
        this.problem(
          `${picked}, which calls ${orphans.map(([n]) => `torch.ops.${n}`).join(', ')}, registered by no extension module of the wheel`,
        );
      else if (reached.length === 0) this.problem(`${picked}, which loads no extension module`);
      else if (lacking.length)
        this.problem(`${picked}, which loads ${lacking.join(', ')} without GPU code for ${result.capability}`);
      else
        this.log.info(
          `dispatch: ${picked} -> ${reached.join(', ')}${via.length ? ` (through ${via.join('; ')})` : ''}`,
        );
    }
  }

  private async testRuntime(env: TestEnvironment): Promise<void> {
    const skip = (reason: string) => {
      this.report.runtime = { status: 'skipped', reason };
      this.log.info(`runtime: skipped (${reason})`);
    };
    if (this.options.runtimeTest === 'never') return skip('runtime-test is never');
    if (!env.torch) return skip('no torch in the test venv');
    if (this.report.import.status !== 'passed') return skip('the package does not import');
    const { importName, runtime: call } = this.profile;
    // Triton kernels are compiled for whatever GPU is there.
    const served = this.profile.gpuCode === false ? [] : Object.keys(this.report.gpus);
    const args = [importName ?? '', call?.function ?? '', call?.layout ?? 'HND', JSON.stringify(served)];
    const result = await runProbe<RuntimeProbeResult>(env, RUNTIME_PROBE, args, this.options.runner);
    const missing = !result.gpu
      ? 'torch sees no GPU'
      : this.profile.gpuCode !== false && !served.includes(result.capability!)
        ? `the wheel has no code for this GPU (${result.gpu}, ${result.capability})`
        : undefined;
    if (missing) {
      if (this.options.runtimeTest === 'auto') return skip(missing);
      this.report.runtime = {
        status: 'failed',
        gpu: result.gpu ?? undefined,
        capability: result.capability,
        error: missing,
      };
      return this.problem(`runtime-test is always, and ${missing}`);
    }
    const { runtime, failure } = judgeRuntime({ ...result, gpu: result.gpu! }, call);
    this.report.runtime = runtime;
    if (failure) this.problem(failure);
    this.log.info(
      `runtime: ${result.gpu} (${result.capability})${result.cosine === undefined ? '' : `, cosine ${result.cosine.toFixed(4)}`}`,
    );
  }
}

/** What RUNTIME_PROBE prints: the GPU, and with a dispatcher how its output compares with SDPA. */
export interface RuntimeProbeResult {
  gpu: string | null;
  capability?: string;
  cosine?: number;
  finite?: boolean;
  error?: string;
}

/** A run on a GPU passes when the dispatcher did not raise and matches SDPA, finite and close enough. */
export function judgeRuntime(
  result: RuntimeProbeResult & { gpu: string },
  call?: RuntimeCall,
): { runtime: RuntimeReport; failure?: string } {
  const minCosine = call?.minCosine ?? 0.99;
  const failure = result.error
    ? `${call?.function ?? 'the runtime test'} failed on ${result.gpu}: ${result.error}`
    : result.cosine !== undefined && (!result.finite || !(result.cosine >= minCosine))
      ? `${call?.function} on ${result.gpu} matches PyTorch SDPA with cosine similarity ${result.cosine.toFixed(4)} (needs >= ${minCosine}${result.finite ? '' : '; its output is not finite'})`
      : undefined;
  const runtime: RuntimeReport = {
    status: failure ? 'failed' : 'passed',
    gpu: result.gpu,
    capability: result.capability,
    cosine: result.cosine,
    error: result.error,
  };
  return { runtime, failure };
}
