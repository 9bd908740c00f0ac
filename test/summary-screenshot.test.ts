// The HTML summary in a real browser: headless Chromium renders summary.html to a PNG, and the pixels must
// show the verdict badge, the Kubernetes-release strip (one cell per release) and the timeline (one lane per
// slot, the failed test's bar where its start puts it). Found by the colours the page reserves for them.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { PNG } from 'pngjs';
import { toSummaryHtml } from '../src/report/certification.js';
import { MATRIX_COLOURS, TIMELINE_COLOURS, TIMELINE_LANE } from '../src/report/timeline.js';
import { compatibilityMatrix } from '../src/profiles/index.js';
import { timedFixture } from './support/report-fixtures.js';

/** Debian's `chromium` (.ci/run installs it), another on PATH, or CHROMIUM=/path. */
function findChromium(): string | undefined {
  const env = process.env['CHROMIUM'];
  if (env) return existsSync(env) ? env : undefined;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      /* not this one */
    }
  }
  return undefined;
}

type Rgb = [number, number, number];
const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;

class Shot {
  constructor(private png: PNG) {}
  get width(): number {
    return this.png.width;
  }
  get height(): number {
    return this.png.height;
  }
  is(x: number, y: number, c: Rgb): boolean {
    const i = (y * this.png.width + x) * 4;
    const d = this.png.data;
    return Math.abs(d[i]! - c[0]) <= 3 && Math.abs(d[i + 1]! - c[1]) <= 3 && Math.abs(d[i + 2]! - c[2]) <= 3;
  }
  /** Runs of at least `min` consecutive pixels of colour c on row y: [start, end) pairs. */
  runs(y: number, c: Rgb, min = 1): [number, number][] {
    const out: [number, number][] = [];
    let start = -1;
    for (let x = 0; x <= this.width; x++) {
      const hit = x < this.width && this.is(x, y, c);
      if (hit && start < 0) start = x;
      if (!hit && start >= 0) {
        if (x - start >= min) out.push([start, x]);
        start = -1;
      }
    }
    return out;
  }
  /** Rows holding a run of at least `min` pixels of c, grouped into bands of consecutive rows. */
  bands(c: Rgb, min: number): { top: number; bottom: number }[] {
    const bands: { top: number; bottom: number }[] = [];
    for (let y = 0; y < this.height; y++) {
      if (this.runs(y, c, min).length === 0) continue;
      const last = bands[bands.length - 1];
      if (last && last.bottom === y - 1) last.bottom = y;
      else bands.push({ top: y, bottom: y });
    }
    return bands;
  }
}

describe('summary.html in headless Chromium', function () {
  this.timeout(180_000);
  const chromium = findChromium();
  let dir = '';
  let shot: Shot;
  const run = timedFixture();
  // The one failed test runs alone in a third slot, starting at half the run: its bar must start half-way along the lane.
  const failed = run.suites.flatMap((s) => s.tests).find((t) => t.status === 'failed' && !t.baseline)!;
  failed.startOffsetMs = run.durationMs / 2;
  failed.slot = 2;
  failed.durationMs = run.durationMs / 10;

  before(async function () {
    if (!chromium) this.skip(); // reason printed below: mocha cannot carry one
    dir = await mkdtemp(path.join(os.tmpdir(), 'cri-summary-shot-'));
    const html = path.join(dir, 'summary.html');
    const png = path.join(dir, 'summary.png');
    await writeFile(html, toSummaryHtml(run));
    // As root Chromium needs --no-sandbox; its own profile dir keeps parallel runs apart.
    await execa(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1',
      `--user-data-dir=${path.join(dir, 'profile')}`, '--window-size=1200,1400', `--screenshot=${png}`, `file://${html}`,
    ], { timeout: 150_000, reject: true });
    shot = new Shot(PNG.sync.read(readFileSync(png)));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  if (!chromium) {
    it('skipped: no chromium on this machine (Debian: apt-get install -y chromium; .ci/run installs it)', function () {
      this.skip();
    });
    return;
  }

  let badge: { top: number; bottom: number };
  let matrixRow: number;
  let lanes: { top: number; bottom: number }[];

  it('shows the verdict badge (FAILED, red) at the top', () => {
    const bands = shot.bands(rgb('#cf222e'), 40);
    expect(bands, 'no solid block of the failed-verdict red').to.not.be.empty;
    badge = bands[0]!;
    expect(badge.top).to.be.lessThan(200);
    // The white letters split the rows through the text: the solid rows above them are the band.
    expect(badge.bottom - badge.top).to.be.greaterThan(3);
    expect(shot.bands(rgb('#1a7f37'), 40), 'a passed badge on a failed run').to.be.empty;
  });

  it('shows the Kubernetes-release strip: one cell per release, each in its verdict colour', () => {
    const verdicts = compatibilityMatrix(run);
    const bad = rgb(MATRIX_COLOURS.notCompatible);
    const good = rgb(MATRIX_COLOURS.compatible);
    const rows = shot.bands(bad, 20).concat(shot.bands(good, 20));
    expect(rows, 'no matrix cells').to.have.length(1);
    matrixRow = Math.round((rows[0]!.top + rows[0]!.bottom) / 2);
    // A row through the cells above their text: cells are split by their borders.
    const y = rows[0]!.top + 2;
    const cells = [...shot.runs(y, bad, 20), ...shot.runs(y, good, 20)].sort((a, b) => a[0] - b[0]);
    expect(cells).to.have.length(verdicts.length);
    expect(shot.runs(y, bad, 20)).to.have.length(verdicts.filter((v) => !v.compatible).length);
    expect(matrixRow).to.be.greaterThan(badge.bottom);
  });

  it('shows the timeline: three slot lanes below the strip, bars in them, the failed bar where its start puts it', () => {
    const lane = rgb(TIMELINE_LANE);
    // A band per lane edge: the rows above and below the bars (the bars interrupt the rows between).
    lanes = shot.bands(lane, 200).filter((b) => b.bottom - b.top > 8);
    expect(lanes, 'slot lanes').to.have.length(3);
    expect(lanes[0]!.top).to.be.greaterThan(matrixRow);
    const mid = (b: { top: number; bottom: number }) => Math.round((b.top + b.bottom) / 2);
    // The lane spans from its leftmost to its rightmost pixel on a row through the lane's edge (no bars there).
    const edge = shot.runs(lanes[2]!.top, lane, 200);
    const left = edge[0]![0];
    const right = edge[edge.length - 1]![1];
    const red = shot.runs(mid(lanes[2]!), rgb(TIMELINE_COLOURS.failed), 3);
    expect(red, 'the failed bar in slot 3').to.have.length(1);
    expect(red[0]![0]).to.be.closeTo(left + (right - left) / 2, 4);
    expect(red[0]![1] - red[0]![0]).to.be.closeTo((right - left) / 10, 4);
    for (const l of lanes.slice(0, 2)) expect(shot.runs(mid(l), rgb(TIMELINE_COLOURS.failed), 3), 'no failed bar in slots 1-2').to.be.empty;
    const green = rgb(TIMELINE_COLOURS.passed);
    expect(shot.runs(mid(lanes[0]!), green, 3).length + shot.runs(mid(lanes[1]!), green, 3).length).to.be.greaterThan(1);
  });
});
