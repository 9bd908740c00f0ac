// Self-tests: each stats check fails when the runtime reports wrong numbers, ignores a filter, or
// answers for something it does not know. containerd 1.6 does not serve the sandbox-metrics RPCs, so the
// proxy answers them (`respond`) to drive those checks, both ways.
import { expect } from 'chai';
import { Status, expectCheckFails, runOne, type Fault } from '../support/selftest.js';

const CS = 'stats/ContainerStats ';
const LCS = 'stats/ListContainerStats ';
const PSS = 'stats/PodSandboxStats ';
const PSM = 'stats/PodSandboxMetrics ';

const CPU = `${CS}runtime should report CPU usage that grows while the container burns CPU, with advancing timestamps [Conformance] [Serial]`;
const ATTRS = `${CS}runtime should echo the container id, metadata, labels and annotations in ContainerStats attributes [Conformance]`;
const MEM = `${CS}runtime should report a memory working set that covers the memory a container holds [Conformance]`;
const LAYER = `${CS}runtime should report writable layer usage that covers the bytes written to the container root filesystem [Conformance]`;
const UNKNOWN = `${CS}runtime should fail ContainerStats for an unknown container [Conformance]`;
const UNKNOWN_CODE = `${CS}runtime should fail ContainerStats for an unknown container with NOT_FOUND [Strict]`;
const L_ALL = `${LCS}runtime should list stats for every running container when no filter is given [Conformance] [Serial]`;
const L_ID = `${LCS}runtime should list exactly the one container named by filter.id [Conformance]`;
const L_POD = `${LCS}runtime should list exactly the containers of the sandbox named by filter.pod_sandbox_id [Conformance]`;
const L_LABEL = `${LCS}runtime should list exactly the containers matching filter.label_selector [Conformance]`;
const L_AND = `${LCS}runtime should combine filter.pod_sandbox_id and filter.label_selector with AND [Conformance]`;
const POD = `${PSS}runtime should report sandbox attributes, CPU and memory covering its containers, and each container [Feature:PodSandboxStats]`;
const POD_LIST = `${PSS}runtime should list exactly the sandboxes matching the ListPodSandboxStats filter by id and by label selector [Feature:PodSandboxStats]`;
const DESCR = `${PSM}runtime should describe each metric once, with a Prometheus name and label names, in ListMetricDescriptors [Feature:PodSandboxMetrics]`;
const METRICS = `${PSM}runtime should report this test's sandbox and containers in ListPodSandboxMetrics using only described metrics [Feature:PodSandboxMetrics]`;

const containerStats = (mutate: Fault['mutate']): Fault => ({ rpc: 'ContainerStats', mutate });

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

