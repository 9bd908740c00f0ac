// Container logs: the kubelet reads `kubectl logs` from the files the runtime writes at
// <sandbox log_directory>/<container log_path>, in the CRI log format, and rotates them with
// ReopenContainerLog. critest checks content only; here the format is checked strictly.
import { existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  defineSuite, testImage, check, failWith, containerPod, runContainer, containerStatus, waitContainerState,
  containerConfig, withShell, withLogPath, type Sandbox, type TestContext, cri, kubelet, opinion,
} from '../src/framework/index.js';
import {
  parseCriLog, reassemble, checkMonotonic, checkTimestampsWithin, readLogText, waitForLog, completeLines, showEntries, checkList,
  type ParsedCriLog,
} from '../src/framework/logs.js';
import { codeName, isRpcError, UnimplementedError, type RpcError } from '../src/cri/errors.js';

// ---- what the checks rest on ----
const FORMAT = kubelet('kuberuntime/logs/logs.go parseCRILog', 'reads each line up to its newline as "<RFC3339Nano timestamp> <stdout|stderr> <P|F> <message>"');
const LOG_FILE = cri('ContainerConfig.log_path', 'Path relative to PodSandboxConfig.LogDirectory for container to store the log (STDOUT and STDERR) on the host.', 'effect');
const STATUS_LOG_PATH = kubelet('kuberuntime_container.go GetContainerLogs', 'reads kubectl logs from the file at ContainerStatus.log_path, as is (and rotates that file)');
const MESSAGES = kubelet('kuberuntime/logs/logs.go ReadLogs', 'joins P records up to the next F record of the same stream and serves each message byte for byte, adding a newline after F only');
const STREAMS = kubelet('kuberuntime/logs/logs.go ReadLogs', 'writes each record to the stdout or stderr writer its stream tag names, in file order');
const TIMESTAMPS = kubelet('kuberuntime/logs/logs.go ReadLogs', 'drops the records whose timestamp is before --since-time/--since and shows the timestamp with --timestamps');
const NON_DECREASING = opinion('timestamps of one log file never decrease: the runtime stamps output as it reads it; containerd and CRI-O do');
const SPLIT = opinion('a line longer than 16 KiB is written as P records: containerd splits at max_container_log_line_size (16 KiB), CRI-O\'s conmon at its buffer size, so a reader can bound a record');
const REOPEN = cri('RuntimeService.ReopenContainerLog', 'ReopenContainerLog asks runtime to reopen the stdout/stderr log file for the container. This is often called after the log file has been rotated.');
const REOPEN_ID = cri('ReopenContainerLogRequest.container_id', 'ID of the container for which to reopen the log.', 'effect');
const REOPENED_NOW = kubelet('logs/container_log_manager.go rotateLatestLog', 'renames the log, calls ReopenContainerLog, and from its answer on reads `kubectl logs` from log_path (kuberuntime_logs.go ReadLogs opens it as is)');
const REOPEN_STOPPED = cri('RuntimeService.ReopenContainerLog', 'If the container is not running, container runtime can choose to either create a new log file and return nil, or return an error. Once it returns error, new container log file MUST NOT be created.');

