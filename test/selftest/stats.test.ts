// Self-tests: each stats check fails when the runtime reports wrong numbers, ignores a filter, or
// answers for something it does not know. containerd 1.6 does not serve the sandbox-metrics RPCs, so the
// proxy answers them (`respond`) to drive those checks, both ways.
import { expect } from 'chai';
import { Status, expectCheckFails, runOne, type Fault } from '../support/selftest.js';

const CS = 'stats/ContainerStats ';
const LCS = 'stats/ListContainerStats ';

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

const containerStats = (mutate: Fault['mutate']): Fault => ({ rpc: 'ContainerStats', mutate });

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
});
