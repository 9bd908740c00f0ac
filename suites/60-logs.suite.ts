// Container logs: the kubelet reads `kubectl logs` from the files the runtime writes at
// <sandbox log_directory>/<container log_path>, in the CRI log format, and rotates them with
// ReopenContainerLog. critest checks content only; here the format is checked strictly.
import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  defineSuite, testImage, check, failWith, containerPod, runContainer, containerStatus, waitContainerState,
  containerConfig, withShell, withLogPath, type Sandbox, type TestContext,
} from '../src/framework/index.js';
import {
  parseCriLog, reassemble, checkMonotonic, checkTimestampsWithin, readLogText, waitForLog, completeLines, showEntries, checkList,
  type ParsedCriLog,
} from '../src/framework/logs.js';

export default defineSuite(({ describe, it }) => {
  describe('Container logs', () => {
    it('runtime should write the container log at log_directory/log_path and report that path in ContainerStatus.log_path [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'log', 'echo $MARKER; exec sleep 3600');
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `a line "${c.marker}" written by the container`);
      const entries = reassemble(parseCriLog(text, c.file));
      checkList('Container log', `${c.file} messages`, entries.map((e) => e.message), [c.marker]);
      const s = await containerStatus(t, c.id);
      check('ContainerStatus', 'status.log_path', s.log_path).equals(c.file, 'the kubelet opens status.log_path as is to serve and rotate logs: it must be log_directory joined with log_path');
    });

    it('runtime should write every log line as "<RFC3339Nano timestamp> <stream> <P|F> <message>" with non-decreasing timestamps [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const from = Date.now() - CLOCK_SLACK_MS;
      // Ten lines a little apart, then messages whose spaces, tabs and emptiness must survive as is.
      const c = await logContainer(t, 
        sb, 'format',
        "i=0; while [ $i -lt 10 ]; do echo line-$i; i=$((i+1)); sleep 0.05; done; echo; echo '  two  spaces '; printf 'tab\\there\\n'; echo $MARKER",
      );
      await waitContainerState(t, c.id, 'CONTAINER_EXITED');
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the last line "${c.marker}"`);
      const log = parseCriLog(text, c.file);
      check('Container log', `${c.file} (after the last newline)`, log.rest).equals('', 'every record ends with a newline');
      checkMonotonic(log);
      checkTimestampsWithin(log, from, Date.now() + CLOCK_SLACK_MS);
      checkList(
        'Container log', `${c.file} records (stream tag message)`, log.lines.map((l) => `${l.stream} ${l.tag} ${l.message}`),
        [...Array.from({ length: 10 }, (_, i) => `line-${i}`), '', '  two  spaces ', 'tab\there', c.marker].map((m) => `stdout F ${m}`),
      );
    });

    it('runtime should tag stdout and stderr lines with their stream and keep their relative order [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const steps = [0, 1, 2].flatMap((i) => [`echo out-${i}`, `echo err-${i} >&2`]);
      const c = await logContainer(t, sb, 'streams', `${steps.join('; sleep 0.2; ')}; sleep 0.2; echo $MARKER`);
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the last line "${c.marker}"`);
      const log = parseCriLog(text, c.file);
      checkMonotonic(log);
      const got = reassemble(log).map((e) => ({ stream: e.stream, message: e.message }));
      const want = [0, 1, 2].flatMap((i) => [{ stream: 'stdout', message: `out-${i}` }, { stream: 'stderr', message: `err-${i}` }]);
      want.push({ stream: 'stdout', message: c.marker });
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        failWith(`Container log: ${c.file} entries (stream:message, in file order): expected ${showEntries(want)}, got ${showEntries(got)}`);
      }
    });

    it('runtime should split a line longer than 16 KiB into P pieces ending with F that reassemble exactly [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const unit = '0123456789abcdef';
      const long = unit.repeat(2560); // 40 KiB, no newline inside
      const c = await logContainer(t, sb, 'longline', `yes ${unit} | head -n 2560 | tr -d '\\n'; echo; echo $MARKER`);
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the line "${c.marker}" after the long line`);
      const log = parseCriLog(text, c.file);
      checkMonotonic(log);
      const entries = reassemble(log);
      check('Container log', `${c.file} entry count`, entries.length).equals(2, `expected the 40 KiB line and "${c.marker}", got ${showEntries(entries)}`);
      // reassemble() ends an entry at its F piece, so two complete entries mean P...P F for the long line.
      const [big, after] = entries as [(typeof entries)[0], (typeof entries)[0]];
      const tags = big.pieces.map((p) => `${p.tag}:${p.message.length}`).join(' ');
      check('Container log', `${c.file} pieces of the 40960-byte line (tag:bytes)`, big.pieces.length).atLeast(2, `got ${tags}: a line over 16 KiB must be split`);
      check('Container log', `${c.file} length of the reassembled line`, big.message.length).equals(long.length);
      if (big.message !== long) {
        let at = 0;
        while (big.message[at] === long[at]) at++;
        failWith(`Container log: ${c.file} reassembled line: expected the pattern "${unit}" x 2560, got a difference at byte ${at} (${tags})`);
      }
      check('Container log', `${c.file} line after the long line (stream message)`, `${after.stream} ${after.message}`).equals(`stdout ${c.marker}`);
    });

    it('runtime should keep output without a trailing newline as a final P record [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'nonewline', 'echo first; printf "$MARKER"');
      await waitContainerState(t, c.id, 'CONTAINER_EXITED');
      const text = await waitForLog(c.file, (t) => t.includes(c.marker), `the unterminated output "${c.marker}" (written when the container exits)`);
      const log = parseCriLog(text, c.file);
      check('Container log', `${c.file} (after the last newline)`, log.rest).equals('', 'the record itself still ends with a newline');
      const entries = reassemble(log);
      checkList('Container log', `${c.file} messages`, entries.map((e) => e.message), ['first', c.marker]);
      const last = entries[1]!.pieces.at(-1)!;
      // The kubelet appends a newline after F records only: an F here would add a newline the container never wrote.
      check('Container log', `${c.file} line ${last.lineNo} tag (output without a trailing newline)`, last.tag).equals('P', 'only P keeps the output byte-exact for kubectl logs');
    });

    it('ReopenContainerLog should start a new file at log_path after the old one was renamed, and the old file should stop growing [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'reopen', 'i=0; while :; do echo line-$i; i=$((i+1)); sleep 0.2; done');
      await waitForLog(c.file, (t) => completeLines(t) >= 2, 'at least 2 lines before rotation');
      const rotated = `${c.file}.1`;
      await rename(c.file, rotated); // what the kubelet's log manager does before ReopenContainerLog
      await t.cri.runtime.call('ReopenContainerLog', { container_id: c.id });
      await waitForLog(c.file, (t) => completeLines(t) >= 1, 'a new file at log_path that receives the output after ReopenContainerLog', 15_000);
      // The runtime writes the new file now; output piped before the reopen may have landed in the old one until here.
      const oldSize = (await stat(rotated)).size;
      const lastOld = indexOf(parseCriLog((await readLogText(rotated)) ?? '', rotated), -1);
      // Three more lines of output: enough time for a runtime that still writes the old file to show it.
      const want = `line-${lastOld + 3}`;
      const fresh = await waitForLog(c.file, (t) => t.includes(`${want}\n`), `the output up to "${want}" in the new file`, 15_000);
      check('Container log', `size of the renamed file ${rotated} (once the new file had output, and 3 lines later)`, (await stat(rotated)).size).equals(
        oldSize, 'once the runtime writes the new file it must not write the renamed one',
      );
      const newLog = parseCriLog(fresh, c.file);
      checkMonotonic(newLog);
      checkList(
        'Container log', `${c.file} first 3 messages after ReopenContainerLog`, newLog.lines.slice(0, 3).map((l) => l.message), [1, 2, 3].map((i) => `line-${lastOld + i}`),
        `the renamed file ends with line-${lastOld}: no line may be lost or written twice across a reopen`,
      );
    });

    it('ReopenContainerLog should fail for a stopped container and create no file [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'reopenstopped', 'echo $MARKER');
      await waitContainerState(t, c.id, 'CONTAINER_EXITED');
      await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the line "${c.marker}"`);
      await rename(c.file, `${c.file}.1`);
      let err: unknown;
      try {
        await t.cri.runtime.call('ReopenContainerLog', { container_id: c.id });
      } catch (e) {
        err = e;
      }
      const created = await readLogText(c.file);
      check('ReopenContainerLog', `log file ${c.file} (container exited)`, created === undefined ? 'no file' : `a file of ${created.length} bytes`).equals('no file');
      if (err === undefined) failWith('ReopenContainerLog: expected an error for a container in state CONTAINER_EXITED (there is no output to redirect), got success');
    });

    it('runtime should write each container of a pod to its own log file [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const script = (p: string) => `for i in 0 1 2 3 4; do echo ${p}-$i; sleep 0.1; done; exec sleep 3600`;
      const a = await logContainer(t, sb, 'first', script('a'));
      const b = await logContainer(t, sb, 'second', script('b'));
      for (const [who, x] of [['first', a], ['second', b]] as const) {
        const s = await containerStatus(t, x.id);
        check('ContainerStatus', `status.log_path (${who} container)`, s.log_path).equals(x.file);
      }
      for (const [p, x] of [['a', a], ['b', b]] as const) {
        const text = await waitForLog(x.file, (t) => t.includes(`${p}-4\n`), `the line "${p}-4"`);
        const entries = reassemble(parseCriLog(text, x.file));
        checkList('Container log', `${x.file} messages`, entries.map((e) => e.message), [0, 1, 2, 3, 4].map((i) => `${p}-${i}`), 'only its own container\'s output');
      }
    });
  });
});

