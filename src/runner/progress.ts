// Terminal output while a run goes: a live line on a TTY, plain lines in CI (or when not a TTY).
import type { TestResult } from '../report/model.js';

export interface Progress {
  info(line: string): void;
  suiteStart(name: string, total: number): void;
  testEnd(r: TestResult): void;
  done(): void;
}

const MARK = { passed: '✓', failed: '✗', skipped: '-', notrun: '·' } as const;

export function makeProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  const live = Boolean(stream.isTTY) && !process.env['CI'];
  let suite = '';
  let total = 0;
  let n = 0;
  const counts = { passed: 0, failed: 0, skipped: 0, notrun: 0 };
  const clear = () => live && stream.write('\r\u001b[2K');
  const status = () => {
    if (!live) return;
    clear();
    stream.write(`${suite} ${n}/${total}  ✓ ${counts.passed}  ✗ ${counts.failed}  - ${counts.skipped}`);
  };
  return {
    info(line) {
      clear();
      stream.write(line + '\n');
      status();
    },
    suiteStart(name, t) {
      suite = name;
      total = t;
      n = 0;
      if (!live && !quiet) stream.write(`== ${name} (${t} tests)\n`);
      status();
    },
    testEnd(r) {
      n++;
      counts[r.status]++;
      if (live) {
        if (r.status === 'failed') {
          clear();
          stream.write(`${MARK.failed} ${r.id}\n    ${r.message ?? ''}\n`);
        }
        status();
      } else if (!quiet) {
        const why = r.status === 'passed' ? '' : `  (${r.message ?? ''})`;
        stream.write(`${MARK[r.status]} ${r.id} [${r.durationMs} ms]${why}\n`);
      }
    },
    done() {
      clear();
    },
  };
}
