// Self-tests: each pod sandbox check fails with a useful message when the runtime answers wrong.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostname as nodeHostname } from 'node:os';
import { expect } from 'chai';
import { Status, expectCheckFails, runOne, type Fault } from '../support/selftest.js';

const P = 'pod-sandbox/PodSandbox ';
const RUN = `${P}runtime should run a PodSandbox and report it SANDBOX_READY in PodSandboxStatus and ListPodSandbox [Conformance]`;
const ATTRS = `${P}PodSandboxStatus should echo metadata, labels and annotations and report created_at, the pod IP and namespace options [Conformance]`;
const DNS = `${P}runtime should apply the sandbox hostname and DNS config to its containers [Conformance]`;
const SYSCTL = `${P}runtime should apply safe namespaced sysctls from the sandbox config [Conformance]`;
const LIST = `${P}ListPodSandbox should filter by id, by state, by label_selector and by their combination [Conformance]`;
const STOP = `${P}runtime should stop a PodSandbox: SANDBOX_NOTREADY and its running containers exited [Conformance]`;
const REMOVE = `${P}runtime should remove a stopped PodSandbox: gone from ListPodSandbox, PodSandboxStatus answers NOT_FOUND [Conformance]`;
const FORCE = `${P}RemovePodSandbox should forcibly stop and remove a ready sandbox and its running container that ignores SIGTERM [Conformance]`;
const DUP = `${P}runtime should refuse RunPodSandbox with the name, uid, namespace and attempt of a live sandbox, or answer that same sandbox [Conformance]`;
const PORTS = `${P}runtime should forward a sandbox port mapping on a node address to the pod [Optional]`;
const PORTS_LO = `${P}runtime should also forward a sandbox port mapping on the node's loopback address [Optional]`;
const PORTS_IP = `${P}runtime should forward a sandbox port mapping with a host_ip on that node address only [Optional]`;
const LOG_DIR = `${P}runtime should write a container's log under the sandbox's log_directory on the node [Conformance]`;
const PRIV = `${P}runtime should run a privileged container in a sandbox that says privileged [Conformance]`;

