// Done-when of "your own runtime, out of the box": a second containerd exactly as a user has it (Debian's
// packaged config: no registry config_path, no mirrors; own state dir and socket) and `cri-conformance run -r
// unix://…` with NO image flags runs every suite: the run serves its own images, 0 tests are "not run" and
// nothing fails beyond the containerd 1.6.20 baseline. Root and Debian's containerd needed (else skipped with
// that reason); takes minutes. Everything it starts is removed on every path (the after hook).
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startUserContainerd, cleanupUserContainerd, type UserContainerd } from './support/user-containerd.js';
import { fixtureLayout } from '../src/images/layout.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', ...(HERE.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

describe('own runtime out of the box (containerd with Debian\'s default config)', function () {
  this.timeout(40 * 60_000);
  let ctd: UserContainerd | undefined;
  let reports: string | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) return this.skip(); // needs root: it runs a containerd
    if (!existsSync('/usr/bin/containerd') || !existsSync('/etc/containerd/config.toml')) return this.skip(); // Debian's containerd package
    if (!existsSync(CLI)) return this.skip(); // npm run build first
    // A node already holds its sandbox image; put the suite's pause under containerd's default name, as an
    // air-gapped node would import it.
    const { layout } = await fixtureLayout();
    if (!layout) throw new Error('no fixture images to take the pause image from');
    ctd = await startUserContainerd({ pauseFrom: layout });
  });

  after(async () => {
    await (ctd?.stop() ?? cleanupUserContainerd());
    if (reports) rmSync(reports, { recursive: true, force: true });
  });

  it('run -r unix://… with no image flags: every suite runs, 0 not run, no failure beyond the baseline', async () => {
    reports = mkdtempSync(path.join(os.tmpdir(), 'cri-own-runtime-'));
    const r = await execa(
      'node',
      [CLI, 'run', '-r', ctd!.endpoint, '--jobs', '3', '--baseline', path.join(ROOT, 'fixtures', 'baselines', 'containerd-1.6.20.yaml'), '--report-dir', reports],
      { reject: false, all: true, timeout: 35 * 60_000 },
    );
    const out = r.all ?? '';
    const closing = out.split('\n').filter((l) => l.startsWith('conformance: ')).pop() ?? '';
    process.stderr.write(`${out.split('\n').filter((l) => /^(serving|doctor|conformance:)/.test(l)).join('\n')}\n`);
    expect(out).to.match(/serving the \d+ fixture images/);
    const summary = JSON.parse(readFileSync(path.join(reports, 'summary.json'), 'utf8'));
    const notRun = summary.tests.filter((t: { status: string }) => t.status === 'notrun').map((t: { id: string; message: string }) => `${t.id}: ${t.message}`);
    const failed = summary.tests.filter((t: { outcome: string }) => t.outcome === 'failed').map((t: { id: string; message: string }) => `${t.id}: ${t.message}`);
    expect(notRun, 'not run').to.deep.equal([]);
    expect(failed, 'failures beyond the baseline').to.deep.equal([]);
    expect(closing).to.match(/, 0 failed, \d+ skipped, 0 not run, .*— PASSED$/);
    expect(r.exitCode, closing).to.equal(0);
  });
});
