// Self-tests of the logs suite: each check must fail, with a useful message, when the runtime gets the
// log contract wrong. A proxy cannot rewrite the files a runtime writes, so format faults are served
// by a "crafted log": the proxy moves the runtime's real log aside (CreateContainer log_path + ".real",
// hidden again in ContainerStatus) and writes a crafted file where the log should be.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { expectCheckFails, runOne, type Fault } from '../support/selftest.js';
import {
  parseCriLogLine, parseCriLog, parseRfc3339Nano, checkMonotonic, checkTimestampsWithin, reassemble,
} from '../../src/framework/logs.js';
import { opinion } from '../../src/framework/contract.js';

const T = 'logs/Container logs ';
const ids = {
  path: `${T}runtime should write the container log at log_directory/log_path and report that path in ContainerStatus.log_path [Conformance]`,
  format: `${T}runtime should write every log line as "<RFC3339Nano timestamp> <stream> <P|F> <message>" stamped when the container ran [Conformance]`,
  streams: `${T}runtime should tag stdout and stderr lines with their stream and keep their relative order [Conformance]`,
  long: `${T}runtime should log a line longer than 16 KiB as records that reassemble to it exactly, the last one F [Conformance]`,
  split: `${T}runtime should split a line longer than 16 KiB into P records and never write a decreasing timestamp [Strict]`,
  nonewline: `${T}runtime should keep output without a trailing newline as a final P record [Conformance]`,
  reopen: `${T}ReopenContainerLog should start a new file at log_path after the old one was renamed, and the old file should stop growing [Conformance]`,
  reopenStopped: `${T}ReopenContainerLog of a stopped container should either fail and create no file, or succeed and create a new log file [Conformance]`,
  separate: `${T}runtime should write each container of a pod to its own log file [Conformance]`,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

const logFileOf = (req: Msg): string => path.join(req.sandbox_config.log_directory, req.config.log_path);
const markerOf = (req: Msg): string => (req.config.envs as { key: string; value: string }[]).find((e) => e.key === 'MARKER')!.value;

/** A record builder with timestamps 1 ms apart, starting now. */
function records(): (stream: string, tag: string, message: string, ts?: string) => string {
  let t = Date.now();
  return (stream, tag, message, ts) => `${ts ?? new Date(t++).toISOString()} ${stream} ${tag} ${message}`;
}

/** Serve `build(marker)` (records, one per line) as the container's log file, then `tail` as is. */
function craftedLog(build: (marker: string) => string[], tail = ''): Fault[] {
  return [
    {
      rpc: 'CreateContainer',
      mutateRequest: (req: Msg) => {
        const file = logFileOf(req);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, build(markerOf(req)).map((l) => `${l}\n`).join('') + tail);
        req.config.log_path = `${req.config.log_path}.real`;
        return req;
      },
    },
    { rpc: 'ContainerStatus', mutate: (res: Msg) => void (res.status.log_path = res.status.log_path.replace(/\.real$/, '')) },
  ];
}

/** The records the format test expects, with `edit` applied to record i. */
function formatRecords(marker: string, edit?: { i: number; to: (r: string) => string }): string[] {
  const r = records();
  const msgs = [...Array.from({ length: 10 }, (_, i) => `line-${i}`), '', '  two  spaces ', 'tab\there', marker];
  return msgs.map((m, i) => (edit?.i === i ? edit.to(r('stdout', 'F', m)) : r('stdout', 'F', m)));
}

