import type { EngineName } from './engine';

const HOST_BUILD = "or build on the host with container: none (the wheel then needs the host's glibc)";

/** Known ways an engine fails, and what makes it work. */
const FIXES: readonly { test: RegExp; fix: (engine: string) => string }[] = [
  {
    test: /Cannot connect to the Docker daemon|docker\.sock.*(no such file|connection refused)|Is the docker daemon running/i,
    fix: () => 'Start the Docker daemon (sudo systemctl start docker)',
  },
  {
    test: /permission denied.*docker\.sock|docker\.sock.*permission denied/i,
    fix: () => "Add the runner's user to the docker group (sudo usermod -aG docker $USER, then log in again)",
  },
  {
    test: /cgroup/i,
    fix: (engine) =>
      `Use cgroupfs: cgroup_manager = "cgroupfs" under [engine] in ${engine === 'podman' ? 'containers.conf (or the file CONTAINERS_CONF names)' : "the daemon's configuration (exec-opts native.cgroupdriver=cgroupfs)"}`,
  },
  {
    test: /rlimit|ulimit/i,
    fix: () =>
      'Give containers limits the runner may set: default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"] under [containers] in containers.conf (or the file CONTAINERS_CONF names)',
  },
  {
    test: /newuidmap|newgidmap|subuid|subgid|user namespace/i,
    fix: () =>
      "Give the runner's user subordinate ids for rootless podman (sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER; podman system migrate)",
  },
  {
    test: /runtime.*not found|crun|runc.*(not found|no such file)/i,
    fix: (engine) =>
      `Install an OCI runtime (runc or crun), and name it in ${engine}'s configuration (runtime = "runc")`,
  },
  {
    test: /manifest unknown|not found.*image|image not known|pull access denied|unable to pull|name unknown/i,
    fix: () =>
      'Check the image name, and that its registry is reachable from the runner (or load the image there: docker load / podman load)',
  },
  {
    test: /not on PATH/,
    fix: () => 'Install docker or podman on the runner',
  },
];

/** The fix for what `engines` printed, and the way around them all: building on the host. */
export function engineFix(engines: readonly EngineName[], output: string): string {
  const engine = engines[engines.length - 1]!;
  const fixes = [...new Set(FIXES.filter((f) => f.test.test(output)).map((f) => f.fix(engine)))];
  return `${fixes.length > 0 ? fixes.join('; ') : `Make "${engine} run" work for the runner's user`}, ${HOST_BUILD}`;
}
