// Misbehaving-runtime scenarios against a lab of its own (never the default lab): not a test, a measurement.
//   npm run chaos -- restart --lab-dir DIR [--kill-at 20] [--down-for 3] [-- <run flags>]
//       runs `cri-conformance run --lab --lab-dir DIR <run flags>`, SIGKILLs the lab's containerd at --kill-at s
//       and starts it again --down-for s later (as a crash and a supervisor restart would); prints the run's
//       time, exit code, failed tests and leftovers, then what the lab still lists of any cri-conformance run.
//   npm run chaos -- slow --lab-dir DIR [--delay-ms 3000] [-- <run flags: --suite, --focus, --jobs>]
//       runs the suites in process through the fault proxy, every unary RPC answered --delay-ms late.
// Lives under test/ because it uses the fault proxy; compiled to dist/test/tools/chaos-lab.js.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEndpoint } from '../../src/config.js';
import { closeAllChannels, makeCri } from '../../src/cri/client.js';
import { negotiate } from '../../src/cri/negotiate.js';
import { makeTimeouts } from '../../src/cri/timeouts.js';
import { RUN_LABEL } from '../../src/framework/context.js';
import { DEFAULT_LAB_DIR, labUp } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { ourPid, spawnDetached } from '../../src/lab/procs.js';
import { runConformance } from '../../src/runner/run.js';
import { makeProgress } from '../../src/runner/progress.js';
import { closingLine, runVerdict } from '../../src/report/verdict.js';
import { summaryTable } from '../../src/report/summary-table.js';
import { serviceDef } from '../support/grpc-server.js';
import { startFaultProxy, type Fault } from '../support/fault-proxy.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
const own = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
const runArgs = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
const opt = (name: string, dflt?: string) => {
  const i = own.indexOf(name);
  return i >= 0 ? own[i + 1] : dflt;
};
const say = (l: string) => process.stderr.write(`chaos: ${l}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const mode = own[0];
const labDir = opt('--lab-dir');
if (!labDir || !['restart', 'slow'].includes(mode ?? '')) {
  say('usage: chaos-lab restart|slow --lab-dir DIR [...] [-- run flags]');
  process.exit(2);
}
if (path.resolve(labDir) === DEFAULT_LAB_DIR) {
  say(`refusing the default lab ${DEFAULT_LAB_DIR}: others run against it; give a --lab-dir of your own`);
  process.exit(2);
}

/** What the lab lists of any cri-conformance run (the crictl pods / crictl ps -a of our label). */
async function listLab(endpoint: string): Promise<void> {
  const ep = parseEndpoint(endpoint, 'lab');
  const t = makeTimeouts(20);
  const n = await negotiate(ep, ep, 'auto', t);
  const cri = makeCri(ep, ep, { runtime: n.runtime!, image: n.image! }, t);
  const ps = (await cri.runtime.call('ListPodSandbox', {})).items.filter((p) => RUN_LABEL in (p.labels ?? {}));
  const cs = (await cri.runtime.call('ListContainers', {})).containers.filter((c) => RUN_LABEL in (c.labels ?? {}));
  say(`the lab lists ${ps.length} pod sandbox(es) and ${cs.length} container(s) carrying ${RUN_LABEL}`);
  for (const p of ps) say(`  pod ${p.id} ${p.state} run ${p.labels?.[RUN_LABEL]}`);
  for (const c of cs) say(`  container ${c.id} ${c.state} run ${c.labels?.[RUN_LABEL]}`);
  closeAllChannels();
}

async function restart(): Promise<void> {
  const killAt = Number(opt('--kill-at', '20')) * 1000;
  const downFor = Number(opt('--down-for', '3')) * 1000;
  const reportDir = opt('--report-dir', `/tmp/chaos-${path.basename(labDir!)}`)!;
  const info = await labUp({ dir: labDir, log: () => undefined });
  const l = labLayout(labDir);
  const pidFile = path.join(l.pidDir, 'containerd.pid');
  const logFile = path.join(l.logDir, 'containerd.log');
  const args = ['dist/src/cli.js', 'run', '--lab', '--lab-dir', labDir!, '--report-dir', reportDir, ...runArgs];
  say(`node ${args.join(' ')}`);
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? 128 : 70))));
  const timer = setTimeout(() => {
    const pid = ourPid(pidFile, l.containerdConfig);
    if (!pid) {
      say('the lab containerd is not running: nothing to kill');
      return;
    }
    process.kill(pid, 'SIGKILL');
    say(`SIGKILL containerd (pid ${pid}) at ${secs(Date.now() - started)}`);
    setTimeout(() => {
      const again = spawnDetached({
        file: '/usr/bin/containerd',
        args: ['--config', l.containerdConfig],
        logFile,
        pidFile,
        env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C' },
      });
      say(`containerd started again (pid ${again}) at ${secs(Date.now() - started)}`);
    }, downFor);
  }, killAt);
  const code = await exited;
  clearTimeout(timer);
  const took = Date.now() - started;
  say(`run exit code ${code} after ${secs(took)}`);
  try {
    const s = JSON.parse(readFileSync(path.join(reportDir, 'summary.json'), 'utf8')) as {
      runId?: string;
      totals?: Record<string, number>;
      leftovers?: { ids: string[] };
      tests: { id: string; status: string; message?: string }[];
    };
    const tests = s.tests;
    const count = (st: string) => tests.filter((t) => t.status === st).length;
    say(`tests: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped, ${count('notrun')} not run; leftovers: ${s.leftovers?.ids.length ?? 0}`);
    for (const t of tests.filter((t) => t.status === 'failed')) say(`  failed ${t.id}: ${t.message}`);
  } catch (e) {
    say(`no summary.json in ${reportDir}: ${(e as Error).message}`);
  }
  // Wait for containerd to answer again (it may have been started after the run ended) before listing.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await listLab(info.runtimeEndpoint);
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  process.exitCode = code;
}

async function slow(): Promise<void> {
  const delayMs = Number(opt('--delay-ms', '3000'));
  const info = await labUp({ dir: labDir, log: () => undefined });
  const rpcs = new Set<string>();
  for (const v of ['v1', 'v1alpha2'] as const) for (const s of ['RuntimeService', 'ImageService'] as const) for (const r of Object.keys(serviceDef(v, s))) rpcs.add(r);
  const faults: Fault[] = [...rpcs].map((rpc) => ({ rpc, delayMs }));
  const proxy = await startFaultProxy(parseEndpoint(info.runtimeEndpoint, 'lab'), faults);
  const pick = (flag: string) => runArgs.flatMap((a, i) => (runArgs[i - 1] === flag ? [a] : []));
  const jobs = Number(pick('--jobs')[0] ?? pick('-j')[0] ?? '1');
  say(`every unary RPC answered ${delayMs} ms late by the fault proxy in front of ${info.runtimeEndpoint}; suites ${pick('--suite').join(', ') || 'all'}, --jobs ${jobs}`);
  const started = Date.now();
  try {
    const run = await runConformance({
      endpoints: { runtime: proxy.endpoint, image: proxy.endpoint, notes: [] },
      criVersion: 'auto',
      timeouts: makeTimeouts(20),
      testTimeoutMs: 180_000,
      kubernetes: '1.36',
      focus: pick('--focus').map((f) => new RegExp(f)),
      skip: pick('--skip').map((f) => new RegExp(f)),
      suites: pick('--suite').length ? pick('--suite') : undefined,
      bail: false,
      jobs,
      images: info.images,
      privateRegistry: info.authRegistry,
      knownHandlers: info.runtimeHandlers,
      handlerRoots: info.handlerRoots,
      progress: makeProgress(process.stderr),
      signal: new AbortController().signal,
    });
    process.stderr.write(summaryTable(run, { color: false }) + '\n');
    const calls = proxy.calls.length;
    say(`${calls} RPCs through the proxy; ${secs(Date.now() - started)} wall; ${secs(calls * delayMs)} of added delay if they had run one after another`);
    say(closingLine(runVerdict(run)));
    for (const t of run.suites.flatMap((s) => s.tests).filter((t) => t.status === 'failed')) say(`  failed ${t.id}: ${t.message}`);
  } finally {
    await proxy.close();
  }
  await listLab(info.runtimeEndpoint);
}

await (mode === 'restart' ? restart() : slow());
