// The CRI container log format, parsed strictly. The kubelet (pkg/kubelet/kuberuntime/logs) reads the
// files the runtime writes, one record per line:
//
//   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <message>\n
//
// e.g. `2016-10-06T00:17:09.669794202Z stdout F hello`. Fields are separated by exactly one space; a
// message is split into P (partial) pieces ending with one F (full) piece, and the kubelet adds the
// newline back after an F piece only. Every parse failure names the file, the line and the field.
import { readFile } from 'node:fs/promises';
import { eventually } from './eventually.js';
import { failWith } from './expect.js';
import { kubelet, type Basis } from './contract.js';

/** What the record format rests on: the kubelet's reader of the files the runtime writes. */
export const LOG_FORMAT = kubelet(
  'kuberuntime/logs/logs.go parseCRILog',
  'reads each line as "<RFC3339Nano timestamp> <stdout|stderr> <P|F> <message>", fields split at single spaces; P is a partial line, F ends it',
);

export type LogStream = 'stdout' | 'stderr';
export type LogTag = 'P' | 'F';

export interface CriLogLine {
  /** 1-based line number in the file. */
  lineNo: number;
  /** The timestamp as written. */
  timestamp: string;
  /** Nanoseconds since the Unix epoch (offset applied). */
  timeNs: bigint;
  stream: LogStream;
  tag: LogTag;
  message: string;
}

/** One logical message: P pieces joined with the F piece that ends them. */
export interface CriLogEntry {
  stream: LogStream;
  message: string;
  /** False for trailing P pieces with no F yet (output without a final newline). */
  complete: boolean;
  /** The file lines that make up this entry. */
  pieces: CriLogLine[];
}

export interface ParsedCriLog {
  file: string;
  lines: CriLogLine[];
  /** Text after the last newline: a record the runtime has not finished writing (or never will). */
  rest: string;
}

const TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

const clip = (s: string, n = 120): string => JSON.stringify(s.length > n ? `${s.slice(0, n)}...` : s);

const daysIn = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

/**
 * Parses an RFC 3339 timestamp as Go's time.RFC3339Nano layout accepts it (what the kubelet uses):
 * upper-case T and Z, 0-9 fraction digits, numeric offset with a colon. Returns ns since the epoch,
 * or a reason it is not one.
 */
export function parseRfc3339Nano(ts: string): { ns: bigint } | { error: string } {
  const m = TS.exec(ts);
  if (!m) return { error: 'not an RFC3339Nano timestamp (YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM))' };
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12) return { error: `month ${mo} out of range` };
  if (d < 1 || d > daysIn(y, mo)) return { error: `day ${d} out of range` };
  if (h > 23) return { error: `hour ${h} out of range` };
  if (mi > 59) return { error: `minute ${mi} out of range` };
  if (s > 59) return { error: `second ${s} out of range` };
  let offsetMin = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return { error: `offset ${m[8]} out of range` };
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const frac = BigInt((m[7] ?? '').padEnd(9, '0'));
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - offsetMin * 60_000;
  return { ns: BigInt(ms) * 1_000_000n + frac };
}

/** One record, strictly; throws a failure naming file, line and field. */
export function parseCriLogLine(raw: string, lineNo: number, file: string): CriLogLine {
  const where = `log file ${file} line ${lineNo}`;
  const bad = (field: string, expected: string): never =>
    failWith(`${where}: ${field}: expected ${expected}, got line ${clip(raw)}`, LOG_FORMAT);
  const sp1 = raw.indexOf(' ');
  if (sp1 < 0) bad('format', '"<timestamp> <stream> <tag> <message>"');
  const timestamp = raw.slice(0, sp1);
  const t = parseRfc3339Nano(timestamp);
  if ('error' in t) bad('timestamp', `an RFC3339Nano timestamp like 2016-10-06T00:17:09.669794202Z (${t.error}: ${clip(timestamp, 40)})`);
  const sp2 = raw.indexOf(' ', sp1 + 1);
  const stream = sp2 < 0 ? raw.slice(sp1 + 1) : raw.slice(sp1 + 1, sp2);
  if (stream !== 'stdout' && stream !== 'stderr') bad('stream', `"stdout" or "stderr" after exactly one space (got ${clip(stream, 20)})`);
  if (sp2 < 0) bad('tag', '"P" or "F" after the stream');
  const sp3 = raw.indexOf(' ', sp2 + 1);
  const tag = sp3 < 0 ? raw.slice(sp2 + 1) : raw.slice(sp2 + 1, sp3);
  if (tag !== 'P' && tag !== 'F') bad('tag', `"P" or "F" after exactly one space (got ${clip(tag, 20)})`);
  if (sp3 < 0) bad('message', 'one space after the tag, then the message (possibly empty)');
  return { lineNo, timestamp, timeNs: (t as { ns: bigint }).ns, stream: stream as LogStream, tag: tag as LogTag, message: raw.slice(sp3 + 1) };
}