describe('self-test: stats', function () {
  this.timeout(600_000);

  // ContainerStats: CPU
  it(`${CPU} fails when CPU usage is reported as zero`, () =>
    expectCheckFails(CPU, [containerStats((res) => void (res.stats.cpu.usage_core_nano_seconds = { value: '0' }))],
      /ContainerStats: cpu\.usage_core_nano_seconds \(a later sample\): expected > 0/));

  it(`${CPU} fails when CPU usage is in the wrong unit (x1000)`, () =>
    expectCheckFails(CPU, [containerStats((res) => {
      const u = res.stats.cpu.usage_core_nano_seconds;
      u.value = String(BigInt(u.value) * 1000n);
    })], /ContainerStats: cpu\.usage_core_nano_seconds growth between samples: expected between \d+ and \d+/));

  it(`${CPU} fails when the CPU timestamp does not advance`, () =>
    expectCheckFails(CPU, [containerStats((res) => void (res.stats.cpu.timestamp = '1700000000000000000'))],
      /ContainerStats: cpu\.timestamp \(a later sample\): expected > 1700000000000000000, got .*\(polled \d+\.\d s, 3 periods: /));

  it(`${CPU} fails when the CPU timestamp is not in nanoseconds`, () =>
    expectCheckFails(CPU, [containerStats((res) => void (res.stats.cpu.timestamp = String(Date.now())))],
      /ContainerStats: cpu\.timestamp: expected between 1500000000000000000 and \d+, got "\d{13}" \(nanoseconds since the Unix epoch\)/));

  // ContainerStats: attributes
  it(`${ATTRS} fails when the labels are not echoed`, () =>
    expectCheckFails(ATTRS, [containerStats((res) => void (res.stats.attributes.labels = {}))], /ContainerStats: attributes\.labels \(the ones given\): expected \{/));

  it(`${ATTRS} passes when the runtime adds labels of its own (CRI-O does)`, async () => {
    const r = await runOne(ATTRS, [containerStats((res) => void (res.stats.attributes.labels = { ...res.stats.attributes.labels, 'io.example.runtime/own': 'x' }))]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${ATTRS} fails when the id is another container's`, () =>
    expectCheckFails(ATTRS, [containerStats((res) => void (res.stats.attributes.id = 'f'.repeat(64)))], /ContainerStats: attributes\.id: expected "[0-9a-f]{64}", got "f{64}"/));

  it(`${ATTRS} fails when the annotations are dropped`, () =>
    expectCheckFails(ATTRS, [containerStats((res) => void (res.stats.attributes.annotations = {}))], /ContainerStats: attributes\.annotations: expected \{ 'crc-stats-note'/));

  it(`${ATTRS} fails when the metadata is another attempt's`, () =>
    expectCheckFails(ATTRS, [containerStats((res) => void (res.stats.attributes.metadata = { ...res.stats.attributes.metadata, attempt: 1 }))],
      /ContainerStats: attributes\.metadata: expected \{ name: '[^']*attrs[^']*', attempt: 0 \}, got \{ name: '[^']*attrs[^']*', attempt: 1 \}/));

  it(`${ATTRS} fails when ContainerStats answers without stats`, () =>
    expectCheckFails(ATTRS, [containerStats((res) => void (res.stats = null))],
      /ContainerStats: stats: expected stats for container [0-9a-f]{64}, got none/));

  // ContainerStats: memory
  it(`${MEM} fails when the working set is zero`, () =>
    expectCheckFails(MEM, [containerStats((res) => void (res.stats.memory.working_set_bytes = { value: '0' }))],
      /ContainerStats: memory\.working_set_bytes: expected between 40265318 and 184549376, got "0"/));

  it(`${MEM} fails when the working set is reported in KiB`, () =>
    expectCheckFails(MEM, [containerStats((res) => {
      const w = res.stats.memory.working_set_bytes;
      w.value = String(BigInt(w.value) / 1024n);
    })], /ContainerStats: memory\.working_set_bytes: expected between/));

  it(`${MEM} fails when the usage is below the working set`, () =>
    expectCheckFails(MEM, [containerStats((res) => {
      const m = res.stats.memory;
      m.usage_bytes = { value: String(BigInt(m.working_set_bytes.value) - 4096n) };
    })], /ContainerStats: memory\.usage_bytes: expected >= (\d+), got "\d+" \(the working set is usage minus inactive file cache\)/));

  // ContainerStats: writable layer
  it(`${LAYER} fails when the writable layer usage stays zero`, () =>
    expectCheckFails(LAYER, [containerStats((res) => void (res.stats.writable_layer.used_bytes = { value: '0' }))],
      /ContainerStats: writable_layer\.used_bytes: expected between 8388608 and 25165824, got "0"/));

  it(`${LAYER} fails when there is no writable layer usage`, () =>
    expectCheckFails(LAYER, [containerStats((res) => void (res.stats.writable_layer = null))], /ContainerStats: writable_layer: expected the usage/));

  it(`${LAYER} fails when the writable layer reports no inodes used`, () =>
    expectCheckFails(LAYER, [containerStats((res) => void (res.stats.writable_layer.inodes_used = { value: '0' }))],
      /ContainerStats: writable_layer\.inodes_used: expected >= 1, got "0" \(at least the written file; polled \d+\.\d s, 3 periods: /));

  it(`${LAYER} fails when the writable layer has no fs_id`, () =>
    expectCheckFails(LAYER, [containerStats((res) => void (res.stats.writable_layer.fs_id = null))],
      /ContainerStats: writable_layer\.fs_id\.mountpoint: expected a non-empty value, got undefined \(the kubelet matches it against the image filesystem\)/));

  // ContainerStats: unknown container
  it(`${UNKNOWN} fails when stats are returned for an unknown container`, () =>
    expectCheckFails(UNKNOWN, [{ rpc: 'ContainerStats', respond: () => ({ stats: { attributes: { id: 'x' } } }) }], /ContainerStats: expected an error for the unknown container/));

  it(`${UNKNOWN} passes with any error, not only NOT_FOUND (api.proto: "returns an error")`, async () => {
    const r = await runOne(UNKNOWN, [{ rpc: 'ContainerStats', error: { code: Status.INTERNAL, details: 'no such container' } }]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${UNKNOWN_CODE} fails when stats are returned for an unknown container`, () =>
    expectCheckFails(UNKNOWN_CODE, [{ rpc: 'ContainerStats', respond: () => ({ stats: { attributes: { id: 'x' } } }) }], /ContainerStats: expected an error for the unknown container/));

  it(`${UNKNOWN_CODE} fails when the error code is not NOT_FOUND`, () =>
    expectCheckFails(UNKNOWN_CODE, [{ rpc: 'ContainerStats', error: { code: Status.INTERNAL, details: 'boom' } }],
      /ContainerStats: error code \(unknown container\): expected "NOT_FOUND", got "INTERNAL" \(boom\)/));

  // ListContainerStats
  it(`${L_ALL} fails when containers are missing from the unfiltered list`, () =>
    expectCheckFails(L_ALL, [{ rpc: 'ListContainerStats', mutate: (res) => void (res.stats = res.stats.filter((s: { attributes: { labels: Record<string, string> } }) => !('crc-stats-group' in s.attributes.labels))) }],
      /ListContainerStats: stats\[\]\.attributes\.id \(no filter\): expected to include "[0-9a-f]{64}"/));

  it(`${L_ALL} fails when the listed stats carry no CPU sample`, () =>
    expectCheckFails(L_ALL, [{ rpc: 'ListContainerStats', mutate: (res) => void res.stats.forEach((s: { cpu: unknown }) => void (s.cpu = null)) }],
      /ListContainerStats: stats\[[0-9a-f]{12}\]\.cpu\.timestamp: expected > 0, got undefined/));

  it(`${L_ALL} fails when the listed memory samples have no timestamp`, () =>
    expectCheckFails(L_ALL, [{ rpc: 'ListContainerStats', mutate: (res) => void res.stats.forEach((s: { memory?: { timestamp: string } }) => void (s.memory && (s.memory.timestamp = '0'))) }],
      /ListContainerStats: stats\[[0-9a-f]{12}\]\.memory\.timestamp: expected > 0, got "0"/));

  it(`${L_ID} fails when filter.id is ignored`, () =>
    expectCheckFails(L_ID, [{ rpc: 'ListContainerStats', mutateRequest: (req) => void (req.filter = null) }],
      /ListContainerStats: stats\[\]\.attributes\.id \(filter\.id=[0-9a-f]{12}\): expected exactly \["[0-9a-f]{64}"\] in any order/));

  it(`${L_POD} fails when filter.pod_sandbox_id is ignored`, () =>
    expectCheckFails(L_POD, [{ rpc: 'ListContainerStats', mutateRequest: (req) => void (req.filter.pod_sandbox_id = '') }],
      /ListContainerStats: stats\[\]\.attributes\.id \(filter\.pod_sandbox_id=[0-9a-f]{12}\): expected exactly \[/));

  it(`${L_LABEL} fails when filter.label_selector is ignored`, () =>
    expectCheckFails(L_LABEL, [{ rpc: 'ListContainerStats', mutateRequest: (req) => void (req.filter.label_selector = {}) }],
      /ListContainerStats: stats\[\]\.attributes\.id \(filter\.label_selector=\{"crc-stats-group":"group-[0-9a-f]+"\}\): expected exactly \[/));

  it(`${L_AND} fails when the filters are combined with OR (label selector dropped)`, () =>
    expectCheckFails(L_AND, [{ rpc: 'ListContainerStats', mutateRequest: (req) => void (req.filter.label_selector = {}) }],
      /ListContainerStats: stats\[\]\.attributes\.id \(filter\.pod_sandbox_id AND filter\.label_selector\): expected exactly \["[0-9a-f]{64}"\] in any order/));

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