/** The test must pass under these faults: an answer the contract allows is accepted. */
async function expectPasses(id: string, faults: Fault[]): Promise<void> {
  const r = await runOne(id, faults);
  expect(r.status, `expected "${id}" to pass: ${r.message ?? ''}`).to.equal('passed');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** Rewrites the request of the n-th call (1-based) of `rpc` only; earlier and later calls pass through. */
function onCall(rpc: string, n: number, rewrite: (req: Msg) => void): Fault {
  let seen = 0;
  return { rpc, mutateRequest: (req) => void (++seen === n && rewrite(req)) };
}

/** Rewrites the answer of the n-th call (1-based) of `rpc` only; earlier and later answers pass through. */
function onAnswer(rpc: string, n: number, edit: (res: Msg, req: Msg) => void): Fault {
  let seen = 0;
  return { rpc, mutate: (res, req) => void (++seen === n && edit(res, req)) };
}

/** ListPodSandbox answers to a filter by id only (not the harness's sweep, which filters by its run label). */
const byId = (req: Msg): boolean => Boolean(req.filter?.id);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** ExecSync answers for `cat <file>` replaced by `edit(stdout)`. */
function catAnswer(file: string, edit: (s: string) => string): Fault {
  return {
    rpc: 'ExecSync',
    mutate: (res, req) => void (req.cmd?.[0] === 'cat' && req.cmd[1] === file && (res.stdout = Buffer.from(edit(res.stdout.toString('utf8'))))),
  };
}

describe('self-test: pod-sandbox', function () {
  this.timeout(600_000);

  it(`${RUN} fails when PodSandboxStatus says SANDBOX_NOTREADY`, () =>
    expectCheckFails(RUN, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.state = 'SANDBOX_NOTREADY') }],
      /PodSandboxStatus: status\.state: expected "SANDBOX_READY", got "SANDBOX_NOTREADY"/));

  it(`${RUN} fails when ListPodSandbox returns more than the filtered id`, () =>
    expectCheckFails(RUN, [{ rpc: 'ListPodSandbox', mutate: (r) => void r.items.push({ ...r.items[0], id: 'f'.repeat(64) }) }],
      /ListPodSandbox: items\[\]\.id \(filter id=[0-9a-f]+\): expected \[ '[0-9a-f]+' \], got \[/));

  it(`${RUN} fails when RunPodSandbox answers no pod_sandbox_id`, () =>
    expectCheckFails(RUN, [{ rpc: 'RunPodSandbox', mutate: (r) => void (r.pod_sandbox_id = '') }],
      /RunPodSandbox: pod_sandbox_id: expected a non-empty value, got ""/));

  it(`${RUN} fails when PodSandboxStatus reports another sandbox's id`, () =>
    expectCheckFails(RUN, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.id = 'f'.repeat(64)) }],
      /PodSandboxStatus: status\.id: expected "(?!f{64})[0-9a-f]{64}", got "f{64}"/));

  it(`${RUN} fails when ListPodSandbox says SANDBOX_NOTREADY`, () =>
    expectCheckFails(RUN, [{ rpc: 'ListPodSandbox', when: byId, mutate: (r) => r.items.forEach((i: Msg) => (i.state = 'SANDBOX_NOTREADY')) }],
      /ListPodSandbox: items\[0\]\.state: expected "SANDBOX_READY", got "SANDBOX_NOTREADY"/));

  it(`${ATTRS} fails when metadata.name is not echoed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.metadata.name = 'other') }],
      /PodSandboxStatus: status\.metadata\.name: expected "crc-attrs-[0-9a-f]+", got "other"/));

  it(`${ATTRS} fails when metadata.uid is not echoed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.metadata.uid = '') }],
      /PodSandboxStatus: status\.metadata\.uid: expected "crc-attrs-[0-9a-f]+-uid-[0-9a-f]+", got ""/));

  it(`${ATTRS} fails when metadata.namespace is not echoed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.metadata.namespace = 'default') }],
      /PodSandboxStatus: status\.metadata\.namespace: expected "crc-ns-[0-9a-f]+", got "default"/));

  it(`${ATTRS} fails when attempt is not echoed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.metadata.attempt = 0) }],
      /PodSandboxStatus: status\.metadata\.attempt: expected 2, got 0/));

  it(`${ATTRS} passes when the runtime adds labels of its own (CRI-O does)`, () =>
    expectPasses(ATTRS, [
      { rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.labels['io.example.runtime/own'] = 'x') },
      { rpc: 'ListPodSandbox', mutate: (r) => r.items.forEach((i: Msg) => (i.labels['io.example.runtime/own'] = 'x')) },
    ]));

  it(`${ATTRS} fails when a given label is changed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.labels['crc.example/app'] = 'other') }],
      /PodSandboxStatus: status\.labels \(the ones given\): expected \{.*'crc\.example\/app': 'attrs'.*\}, got \{.*'crc\.example\/app': 'other'.*\} \(all labels: /));

  it(`${ATTRS} fails when an annotation is added (annotations must be identical)`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.annotations.extra = 'x') }],
      /PodSandboxStatus: status\.annotations: expected \{.*\}, got \{.*extra: 'x'/));

  it(`${ATTRS} fails when an annotation is dropped`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void delete r.status.annotations['crc.example/empty'] }],
      /PodSandboxStatus: status\.annotations: expected/));

  it(`${ATTRS} fails when created_at is zero`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.created_at = '0') }],
      /PodSandboxStatus: status\.created_at \(ns since epoch\): expected between \d+ and \d+, got "0"/));

  it(`${ATTRS} fails when created_at is in seconds, not nanoseconds`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.created_at = String(BigInt(r.status.created_at) / 1_000_000_000n)) }],
      /status\.created_at \(ns since epoch\): expected between/));

  it(`${ATTRS} fails when the pod IP is missing`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.network = null) }],
      /PodSandboxStatus: status\.network\.ip: expected a value matching .*, got "" \(a pod-network sandbox has a pod IP\)/));

  it(`${ATTRS} fails when namespace options are missing`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux = null) }],
      /PodSandboxStatus: status\.linux\.namespaces\.options: expected the namespace options of the sandbox, got none/));

  it(`${ATTRS} fails when the pid namespace mode is not echoed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux.namespaces.options.pid = 'POD') }],
      /status\.linux\.namespaces\.options\.pid: expected "CONTAINER", got "POD"/));

  it(`${ATTRS} fails when the network namespace mode is not echoed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux.namespaces.options.network = 'NODE') }],
      /PodSandboxStatus: status\.linux\.namespaces\.options\.network: expected "POD", got "NODE"/));

  it(`${ATTRS} fails when the ipc namespace mode is not echoed`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux.namespaces.options.ipc = 'NODE') }],
      /PodSandboxStatus: status\.linux\.namespaces\.options\.ipc: expected "POD", got "NODE"/));

  it(`${ATTRS} fails when ListPodSandbox does not find the sandbox by id`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'ListPodSandbox', when: byId, mutate: (r) => void (r.items = []) }],
      /ListPodSandbox: items: expected sandbox [0-9a-f]{64} \(filter id\), got none/));

  it(`${ATTRS} fails when ListPodSandbox reports another attempt than PodSandboxStatus`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'ListPodSandbox', when: byId, mutate: (r) => r.items.forEach((i: Msg) => (i.metadata.attempt = 0)) }],
      /ListPodSandbox: items\[0\]\.metadata: expected \{[^}]*name: 'crc-attrs-[0-9a-f]+'[^}]*attempt: 2 \}, got \{[^}]*attempt: 0 \}/));

  it(`${ATTRS} fails when ListPodSandbox drops the labels`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'ListPodSandbox', mutate: (r) => r.items.forEach((i: Msg) => (i.labels = {})) }],
      /ListPodSandbox: items\[0\]\.labels \(the ones given\): expected \{.*\}, got \{\}/));

  it(`${ATTRS} fails when ListPodSandbox drops the annotations`, () =>
    expectCheckFails(ATTRS, [{ rpc: 'ListPodSandbox', when: byId, mutate: (r) => r.items.forEach((i: Msg) => (i.annotations = {})) }],
      /ListPodSandbox: items\[0\]\.annotations: expected \{.*'crc\.example\/note': 'preserve me'.*\}, got \{\}/));

  it(`${ATTRS} fails when ListPodSandbox reports created_at in seconds`, () =>
    expectCheckFails(ATTRS, [{
      rpc: 'ListPodSandbox', when: byId,
      mutate: (r) => r.items.forEach((i: Msg) => (i.created_at = String(BigInt(i.created_at) / 1_000_000_000n))),
    }], /ListPodSandbox: items\[0\]\.created_at: expected "\d{19}", got "\d{10}" \(same sandbox, same creation time as PodSandboxStatus\)/));

  it(`${DNS} fails when the hostname is not applied`, () =>
    expectCheckFails(DNS, [onCall('RunPodSandbox', 1, (req) => (req.config.hostname = 'wrong-host'))],
      /ExecSync: cat \/etc\/hostname: expected "crc-host-[0-9a-f]+", got "wrong-host"/));

  it(`${DNS} fails when /etc/hostname is missing in the container`, () =>
    expectCheckFails(DNS, [{
      rpc: 'ExecSync',
      when: (req) => req.cmd?.[0] === 'cat' && req.cmd[1] === '/etc/hostname',
      mutate: (r) => void Object.assign(r, { exit_code: 1, stdout: Buffer.alloc(0), stderr: Buffer.from("cat: can't open '/etc/hostname': No such file or directory\n") }),
    }], /ExecSync: exit_code \(cat \/etc\/hostname\): expected 0, got 1 \(cat: can't open '\/etc\/hostname': No such file or directory\)/));

  it(`${DNS} fails when only /etc/hostname is written and the UTS hostname is the node's`, () =>
    expectCheckFails(DNS, [{ rpc: 'ExecSync', when: (req) => req.cmd?.[0] === 'hostname', mutate: (r) => void (r.stdout = Buffer.from(`${nodeHostname()}\n`)) }],
      new RegExp(`ExecSync: hostname \\(UTS namespace\\): expected "crc-host-[0-9a-f]+", got "${escape(nodeHostname())}" \\(PodSandboxConfig\\.hostname\\)`)));

  it(`${DNS} fails when the nameservers are reordered`, () =>
    expectCheckFails(DNS, [onCall('RunPodSandbox', 1, (req) => req.config.dns_config.servers.reverse())],
      /ExecSync: \/etc\/resolv\.conf nameserver lines: expected \[ '10\.233\.0\.53', '10\.233\.0\.54' \], got \[ '10\.233\.0\.54', '10\.233\.0\.53' \]/));

  it(`${DNS} fails when a search domain is missing`, () =>
    expectCheckFails(DNS, [onCall('RunPodSandbox', 1, (req) => req.config.dns_config.searches.pop())],
      /ExecSync: \/etc\/resolv\.conf search domains: expected \[ 'crc\.svc\.cluster\.local', 'example\.test' \], got \[ 'crc\.svc\.cluster\.local' \]/));

  it(`${DNS} fails when the options line is missing`, () =>
    expectCheckFails(DNS, [catAnswer('/etc/resolv.conf', (s) => s.replace(/^options.*$/m, ''))],
      /ExecSync: \/etc\/resolv\.conf options: expected exactly \["ndots:5", "timeout:2"\] in any order, got \[\]/));

  it(`${SYSCTL} fails when a sysctl is not applied`, () =>
    expectCheckFails(SYSCTL, [
      onCall('RunPodSandbox', 1, (req) => delete req.config.linux.sysctls['kernel.shm_rmid_forced']),
      onCall('CreateContainer', 1, (req) => delete req.sandbox_config.linux.sysctls['kernel.shm_rmid_forced']),
    ], /ExecSync: \/proc\/sys\/kernel\/shm_rmid_forced: expected "1", got "0" \(linux\.sysctls\[kernel\.shm_rmid_forced\]\)/));

  it(`${SYSCTL} fails when the network sysctl reads differently`, () =>
    expectCheckFails(SYSCTL, [catAnswer('/proc/sys/net/ipv4/ip_unprivileged_port_start', () => '1024\n')],
      /ExecSync: \/proc\/sys\/net\/ipv4\/ip_unprivileged_port_start: expected "1000", got "1024"/));

  it(`${LIST} fails when ListPodSandbox ignores the filter`, () =>
    expectCheckFails(LIST, [{ rpc: 'ListPodSandbox', mutateRequest: (req) => void (req.filter = null) }],
      /ListPodSandbox: items\[\] \(filter id=a\): expected exactly \["a"\] in any order, got \[/));

  it(`${LIST} fails when ListPodSandbox ignores label_selector`, () =>
    expectCheckFails(LIST, [{ rpc: 'ListPodSandbox', mutateRequest: (req) => void (req.filter && (req.filter.label_selector = {})) }],
      /ListPodSandbox: items\[\] \(filter label [^)]*\): expected exactly \[("[abc]"(, )?)+\] in any order, got \[/));

  it(`${LIST} fails when ListPodSandbox ignores the state filter`, () =>
    expectCheckFails(LIST, [{ rpc: 'ListPodSandbox', mutateRequest: (req) => void (req.filter && (req.filter.state = null)) }],
      /ListPodSandbox: items\[\] \(filter (label group=g1 AND state=SANDBOX_READY|id=a AND state=SANDBOX_NOTREADY)\): expected exactly/));

  it(`${LIST} fails when ListPodSandbox ORs id and labels`, () =>
    expectCheckFails(LIST, [{
      rpc: 'ListPodSandbox',
      // Only the id is honoured when both are set: the AND with label_selector is lost.
      mutateRequest: (req) => void (req.filter?.id && (req.filter.label_selector = {})),
    }], /ListPodSandbox: items\[\] \(filter id=b AND label group=g1\): expected exactly \[\] in any order, got \[ 'b' \]/));

  it(`${LIST} fails when a state filter alone misses one of this test's sandboxes`, () =>
    expectCheckFails(LIST, [{
      rpc: 'ListPodSandbox',
      when: (req) => req.filter?.state?.state === 'SANDBOX_READY' && !req.filter.id && !Object.keys(req.filter.label_selector ?? {}).length,
      mutate: (r) => void (r.items = r.items.filter((i: Msg) => i.labels?.['crc.example/tier'] !== 'b')),
    }], /ListPodSandbox: items\[\] of this test \(filter state=SANDBOX_READY\): expected exactly \["a", "b"\] in any order, got \[ 'a' \]/));

  it(`${LIST} fails when a listed item has the wrong state`, () =>
    expectCheckFails(LIST, [{
      rpc: 'ListPodSandbox',
      mutate: (r, req) => void (req.filter?.state?.state === 'SANDBOX_NOTREADY' && !req.filter.id && !Object.keys(req.filter.label_selector ?? {}).length &&
        r.items.push({ ...r.items[0], id: 'e'.repeat(64), state: 'SANDBOX_READY' })),
    }], /ListPodSandbox: items\[eeeeeeeeeeee\]\.state \(filter state=SANDBOX_NOTREADY\): expected "SANDBOX_NOTREADY", got "SANDBOX_READY"/));

  it(`${STOP} fails when the sandbox still reports SANDBOX_READY`, () =>
    expectCheckFails(STOP, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.state = 'SANDBOX_READY') }],
      /PodSandboxStatus: status\.state: expected "SANDBOX_NOTREADY", got "SANDBOX_READY" \(after StopPodSandbox of it; /));

  it(`${STOP} fails when the container is not running before the stop`, () =>
    expectCheckFails(STOP, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.state = 'CONTAINER_EXITED') }],
      /ContainerStatus: status\.state \(before StopPodSandbox\): expected "CONTAINER_RUNNING", got "CONTAINER_EXITED"/));

  it(`${STOP} fails when ListPodSandbox still says SANDBOX_READY`, () =>
    expectCheckFails(STOP, [{ rpc: 'ListPodSandbox', when: byId, mutate: (r) => r.items.forEach((i: Msg) => (i.state = 'SANDBOX_READY')) }],
      /ListPodSandbox: items\[0\]\.state: expected "SANDBOX_NOTREADY", got "SANDBOX_READY" \(after StopPodSandbox\)/));

  it(`${STOP} fails when the exited container has no finished_at`, () =>
    expectCheckFails(STOP, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.state === 'CONTAINER_EXITED' && (r.status.finished_at = '0')) }],
      /ContainerStatus: status\.finished_at: expected a non-empty value, got "0"/));

  it(`${STOP} fails when StopPodSandbox leaves the container running`, () => {
    // Only the sandbox the call names is said to be stopped: the other one stays ready, as it really is.
    let stopped = '';
    return expectCheckFails(STOP, [
      { rpc: 'StopPodSandbox', respond: (req) => ((stopped ||= req.pod_sandbox_id), {}) },
      { rpc: 'PodSandboxStatus', mutate: (r, req) => void (req.pod_sandbox_id === stopped && (r.status.state = 'SANDBOX_NOTREADY')) },
      { rpc: 'ListPodSandbox', mutate: (r) => r.items.forEach((i: Msg) => void (i.id === stopped && (i.state = 'SANDBOX_NOTREADY'))) },
    ], /ContainerStatus: status\.state: expected "CONTAINER_EXITED", got "CONTAINER_RUNNING" \(containers of a stopped sandbox must be terminated\)/);
  });

  it(`${REMOVE} fails when ListPodSandbox still lists the removed sandbox`, () =>
    expectCheckFails(REMOVE, [{
      rpc: 'ListPodSandbox',
      mutate: (r, req) => void (req.filter?.id && r.items.length === 0 && r.items.push({ id: req.filter.id, metadata: null, state: 'SANDBOX_NOTREADY', created_at: '1', labels: {}, annotations: {}, runtime_handler: '' })),
    }], /ListPodSandbox: items\[\]\.id \(filter id of the removed sandbox\): expected no value, got \[ '[0-9a-f]+' \]/));

  it(`${REMOVE} fails when the unfiltered ListPodSandbox still lists the removed sandbox`, () => {
    let removed = '';
    return expectCheckFails(REMOVE, [
      { rpc: 'RemovePodSandbox', mutate: (_r, req) => void (removed ||= req.pod_sandbox_id) },
      {
        rpc: 'ListPodSandbox',
        when: (req) => !req.filter,
        mutate: (r) => void (removed && r.items.push({ id: removed, metadata: null, state: 'SANDBOX_NOTREADY', created_at: '1', labels: {}, annotations: {}, runtime_handler: '' })),
      },
    ], /ListPodSandbox: items\[\]\.id \(no filter\): expected not to include "[0-9a-f]{64}", got \[.*\] \(the sandbox was removed\)/);
  });

  it(`${REMOVE} fails when PodSandboxStatus answers a removed sandbox`, () =>
    expectCheckFails(REMOVE, [{ rpc: 'PodSandboxStatus', respond: (req) => ({ status: { id: req.pod_sandbox_id, state: 'SANDBOX_NOTREADY' } }) }],
      /PodSandboxStatus: expected an error \(NOT_FOUND: sandbox [0-9a-f]+ was removed\), got success/));

  it(`${REMOVE} fails when PodSandboxStatus answers UNKNOWN instead of NOT_FOUND`, () =>
    expectCheckFails(REMOVE, [{ rpc: 'PodSandboxStatus', error: { code: Status.UNKNOWN, details: 'boom' } }],
      /PodSandboxStatus: expected NOT_FOUND \(sandbox [0-9a-f]+ was removed\), got UNKNOWN: boom/));

  it(`${REMOVE} fails when the container of the removed sandbox is still there`, () =>
    expectCheckFails(REMOVE, [{ rpc: 'ContainerStatus', respond: (req) => ({ status: { id: req.container_id, state: 'CONTAINER_EXITED' } }) }],
      /ContainerStatus: expected an error \(NOT_FOUND: container [0-9a-f]+ belonged to the removed sandbox [0-9a-f]+\), got success/));

  it(`${FORCE} fails when RemovePodSandbox refuses a ready sandbox`, () =>
    expectCheckFails(FORCE, [onCall('RemovePodSandbox', 1, (req) => (req.pod_sandbox_id = ''))],
      /RemovePodSandbox \(ready sandbox [0-9a-f]{64}, its container ignores SIGTERM, deadline 20\.0 s\): expected success, got UNKNOWN after \d+\.\d s: /));

  it(`${FORCE} passes when the first call runs out of its deadline and the retry removes the sandbox (CRI-O spends the deadline as grace period)`, () => {
    let n = 0;
    return expectPasses(FORCE, [{ rpc: 'RemovePodSandbox', when: () => ++n === 1, error: { code: Status.DEADLINE_EXCEEDED, details: 'Deadline Exceeded' } }]);
  });

  it(`${FORCE} fails when neither the call nor its retry removes the sandbox in time`, () => {
    // Until the cleanup's StopPodSandbox: the cleanup's own removal must go through, or the lab keeps the sandbox.
    let cleanup = false;
    return expectCheckFails(FORCE, [
      { rpc: 'StopPodSandbox', mutateRequest: () => void (cleanup = true) },
      { rpc: 'RemovePodSandbox', when: () => !cleanup, error: { code: Status.DEADLINE_EXCEEDED, details: 'Deadline Exceeded' } },
    ], /RemovePodSandbox \(ready sandbox [0-9a-f]{64}, .*\): expected the sandbox removed by a call or its retry, got: first call DEADLINE_EXCEEDED after \d+\.\d s: .*; retry DEADLINE_EXCEEDED after \d+\.\d s: .* in all; /);
  });

  it(`${FORCE} fails when ListContainers still lists the sandbox's container`, () =>
    expectCheckFails(FORCE, [{ rpc: 'ListContainers', mutate: (r, req) => void (req.filter?.pod_sandbox_id && r.containers.push({ id: 'c'.repeat(64), pod_sandbox_id: req.filter.pod_sandbox_id })) }],
      /ListContainers: containers\[\]\.id \(filter pod_sandbox_id of the removed sandbox\): expected no value, got \[ 'c{64}' \]/));

  it(`${DUP} fails when a second sandbox with the same metadata is made`, () =>
    expectCheckFails(DUP, [onCall('RunPodSandbox', 2, (req) => (req.config.metadata.attempt = 7))],
      /RunPodSandbox \(same metadata as the ready sandbox [0-9a-f]{64}: name=crc-dup-[0-9a-f]+ .*attempt=0\): expected an error or the same sandbox id [0-9a-f]{64}, got a second sandbox [0-9a-f]{64}/));

  it(`${DUP} passes when the runtime answers the sandbox it already has (CRI-O)`, () => {
    let first = '';
    let n = 0;
    return expectPasses(DUP, [
      // The repeated call is answered here with the first id (containerd itself refuses it).
      { rpc: 'RunPodSandbox', when: () => ++n === 2, respond: () => ({ pod_sandbox_id: first }) },
      { rpc: 'RunPodSandbox', mutate: (r) => void (first ||= r.pod_sandbox_id) },
    ]);
  });

  it(`${DUP} fails when the rejected duplicate disturbs the original sandbox`, () =>
    expectCheckFails(DUP, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.state = 'SANDBOX_NOTREADY') }],
      /PodSandboxStatus: status\.state \(original sandbox after the repeated RunPodSandbox\): expected "SANDBOX_READY", got "SANDBOX_NOTREADY"/));

  it(`${DUP} fails when the rejected duplicate was created anyway`, () =>
    expectCheckFails(DUP, [onAnswer('ListPodSandbox', 1, (r) => r.items.push({ ...r.items[0], id: 'd'.repeat(64) }))],
      /ListPodSandbox: items\[\]\.id with metadata\.name=crc-dup-[0-9a-f]+: expected \[ '(?!d{64})[0-9a-f]{64}' \], got \[ '[0-9a-f]{64}', 'd{64}' \]/));

  it(`${PORTS} fails when the port mapping is not applied`, () =>
    expectCheckFails(PORTS, [onCall('RunPodSandbox', 1, (req) => (req.config.port_mappings = []))],
      /node -> http:\/\/[0-9a-f.:[\]]+:\d+\/index\.html: expected an HTTP answer through port_mappings\[\{container_port: 8080, host_port: \d+, host_ip: ""\}\], got .* is this node's address on the route to the pod /));

  it(`${PORTS_LO} fails when the port mapping is not applied and another server on the node answers the host port`, async () => {
    let stray: Server | undefined;
    try {
      await expectCheckFails(PORTS_LO, [onCall('RunPodSandbox', 1, (req) => {
        // A listen error must fail this self-test, not escape as an uncaught error into whatever runs next.
        stray = createServer((_q, res) => res.end('some other service on the node\n')).on('error', (e) => console.error(`self-test: the stray server could not listen: ${e.message}`));
        stray.listen(req.config.port_mappings[0].host_port, '127.0.0.1');
        req.config.port_mappings = [];
      })], /GET http:\/\/127\.0\.0\.1:\d+\/index\.html: body: expected to include "cri-conformance webserver OK", got "some other service on the node\\n" \(loopback is a node address too/);
    } finally {
      stray?.closeAllConnections();
      await new Promise((done) => (stray ? stray.close(done) : done(undefined)));
    }
  });
  it(`${PORTS} fails when the mapping targets another container port`, () =>
    expectCheckFails(PORTS, [onCall('RunPodSandbox', 1, (req) => (req.config.port_mappings[0].container_port = 8081))],
      /node -> http:\/\/[0-9a-f.:[\]]+:\d+\/index\.html: expected an HTTP answer through port_mappings\[\{container_port: 8080, host_port: \d+, host_ip: ""\}\], got /));

  it(`${PORTS} fails when the mapping is made for UDP instead of TCP`, () =>
    expectCheckFails(PORTS, [onCall('RunPodSandbox', 1, (req) => (req.config.port_mappings[0].protocol = 'UDP'))],
      /node -> http:\/\/[0-9a-f.:[\]]+:\d+\/index\.html: expected an HTTP answer through port_mappings\[\{container_port: 8080, host_port: \d+, host_ip: ""\}\], got /));

  it(`${PORTS_IP} fails when the runtime ignores host_ip and forwards on every node address`, () =>
    expectCheckFails(PORTS_IP, [onCall('RunPodSandbox', 1, (req) => (req.config.port_mappings[0].host_ip = ''))],
      /GET http:\/\/127\.0\.0\.1:\d+\/index\.html: answer: expected no value, got "HTTP 200" \(port_mappings\[\{host_port: \d+, host_ip: "[0-9.]+"\}\] binds [0-9.]+ only/));

  it(`${PORTS_IP} fails when the port is not forwarded on host_ip`, () =>
    expectCheckFails(PORTS_IP, [onCall('RunPodSandbox', 1, (req) => (req.config.port_mappings = []))],
      /node -> http:\/\/[0-9.]+:\d+\/index\.html: expected an HTTP answer through port_mappings\[\{container_port: 8080, host_port: \d+, host_ip: "[0-9.]+"\}\], got /));

  it(`${LOG_DIR} fails when the runtime writes the log under another directory`, async () => {
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'crc-selftest-logdir-'));
    try {
      await expectCheckFails(LOG_DIR, [
        onCall('RunPodSandbox', 1, (req) => (req.config.log_directory = elsewhere)),
        onCall('CreateContainer', 1, (req) => {
          req.sandbox_config.log_directory = elsewhere;
          mkdirSync(path.join(elsewhere, path.dirname(req.config.log_path)), { recursive: true });
        }),
      ], /log file \/.*\/crc-logdir-[0-9a-f]+\/0\.log: expected the file to exist \(the line "marker-crc-logdir-[0-9a-f]+" the container printed, in log_directory .*\), got no file/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it(`${PRIV} fails when the sandbox is not privileged (the runtime refuses the privileged container)`, () =>
    expectCheckFails(PRIV, [
      onCall('RunPodSandbox', 1, (req) => (req.config.linux.security_context.privileged = false)),
      onCall('CreateContainer', 1, (req) => (req.sandbox_config.linux.security_context.privileged = false)),
    ], /CreateContainer\/StartContainer \(privileged, in the privileged sandbox\): expected success \(a privileged container in a sandbox with linux\.security_context\.privileged true\), got [A-Z_]+: /));

  it(`${PRIV} fails when the privileged container is not running`, () =>
    expectCheckFails(PRIV, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.state = 'CONTAINER_EXITED') }],
      /ContainerStatus: status\.state: expected "CONTAINER_RUNNING", got "CONTAINER_EXITED" \(the privileged container of the privileged sandbox\)/));

  it(`${STOP} fails when StopPodSandbox stops another sandbox than the one it names`, () => {
    let other = '';
    return expectCheckFails(STOP, [
      { rpc: 'RunPodSandbox', mutate: (r, req) => void (req.config.metadata.name.includes('stop-other') && (other = r.pod_sandbox_id)) },
      onCall('StopPodSandbox', 1, (req) => (req.pod_sandbox_id = other)),
    ], /PodSandboxStatus: status\.state: expected "SANDBOX_NOTREADY", got "SANDBOX_READY" \(after StopPodSandbox of it; /);
  });

  it(`${STOP} fails when the sandbox StopPodSandbox does not name is stopped too`, () => {
    let other = '';
    return expectCheckFails(STOP, [
      { rpc: 'RunPodSandbox', mutate: (r, req) => void (req.config.metadata.name.includes('stop-other') && (other = r.pod_sandbox_id)) },
      { rpc: 'PodSandboxStatus', mutate: (r, req) => void (req.pod_sandbox_id === other && (r.status.state = 'SANDBOX_NOTREADY')) },
    ], /PodSandboxStatus: status\.state \(the other sandbox\): expected "SANDBOX_READY", got "SANDBOX_NOTREADY" \(StopPodSandbox named [0-9a-f]{64}, not this one\)/);
  });

  it(`${REMOVE} fails when the sandbox RemovePodSandbox does not name is gone too`, () => {
    let other = '';
    return expectCheckFails(REMOVE, [
      { rpc: 'RunPodSandbox', mutate: (r, req) => void (req.config.metadata.name.includes('remove-other') && (other = r.pod_sandbox_id)) },
      { rpc: 'ListPodSandbox', mutate: (r, req) => void (other && req.filter?.id === other && (r.items = [])) },
    ], /ListPodSandbox: items\[0\]\.id \(filter id of the other, stopped sandbox\): expected "[0-9a-f]{64}", got undefined \(RemovePodSandbox named [0-9a-f]{64}, not this one\)/);
  });

  it(`${LIST} fails when two listed sandboxes swap their labels (entry by entry)`, () =>
    expectCheckFails(LIST, [{
      rpc: 'ListPodSandbox',
      mutate: (r, req) => void (req.filter?.label_selector?.['crc.example/list-test'] && r.items.length === 3 &&
        ([r.items[0].labels, r.items[1].labels] = [r.items[1].labels, r.items[0].labels])),
    }], /ListPodSandbox: items\[[abc]\]\.labels \(the ones given; filter label crc\.example\/list-test\): expected \{/));

  it(`${LIST} fails when a filtered item reports another state than its sandbox's`, () =>
    expectCheckFails(LIST, [{ rpc: 'ListPodSandbox', mutate: (r, req) => void (req.filter?.id && !req.filter.state && r.items.forEach((i: Msg) => (i.state = i.state === 'SANDBOX_READY' ? 'SANDBOX_NOTREADY' : 'SANDBOX_READY'))) }],
      /ListPodSandbox: items\[a\]\.state \(filter id=a\): expected "SANDBOX_READY", got "SANDBOX_NOTREADY"/));

  it(`${LIST} fails when a filtered item reports another pod's name`, () =>
    expectCheckFails(LIST, [{ rpc: 'ListPodSandbox', mutate: (r, req) => void (req.filter?.id && r.items.forEach((i: Msg) => (i.metadata.name = 'crc-other'))) }],
      /ListPodSandbox: items\[a\]\.metadata\.name \(filter id=a\): expected "crc-list-a-[0-9a-f]+", got "crc-other"/));
});
