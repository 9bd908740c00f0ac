// `list`: every test id in run order, from the suite declarations alone (no test framework, no connection).
import { EXIT } from '../errors.js';
import { SUITES } from '../runner/manifest.js';
import { specTests, suiteSpec } from '../runner/spec.js';
import { list, regexes, suiteNames, type Opts } from './args.js';

export async function listCommand(o: Opts): Promise<number> {
  const focus = regexes(list(o, 'focus'), '--focus');
  const skip = regexes(list(o, 'skip'), '--skip');
  const names = suiteNames(o);
  let n = 0;
  for (const e of SUITES.filter((s) => !names || names.includes(s.name))) {
    const spec = await suiteSpec(e);
    if (!spec) continue;
    for (const t of specTests(spec)) {
      const id = `${e.name}/${t.fullTitle}`;
      if ((focus.length && !focus.some((r) => r.test(id))) || skip.some((r) => r.test(id))) continue;
      process.stdout.write(id + '\n');
      n++;
    }
  }
  process.stderr.write(`${n} tests\n`);
  return EXIT.OK;
}
