// The summary's pictures: a timeline of the run (which test ran when, in which slot) and the
// Kubernetes-release strip, as inline SVG/HTML with no external asset (the page's CSP forbids them).

import type { RunResult, TestResult } from './model.js';
import { humanDuration, oneLine } from './common.js';
import { outcome } from './verdict.js';
import type { Verdict } from '../profiles/matrix.js';

/** Fill colours, one per outcome. Unique in the page so a screenshot test can find the bars by colour. */
export const TIMELINE_COLOURS: Record<ReturnType<typeof outcome>, string> = {
  passed: '#2da44e',
  fixed: '#2da44e',
  failed: '#e5534b',
  skipped: '#d4a72c',
  notrun: '#d4a72c',
  'known-failure': '#54aeff',
  flaky: '#e16f24',
};
/** Lane background of the timeline, and the matrix cells' backgrounds: also unique in the page. */
export const TIMELINE_LANE = '#e7ecf0';
export const MATRIX_COLOURS = { compatible: '#aceebb', notCompatible: '#ffcecb' } as const;

/** Drawing width of the timeline in SVG units (it scales to the page width). */
const W = 1000;
const LANE_H = 22;
const LABEL_W = 60;
const AXIS_H = 20;

function esc(text: string): string {
  return oneLine(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step for the axis ticks: about 6–10 ticks over the run. */
function tickStep(totalMs: number): number {
  const steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  return steps.find((s) => totalMs / s <= 10) ?? Math.ceil(totalMs / 10 / 3_600_000) * 3_600_000;
}

function tickLabel(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${Number((ms / 1000).toFixed(2))} s` : `${Number((ms / 60_000).toFixed(1))} min`;
}

/**
 * One lane per slot, one bar per test that ran (from `startOffsetMs`, `durationMs` and `slot`), coloured by
 * outcome, with the test id and times as its tooltip. Tests without a start (never run, or a summary written
 * before timings were recorded) are counted under the picture, not drawn.
 */
export function timelineSvg(run: RunResult): string {
  const timed: { t: TestResult; slot: number; start: number; dur: number }[] = [];
  let untimed = 0;
  for (const s of run.suites) {
    for (const t of s.tests) {
      const start = t.startOffsetMs;
      if (typeof start !== 'number' || !Number.isFinite(start) || start < 0) {
        untimed++;
        continue;
      }
      const dur = Number.isFinite(t.durationMs) && t.durationMs > 0 ? t.durationMs : 0;
      const slot = Number.isInteger(t.slot) && t.slot! >= 0 ? Math.min(t.slot!, 63) : 0;
      timed.push({ t, slot, start, dur });
    }
  }
  if (timed.length === 0) {
    return `<p class="muted">No test timings in this run${untimed ? ` (${untimed} tests without a start time)` : ''}.</p>`;
  }
  const total = Math.max(1, Number.isFinite(run.durationMs) ? run.durationMs : 0, ...timed.map((x) => x.start + x.dur));
  const lanes = Math.max(...timed.map((x) => x.slot)) + 1;
  const plotW = W - LABEL_W;
  const x = (ms: number) => LABEL_W + (ms / total) * plotW;
  const height = lanes * LANE_H + AXIS_H;
  const out: string[] = [];
  out.push(
    `<svg class="timeline" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="Timeline of the run: ${timed.length} tests in ${lanes} slot${lanes === 1 ? '' : 's'}" xmlns="http://www.w3.org/2000/svg">`,
  );
  for (let i = 0; i < lanes; i++) {
    const y = i * LANE_H;
    out.push(
      `<text x="0" y="${y + 15}" font-size="12" fill="currentColor">slot ${i + 1}</text>`,
      `<rect class="lane" x="${LABEL_W}" y="${y + 2}" width="${plotW}" height="${LANE_H - 4}" fill="${TIMELINE_LANE}"/>`,
    );
  }
  for (const b of timed) {
    const x0 = x(b.start);
    // A bar is at least 2 units wide, so a 5 ms test is still visible (its tooltip has the real time).
    const w = Math.max(2, x(b.start + b.dur) - x0);
    const o = outcome(b.t);
    const tip = `${b.t.id} — ${o === 'known-failure' ? 'known failure' : o}, started ${tickLabel(Math.round(b.start))}, ${humanDuration(b.dur)}`;
    out.push(
      `<rect class="bar s-${o}" x="${x0.toFixed(1)}" y="${b.slot * LANE_H + 4}" width="${w.toFixed(1)}" height="${LANE_H - 8}" fill="${TIMELINE_COLOURS[o]}"><title>${esc(tip)}</title></rect>`,
    );
  }
  const step = tickStep(total);
  const axisY = lanes * LANE_H;
  for (let ms = 0; ms <= total; ms += step) {
    const tx = x(ms);
    out.push(
      `<line x1="${tx.toFixed(1)}" y1="${axisY}" x2="${tx.toFixed(1)}" y2="${axisY + 4}" stroke="currentColor"/>`,
      `<text x="${tx.toFixed(1)}" y="${axisY + 16}" font-size="11" text-anchor="${ms === 0 ? 'start' : 'middle'}" fill="currentColor">${tickLabel(ms)}</text>`,
    );
  }
  out.push('</svg>');
  const legend = (['passed', 'failed', 'skipped', 'known-failure'] as const)
    .map((o) => `<span class="key"><span class="swatch" style="background:${TIMELINE_COLOURS[o]}"></span>${o === 'known-failure' ? 'known failure' : o}</span>`)
    .join(' ');
  const note = untimed ? ` ${untimed} test${untimed === 1 ? '' : 's'} not drawn (never started).` : '';
  out.push(`<p class="muted">${legend} — ${timed.length} tests over ${humanDuration(total)} in ${lanes} slot${lanes === 1 ? '' : 's'}; hover a bar for the test.${note}</p>`);
  return out.join('\n');
}

/** The Kubernetes-release strip: one cell per release (✓ compatible, ✗ not), then the reasons per group. */
export function matrixHtml(verdicts: Verdict[]): string {
  if (verdicts.length === 0) return '<p class="muted">No Kubernetes release profiles.</p>';
  const cells = verdicts
    .map((v) => {
      const bg = v.compatible ? MATRIX_COLOURS.compatible : MATRIX_COLOURS.notCompatible;
      const word = v.compatible ? 'compatible' : 'not compatible';
      return `<td class="m-cell ${v.compatible ? 'm-ok' : 'm-bad'}" style="background:${bg}" title="kubelet ${esc(v.kubelet)}: ${word}">${v.compatible ? '✓' : '✗'}</td>`;
    })
    .join('');
  const head = verdicts.map((v) => `<th>${esc(v.kubelet)}</th>`).join('');
  // Consecutive releases with the same words share one line, as the terminal matrix prints them.
  const text = (v: Verdict) =>
    v.compatible ? `compatible${v.untested?.length ? ` as far as tested; ${v.untested.join('; ')}` : ''}` : `not compatible: ${v.reasons.join('; ')}`;
  const groups: { from: string; to: string; text: string; ok: boolean }[] = [];
  for (const v of verdicts) {
    const last = groups[groups.length - 1];
    if (last && last.text === text(v)) last.to = v.kubelet;
    else groups.push({ from: v.kubelet, to: v.kubelet, text: text(v), ok: v.compatible });
  }
  const items = groups
    .map((g) => `<li><strong>${esc(g.from === g.to ? g.from : `${g.from}–${g.to}`)}</strong> <span class="${g.ok ? 's-passed' : 's-failed'}">${esc(g.text)}</span></li>`)
    .join('\n');
  return `<table class="matrix">\n<thead><tr><th>kubelet</th>${head}</tr></thead>\n<tbody><tr><th>verdict</th>${cells}</tr></tbody>\n</table>\n<ul class="matrix-reasons">\n${items}\n</ul>`;
}

/** Several runs (one per runtime and handler) as one page: a run × release table of ✓/✗, then each run's reasons. */
export function runsMatrixPage(runs: { name: string; verdicts: Verdict[] }[]): string {
  const releases = runs[0]?.verdicts.map((v) => v.kubelet) ?? [];
  const cell = (r: { verdicts: Verdict[] }, k: string) => {
    const v = r.verdicts.find((x) => x.kubelet === k);
    if (!v) return '<td class="m-cell" title="not judged">·</td>';
    const bg = v.compatible ? MATRIX_COLOURS.compatible : MATRIX_COLOURS.notCompatible;
    return `<td class="m-cell ${v.compatible ? 'm-ok' : 'm-bad'}" style="background:${bg}" title="kubelet ${esc(k)}: ${v.compatible ? 'compatible' : 'not compatible'}">${v.compatible ? '✓' : '✗'}</td>`;
  };
  const head = releases.map((k) => `<th>${esc(k)}</th>`).join('');
  const rows = runs.map((r) => `<tr><th>${esc(r.name)}</th>${releases.map((k) => cell(r, k)).join('')}</tr>`).join('\n');
  const details = runs.map((r) => `<h2>${esc(r.name)}</h2>\n${matrixHtml(r.verdicts)}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cri-conformance: runtimes × Kubernetes releases</title>
<style>body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1f2328; } th { text-align: left; padding: 0 .5rem; }
.muted { color: #656d76; } .s-passed { color: #1a7f37; } .s-failed { color: #cf222e; }
${TIMELINE_CSS}</style></head><body>
<h1>Runtimes × Kubernetes releases</h1>
<table class="matrix">\n<thead><tr><th>run</th>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>
${details}
</body></html>
`;
}

export const TIMELINE_CSS = `
svg.timeline { display: block; margin: .5rem 0; max-width: 100%; }
.key { white-space: nowrap; } .swatch { display: inline-block; width: .8em; height: .8em; margin-right: .25em; vertical-align: -1px; }
table.matrix { width: auto; } table.matrix td.m-cell { text-align: center; min-width: 2.6rem; color: #1f2328; font-weight: 600; }
`.trim();
