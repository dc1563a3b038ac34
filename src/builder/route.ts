import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RouteTable } from '../packages/profile';

/**
 * Run by ninja in place of nvcc (PYTORCH_NVCC): finds the source file being compiled (-c) in the
 * route table and drops every -gencode / --generate-code whose arch its module does not serve,
 * then runs the next command (ccache nvcc, or nvcc). Files not in the table pass unchanged.
 */
export const ROUTE_SCRIPT = `import json, os, re, shlex, subprocess, sys

with open(sys.argv[1], encoding="utf-8") as f:
    table = json.load(f)
args = sys.argv[2:]
key = lambda p: os.path.normcase(os.path.realpath(p))
archs = None
for i, arg in enumerate(args[:-1]):
    if arg == "-c":
        compiled = key(args[i + 1])
        for route in table["routes"]:
            if any(key(os.path.join(table["root"], s)) == compiled for s in route["sources"]):
                archs = set(route["archs"])

def gencode_arch(value):
    match = re.search(r"compute_(\\d+)(\\d)[af]?\\b", value) or re.search(r"sm_(\\d+)(\\d)[af]?\\b", value)
    return "%d.%d" % (int(match.group(1)), int(match.group(2))) if match else None

kept = []
i = 0
while i < len(args):
    arg = args[i]
    if archs is not None and arg in ("-gencode", "--generate-code") and i + 1 < len(args):
        if gencode_arch(args[i + 1]) in archs:
            kept += args[i:i + 2]
        i += 2
        continue
    if archs is not None and arg.startswith(("-gencode=", "--generate-code=")):
        if gencode_arch(arg.split("=", 1)[1]) in archs:
            kept.append(arg)
        i += 1
        continue
    kept.append(arg)
    i += 1
command = [w.strip('"') for w in shlex.split(table["next"], posix=os.name != "nt")]
sys.exit(subprocess.call(command + kept))
`;

const quoteIfSpaced = (file: string): string => (/\s/.test(file) ? `"${file}"` : file);

/**
 * Puts the routing wrapper in front of whatever runs nvcc now (PYTORCH_NVCC, set by the compile
 * cache, or nvcc itself): returns the PYTORCH_NVCC that runs it. PyTorch writes PYTORCH_NVCC
 * verbatim into its ninja file.
 */
export async function routeNvcc(
  routes: RouteTable,
  options: { sourceDir: string; work: string; python: string; nvcc: string; env: NodeJS.ProcessEnv },
): Promise<string> {
  const dir = path.join(options.work, 'nvcc-route');
  await mkdir(dir, { recursive: true });
  const script = path.join(dir, 'route.py');
  const table = path.join(dir, 'routes.json');
  await writeFile(script, ROUTE_SCRIPT);
  const next = options.env.PYTORCH_NVCC || quoteIfSpaced(options.nvcc);
  await writeFile(table, JSON.stringify({ root: options.sourceDir, next, routes }, null, 2) + '\n');
  return [options.python, script, table].map(quoteIfSpaced).join(' ');
}