describe('self-test: logs (parser)', () => {
  it('accepts the format containerd and CRI-O write', () => {
    const l = parseCriLogLine('2016-10-06T00:17:09.669794202Z stdout F hello world', 1, 'f');
    expect([l.stream, l.tag, l.message]).to.deep.equal(['stdout', 'F', 'hello world']);
    expect(parseCriLogLine('2016-10-06T00:17:09Z stderr P ', 1, 'f').message).to.equal('');
    expect(parseRfc3339Nano('2016-10-06T02:17:09.5+02:00')).to.deep.equal(parseRfc3339Nano('2016-10-06T00:17:09.500000000Z'));
  });

  it('rejects malformed records naming the field', () => {
    const bad: [string, RegExp][] = [
      ['2016-10-06 00:17:09Z stdout F x', /line 1: timestamp: expected an RFC3339Nano/],
      ['2016-10-06T00:17:09.669794202 stdout F x', /timestamp: expected an RFC3339Nano/],
      ['2016-10-06T00:17:09.1234567890Z stdout F x', /timestamp: expected an RFC3339Nano/],
      ['2016-02-30T00:17:09Z stdout F x', /day 30 out of range/],
      ['2016-10-06t00:17:09z stdout F x', /timestamp/],
      ['2016-10-06T00:17:09Z  stdout F x', /stream: expected "stdout" or "stderr" after exactly one space/],
      ['2016-10-06T00:17:09Z stdin F x', /stream: expected "stdout" or "stderr"/],
      ['2016-10-06T00:17:09Z stdout X x', /tag: expected "P" or "F"/],
      ['2016-10-06T00:17:09Z stdout F', /message: expected one space after the tag/],
      ['2016-10-06T00:17:09Z stdout', /tag: expected "P" or "F" after the stream/],
      ['hello', /format: expected/],
    ];
    for (const [line, re] of bad) expect(() => parseCriLogLine(line, 1, 'f'), line).to.throw(re);
  });

  it('rejects decreasing and out-of-window timestamps, and reassembles per stream', () => {
    const log = parseCriLog('2016-10-06T00:17:09.2Z stdout P a\n2016-10-06T00:17:09.3Z stderr F e\n2016-10-06T00:17:09.1Z stdout F b\n', 'f');
    const basis = opinion('x');
    expect(() => checkMonotonic(log, basis)).to.throw(/line 3: timestamp: expected >= 2016-10-06T00:17:09.3Z \(line 2\), got 2016-10-06T00:17:09.1Z/);
    expect(() => checkTimestampsWithin(log, Date.now() - 1000, Date.now(), basis)).to.throw(/line 1: timestamp: expected between/);
    expect(reassemble(log).map((e) => [e.stream, e.message, e.complete])).to.deep.equal([['stdout', 'ab', true], ['stderr', 'e', true]]);
  });
});

