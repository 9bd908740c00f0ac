import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RpcObservation, RunResult, TestResult } from '../src/report/model.js';
import { parseTags } from '../src/report/model.js';
import {
  ALL_RPCS,
  DEFAULT_MINOR,
  KNOWN_MINORS,
  ProfileError,
  compatibilityMatrix,
  featureEnabled,
  formatMatrix,
  getProfile,
  loadProfiles,
  onUnimplemented,
  releaseSkipReason,
  repoRoot,
  rpcRequirement,
  type Verdict,
} from '../src/profiles/index.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `1.${from + i}`);
const minorsWhere = (pred: (m: string) => boolean) => KNOWN_MINORS.filter(pred);
const requirementsOf = (rpc: string) => Object.fromEntries(KNOWN_MINORS.map((m) => [m, rpcRequirement(getProfile(m), rpc)]));
const expectRequirement = (rpc: string, absentUpTo: number | null, then: 'optional' | 'required') => {
  const want = Object.fromEntries(KNOWN_MINORS.map((m) => [m, absentUpTo !== null && Number(m.slice(2)) <= absentUpTo ? 'absent' : then]));
  expect(requirementsOf(rpc), rpc).to.deep.equal(want);
};

function test(id: string, status: TestResult['status'], extra: Partial<TestResult> = {}): TestResult {
  const title = id.slice(id.indexOf('/') + 1);
  return { id, suite: id.split('/')[0]!, title, fullTitle: title, status, durationMs: 1, tags: parseTags(title), ...extra };
}

