// `cri-conformance sonobuoy-run`: the program in the suite's image that a Sonobuoy plugin runs on each node.
// The worker's contract: results go to $SONOBUOY_RESULTS_DIR (default /tmp/sonobuoy/results), and the path
// of the one result file is written into `<dir>/done` last; the worker waits for `done`, then sends that file.
// Ours is a gzipped tar of junit_<node>.xml and the summary files (Sonobuoy reads the XML as JUnit, as it does
// for the Kubernetes e2e plugin's tarball).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { XmlElement, xmlDocument } from '../report/xml.js';
import { buildTar } from '../lab/tar.js';
import { dashboardJUnitFile } from '../report/junit.js';
import { writeFileAtomic } from '../report/write.js';
import { SONOBUOY_RESULTS_DIR } from './plugin.js';

export interface SonobuoyRunOptions {
  /** `cri-conformance run` flags (the report flags are set here). */
  runArgs: string[];
  env?: NodeJS.ProcessEnv;
  /** Stay up after `done` (a DaemonSet restarts a container that exits, which would run the suite again). */
  linger?: boolean;
  log?: (line: string) => void;
}

export interface SonobuoyRunResult {
  exitCode: number;
  resultsDir: string;
  /** The file `done` names. */
  resultFile: string;
  junit: string;
}

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');

/** A JUnit file for a run that wrote none (bad flags, no socket, no CRI version): the fleet view shows why. */
export function failureJUnit(node: string, exitCode: number, reason: string): string {
  const suites = new XmlElement('testsuites', { name: 'cri-conformance', tests: 1, failures: 1, errors: 0, skipped: 0 });
  const suite = suites.ele('testsuite', { name: 'cri-conformance', tests: 1, failures: 1, errors: 0, skipped: 0, hostname: node });
  const msg = `cri-conformance run exited ${exitCode} before writing a report: ${reason || 'no message'}`;
  suite.ele('testcase', { name: 'cri-conformance run', classname: 'cri-conformance' }).ele('failure', { message: msg, type: 'RunError' }).txt(msg);
  return xmlDocument(suites) + '\n';
}

export async function sonobuoyRun(o: SonobuoyRunOptions): Promise<SonobuoyRunResult> {
  const env = o.env ?? process.env;
  const log = o.log ?? ((l: string) => process.stderr.write(`sonobuoy-run: ${l}\n`));
  const resultsDir = env['SONOBUOY_RESULTS_DIR'] || SONOBUOY_RESULTS_DIR;
  const node = env['NODE_NAME'] || os.hostname();
  mkdirSync(resultsDir, { recursive: true });
  const junitName = dashboardJUnitFile(node);
  const junit = path.join(resultsDir, junitName);
  // A restarted container must not hand over the last attempt's files.
  for (const f of ['done', junitName]) rmSync(path.join(resultsDir, f), { force: true });

  log(`node ${node}: running the suite, reports to ${resultsDir}`);
  const args = [CLI, 'run', ...o.runArgs, '--report-dir', resultsDir, '--junit-dashboard', node];
  let lastErr = '';
  const exitCode = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    child.stderr.on('data', (b: Buffer) => {
      process.stderr.write(b);
      const lines = b.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
      if (lines.length) lastErr = lines[lines.length - 1]!;
    });
    child.on('error', (e) => {
      lastErr = e.message;
      resolve(70);
    });
    child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 70)));
  });
  if (!existsSync(junit)) await writeFileAtomic(junit, failureJUnit(node, exitCode, lastErr));

  // The result file: the JUnit report and the summaries, in one tarball (files at its top level).
  const members = readdirSync(resultsDir).filter((f) => f === junitName || /^summary\.(json|md|html)$/.test(f)).sort();
  const tar = buildTar(members.map((f) => ({ type: 'file' as const, path: f, mode: 0o644, content: readFileSync(path.join(resultsDir, f)) })));
  const resultFile = path.join(resultsDir, `cri-conformance-${dashboardJUnitFile(node).slice(6, -4)}.tar.gz`);
  const tmp = `${resultFile}.${process.pid}.tmp`;
  writeFileSync(tmp, gzipSync(tar), { mode: 0o644 });
  renameSync(tmp, resultFile);
  // `done` last: the worker sends what it names as soon as it appears.
  await writeFileAtomic(path.join(resultsDir, 'done'), resultFile);
  log(`exit ${exitCode}; ${path.basename(resultFile)} (${members.join(', ')}) handed to the Sonobuoy worker via ${path.join(resultsDir, 'done')}`);

  if (o.linger) {
    log('results handed over; staying up until the plugin is deleted (a DaemonSet restarts a container that exits)');
    await new Promise<void>((resolve) => {
      const keep = setInterval(() => undefined, 1 << 30);
      const stop = () => {
        clearInterval(keep);
        resolve();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  }
  return { exitCode, resultsDir, resultFile, junit };
}
