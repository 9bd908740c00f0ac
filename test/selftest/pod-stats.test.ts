// Self-tests of the pod-level stats checks (PodSandboxStats, ListPodSandboxStats, ListMetricDescriptors,
// ListPodSandboxMetrics), split from stats.test.ts so the two files run side by side. containerd 1.6 does not serve
// the sandbox-metrics RPCs, so the proxy answers them (`respond`) to drive those checks, both ways.
import { expect } from 'chai';
import { expectCheckFails, runOne, type Fault } from '../support/selftest.js';

const PSS = 'stats/PodSandboxStats ';
const PSM = 'stats/PodSandboxMetrics ';

const POD = `${PSS}runtime should report sandbox attributes, CPU and memory covering its containers, and each container [Feature:PodSandboxStats]`;
const POD_LIST = `${PSS}runtime should list exactly the sandboxes matching the ListPodSandboxStats filter by id and by label selector [Feature:PodSandboxStats]`;
const DESCR = `${PSM}runtime should describe each metric once, with a Prometheus name and label names, in ListMetricDescriptors [Feature:PodSandboxMetrics]`;
const METRICS = `${PSM}runtime should report this test's sandbox and containers in ListPodSandboxMetrics using only described metrics [Feature:PodSandboxMetrics]`;


const descriptors = [
  { name: 'container_cpu_usage_seconds_total', help: 'Cumulative cpu time consumed', label_keys: ['cpu'] },
  { name: 'container_memory_working_set_bytes', help: 'Current working set', label_keys: [] },
];

/**
 * Serves the sandbox-metrics RPCs containerd 1.6 lacks, for the sandbox and container the test creates
 * (captured from RunPodSandbox / CreateContainer). `tweak` makes the answer wrong.
 */
function metricsFaults(tweak: (pod: { metrics: unknown[]; container_metrics: { metrics: unknown[] }[] }) => void = () => undefined): Fault[] {
  const ids = { sb: '', c: '' };
  const now = () => String(BigInt(Date.now()) * 1_000_000n);
  return [
    { rpc: 'RunPodSandbox', mutate: (res) => void (ids.sb = res.pod_sandbox_id) },
    { rpc: 'CreateContainer', mutate: (res) => void (ids.c = res.container_id) },
    { rpc: 'ListMetricDescriptors', respond: () => ({ descriptors }) },
    {
      rpc: 'ListPodSandboxMetrics',
      respond: () => {
        if (!ids.sb) return { pod_metrics: [] };
        const pod = {
          pod_sandbox_id: ids.sb,
          metrics: [{ name: 'container_memory_working_set_bytes', timestamp: now(), metric_type: 'GAUGE', label_values: [], value: { value: '4096' } }],
          container_metrics: [
            { container_id: ids.c, metrics: [{ name: 'container_cpu_usage_seconds_total', timestamp: now(), metric_type: 'COUNTER', label_values: ['total'], value: { value: '12' } }] },
          ],
        };
        tweak(pod);
        return { pod_metrics: [pod] };
      },
    },
  ];
}

