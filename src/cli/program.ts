// The command-line surface: one commander program; every flag is declared here, so --help is the doc.
import { Command, Option, CommanderError } from 'commander';
import { TOOL } from '../version.js';
import { UsageError } from '../errors.js';
import { SUITES } from '../runner/manifest.js';
import { defaultJobs } from '../runner/pool.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_RUNTIME, RUNTIME_NAMES } from '../lab/runtimes/types.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function buildProgram(handlers: {
  run: (o: Record<string, unknown>) => Promise<number>;
  list: (o: Record<string, unknown>) => Promise<number>;
  lab: (action: string, o: Record<string, unknown>) => Promise<number>;
  matrix: (o: Record<string, unknown>) => Promise<number>;
  cleanup: (o: Record<string, unknown>) => Promise<number>;
  images?: (action: string, arg: string | undefined, o: Record<string, unknown>) => Promise<number>;
  doctor?: (o: Record<string, unknown>) => Promise<number>;
  sonobuoyPlugin?: (o: Record<string, unknown>) => Promise<number>;
  sonobuoyRun?: (runArgs: string[], o: Record<string, unknown>) => Promise<number>;
  bench?: (o: Record<string, unknown>) => Promise<number>;
  coverage?: (o: Record<string, unknown>) => Promise<number>;
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

  // Where the runtime is, as crictl names it; every command that connects takes these.
  const endpoint = (c: Command, o: { image?: boolean; timeout?: string } = {}) => {
    c.option('-r, --runtime-endpoint <endpoint>', 'runtime endpoint: unix:///path, /path or tcp://host:port (else env CONTAINER_RUNTIME_ENDPOINT, crictl.yaml, autodetect)');
    if (o.image) c.option('-i, --image-endpoint <endpoint>', 'image endpoint (default: the runtime endpoint; env IMAGE_SERVICE_ENDPOINT)');
    c.option('-c, --config <file>', 'crictl config file (default /etc/crictl.yaml)');
    if (o.timeout) c.option('-t, --timeout <seconds>', o.timeout, parseNumber);
    return c;
  };

  // Which containerd the lab runs (each in its own default lab dir, from Debian packages).
  const labRuntime = () =>
    new Option('--runtime <name>', `lab runtime: ${RUNTIME_NAMES.join(', ')} (default ${DEFAULT_RUNTIME})`).choices([...RUNTIME_NAMES]);

  const run = program
    .command('run')
    .description('connect to a CRI endpoint and run the ordered conformance suites')
    .option('--lab', 'bring up the local containerd lab (root, Debian/Ubuntu) and run against it')
    .option('--lab-dir <dir>', 'lab directory (default: the runtime\'s own)', undefined)
    .addOption(labRuntime());
  endpoint(run, { image: true, timeout: 'base RPC deadline in seconds; lifecycle calls get 3x, pulls 15x (default 20)' })
    .option('--test-timeout <seconds>', 'per-test time limit in seconds', parseNumber, 180)
    .option('--run-timeout <seconds>', 'whole-run budget in seconds; then stop like SIGINT, clean up, report, exit 3 (default none)', parseNumber)
    .option('--reconnect-timeout <seconds>', 'how long to wait for a runtime that stops answering mid-run to come back, then re-dial it (default 60; 0: stop at once, exit 3)', parseSeconds)
    .addOption(new Option('--cri-version <v>', 'CRI API version').choices(['auto', 'v1', 'v1alpha2']).default('auto'))
    .option('--kubernetes <minor>', 'Kubernetes release profile, e.g. 1.31 (default: newest known)')
    .option('--runtime-handler <name>', 'run every pod with this runtime handler (RuntimeClass handler; env CRI_CONFORMANCE_RUNTIME_HANDLER)')
    .option('--images <file>', 'JSON map of logical image names to references (see fixtures/images.json)')
    .option('--registry-prefix <prefix>', 'pull the fixture images from this registry/prefix (your mirror)')
    .option('--serve-port <port>', 'when the run serves its own images: public registry on 127.0.0.1:PORT, private on PORT+1 (default random; see images configure)', parseNumber)
    .option('--no-doctor', 'do not run the preflight checks (cri-conformance doctor) first')
    .option('--allow-missing-images', 'tests whose test image is not available are counted "not run (no image)" but do not fail the run')
    .option('--report-dir <dir>', 'where reports go', 'reports')
    .option('--reporter <list>', 'comma list of: junit, tap, summary (tap also streams to stdout)', 'junit,summary')
    .option('--junit-dashboard [name]', 'write JUnit as junit_<name>.xml (default name: cri-conformance) for Kubernetes test dashboards (TestGrid, Spyglass), instead of junit.xml')
    .option('--baseline <file>', 'known-failures baseline (YAML): listed failures do not fail the run')
    .option('--strict-baseline', 'also fail when a baseline-listed test now passes')
    .option('--write-baseline <file>', 'write the current failures as a baseline file')
    .option('-j, --jobs <n>', 'tests to run at once, across suites (a suite starts once the suites it needs passed; [Serial] tests run alone)', parseNumber, defaultJobs(availableParallelism()))
    .option('--bail', 'stop at the first failing test')
    .option('--repeat <n>', 'run the selection N times (fresh pods each round) and list every test whose outcome changed as flaky (exit 9)', parseNumber)
    .option('-q, --quiet', 'print only the summary');
  selection(run).action(async (o) => {
    process.exitCode = await handlers.run(o);
  });

  selection(program.command('list').description('print every test id in run order (does not connect)')).action(async (o) => {
    process.exitCode = await handlers.list(o);
  });

  if (handlers.coverage) {
    program
      .command('coverage')
      .description('print the CRI field map: every runtime.v1 field a request sends or a response reports, the checks that judge it and how (effect, echo, honoured, true, stated), or why none does (does not connect)')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
      .option('--totals', 'only the totals (overall, the fields the kubelet sends, per message)')
      .option('--vs-critest', "only our totals over the fields the kubelet sends beside critest's (a reading of its source)")
      .action(async (o) => {
        process.exitCode = await handlers.coverage!(o);
      });
  }

  program
    .command('lab')
    .description('manage the local containerd lab: up | down | status | env')
    .argument('<action>', 'up, down, status or env')
    .option('--lab-dir <dir>', 'lab directory (default: the runtime\'s own)')
    .addOption(labRuntime())
    .option('--purge', 'with down: also delete the built image cache')
    .action(async (action: string, o) => {
      if (!['up', 'down', 'status', 'env'].includes(action)) throw new UsageError(`unknown lab action "${action}": use up, down, status or env`);
      process.exitCode = await handlers.lab(action, o);
    });

  endpoint(
    program
      .command('cleanup')
      .description('remove sandboxes and containers left by earlier runs (only objects carrying the cri-conformance run label)')
      .option('--lab', 'the lab endpoint')
      .addOption(labRuntime()),
  )
    .option('--run-id <id>', 'only this run (default: every cri-conformance run)')
    .action(async (o) => {
      process.exitCode = await handlers.cleanup(o);
    });

  if (handlers.images) {
    const images = handlers.images;
    program
      .command('images')
      .description('the fixture test images: list | build | export DIR | push --to HOST[:PORT] | configure containerd|crio --dir DIR --port P')
      .argument('<action>', 'list, build, export, push or configure')
      .argument('[arg]', 'export: the directory; configure: containerd or crio')
      .option('--to <host>', 'push: the registry, HOST[:PORT]')
      .option('--username <user>', 'push: registry user')
      .option('--password <password>', 'push: registry password')
      .option('--creds <user:password>', 'push: both at once')
      .option('--insecure', 'push: plain HTTP even for a non-loopback host')
      .option('--dir <dir>', 'configure: where the runtime reads registry config (containerd config_path, CRI-O registries.conf.d)')
      .option('--port <port>', 'configure: the port run will serve on (run --serve-port P)')
      .action(async (action: string, arg: string | undefined, o) => {
        process.exitCode = await images(action, arg, o);
      });
  }
  if (handlers.doctor) {
    const doctor = handlers.doctor;
    endpoint(
      program
        .command('doctor')
        .description('preflight: can this runtime be tested? one line per check with the fix; exit code names the first failure class'),
      { image: true, timeout: 'deadline of each check in seconds (default 10)' },
    )
      .option('--images <file>', 'check pulls of this images map instead of the served fixture images')
      .option('--registry-prefix <prefix>', 'check pulls from this mirror instead of the served fixture images')
      .option('--serve-port <port>', 'serve the fixture images on 127.0.0.1:PORT and PORT+1, as run --serve-port does (see images configure)', parseNumber)
      .action(async (o) => {
        process.exitCode = await doctor(o);
      });
  }

  program
    .command('matrix')
    .description('which kubelet releases a run suits, from its summary.json')
    .option('--from <file>', 'summary.json of a run (repeatable: one per runtime and handler)', collect, [])
    .option('--html <file>', 'with several --from: also write the runs × releases table as an HTML page')
    .action(async (o) => {
      process.exitCode = await handlers.matrix(o);
    });

  if (handlers.sonobuoyPlugin) {
    const sonobuoyPlugin = handlers.sonobuoyPlugin;
    selection(
      program
        .command('sonobuoy-plugin')
        .description('print a Sonobuoy plugin definition (DaemonSet) that runs the suite on every node against its CRI socket')
        .option('--image <ref>', 'the suite image (build it with src/tools/build-image.mjs, push it to your registry)')
        .option('--plugin-name <name>', 'Sonobuoy plugin name', 'cri-conformance')
        .option('-r, --runtime-endpoint <endpoint>', "the node's CRI socket on the host", 'unix:///run/containerd/containerd.sock')
        .option('--kubernetes <minor>', 'Kubernetes release profile passed to run')
        .option('--runtime-handler <name>', 'runtime handler passed to run')
        .option('--registry-prefix <prefix>', 'where the nodes pull the fixture images from (your mirror)')
        .option('-j, --jobs <n>', 'tests at once on each node (run --jobs; default two per CPU of the node)', parseNumber)
        .option('--node-selector <key=value>', 'run only on nodes with this label (repeatable)', collect, [])
        .option('--toleration <key[=value][:effect]>', 'taints to tolerate (repeatable; default: all, as Sonobuoy does for DaemonSets)', collect, [])
        .option('--work-dir <dir>', 'host directory for the bind-mount sources the tests create', '/var/lib/cri-conformance/tmp'),
    ).action(async (o) => {
      process.exitCode = await sonobuoyPlugin(o);
    });
  }
  if (handlers.sonobuoyRun) {
    const sonobuoyRun = handlers.sonobuoyRun;
    program
      .command('sonobuoy-run')
      .description('in the plugin image: run the suite, write JUnit to $SONOBUOY_RESULTS_DIR and the result path to its done file')
      .option('--linger', 'stay up after handing over the results (as a DaemonSet pod must)')
      .argument('[run-flags...]', 'flags for `cri-conformance run` (after --)')
      .action(async (runArgs: string[], o) => {
        process.exitCode = await sonobuoyRun(runArgs, o);
      });
  }
  endpoint(
    program
      .command('bench')
      .description("the runtime's own performance: per-RPC latency percentiles, pod start and pod lifecycle latency by concurrency, image pull and remove latency, runtime CPU and memory")
      .option('--lab', 'the lab endpoint (and its busybox image)')
      .option('--lab-dir <dir>', 'lab directory')
      .addOption(labRuntime()),
    { timeout: 'base RPC deadline in seconds (default 20)' },
  )
    .option('--image <ref>', 'image of the bench containers (needs sleep and true); pulled once, outside the timings')
    .option('--runtime-handler <name>', 'runtime handler of the bench pods')
    .option('--concurrency <list>', 'pods in flight at each level, comma separated', '1,4,16')
    .option('--pods <n>', 'pods per concurrency level', '24')
    .option('--warmup <n>', 'pods run first and not counted', '2')
    .option('--max-pod-lifecycle <ms>', 'fail (exit 1) when the pod lifecycle percentile (--lifecycle-percentile) is over this at any concurrency')
    .option('--lifecycle-percentile <p>', 'percentile --max-pod-lifecycle judges: p50, p90, p99 or max', 'p99')
    .option('--pull-rounds <n>', 'after the pod levels: pull and remove each image this many times, timed (0: none)', '3')
    .option('--pull-images <refs>', 'images to pull and remove, comma separated (default: the distinct images of the lab, or of --images / CRI_CONFORMANCE_IMAGES, but the bench image and pause)')
    .option('--images <file>', 'the run\'s images map (logical name → ref) to take the pull images from (default env CRI_CONFORMANCE_IMAGES)')
    .option('--runtime-pid <pid>', 'the runtime process to watch (default: the owner of a local unix socket)')
    .option('--output <file>', 'write the result as JSON, and a chart beside it (FILE without .json + .html)')
    .option('--compare <base.json>', 'fail (exit 1) when a percentile regressed against this earlier --output')
    .option('--max-regression <pct>', 'with --compare: allowed growth of any p50/p90/p99, percent', '10')
    .option('--min-delta-ms <ms>', 'with --compare: growth below this many ms never counts (jitter of fast calls)', '2')
    .action(async (o) => {
      if (!handlers.bench) throw new UsageError('bench is not available in this build');
      process.exitCode = await handlers.bench(o);
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
