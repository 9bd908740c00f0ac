// Write the report files for a run, each atomically (temp file in the same dir + rename).

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from './model.js';
import { dashboardJUnitFile, toJUnit } from './junit.js';
import { toTap } from './tap.js';
import { sha256Hex, toSummaryHtml, toSummaryJson, toSummaryMarkdown } from './certification.js';

export interface ReportFormats {
  junit?: boolean;
  /** Write JUnit as `junit_<name>.xml` (the Kubernetes dashboards' name) instead of junit.xml: Spyglass reads
   * every `junit*.xml` at the top of the artifacts dir, so writing both would count each test twice. */
  junitDashboard?: string;
  tap?: boolean;
  summary?: boolean;
}

export interface WrittenReports {
  /** Paths written, `dir` joined with the file name, in the order written. */
  files: string[];
  /** sha256 (hex) of summary.json exactly as written, when the summary was written. */
  summarySha256?: string;
}

export const REPORT_FILES = {
  junit: 'junit.xml',
  tap: 'results.tap',
  summaryJson: 'summary.json',
  summaryMarkdown: 'summary.md',
  summaryHtml: 'summary.html',
} as const;

/** Write `content` to `file` via a temp file in the same directory and a rename. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { encoding: 'utf8', mode: 0o644 });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export async function writeReports(run: RunResult, dir: string, formats: ReportFormats): Promise<WrittenReports> {
  // Render everything first: a reporter bug must not leave a half-written report set behind.
  const outputs: [string, string][] = [];
  let summaryJson: string | undefined;
  if (formats.junitDashboard !== undefined) outputs.push([dashboardJUnitFile(formats.junitDashboard), toJUnit(run, { dashboard: true })]);
  else if (formats.junit) outputs.push([REPORT_FILES.junit, toJUnit(run)]);
  if (formats.tap) outputs.push([REPORT_FILES.tap, toTap(run)]);
  if (formats.summary) {
    summaryJson = toSummaryJson(run);
    outputs.push(
      [REPORT_FILES.summaryJson, summaryJson],
      [REPORT_FILES.summaryMarkdown, toSummaryMarkdown(run)],
      [REPORT_FILES.summaryHtml, toSummaryHtml(run)],
    );
  }

  const result: WrittenReports = { files: [] };
  if (outputs.length === 0) return result;
  await mkdir(dir, { recursive: true });
  for (const [name, content] of outputs) {
    const file = path.join(dir, name);
    await writeFileAtomic(file, content);
    result.files.push(file);
  }
  if (summaryJson !== undefined) result.summarySha256 = sha256Hex(summaryJson);
  return result;
}