describe('self-test: pod sandbox stats and metrics', function () {
  this.timeout(600_000);
  // PodSandboxStats
  it(`${POD} fails when the sandbox working set is below its containers'`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.linux.memory.working_set_bytes = { value: '4096' }) }],
      /PodSandboxStats: stats\.linux\.memory\.working_set_bytes: expected >= \d+, got "4096" \(the sum of its containers' working sets/));

  it(`${POD} fails when the sandbox CPU usage only covers the pause container`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.linux.cpu.usage_core_nano_seconds = { value: '1000' }) }],
      /PodSandboxStats: stats\.linux\.cpu\.usage_core_nano_seconds: expected >= \d+, got "1000"/));

  it(`${POD} fails when a container is missing from the sandbox stats`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void res.stats.linux.containers.pop() }],
      /PodSandboxStats: stats\.linux\.containers\[\]\.attributes\.id: expected exactly \[/));

  it(`${POD} fails when the sandbox labels are not echoed`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.attributes.labels = {}) }], /PodSandboxStats: stats\.attributes\.labels \(the ones given\): expected \{/));

  it(`${POD} passes when the runtime adds labels of its own (CRI-O does)`, async () => {
    const r = await runOne(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.attributes.labels = { ...res.stats.attributes.labels, 'io.example.runtime/own': 'x' }) }]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${POD} fails when PodSandboxStats answers without stats`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats = null) }],
      /PodSandboxStats: stats: expected stats for sandbox [0-9a-f]{64}, got none/));

  it(`${POD} fails when the stats are another sandbox's`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.attributes.id = 'e'.repeat(64)) }],
      /PodSandboxStats: stats\.attributes\.id: expected "[0-9a-f]{64}", got "e{64}"/));

  it(`${POD} fails when the sandbox metadata is another attempt's`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.attributes.metadata = { ...res.stats.attributes.metadata, attempt: 1 }) }],
      /PodSandboxStats: stats\.attributes\.metadata: expected \{ name: .*, attempt: 0 \}, got \{ name: .*, attempt: 1 \}/));

  it(`${POD} fails when there are no Linux pod stats`, () =>
    expectCheckFails(POD, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.linux = null) }],
      /PodSandboxStats: stats\.linux: expected Linux pod stats, got none/));

  // Whether or not the runtime reports network stats, the answer carries a default interface without a name.
  it(`${POD} fails when the network stats do not name the default interface`, () =>
    expectCheckFails(POD, [{
      rpc: 'PodSandboxStats',
      mutate: (res) => {
        const n = res.stats.linux.network ?? { timestamp: res.stats.linux.cpu.timestamp, interfaces: [] };
        res.stats.linux.network = { ...n, default_interface: { ...(n.default_interface ?? {}), name: '' } };
      },
    }], /PodSandboxStats: stats\.linux\.network\.default_interface\.name: expected a non-empty value, got "" \(the pod has its own network namespace\)/));

  it(`${POD_LIST} fails when a filtered list carries an extra sandbox`, () =>
    expectCheckFails(POD_LIST, [{
      rpc: 'ListPodSandboxStats',
      mutate: (res) => {
        if (res.stats.length) res.stats.push({ ...res.stats[0], attributes: { ...res.stats[0].attributes, id: 'e'.repeat(64) } });
      },
    }], /ListPodSandboxStats: stats\[\]\.attributes\.id \(filter\.id=[0-9a-f]{12}\): expected exactly \["[0-9a-f]{64}"\] in any order, got \[/));

  it(`${POD_LIST} fails when the label selector is ignored for all but the first match`, () =>
    expectCheckFails(POD_LIST, [{
      rpc: 'ListPodSandboxStats',
      mutate: (res, req) => {
        if (Object.keys(req.filter?.label_selector ?? {}).length) res.stats = res.stats.slice(0, 1);
      },
    }], /ListPodSandboxStats: stats\[\]\.attributes\.id \(filter\.label_selector=.*\): expected exactly \[/));

  it(`${POD_LIST} fails when the label-filtered list drops the sandboxes' labels`, () =>
    expectCheckFails(POD_LIST, [{
      rpc: 'ListPodSandboxStats',
      mutate: (res, req) => {
        if (Object.keys(req.filter?.label_selector ?? {}).length) for (const s of res.stats) s.attributes.labels = {};
      },
    }], /ListPodSandboxStats: stats\[[0-9a-f]{12}\]\.attributes\.labels \(the ones given\): expected \{.*'crc-stats-group': 'group-[0-9a-f]+'.*\}, got \{\}/));

  it(`${POD_LIST} fails when PodSandboxStats answers for another sandbox`, () =>
    expectCheckFails(POD_LIST, [{ rpc: 'PodSandboxStats', mutate: (res) => void (res.stats.attributes.id = 'e'.repeat(64)) }],
      /PodSandboxStats: stats\.attributes\.id \(the sandbox no filter above matched\): expected "[0-9a-f]{64}", got "e{64}"/));

  // Sandbox metrics (served by the proxy)
  it(`${DESCR} passes with well-formed descriptors (proxy-served)`, async () => {
    const r = await runOne(DESCR, metricsFaults());
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${DESCR} fails when a metric is described twice`, () =>
    expectCheckFails(DESCR, [{ rpc: 'ListMetricDescriptors', respond: () => ({ descriptors: [...descriptors, descriptors[0]] }) }],
      /ListMetricDescriptors: descriptors\[2\]\.name: expected each metric described once, got "container_cpu_usage_seconds_total" again/));

  it(`${DESCR} passes when a descriptor has no help (neither api.proto nor the kubelet needs one)`, async () => {
    const r = await runOne(DESCR, [{ rpc: 'ListMetricDescriptors', respond: () => ({ descriptors: [{ name: 'x_total', help: '', label_keys: [] }] }) }]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${DESCR} fails when a metric name is not a Prometheus name`, () =>
    expectCheckFails(DESCR, [{ rpc: 'ListMetricDescriptors', respond: () => ({ descriptors: [{ name: 'container cpu usage', help: 'CPU', label_keys: [] }] }) }],
      /ListMetricDescriptors: descriptors\[0\]\.name: expected a value matching \/\^\[a-zA-Z_:\]\[a-zA-Z0-9_:\]\*\$\/, got "container cpu usage" \(a Prometheus metric name\)/));

  it(`${DESCR} fails when a label key is empty`, () =>
    expectCheckFails(DESCR, [{ rpc: 'ListMetricDescriptors', respond: () => ({ descriptors: [{ name: 'x_total', help: 'x', label_keys: ['cpu', ''] }] }) }],
      /ListMetricDescriptors: descriptors\[x_total\]\.label_keys\[\]: expected a value matching .*, got "" \(a Prometheus label name\)/));

  it(`${DESCR} fails when a label key is not a Prometheus label name`, () =>
    expectCheckFails(DESCR, [{ rpc: 'ListMetricDescriptors', respond: () => ({ descriptors: [{ name: 'x_total', help: 'x', label_keys: ['cpu-id'] }] }) }],
      /ListMetricDescriptors: descriptors\[x_total\]\.label_keys\[\]: expected a value matching .*, got "cpu-id"/));

  it(`${DESCR} fails when a label key is repeated`, () =>
    expectCheckFails(DESCR, [{ rpc: 'ListMetricDescriptors', respond: () => ({ descriptors: [{ name: 'x_total', help: 'x', label_keys: ['cpu', 'cpu'] }] }) }],
      /ListMetricDescriptors: descriptors\[x_total\]\.label_keys \(unique\): expected 2, got 1/));

  it(`${METRICS} passes with consistent proxy-served metrics`, async () => {
    const r = await runOne(METRICS, metricsFaults());
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${METRICS} passes when the samples were gathered live (timestamp 0, as api.proto says)`, async () => {
    const r = await runOne(METRICS, metricsFaults((p) => {
      for (const m of [...p.metrics, ...p.container_metrics.flatMap((c) => c.metrics)]) (m as { timestamp: string }).timestamp = '0';
    }));
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${METRICS} fails when a cached sample's timestamp is not in nanoseconds`, () =>
    expectCheckFails(METRICS, metricsFaults((p) => void ((p.metrics[0] as { timestamp: string }).timestamp = String(Date.now()))),
      /ListPodSandboxMetrics: pod_metrics\[[0-9a-f]{12}\]\.metrics\[container_memory_working_set_bytes\]\.timestamp \(a cached sample\): expected between 1500000000000000000 and \d+, got "\d{13}"/));

  it(`${METRICS} fails when a metric is not described`, () =>
    expectCheckFails(METRICS, metricsFaults((p) => void ((p.metrics[0] as { name: string }).name = 'undescribed_metric')),
      /ListPodSandboxMetrics: pod_metrics\[[0-9a-f]{12}\]\.metrics\[undescribed_metric\]\.name: expected one of the described metrics/));

  it(`${METRICS} fails when label values do not match the descriptor's label keys`, () =>
    expectCheckFails(METRICS, metricsFaults((p) => void ((p.container_metrics[0]!.metrics[0] as { label_values: string[] }).label_values = [])),
      /ListPodSandboxMetrics: .*container_metrics\[[0-9a-f]{12}\]\.metrics\[container_cpu_usage_seconds_total\]\.label_values \(count\): expected 1, got 0/));

  it(`${METRICS} fails when the test's container is missing`, () =>
    expectCheckFails(METRICS, metricsFaults((p) => void (p.container_metrics = [])),
      /ListPodSandboxMetrics: pod_metrics\[[0-9a-f]{12}\]\.container_metrics\[\]\.container_id: expected to include/));

  it(`${METRICS} fails when the test's sandbox is never reported`, () =>
    expectCheckFails(METRICS, metricsFaults((p) => void ((p as unknown as { pod_sandbox_id: string }).pod_sandbox_id = 'e'.repeat(64))),
      /ListPodSandboxMetrics: pod_metrics\[\]\.pod_sandbox_id: expected to include [0-9a-f]{64}, got \[e{64}\]/));

  it(`${METRICS} fails when the sandbox and its container carry no metrics`, () =>
    expectCheckFails(METRICS, metricsFaults((p) => {
      p.metrics = [];
      p.container_metrics[0]!.metrics = [];
    }), /ListPodSandboxMetrics: pod_metrics\[[0-9a-f]{12}\] \(all metrics\): expected > 0, got 0 \(the runtime describes metrics, so the sandbox has some\)/));

  it(`${METRICS} fails when a sample carries no value`, () =>
    expectCheckFails(METRICS, metricsFaults((p) => void ((p.metrics[0] as { value: unknown }).value = null)),
      /ListPodSandboxMetrics: pod_metrics\[[0-9a-f]{12}\]\.metrics\[container_memory_working_set_bytes\]\.value: expected "object", got null \(a sample carries a value\)/));
});
