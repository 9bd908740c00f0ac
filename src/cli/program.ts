// The command-line surface: one commander program; every flag is declared here, so --help is the doc.
import { Command, Option, CommanderError } from 'commander';
import { TOOL } from '../version.js';
import { UsageError } from '../errors.js';
import { SUITES } from '../runner/manifest.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function buildProgram(handlers: {
  run: (o: Record<string, unknown>) => Promise<number>;
  list: (o: Record<string, unknown>) => Promise<number>;
  lab: (action: string, o: Record<string, unknown>) => Promise<number>;
  matrix: (o: Record<string, unknown>) => Promise<number>;
  cleanup: (o: Record<string, unknown>) => Promise<number>;
}): Command {
  const program = new Command('cri-conformance')
    .description('Conformance suite for Kubernetes Container Runtime Interface (CRI) runtimes')
    .version(TOOL.version, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: () => undefined });

  const selection = (c: Command) =>
    c
      .option('--suite <name>', `run only these suites (repeatable): ${SUITES.map((s) => s.name).join(', ')}`, collect, [])
      .option('--focus <regex>', 'run only tests whose id matches (repeatable)', collect, [])
      .option('--skip <regex>', 'skip tests whose id matches (repeatable)', collect, []);

  const run = program
    .command('run')
    .description('connect to a CRI endpoint and run the ordered conformance suites')
    .option('--lab', 'bring up the local containerd lab (root, Debian/Ubuntu) and run against it')
    .option('--lab-dir <dir>', 'lab directory', undefined)
    .option('-r, --runtime-endpoint <endpoint>', 'runtime endpoint: unix:///path, /path or tcp://host:port (env CONTAINER_RUNTIME_ENDPOINT)')
    .option('-i, --image-endpoint <endpoint>', 'image endpoint, defaults to the runtime endpoint (env IMAGE_SERVICE_ENDPOINT)')
    .option('-c, --config <file>', 'crictl config file (default /etc/crictl.yaml)')
    .option('-t, --timeout <seconds>', 'base RPC deadline in seconds; lifecycle calls get 3x, pulls 15x (default 20)', parseNumber)
    .option('--test-timeout <seconds>', 'per-test time limit in seconds', parseNumber, 180)
    .option('--run-timeout <seconds>', 'whole-run budget in seconds; then stop like SIGINT, clean up, report, exit 3 (default none)', parseNumber)
    .option('--reconnect-timeout <seconds>', 'how long to wait for a runtime that stops answering mid-run to come back, then re-dial it (default 60; 0: stop at once, exit 3)', parseSeconds)
    .addOption(new Option('--cri-version <v>', 'CRI API version').choices(['auto', 'v1', 'v1alpha2']).default('auto'))
    .option('--kubernetes <minor>', 'Kubernetes release profile, e.g. 1.31 (default: newest known)')
    .option('--runtime-handler <name>', 'run every pod with this runtime handler (RuntimeClass handler; env CRI_CONFORMANCE_RUNTIME_HANDLER)')
    .option('--images <file>', 'JSON map of logical image names to references (see fixtures/images.json)')
    .option('--registry-prefix <prefix>', 'pull the fixture images from this registry/prefix (your mirror)')
    .option('--report-dir <dir>', 'where reports go', 'reports')
    .option('--reporter <list>', 'comma list of: junit, tap, summary (tap also streams to stdout)', 'junit,summary')
    .option('--baseline <file>', 'known-failures baseline (YAML): listed failures do not fail the run')
    .option('--strict-baseline', 'also fail when a baseline-listed test now passes')
    .option('--write-baseline <file>', 'write the current failures as a baseline file')
    .option('-j, --jobs <n>', 'suites to run at once after the gate suites (tests never share objects)', parseNumber, 1)
    .option('--bail', 'stop at the first failing test')
    .option('-q, --quiet', 'print only the summary');
  selection(run).action(async (o) => {
    process.exitCode = await handlers.run(o);
  });

  selection(program.command('list').description('print every test id in run order (does not connect)')).action(async (o) => {
    process.exitCode = await handlers.list(o);
  });

  program
    .command('lab')
    .description('manage the local containerd lab: up | down | status | env')
    .argument('<action>', 'up, down, status or env')
    .option('--lab-dir <dir>', 'lab directory')
    .option('--purge', 'with down: also delete the built image cache')
    .action(async (action: string, o) => {
      if (!['up', 'down', 'status', 'env'].includes(action)) throw new UsageError(`unknown lab action "${action}": use up, down, status or env`);
      process.exitCode = await handlers.lab(action, o);
    });

  program
    .command('cleanup')
    .description('remove sandboxes and containers left by earlier runs (only objects carrying the cri-conformance run label)')
    .option('--lab', 'the lab endpoint')
    .option('-r, --runtime-endpoint <endpoint>', 'runtime endpoint (else env, crictl.yaml, autodetect)')
    .option('-c, --config <file>', 'crictl config file')
    .option('--run-id <id>', 'only this run (default: every cri-conformance run)')
    .action(async (o) => {
      process.exitCode = await handlers.cleanup(o);
    });

  program
    .command('matrix')
    .description('which kubelet releases a run suits, from its summary.json')
    .option('--from <file>', 'summary.json of a run (repeatable: one per runtime handler)', collect, [])
    .action(async (o) => {
      process.exitCode = await handlers.matrix(o);
    });

  return program;
}

function parseNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`"${v}" is not a positive number`);
  return n;
}

/** Like parseNumber, but 0 is allowed (it switches the wait off). */
function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`"${v}" is not a number of seconds (0 or more)`);
  return n;
}

/** commander's own errors (unknown option, missing argument) as one usage line. */
export function commanderToUsage(e: CommanderError): UsageError | undefined {
  if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code)) return undefined;
  return new UsageError(`${e.message.replace(/^error: /, '')} (see cri-conformance --help)`);
}