describe('self-test: logs', function () {
  this.timeout(600_000);

  it(`${ids.path} fails when ContainerStatus reports another log_path`, () =>
    expectCheckFails(ids.path, [{ rpc: 'ContainerStatus', mutate: (res: Msg) => void (res.status.log_path = '/var/log/elsewhere.log') }],
      /ContainerStatus: status\.log_path: expected ".*\/0\.log", got "\/var\/log\/elsewhere\.log"/));

  it(`${ids.path} fails when the runtime writes the log somewhere else`, () =>
    expectCheckFails(ids.path, [{ rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (req.config.log_path = 'elsewhere.log') }],
      /log file .*\/0\.log: expected the file to exist .*got no file/));

  it(`${ids.format} fails on a timestamp that is not RFC3339Nano`, () =>
    expectCheckFails(ids.format, craftedLog((m) => formatRecords(m, { i: 2, to: (r) => r.replace('T', ' ') })),
      /line 3: timestamp: expected an RFC3339Nano timestamp/));

  it(`${ids.format} fails on two spaces between fields`, () =>
    expectCheckFails(ids.format, craftedLog((m) => formatRecords(m, { i: 1, to: (r) => r.replace(' stdout', '  stdout') })),
      /line 2: stream: expected "stdout" or "stderr" after exactly one space/));

  it(`${ids.format} fails on a missing tag`, () =>
    expectCheckFails(ids.format, craftedLog((m) => formatRecords(m, { i: 0, to: (r) => r.replace(' F ', ' ') })),
      /line 1: tag: expected "P" or "F"/));

  it(`${ids.split} fails on timestamps that go backwards`, () =>
    expectCheckFails(ids.split, craftedLog((m) => {
      const r = records();
      const back = new Date(Date.now() - 5000).toISOString();
      return [r('stdout', 'F', 'out-0'), r('stderr', 'F', 'err-0', back), r('stdout', 'P', long.slice(0, 16384)), r('stdout', 'F', long.slice(16384)), r('stdout', 'F', m)];
    }), /line 2: timestamp: expected >= .*\(line 1\), got .*timestamps must not decrease \[rests on our opinion, not the contract: /));

  it(`${ids.split} fails when the long line is not split`, () =>
    expectCheckFails(ids.split, craftedLog((m) => {
      const r = records();
      return [r('stdout', 'F', 'out-0'), r('stderr', 'F', 'err-0'), r('stdout', 'F', long), r('stdout', 'F', m)];
    }), /records of the 40960-byte line \(tag:bytes\): expected >= 2, got 1 \(got F:40960\)/));

  it(`${ids.format} fails on timestamps far from when the container ran`, () =>
    expectCheckFails(ids.format, craftedLog((m) => formatRecords(m).map((r) => `1970-01-01T00:00:01Z${r.slice(r.indexOf(' '))}`)),
      /line 1: timestamp: expected between .* \(when the container ran\), got 1970-01-01T00:00:01Z/));

  it(`${ids.format} fails when spaces in a message are not kept`, () =>
    expectCheckFails(ids.format, craftedLog((m) => formatRecords(m, { i: 11, to: (r) => r.replace('  two  spaces ', 'two spaces') })),
      /records \(stream tag message\): expected \[.*"stdout F   two  spaces ".*got \[.*"stdout F two spaces"/));

  it(`${ids.format} fails when the last record has no newline`, () =>
    expectCheckFails(ids.format, craftedLog((m) => formatRecords(m), `${new Date().toISOString()} stdout P tail`),
      /Container log: .*\/0\.log \(after the last newline\): expected "", got ".* stdout P tail" \(every record ends with a newline\)/));

  it(`${ids.streams} fails when stderr is tagged stdout (tty merges the streams)`, () =>
    expectCheckFails(ids.streams, [{ rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (req.config.tty = true) }],
      /entries \(stream:message, in file order\): expected \[stdout:"out-0" stderr:"err-0".*got \[stdout:/));

  it(`${ids.streams} fails when the streams are swapped`, () =>
    expectCheckFails(ids.streams, craftedLog((m) => {
      const r = records();
      return [...[0, 1, 2].flatMap((i) => [r('stderr', 'F', `out-${i}`), r('stdout', 'F', `err-${i}`)]), r('stdout', 'F', m)];
    }), /expected \[stdout:"out-0" stderr:"err-0" .*got \[stderr:"out-0" stdout:"err-0"/));

  it(`${ids.streams} fails when the order of the lines is lost`, () =>
    expectCheckFails(ids.streams, craftedLog((m) => {
      const r = records();
      return [...[0, 1, 2].map((i) => r('stdout', 'F', `out-${i}`)), ...[0, 1, 2].map((i) => r('stderr', 'F', `err-${i}`)), r('stdout', 'F', m)];
    }), /expected \[stdout:"out-0" stderr:"err-0" .*got \[stdout:"out-0" stdout:"out-1"/));

  const unit = '0123456789abcdef';
  const long = unit.repeat(2560);

  it(`${ids.long} passes when the long line is one F record (the kubelet reads it back the same)`, async () => {
    const r = await runOne(ids.long, craftedLog((m) => {
      const rec = records();
      return [rec('stdout', 'F', long), rec('stdout', 'F', m)];
    }));
    expect(r.status, r.message ?? '').to.equal('passed');
  });

  it(`${ids.long} fails when every piece is tagged F`, () =>
    expectCheckFails(ids.long, craftedLog((m) => {
      const r = records();
      return [r('stdout', 'F', long.slice(0, 16384)), r('stdout', 'F', long.slice(16384, 32768)), r('stdout', 'F', long.slice(32768)), r('stdout', 'F', m)];
    }), /entry count: expected 2, got 4 \(expected the 40 KiB line/));

  it(`${ids.long} fails when the line after the long line is on the wrong stream`, () =>
    expectCheckFails(ids.long, craftedLog((m) => {
      const r = records();
      return [r('stdout', 'P', long.slice(0, 16384)), r('stdout', 'P', long.slice(16384, 32768)), r('stdout', 'F', long.slice(32768)), r('stderr', 'F', m)];
    }), /line after the long line \(stream message\): expected "stdout marker-.*", got "stderr marker-/));

  it(`${ids.long} fails when a piece loses bytes`, () =>
    expectCheckFails(ids.long, craftedLog((m) => {
      const r = records();
      return [r('stdout', 'P', long.slice(0, 16384)), r('stdout', 'P', long.slice(16385, 32768)), r('stdout', 'F', long.slice(32768)), r('stdout', 'F', m)];
    }), /length of the reassembled line: expected 40960, got 40959/));

  it(`${ids.long} fails when a piece is corrupted`, () =>
    expectCheckFails(ids.long, craftedLog((m) => {
      const r = records();
      return [r('stdout', 'P', long.slice(0, 16384)), r('stdout', 'P', `X${long.slice(16385, 32768)}`), r('stdout', 'F', long.slice(32768)), r('stdout', 'F', m)];
    }), /reassembled line: expected the pattern "0123456789abcdef" x 2560, got a difference at byte 16384/));

  it(`${ids.nonewline} fails when the unterminated output is tagged F`, () =>
    expectCheckFails(ids.nonewline, craftedLog((m) => {
      const r = records();
      return [r('stdout', 'F', 'first'), r('stdout', 'F', m)];
    }), /line 2 tag \(output without a trailing newline\): expected "P", got "F"/));

  it(`${ids.nonewline} fails when the last record has no newline`, () =>
    expectCheckFails(ids.nonewline, [
      {
        rpc: 'CreateContainer',
        mutateRequest: (req: Msg) => {
          const file = logFileOf(req);
          mkdirSync(path.dirname(file), { recursive: true });
          const r = records();
          writeFileSync(file, `${r('stdout', 'F', 'first')}\n${r('stdout', 'P', markerOf(req))}`);
          req.config.log_path = `${req.config.log_path}.real`;
          return req;
        },
      },
      { rpc: 'ContainerStatus', mutate: (res: Msg) => void (res.status.log_path = res.status.log_path.replace(/\.real$/, '')) },
    ], /\(after the last newline\): expected "", got ".*stdout P marker-/));

  it(`${ids.reopen} fails when ReopenContainerLog does nothing`, () =>
    expectCheckFails(ids.reopen, [{ rpc: 'ReopenContainerLog', respond: () => ({}) }],
      /ReopenContainerLog: .*\/0\.log when the call returned: expected "a file", got "no file" \(the runtime has reopened the log by the time it answers\)/));

  it(`${ids.reopen} fails when ReopenContainerLog creates the file but the output still goes to the renamed one`, () => {
    let file = '';
    return expectCheckFails(ids.reopen, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (file = logFileOf(req)) },
      { rpc: 'ReopenContainerLog', respond: () => { writeFileSync(file, ''); return {}; } },
    ], /log file .*\/0\.log: .*a new file at log_path that receives the output after ReopenContainerLog/);
  });

  it(`${ids.reopen} fails when the old file keeps growing`, () => {
    // A "runtime" that copies new output to a new file at log_path but keeps writing the renamed one.
    let file = '';
    let timer: NodeJS.Timeout | undefined;
    return expectCheckFails(ids.reopen, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (file = logFileOf(req)) },
      {
        rpc: 'ReopenContainerLog',
        respond: () => {
          const last = parseCriLog(readFileSync(`${file}.1`, 'utf8'), 'old').lines.at(-1)!.message;
          let n = Number(last.replace('line-', '')) + 1;
          const r = records();
          writeFileSync(file, '');
          timer = setInterval(() => {
            try {
              appendFileSync(file, `${r('stdout', 'F', `line-${n++}`)}\n`);
            } catch {
              clearInterval(timer); // the test removed its log directory
            }
          }, 200);
          return {};
        },
      },
    ], /size of the renamed file .*\.log\.1 \(once the new file had output, and 3 lines later\): expected \d+, got \d+ \(once the runtime writes the new file it must not write the renamed one\)/).finally(() => clearInterval(timer));
  });

  it(`${ids.reopen} fails when a line is written twice across the reopen`, () => {
    // A real reopen, after which the "runtime" repeats the old file's last line in the new file.
    let file = '';
    return expectCheckFails(ids.reopen, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (file = logFileOf(req)) },
      {
        rpc: 'ReopenContainerLog',
        mutate: () => {
          const last = parseCriLog(readFileSync(`${file}.1`, 'utf8'), 'old').lines.at(-1)!;
          appendFileSync(file, `${records()('stdout', 'F', last.message)}\n`);
        },
      },
    ], /first 3 messages after ReopenContainerLog: expected \["line-(\d+)","line-\d+","line-\d+"\], got \[.*\] \(the renamed file ends with line-\d+: no line may be lost or written twice/);
  });

  it(`${ids.reopen} fails when the renamed file ends with a partial record`, () => {
    // A real reopen, after which the "runtime" flushes half a line into the renamed file.
    let file = '';
    return expectCheckFails(ids.reopen, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (file = logFileOf(req)) },
      { rpc: 'ReopenContainerLog', mutate: () => appendFileSync(`${file}.1`, `${records()('stdout', 'P', 'line-')}\n`) },
    ], /Container log: .*\/0\.log\.1 line \d+: expected a message "line-N", got "line-"/);
  });

  it(`${ids.reopenStopped} fails when ReopenContainerLog succeeds on an exited container without creating a file`, () =>
    expectCheckFails(ids.reopenStopped, [{ rpc: 'ReopenContainerLog', respond: () => ({}) }],
      /ReopenContainerLog: log file .*\/0\.log \(container exited, ReopenContainerLog answered OK\): expected anything but "no file", got "no file" \(success means the runtime created a new log file\)/));

  it(`${ids.reopenStopped} fails when ReopenContainerLog answers an error and still creates a file`, () => {
    let file = '';
    return expectCheckFails(ids.reopenStopped, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (file = logFileOf(req)) },
      // A "runtime" that writes the new file and then answers an error anyway.
      { rpc: 'ReopenContainerLog', respond: () => { writeFileSync(file, ''); throw new Error('container is not running'); } },
    ], /ReopenContainerLog: log file .*\/0\.log \(container exited, ReopenContainerLog answered \w+: .*\): expected "no file", got "a file of 0 bytes" \(an error means no new file\)/);
  });

  it(`${ids.reopenStopped} passes when ReopenContainerLog succeeds and creates a new file (the contract's other choice)`, async () => {
    let file = '';
    const r = await runOne(ids.reopenStopped, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (file = logFileOf(req)) },
      { rpc: 'ReopenContainerLog', respond: () => (writeFileSync(file, ''), {}) },
    ]);
    expect(r.status, r.message ?? '').to.equal('passed');
  });

  it(`${ids.separate} fails when two containers report one log_path`, () => {
    let first: string | undefined;
    return expectCheckFails(ids.separate, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (first ??= req.config.log_path, req.config.log_path = first) },
    ], /ContainerStatus: status\.log_path \(second container\): expected ".*\/0\.log", got ".*\/0\.log"/);
  });

  it(`${ids.separate} fails when two containers share one file`, () => {
    let first: string | undefined;
    return expectCheckFails(ids.separate, [
      { rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (first ??= req.config.log_path, req.config.log_path = first) },
      // Hide it in ContainerStatus: report the path each container should have had.
      { rpc: 'ContainerStatus', mutate: (res: Msg) => void (res.status.log_path = path.join(path.dirname(path.dirname(res.status.log_path)), res.status.metadata.name, '0.log')) },
    ], /messages: expected \["a-0","a-1","a-2","a-3","a-4"\], got \[.*"b-0"/);
  });
});
