#!/usr/bin/env node
// The npm package works from its tarball alone: pack, check what is inside, install it into an empty
// directory with only Node and npm (no dev dependencies, no compile step), then run the CLI and import the API
// from there, against the lab (`run --lab`, which reuses a running lab). Plain JS: it must not need the build.
//   node src/tools/check-package.mjs            (npm run check:package)
// CHECK_PACKAGE_KEEP=1 keeps the temp directory; CHECK_PACKAGE_NO_LAB=1 skips the two steps that need the lab.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cri-conformance-package-'));
const noLab = Boolean(process.env['CHECK_PACKAGE_NO_LAB']);
const step = (line) => process.stderr.write(`check-package: ${line}\n`);
const fail = (line) => {
  process.stderr.write(`check-package: FAILED: ${line}\n(kept ${tmp})\n`);
  process.exit(1);
};
// npm and the CLI with an environment that holds nothing of this checkout: no npm_* variables of a parent
// `npm run`, no NODE_PATH, run from the temp directory.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^NODE_PATH$|^INIT_CWD$/i.test(k)));
function sh(cmd, args, { cwd = tmp, expect = 0, quiet = false } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const shown = `${cmd} ${args.join(' ')}`;
  if (r.error) fail(`${shown}: ${r.error.message}`);
  if (r.status !== expect) fail(`${shown} exited ${r.status} (expected ${expect})\n${r.stdout}\n${r.stderr}`);
  if (!quiet) step(`${shown}: exit ${r.status}`);
  return r;
}