/** Timestamps are compared with this host's clock: the runtime runs on it too. */
const CLOCK_SLACK_MS = 10_000;

interface LogContainer {
  id: string;
  /** Absolute path where the log must appear: log_directory + log_path. */
  file: string;
  /** A random marker the workload can print as $MARKER. */
  marker: string;
}

/** Runs a busybox container with a kubelet-shaped log_path (`<name>/0.log`) and a marker in $MARKER. */
async function logContainer(t: TestContext, sb: Sandbox, prefix: string, script: string): Promise<LogContainer> {
  const ref = await testImage(t);
  const cfg = containerConfig(prefix, ref, withShell(script));
  const marker = `marker-${cfg.metadata!.name}`;
  cfg.envs = [{ key: 'MARKER', value: marker }];
  const rel = `${cfg.metadata!.name}/0.log`;
  withLogPath(rel)(cfg);
  const id = await runContainer(t, sb, cfg);
  return { id, file: path.join(sb.config.log_directory!, rel), marker };
}

/** N of the "line-N" message on line i of the file (negative: from the end). */
function indexOf(log: ParsedCriLog, i: number): number {
  const l = log.lines.at(i);
  const m = l && /^line-(\d+)$/.exec(l.message);
  if (!m) failWith(`Container log: ${log.file} line ${l?.lineNo ?? i}: expected a message "line-N", got ${l ? JSON.stringify(l.message) : 'no line'}`);
  return Number(m[1]);
}