export default defineSuite(({ describe, it }) => {
  describe('Container logs', () => {
    it('runtime should write the container log at log_directory/log_path and report that path in ContainerStatus.log_path [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'log', 'echo $MARKER; exec sleep 3600');
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `a line "${c.marker}" written by the container`, LOG_FILE);
      const entries = reassemble(parseCriLog(text, c.file));
      checkList('Container log', `${c.file} messages`, entries.map((e) => e.message), [c.marker], MESSAGES);
      const s = await containerStatus(t, c.id);
      check('ContainerStatus', 'status.log_path', s.log_path, STATUS_LOG_PATH).equals(c.file, 'it must be log_directory joined with log_path');
    });

    it('runtime should write every log line as "<RFC3339Nano timestamp> <stream> <P|F> <message>" stamped when the container ran [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const from = Date.now() - CLOCK_SLACK_MS;
      // Ten lines a little apart, then messages whose spaces, tabs and emptiness must survive as is.
      const c = await logContainer(t, 
        sb, 'format',
        "i=0; while [ $i -lt 10 ]; do echo line-$i; i=$((i+1)); sleep 0.05; done; echo; echo '  two  spaces '; printf 'tab\\there\\n'; echo $MARKER",
      );
      await waitContainerState(t, c.id, 'CONTAINER_EXITED');
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the last line "${c.marker}"`, LOG_FILE);
      const log = parseCriLog(text, c.file);
      check('Container log', `${c.file} (after the last newline)`, log.rest, FORMAT).equals('', 'every record ends with a newline');
      checkTimestampsWithin(log, from, Date.now() + CLOCK_SLACK_MS, TIMESTAMPS);
      checkList(
        'Container log', `${c.file} records (stream tag message)`, log.lines.map((l) => `${l.stream} ${l.tag} ${l.message}`),
        [...Array.from({ length: 10 }, (_, i) => `line-${i}`), '', '  two  spaces ', 'tab\there', c.marker].map((m) => `stdout F ${m}`), MESSAGES,
      );
    });

    it('runtime should tag stdout and stderr lines with their stream and keep their relative order [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const steps = [0, 1, 2].flatMap((i) => [`echo out-${i}`, `echo err-${i} >&2`]);
      const c = await logContainer(t, sb, 'streams', `${steps.join('; sleep 0.2; ')}; sleep 0.2; echo $MARKER`);
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the last line "${c.marker}"`, LOG_FILE);
      const log = parseCriLog(text, c.file);
      const got = reassemble(log).map((e) => ({ stream: e.stream, message: e.message }));
      const want = [0, 1, 2].flatMap((i) => [{ stream: 'stdout', message: `out-${i}` }, { stream: 'stderr', message: `err-${i}` }]);
      want.push({ stream: 'stdout', message: c.marker });
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        failWith(`Container log: ${c.file} entries (stream:message, in file order): expected ${showEntries(want)}, got ${showEntries(got)}`, STREAMS);
      }
    });

    it('runtime should log a line longer than 16 KiB as records that reassemble to it exactly, the last one F [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'longline', LONG_LINE_SCRIPT);
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the line "${c.marker}" after the long line`, LOG_FILE);
      const { big, after, tags } = longLineEntries(parseCriLog(text, c.file), c.marker);
      // One F record or P...P F: the kubelet reads either back as the same line (the split is a [Strict] test).
      check('Container log', `${c.file} length of the reassembled line`, big.message.length, MESSAGES).equals(LONG.length, `records (tag:bytes): ${tags}`);
      if (big.message !== LONG) {
        let at = 0;
        while (big.message[at] === LONG[at]) at++;
        failWith(`Container log: ${c.file} reassembled line: expected the pattern "${UNIT}" x 2560, got a difference at byte ${at} (${tags})`, MESSAGES);
      }
      check('Container log', `${c.file} line after the long line (stream message)`, `${after.stream} ${after.message}`, MESSAGES).equals(`stdout ${c.marker}`);
    });

    it('runtime should split a line longer than 16 KiB into P records and never write a decreasing timestamp [Strict]', async (t) => {
      const sb = await containerPod(t);
      // Both streams, a little apart, then the long line: what a runtime stamps as it reads two pipes.
      const steps = [0, 1, 2].flatMap((i) => [`echo out-${i}`, `echo err-${i} >&2`]).join('; sleep 0.1; ');
      const c = await logContainer(t, sb, 'split', `${steps}; ${LONG_LINE_SCRIPT}`);
      const text = await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the line "${c.marker}" after the long line`, LOG_FILE);
      const log = parseCriLog(text, c.file);
      checkMonotonic(log, NON_DECREASING);
      const { big, tags } = longLineEntries({ ...log, lines: log.lines.filter((l) => !/^(out|err)-\d$/.test(l.message)) }, c.marker);
      check('Container log', `${c.file} records of the 40960-byte line (tag:bytes)`, big.pieces.length, SPLIT).atLeast(2, `got ${tags}`);
    });

    it('runtime should keep output without a trailing newline as a final P record [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'nonewline', 'echo first; printf "$MARKER"');
      await waitContainerState(t, c.id, 'CONTAINER_EXITED');
      const text = await waitForLog(c.file, (t) => t.includes(c.marker), `the unterminated output "${c.marker}" (written when the container exits)`, LOG_FILE);
      const log = parseCriLog(text, c.file);
      check('Container log', `${c.file} (after the last newline)`, log.rest, FORMAT).equals('', 'the record itself still ends with a newline');
      const entries = reassemble(log);
      checkList('Container log', `${c.file} messages`, entries.map((e) => e.message), ['first', c.marker], MESSAGES);
      const last = entries[1]!.pieces.at(-1)!;
      // The kubelet appends a newline after F records only: an F here would add a newline the container never wrote.
      check('Container log', `${c.file} line ${last.lineNo} tag (output without a trailing newline)`, last.tag, MESSAGES).equals('P', 'only P keeps the output byte-exact for kubectl logs');
    });

    it('ReopenContainerLog should start a new file at log_path after the old one was renamed, and the old file should stop growing [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'reopen', 'i=0; while :; do echo line-$i; i=$((i+1)); sleep 0.2; done');
      await waitForLog(c.file, (t) => completeLines(t) >= 2, 'at least 2 lines before rotation', LOG_FILE);
      const rotated = `${c.file}.1`;
      await rename(c.file, rotated); // what the kubelet's log manager does before ReopenContainerLog
      await t.cri.runtime.call('ReopenContainerLog', { container_id: c.id });
      check('ReopenContainerLog', `${c.file} when the call returned`, existsSync(c.file) ? 'a file' : 'no file', REOPENED_NOW).equals('a file', 'the runtime has reopened the log by the time it answers');
      await waitForLog(c.file, (t) => completeLines(t) >= 1, 'a new file at log_path that receives the output after ReopenContainerLog', REOPEN_ID, 15_000);
      // The runtime writes the new file now; output piped before the reopen may have landed in the old one until here.
      const oldSize = (await stat(rotated)).size;
      const lastOld = indexOf(parseCriLog((await readLogText(rotated)) ?? '', rotated), -1);
      // Three more lines of output: enough time for a runtime that still writes the old file to show it.
      const want = `line-${lastOld + 3}`;
      const fresh = await waitForLog(c.file, (t) => t.includes(`${want}\n`), `the output up to "${want}" in the new file`, REOPEN, 15_000);
      check('Container log', `size of the renamed file ${rotated} (once the new file had output, and 3 lines later)`, (await stat(rotated)).size, REOPEN).equals(
        oldSize, 'once the runtime writes the new file it must not write the renamed one',
      );
      const newLog = parseCriLog(fresh, c.file);
      checkList(
        'Container log', `${c.file} first 3 messages after ReopenContainerLog`, newLog.lines.slice(0, 3).map((l) => l.message), [1, 2, 3].map((i) => `line-${lastOld + i}`), REOPEN,
        `the renamed file ends with line-${lastOld}: no line may be lost or written twice across a reopen`,
      );
    });

    it('ReopenContainerLog of a stopped container should either fail and create no file, or succeed and create a new log file [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const c = await logContainer(t, sb, 'reopenstopped', 'echo $MARKER');
      await waitContainerState(t, c.id, 'CONTAINER_EXITED');
      await waitForLog(c.file, (t) => t.includes(`${c.marker}\n`), `the line "${c.marker}"`, LOG_FILE);
      await rename(c.file, `${c.file}.1`);
      let err: RpcError | undefined;
      try {
        await t.cri.runtime.call('ReopenContainerLog', { container_id: c.id });
      } catch (e) {
        if (!isRpcError(e) || e instanceof UnimplementedError) throw e;
        err = e;
      }
      // Both answers are the contract's: an error (containerd, CRI-O) leaves no file; success means a new file.
      const created = await readLogText(c.file);
      const file = created === undefined ? 'no file' : `a file of ${created.length} bytes`;
      if (err) {
        check('ReopenContainerLog', `log file ${c.file} (container exited, ReopenContainerLog answered ${codeName(err.code)}: ${err.details})`, file, REOPEN_STOPPED).equals('no file', 'an error means no new file');
      } else {
        check('ReopenContainerLog', `log file ${c.file} (container exited, ReopenContainerLog answered OK)`, file, REOPEN_STOPPED).notEquals('no file', 'success means the runtime created a new log file');
      }
    });

    it('runtime should write each container of a pod to its own log file [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const script = (p: string) => `for i in 0 1 2 3 4; do echo ${p}-$i; sleep 0.1; done; exec sleep 3600`;
      const a = await logContainer(t, sb, 'first', script('a'));
      const b = await logContainer(t, sb, 'second', script('b'));
      for (const [who, x] of [['first', a], ['second', b]] as const) {
        const s = await containerStatus(t, x.id);
        check('ContainerStatus', `status.log_path (${who} container)`, s.log_path, STATUS_LOG_PATH).equals(x.file);
      }
      for (const [p, x] of [['a', a], ['b', b]] as const) {
        const text = await waitForLog(x.file, (t) => t.includes(`${p}-4\n`), `the line "${p}-4"`, LOG_FILE);
        const entries = reassemble(parseCriLog(text, x.file));
        checkList('Container log', `${x.file} messages`, entries.map((e) => e.message), [0, 1, 2, 3, 4].map((i) => `${p}-${i}`), LOG_FILE, 'only its own container\'s output');
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

/**
 * Runs a busybox container with a marker in $MARKER and the log_path the kubelet gives it: `<name>/<restart
 * count>.log` (kuberuntime_container.go generateContainerConfig, buildContainerLogsPath), after creating
 * `<log_directory>/<name>/` as the kubelet does before CreateContainer (BuildContainerLogsDirectory, MkdirAll
 * 0755): runtimes need not create missing parents (CRI-O's conmon does not).
 */
async function logContainer(t: TestContext, sb: Sandbox, prefix: string, script: string): Promise<LogContainer> {
  const ref = await testImage(t);
  const cfg = containerConfig(prefix, ref, withShell(script));
  const marker = `marker-${cfg.metadata!.name}`;
  cfg.envs = [...(cfg.envs ?? []), { key: 'MARKER', value: marker }];
  const rel = path.join(cfg.metadata!.name!, `${cfg.metadata!.attempt ?? 0}.log`);
  withLogPath(rel)(cfg);
  await mkdir(path.join(sb.config.log_directory!, cfg.metadata!.name!), { recursive: true, mode: 0o755 });
  const id = await runContainer(t, sb, cfg);
  return { id, file: path.join(sb.config.log_directory!, rel), marker };
}

/** 40 KiB without a newline, then a newline, then $MARKER. */
const UNIT = '0123456789abcdef';
const LONG = UNIT.repeat(2560);
const LONG_LINE_SCRIPT = `yes ${UNIT} | head -n 2560 | tr -d '\\n'; echo; echo $MARKER`;

/** The long line and the marker line after it, as the kubelet reassembles them; fails unless exactly those two. */
function longLineEntries(log: ParsedCriLog, marker: string): { big: ReturnType<typeof reassemble>[0]; after: ReturnType<typeof reassemble>[0]; tags: string } {
  const entries = reassemble(log);
  check('Container log', `${log.file} entry count`, entries.length, MESSAGES).equals(2, `expected the 40 KiB line and "${marker}", got ${showEntries(entries)}`);
  // reassemble() ends an entry at its F record, so two complete entries mean [P...P] F for the long line.
  const [big, after] = entries as [ReturnType<typeof reassemble>[0], ReturnType<typeof reassemble>[0]];
  return { big, after, tags: big.pieces.map((p) => `${p.tag}:${p.message.length}`).join(' ') };
}

/** N of the "line-N" message on line i of the file (negative: from the end). */
function indexOf(log: ParsedCriLog, i: number): number {
  const l = log.lines.at(i);
  const m = l && /^line-(\d+)$/.exec(l.message);
  if (!m) failWith(`Container log: ${log.file} line ${l?.lineNo ?? i}: expected a message "line-N", got ${l ? JSON.stringify(l.message) : 'no line'}`, REOPEN);
  return Number(m[1]);
}