/** Every complete line of the file, strictly parsed. */
export function parseCriLog(text: string, file: string): ParsedCriLog {
  const parts = text.split('\n');
  const rest = parts.pop() ?? '';
  return { file, lines: parts.map((l, i) => parseCriLogLine(l, i + 1, file)), rest };
}

/** Timestamps must not go backwards (the kubelet filters --since line by line, so this is an opinion: basis given). */
export function checkMonotonic(log: ParsedCriLog, basis: Basis): void {
  for (let i = 1; i < log.lines.length; i++) {
    const a = log.lines[i - 1]!;
    const b = log.lines[i]!;
    if (b.timeNs < a.timeNs) {
      failWith(
        `log file ${log.file} line ${b.lineNo}: timestamp: expected >= ${a.timestamp} (line ${a.lineNo}), got ${b.timestamp}: timestamps must not decrease`,
        basis,
      );
    }
  }
}

/** Every timestamp within [fromMs, toMs] (wall clock of the host the runtime runs on). */
export function checkTimestampsWithin(log: ParsedCriLog, fromMs: number, toMs: number, basis: Basis): void {
  const lo = BigInt(fromMs) * 1_000_000n;
  const hi = BigInt(toMs) * 1_000_000n;
  for (const l of log.lines) {
    if (l.timeNs < lo || l.timeNs > hi) {
      failWith(
        `log file ${log.file} line ${l.lineNo}: timestamp: expected between ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()} (when the container ran), got ${l.timestamp}`,
        basis,
      );
    }
  }
}

/**
 * Joins P pieces with the F piece that ends them, per stream (the two streams may interleave pieces).
 * Entries come out in the order their first piece appears in the file.
 */
export function reassemble(log: ParsedCriLog): CriLogEntry[] {
  const out: CriLogEntry[] = [];
  const open: Partial<Record<LogStream, CriLogEntry>> = {};
  for (const l of log.lines) {
    let e = open[l.stream];
    if (!e) {
      e = { stream: l.stream, message: '', complete: false, pieces: [] };
      out.push(e);
      open[l.stream] = e;
    }
    e.message += l.message;
    e.pieces.push(l);
    if (l.tag === 'F') {
      e.complete = true;
      delete open[l.stream];
    }
  }
  return out;
}

/** File text, or undefined when there is no such file. */
export async function readLogText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Short rendering of entries for failure messages: `stdout:"a" stderr:"b"`. */
export const showEntries = (entries: readonly { stream: string; message: string }[], max = 12): string =>
  `[${entries.slice(0, max).map((e) => `${e.stream}:${clip(e.message, 40)}`).join(' ')}${entries.length > max ? ` ... (${entries.length} entries)` : ''}]`;

/** Waits until the file exists and `ready(text)` holds; the failure names the file, what was awaited and its basis. */
export async function waitForLog(file: string, ready: (text: string) => boolean, what: string, basis: Basis, timeoutMs = 30_000): Promise<string> {
  return eventually(
    async () => {
      const text = await readLogText(file);
      if (text === undefined) failWith(`log file ${file}: expected the file to exist (${what}), got no file`, basis);
      if (!ready(text)) failWith(`log file ${file}: expected ${what}, got ${text.length} bytes ending ${clip(text.slice(-200), 200)}`, basis);
      return text;
    },
    { timeoutMs },
  );
}

/** Number of newline-terminated records in the text. */
export const completeLines = (text: string): number => text.split('\n').length - 1;

/**
 * `check(...).equals` for lists of strings, shown as one JSON line: util.inspect groups short array
 * items over several lines, and a report keeps only the first line of a failure.
 */
export function checkList(rpc: string, field: string, actual: readonly string[], expected: readonly string[], basis: Basis, why?: string): void {
  if (actual.length === expected.length && actual.every((a, i) => a === expected[i])) return;
  failWith(`${rpc}: ${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}${why ? ` (${why})` : ''}`, basis);
}