// 1. Pack (prepack builds dist/src and dist/suites with declarations) and check the file list.
step(`npm pack in ${root}`);
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))[0];
const tgz = path.join(tmp, packed.filename);
const files = packed.files.map((f) => f.path);
step(`${packed.filename}: ${files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
for (const must of ['package.json', 'README.md', 'dist/src/cli.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/runner/run.d.ts', 'fixtures/images.json', 'fixtures/profiles.yaml', 'dist/images/oci/index.json']) {
  if (!files.includes(must)) fail(`the tarball has no ${must}`);
}
for (const [dir, what] of [['dist/suites/', 'compiled suites'], ['proto/runtime/', 'CRI protos'], ['fixtures/images/', 'image recipes'], ['fixtures/baselines/', 'baselines']]) {
  if (!files.some((f) => f.startsWith(dir))) fail(`the tarball has no ${what} (${dir})`);
}
const stray = files.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/src\/|dist\/suites\/|dist\/images\/oci\/|proto\/|fixtures\/)/.test(f) || /\.(map|ts)$/.test(f.replace(/\.d\.ts$/, '')) || f.startsWith('dist/src/tools/'));
if (stray.length) fail(`the tarball holds files it should not: ${stray.slice(0, 10).join(', ')}`);
const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) if (pkg.scripts?.[s]) fail(`package.json runs "${s}" at install: ${pkg.scripts[s]}`);
step('contents: dist/src, dist/suites, proto, fixtures; no dist/test, sources, source maps or install scripts');

// 2. Install the tarball alone into an empty project: production dependencies only, nothing compiled.
const app = path.join(tmp, 'app');
execFileSync('mkdir', ['-p', app]);
writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'check-app', private: true, type: 'module' }, null, 2));
sh('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', tgz], { cwd: app });
// (@types/node comes with protobufjs, a real dependency, so it is not one of these.)
for (const dev of ['typescript', 'tsx', '@action-validator/core']) {
  if (existsSync(path.join(app, 'node_modules', dev))) fail(`installing the package brought the dev dependency ${dev}`);
}
const bin = path.join(app, 'node_modules', '.bin', 'cri-conformance');
if (!existsSync(bin)) fail('no node_modules/.bin/cri-conformance after install');
step('installed without typescript, tsx or any dev dependency');

// 3. The CLI from the installed package.
const help = sh(bin, ['--help'], { cwd: app });
if (!/Usage: cri-conformance/.test(help.stdout)) fail(`--help printed no usage:\n${help.stdout}`);
const listed = sh(bin, ['list'], { cwd: app });
const ids = listed.stdout.trim().split('\n');
if (ids.length < 50 || !ids.some((l) => l.startsWith('version/'))) fail(`list printed ${ids.length} lines:\n${listed.stdout.slice(0, 500)}`);
step(`list: ${ids.length} test ids (${listed.stderr.trim()})`);
// The same tarball through npx, as a user without a project runs it (a relative ./ path: npx takes a bare
// absolute path for a command to execute).
const npx = sh('npx', ['--yes', `./${packed.filename}`, '--help'], { cwd: tmp });
if (!/Usage: cri-conformance/.test(npx.stdout)) fail('npx --yes ./<tarball> --help printed no usage');
const npxList = sh('npx', ['--yes', `./${packed.filename}`, 'list', '--suite', 'version'], { cwd: tmp });
if (!npxList.stdout.startsWith('version/')) fail(`npx --yes ./<tarball> list --suite version printed:\n${npxList.stdout}`);

if (!noLab) {
  const reports = path.join(app, 'reports');
  const r = sh(bin, ['run', '--lab', '--suite', 'version', '--suite', 'runtime-status', '-q', '--report-dir', reports], { cwd: app });
  step(`run --lab: ${r.stderr.trim().split('\n').pop()}`);
  for (const f of ['junit.xml', 'summary.json', 'summary.md']) if (!existsSync(path.join(reports, f))) fail(`run --lab wrote no ${f}`);
}

// 4. The programmatic API from a small ESM script: named exports, and a run against the lab judged by it.
writeFileSync(
  path.join(app, 'api.mjs'),
  `import { run, runVerdict, closingLine, toJUnit, toSummaryJson, writeReports, REPORT_FILES, EXIT, TOOL } from 'cri-conformance';
import pkg from 'cri-conformance/package.json' with { type: 'json' };
for (const [name, f] of Object.entries({ run, runVerdict, closingLine, toJUnit, toSummaryJson, writeReports })) {
  if (typeof f !== 'function') throw new Error(name + ' is not exported as a function');
}
if (EXIT.TEST_FAILURES !== 1 || REPORT_FILES.junit !== 'junit.xml') throw new Error('constants are wrong');
console.log('api: exports ok, ' + TOOL.name + ' ' + pkg.version);
if (!process.env.CHECK_PACKAGE_NO_LAB) {
  const result = await run({ lab: true, suites: ['version'] });
  const verdict = runVerdict(result);
  if (!toJUnit(result).includes('<testsuites')) throw new Error('toJUnit gave no <testsuites>');
  console.log('api: run({ lab: true, suites: ["version"] }): ' + result.suites.length + ' suite, negotiated ' + result.negotiated.runtime + '; ' + closingLine(verdict));
  if (verdict.result !== 'passed') process.exit(1);
}
`,
);
const api = sh('node', ['api.mjs'], { cwd: app });
process.stderr.write(api.stdout);

// 5. The types, as a TypeScript consumer sees them (this checkout's compiler; the package never needs it).
writeFileSync(
  path.join(app, 'consumer.mts'),
  `import { run, runVerdict, type RunResult, type RunConfig, type RunVerdict } from 'cri-conformance';
const config: RunConfig = { runtimeEndpoint: 'unix:///run/containerd/containerd.sock', suites: ['version'], focus: [/version/] };
const result: RunResult = await run(config);
const verdict: RunVerdict = runVerdict(result);
const passed: boolean = verdict.result === 'passed';
// @ts-expect-error: suites is a list of names
await run({ suites: 'version' });
export { passed };
`,
);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
sh('node', [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--typeRoots', path.join(root, 'node_modules', '@types'), '--types', 'node', 'consumer.mts'], { cwd: app });
step('types: a strict TypeScript consumer compiles against dist/src/index.d.ts');

if (process.env['CHECK_PACKAGE_KEEP']) step(`kept ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });
step('the package works from its tarball');