function makeRun(opts: {
  runtime?: 'v1' | 'v1alpha2' | null;
  image?: 'v1' | 'v1alpha2' | null;
  rpcs?: Record<string, Partial<RpcObservation>>;
  tests?: TestResult[];
  reason?: string;
  profile?: string;
}): RunResult {
  const rpcs: Record<string, RpcObservation> = {};
  for (const [k, v] of Object.entries(opts.rpcs ?? {})) rpcs[k] = { calls: 1, unimplemented: 0, errors: 0, ...v };
  return {
    tool: { name: 'cri-conformance', version: '0.1.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
    endpoint: { runtime: 'unix:///run/x.sock', image: 'unix:///run/x.sock' },
    runtime: { name: 'fake', version: '1.0.0', apiVersion: 'v1' },
    negotiated: {
      runtime: opts.runtime === undefined ? 'v1' : opts.runtime,
      image: opts.image === undefined ? (opts.runtime === undefined ? 'v1' : opts.runtime) : opts.image,
      ...(opts.reason ? { reason: opts.reason } : {}),
    },
    rpcs,
    ...(opts.profile ? { profile: opts.profile } : {}),
    suites: [{ name: 'runtime', title: 'Runtime', durationMs: 1, tests: opts.tests ?? [] }],
  };
}

const compatibleMinors = (vs: Verdict[]) => vs.filter((v) => v.compatible).map((v) => v.kubelet);
const verdictFor = (vs: Verdict[], m: string) => vs.find((v) => v.kubelet === m)!;

describe('profiles: data file and API', () => {
  it('profiles Kubernetes 1.23 through 1.36, newest is the default', () => {
    expect(KNOWN_MINORS).to.deep.equal(range(23, 36));
    expect(DEFAULT_MINOR).to.equal('1.36');
  });

  it('covers exactly the 41 RPCs of runtime.v1 (proto/runtime/v1/api.proto), every release classifying each', () => {
    const proto = join(repoRoot(), 'proto', 'runtime', 'v1', 'api.proto');
    expect(ALL_RPCS).to.have.length(41);
    if (existsSync(proto)) {
      const fromProto = [...readFileSync(proto, 'utf8').matchAll(/^\s*rpc\s+(\w+)\s*\(/gm)].map((m) => m[1]);
      expect([...ALL_RPCS].sort()).to.deep.equal([...fromProto].sort());
    }
    for (const m of KNOWN_MINORS) expect(Object.keys(getProfile(m).rpcs).sort()).to.deep.equal([...ALL_RPCS].sort());
    expect(ALL_RPCS).to.not.include('StreamMetricDescriptors');
  });

  it('getProfile accepts "1.31", "v1.31" and "1.31.4"', () => {
    expect(getProfile('1.31').kubelet).to.equal('1.31');
    expect(getProfile('v1.31').kubelet).to.equal('1.31');
    expect(getProfile('1.31.4').kubelet).to.equal('1.31');
  });

  it('getProfile throws ProfileError UNKNOWN_RELEASE listing the known minors', () => {
    let err: unknown;
    try {
      getProfile('1.40');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ProfileError);
    expect((err as ProfileError).code).to.equal('UNKNOWN_RELEASE');
    expect((err as ProfileError).name).to.equal('ProfileError');
    expect((err as Error).message).to.contain('"1.40"').and.contain('1.23').and.contain('1.36');
    expect(() => getProfile('banana')).to.throw(ProfileError, /known releases are 1\.23, 1\.24/);
  });

  it('rpcRequirement rejects an unknown RPC name', () => {
    expect(() => rpcRequirement(getProfile('1.31'), 'RunPodSandboxx')).to.throw(ProfileError, /unknown CRI RPC "RunPodSandboxx"/);
  });

  it('loadProfiles reports a malformed data file with its path and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
    const f = join(dir, 'p.yaml');
    const good = readFileSync(join(repoRoot(), 'fixtures', 'profiles.yaml'), 'utf8');
    writeFileSync(f, good.replace('requirement: optional\n      fallback: the kubelet falls back to the cgroupDriver', 'requirement: sometimes\n      fallback: the kubelet falls back to the cgroupDriver'));
    expect(() => loadProfiles(f)).to.throw(ProfileError, /services\.RuntimeService\.RuntimeConfig\.requirement: expected required or optional/);
    expect(loadProfiles(join(repoRoot(), 'fixtures', 'profiles.yaml')).minors).to.deep.equal(KNOWN_MINORS);
    writeFileSync(f, good.replace('    until: "1.27"', '    until: "1.22"'));
    expect(() => loadProfiles(f)).to.throw(ProfileError, /features\.SeccompProfilePath\.until: 1\.22 is before since: 1\.23/);
  });
});

describe('profiles: encoded facts', () => {
  it('v1alpha2 is accepted only by kubelet 1.23-1.25 (fallback after v1)', () => {
    expect(minorsWhere((m) => getProfile(m).criVersions.includes('v1alpha2'))).to.deep.equal(['1.23', '1.24', '1.25']);
    for (const m of ['1.23', '1.24', '1.25']) expect(getProfile(m).criVersions).to.deep.equal(['v1', 'v1alpha2']);
  });

  it('kubelet 1.26 and later need runtime.v1', () => {
    for (const m of range(26, 36)) expect(getProfile(m).criVersions, m).to.deep.equal(['v1']);
  });

  it('1.23-1.25 fall back to v1alpha2 on UNIMPLEMENTED only; any other probe error is fatal', () => {
    for (const m of range(23, 25)) {
      expect(getProfile(m).negotiation.fallbackOn).to.equal('UNIMPLEMENTED');
      expect(getProfile(m).negotiation.startupFatal).to.equal('other-than-unimplemented');
    }
  });

  it('1.26 needs v1 served: only UNIMPLEMENTED from the startup probes is fatal', () => {
    const n = getProfile('1.26').negotiation;
    expect(n.fallbackOn).to.equal(null);
    expect(n.startupFatal).to.equal('unimplemented');
  });

  it('1.27 and later: any error from Version or ImageFsInfo at startup is fatal', () => {
    for (const m of range(27, 36)) {
      expect(getProfile(m).negotiation.startupFatal, m).to.equal('any');
      expect(getProfile(m).negotiation.fallbackOn).to.equal(null);
    }
  });

  it('every release rejects a VersionResponse with an empty runtime_api_version (or other field) and needs version 0.1.0', () => {
    for (const m of KNOWN_MINORS) {
      const v = getProfile(m).versionResponse;
      expect(v.requiredFields).to.include.members(['version', 'runtime_name', 'runtime_version', 'runtime_api_version']);
      expect(v.version).to.equal('0.1.0');
    }
  });

  it('RuntimeConfig: absent before 1.28, optional from 1.28 (UNIMPLEMENTED tolerated through 1.37)', () => {
    expectRequirement('RuntimeConfig', 27, 'optional');
    expect(onUnimplemented(getProfile('1.36'), 'RuntimeConfig').reason).to.match(/cgroupDriver/);
  });

  it('ListMetricDescriptors and ListPodSandboxMetrics: optional from 1.26', () => {
    expectRequirement('ListMetricDescriptors', 25, 'optional');
    expectRequirement('ListPodSandboxMetrics', 25, 'optional');
  });

  it('CheckpointContainer and GetContainerEvents: optional from 1.25', () => {
    expectRequirement('CheckpointContainer', 24, 'optional');
    expectRequirement('GetContainerEvents', 24, 'optional');
  });

  it('UpdatePodSandboxResources: optional from 1.33', () => {
    expectRequirement('UpdatePodSandboxResources', 32, 'optional');
  });

  it('the Stream* list RPCs: optional from 1.36 (unary fallback)', () => {
    const streams = ['StreamPodSandboxes', 'StreamContainers', 'StreamContainerStats', 'StreamPodSandboxStats', 'StreamPodSandboxMetrics', 'StreamImages'];
    expect(ALL_RPCS.filter((r) => r.startsWith('Stream')).sort()).to.deep.equal([...streams].sort());
    for (const r of streams) expectRequirement(r, 35, 'optional');
    expect(onUnimplemented(getProfile('1.36'), 'StreamContainers').reason).to.match(/unary ListContainers/);
  });

  it('PodSandboxStats and ListPodSandboxStats: optional in every release (PodAndContainerStatsFromCRI)', () => {
    expectRequirement('PodSandboxStats', null, 'optional');
    expectRequirement('ListPodSandboxStats', null, 'optional');
  });

  it('the core lifecycle, exec/stream, stats and image RPCs are required in every release', () => {
    const core = ['Version', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus', 'UpdateContainerResources', 'ReopenContainerLog', 'ExecSync', 'Exec', 'Attach', 'PortForward', 'ContainerStats', 'ListContainerStats', 'UpdateRuntimeConfig', 'Status', 'ListImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo'];
    for (const r of core) expectRequirement(r, null, 'required');
    expect(ALL_RPCS.filter((r) => getProfile('1.36').rpcs[r] === 'required').sort()).to.deep.equal([...core].sort());
  });

  it('features carry their first kubelet release', () => {
    const first = (f: string) => KNOWN_MINORS.find((m) => featureEnabled(getProfile(m), f));
    expect(first('RuntimeConfig')).to.equal('1.28');
    expect(first('ContainerEvents')).to.equal('1.25');
    expect(first('Checkpoint')).to.equal('1.25');
    expect(first('PodSandboxMetrics')).to.equal('1.26');
    expect(first('UpdatePodSandboxResources')).to.equal('1.33');
    expect(first('StreamingLists')).to.equal('1.36');
    expect(featureEnabled(getProfile('1.23'), 'SomethingUngated')).to.equal(true);
  });

  it('releaseSkipReason filters [Feature:X] tests per release', () => {
    expect(releaseSkipReason(getProfile('1.27'), ['Conformance', 'Feature:RuntimeConfig'])).to.match(/kubelet 1\.27.*first in 1\.28/);
    expect(releaseSkipReason(getProfile('1.28'), ['Feature:RuntimeConfig'])).to.equal(undefined);
    expect(releaseSkipReason(getProfile('1.23'), ['Feature:Unknown'])).to.equal(undefined);
  });

  it('a deprecated field the kubelet stopped sending is a feature up to its last release (until:)', () => {
    // LinuxContainerSecurityContext.seccomp_profile_path: sent through 1.27, dropped by kubernetes/kubernetes#117050.
    const using = KNOWN_MINORS.filter((m) => featureEnabled(getProfile(m), 'SeccompProfilePath'));
    expect(using).to.deep.equal(KNOWN_MINORS.filter((m) => Number(m.split('.')[1]) <= 27));
    expect(releaseSkipReason(getProfile('1.28'), ['Feature:SeccompProfilePath'])).to.match(/not used by kubelet 1\.28 \(last in 1\.27\)/);
    expect(releaseSkipReason(getProfile('1.27'), ['Feature:SeccompProfilePath'])).to.equal(undefined);
    // AppArmor: the string alone through 1.29, the structured field (beside it) from 1.30.
    const minors = (f: string) => KNOWN_MINORS.filter((m) => featureEnabled(getProfile(m), f));
    expect(minors('AppArmorProfilePath')).to.deep.equal(KNOWN_MINORS.filter((m) => Number(m.split('.')[1]) <= 29));
    expect(minors('AppArmorField')).to.deep.equal(KNOWN_MINORS.filter((m) => Number(m.split('.')[1]) >= 30));
  });
});

describe('profiles: onUnimplemented', () => {
  it('fails a required RPC, naming the release', () => {
    const r = onUnimplemented(getProfile('1.31'), 'CreateContainer');
    expect(r.action).to.equal('fail');
    expect(r.reason).to.contain('CreateContainer').and.contain('1.31');
  });

  it('skips an optional RPC, saying what the kubelet does instead', () => {
    const r = onUnimplemented(getProfile('1.31'), 'RuntimeConfig');
    expect(r.action).to.equal('skip');
    expect(r.reason).to.contain('optional for kubelet 1.31');
  });

  it('skips an RPC the release never calls, naming the first release that does', () => {
    const r = onUnimplemented(getProfile('1.27'), 'RuntimeConfig');
    expect(r).to.deep.equal({ action: 'skip', reason: 'kubelet 1.27 never calls RuntimeConfig (first used by kubelet 1.28)' });
  });
});

describe('profiles: compatibility matrix', () => {
  it('a clean v1 run is compatible with every release', () => {
    const vs = compatibilityMatrix(makeRun({ rpcs: { Version: {}, ImageFsInfo: {} } }));
    expect(compatibleMinors(vs)).to.deep.equal(KNOWN_MINORS);
  });

  it('v1 with RuntimeConfig UNIMPLEMENTED is compatible with 1.28-1.36', () => {
    const run = makeRun({ rpcs: { Version: {}, RuntimeConfig: { calls: 2, unimplemented: 2 } } });
    const vs = compatibilityMatrix(run);
    for (const m of range(28, 36)) expect(verdictFor(vs, m).compatible, m).to.equal(true);
    expect(compatibleMinors(vs)).to.deep.equal(KNOWN_MINORS);
  });

  it('v1alpha2 only is compatible with 1.23-1.25 only; 1.26+ say v1 is not served', () => {
    const run = makeRun({
      runtime: 'v1alpha2',
      // the v1 startup probes answered UNIMPLEMENTED before the fallback
      rpcs: { Version: { calls: 2, unimplemented: 1 }, ImageFsInfo: { calls: 2, unimplemented: 1 } },
    });
    const vs = compatibilityMatrix(run);
    expect(compatibleMinors(vs)).to.deep.equal(['1.23', '1.24', '1.25']);
    expect(verdictFor(vs, '1.26').reasons).to.deep.equal(['v1 not served (negotiated v1alpha2)']);
    expect(formatMatrix([verdictFor(vs, '1.26')])).to.equal('1.26  not compatible: v1 not served (negotiated v1alpha2)');
  });

  it('v1 runtime service with a v1alpha2 image service is compatible with 1.23-1.25 only', () => {
    const vs = compatibilityMatrix(makeRun({ runtime: 'v1', image: 'v1alpha2', rpcs: { ImageFsInfo: { calls: 2, unimplemented: 1 } } }));
    expect(compatibleMinors(vs)).to.deep.equal(['1.23', '1.24', '1.25']);
    expect(verdictFor(vs, '1.30').reasons[0]).to.equal('v1 ImageService not served (negotiated v1alpha2)');
  });

  it('no negotiated version is compatible with nothing', () => {
    const vs = compatibilityMatrix(makeRun({ runtime: null, image: null, reason: 'Version: INTERNAL' }));
    expect(compatibleMinors(vs)).to.deep.equal([]);
    expect(verdictFor(vs, '1.36').reasons[0]).to.contain('no CRI version negotiated').and.contain('INTERNAL');
  });

  it('a required RPC answering UNIMPLEMENTED makes every release incompatible, naming it', () => {
    const vs = compatibilityMatrix(makeRun({ rpcs: { ReopenContainerLog: { calls: 3, unimplemented: 3 } } }));
    expect(compatibleMinors(vs)).to.deep.equal([]);
    for (const v of vs) expect(v.reasons.join(' ')).to.contain('ReopenContainerLog answered UNIMPLEMENTED');
  });

  it('an optional RPC UNIMPLEMENTED only matters where it is required: never, for UpdatePodSandboxResources', () => {
    const vs = compatibilityMatrix(makeRun({ rpcs: { UpdatePodSandboxResources: { unimplemented: 1 } } }));
    expect(compatibleMinors(vs)).to.deep.equal(KNOWN_MINORS);
  });

  it('a failed test exercising a required RPC ([RPC:X] tag) makes releases incompatible', () => {
    const t = test('runtime/Container should start [Conformance] [RPC:StartContainer]', 'failed');
    const vs = compatibilityMatrix(makeRun({ tests: [t] }));
    expect(compatibleMinors(vs)).to.deep.equal([]);
    expect(verdictFor(vs, '1.31').reasons[0]).to.contain('StartContainer').and.contain(t.id);
  });

  it('RPCs can be declared per test id with a map instead of tags', () => {
    const t = test('runtime/Container should exec [Conformance]', 'failed');
    const vs = compatibilityMatrix(makeRun({ tests: [t] }), { [t.id]: ['ExecSync'] });
    expect(verdictFor(vs, '1.36').reasons[0]).to.contain('required RPC ExecSync');
    // Without the map the failure still counts, as an unattributed conformance failure.
    const plain = compatibilityMatrix(makeRun({ tests: [t] }));
    expect(compatibleMinors(plain)).to.deep.equal([]);
    expect(verdictFor(plain, '1.36').reasons[0]).to.contain('1 conformance test failed').and.contain(t.id);
  });

  it('failed tests of optional RPCs, of [Optional] tests, or of features a release cannot use, do not count', () => {
    const tests = [
      test('runtime/Checkpoint should checkpoint [Feature:Checkpoint] [RPC:CheckpointContainer]', 'failed'),
      test('runtime/Resize should update [Feature:UpdatePodSandboxResources] [RPC:CreateContainer]', 'failed'),
      test('runtime/Container AppArmor [Optional] [RPC:CreateContainer]', 'failed'),
      test('runtime/Container should list [RPC:ListContainers]', 'passed'),
    ];
    const vs = compatibilityMatrix(makeRun({ tests }));
    expect(compatibleMinors(vs)).to.deep.equal(range(23, 32));
    expect(verdictFor(vs, '1.33').reasons[0]).to.contain('CreateContainer');
  });

  it('a forced v1alpha2 run says it was forced, not that v1 is missing', () => {
    const run = makeRun({ runtime: 'v1alpha2', image: 'v1alpha2' });
    run.negotiated.forced = 'v1alpha2';
    const vs = compatibilityMatrix(run);
    expect(compatibleMinors(vs)).to.deep.equal(['1.23', '1.24', '1.25']);
    expect(verdictFor(vs, '1.26').reasons[0]).to.equal('needs v1; this run used v1alpha2 (forced with --cri-version)');
  });

  // The version suite's checks of the selected release, as they would read once tagged [Profile].
  const SERVED_RT = 'version/Version RuntimeService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]';
  const SERVED_IMG = 'version/Version ImageService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]';
  const v1alpha2Only = (profile: string | undefined, status: TestResult['status']) =>
    makeRun({
      runtime: 'v1alpha2',
      ...(profile ? { profile } : {}),
      rpcs: { Version: { calls: 3, unimplemented: 1 }, ImageFsInfo: { calls: 2, unimplemented: 1 } },
      tests: [
        test('version/Version runtime should answer Version with version, runtime_name, runtime_version and runtime_api_version set [Conformance]', 'passed'),
        test(SERVED_RT, status),
        test(SERVED_IMG, status),
      ],
    });

  it('v1alpha2 only, run with profile 1.36: the [Profile] failures judge 1.36 alone; 1.23-1.25 stay compatible', () => {
    const vs = compatibilityMatrix(v1alpha2Only('1.36', 'failed'));
    expect(compatibleMinors(vs)).to.deep.equal(['1.23', '1.24', '1.25']);
    for (const m of range(26, 35)) expect(verdictFor(vs, m).reasons, m).to.deep.equal(['v1 not served (negotiated v1alpha2)']);
    // The selected release keeps its own test failures next to the matrix's reason.
    expect(verdictFor(vs, '1.36').reasons[0]).to.equal('v1 not served (negotiated v1alpha2)');
    expect(verdictFor(vs, '1.36').reasons[1]).to.contain('2 conformance tests failed').and.contain(SERVED_RT);
    expect(formatMatrix(vs).split('\n')).to.deep.equal([
      '1.23–1.25  compatible',
      '1.26–1.35  not compatible: v1 not served (negotiated v1alpha2)',
      `1.36       not compatible: v1 not served (negotiated v1alpha2); 2 conformance tests failed ("${SERVED_RT}", "${SERVED_IMG}")`,
    ]);
  });

  it('v1alpha2 only, run with profile 1.25: the same matrix apart from 1.36 (the [Profile] tests passed)', () => {
    const vs = compatibilityMatrix(v1alpha2Only('1.25', 'passed'));
    expect(compatibleMinors(vs)).to.deep.equal(['1.23', '1.24', '1.25']);
    for (const m of range(26, 36)) expect(verdictFor(vs, m).reasons, m).to.deep.equal(['v1 not served (negotiated v1alpha2)']);
  });

  it('a [Profile] failure of a run that does not name its release counts against every release', () => {
    const vs = compatibilityMatrix(v1alpha2Only(undefined, 'failed'));
    expect(compatibleMinors(vs)).to.deep.equal([]);
    expect(verdictFor(vs, '1.23').reasons[0]).to.contain('2 conformance tests failed');
  });

  it('an untagged failure still counts against every release it applies to', () => {
    const t = test('version/Version runtime should report the negotiated API version in runtime_api_version [Conformance]', 'failed');
    const vs = compatibilityMatrix(makeRun({ runtime: 'v1alpha2', profile: '1.36', tests: [t] }));
    expect(compatibleMinors(vs)).to.deep.equal([]);
    expect(verdictFor(vs, '1.24').reasons).to.deep.equal([`1 conformance test failed ("${t.id}")`]);
  });

  it('v1alpha2 only, profile 1.36, the suites after "version" skipped: 1.23-1.25 are compatible only as far as tested', () => {
    const run = v1alpha2Only('1.36', 'failed');
    const reason = 'needs suite "version", which had 2 failure(s)';
    for (const name of ['runtime-status', 'image', 'pod-sandbox', 'container']) run.suites.push({ name, title: name, durationMs: 0, tests: [], skippedReason: reason });
    const vs = compatibilityMatrix(run);
    expect(compatibleMinors(vs)).to.deep.equal(['1.23', '1.24', '1.25']);
    expect(verdictFor(vs, '1.23').untested).to.deep.equal([`4 suites not run (runtime-status, image, pod-sandbox, ...: ${reason})`]);
    expect(verdictFor(vs, '1.26').untested).to.equal(undefined);
    expect(formatMatrix(vs).split('\n')[0]).to.equal(`1.23–1.25  compatible as far as tested; 4 suites not run (runtime-status, image, pod-sandbox, ...: ${reason})`);
  });

  it('[Feature:X] tests skipped by an older selected release leave newer releases untested for X', () => {
    const tests = [
      test('runtime-config/RuntimeConfig should report the cgroup driver [Conformance] [Feature:RuntimeConfig]', 'skipped'),
      test('runtime/Container should start [Conformance]', 'passed'),
    ];
    const vs = compatibilityMatrix(makeRun({ profile: '1.27', tests }));
    expect(compatibleMinors(vs)).to.deep.equal(KNOWN_MINORS);
    for (const m of range(23, 27)) expect(verdictFor(vs, m).untested, m).to.equal(undefined);
    for (const m of range(28, 36)) expect(verdictFor(vs, m).untested, m).to.deep.equal(['[Feature:RuntimeConfig] not tested (the run selected kubelet 1.27, which does not use it)']);
    // The same skip under a release that uses the feature is a runtime's skip, judged by the tests themselves.
    expect(compatibilityMatrix(makeRun({ profile: '1.36', tests })).every((v) => v.untested === undefined)).to.equal(true);
    // A [Strict] or [Optional] test never counts against a release: its skip leaves no release untested.
    const strict = [test('seccomp/Seccomp (deprecated seccomp_profile_path) runtime should confine … [Strict] [Feature:SeccompProfilePath]', 'skipped')];
    expect(compatibilityMatrix(makeRun({ profile: '1.36', tests: strict })).every((v) => v.untested === undefined)).to.equal(true);
  });

  it('formatMatrix prints one aligned line per release', () => {
    const out = formatMatrix([
      { kubelet: '1.31', compatible: true, reasons: [] },
      { kubelet: '1.26', compatible: false, reasons: ['a', 'b'] },
    ]);
    expect(out).to.equal('1.31  compatible\n1.26  not compatible: a; b');
  });

  it('formatMatrix folds consecutive releases with the same verdict into a range', () => {
    const v = (kubelet: string, compatible: boolean, reasons: string[] = []) => ({ kubelet, compatible, reasons });
    const out = formatMatrix([v('1.23', true), v('1.24', true), v('1.25', true), v('1.26', false, ['x']), v('1.27', false, ['x']), v('1.28', false, ['y'])]);
    expect(out).to.equal('1.23–1.25  compatible\n1.26–1.27  not compatible: x\n1.28       not compatible: y');
  });
});
