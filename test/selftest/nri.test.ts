// Self-tests: each NRI check fails with a useful message when the runtime's NRI gets events, metadata,
// order, synchronization or adjustments wrong. The lab's containerd 1.6 has no NRI, so an NRI runtime is
// emulated beside it (support/nri-emulator.ts) and tampered with.
import { expect } from 'chai';
import { expectFailed, runOne } from '../support/selftest.js';
import { startNriEmulator, type NriTamper } from '../support/nri-emulator.js';
import type { TestResult } from '../../src/report/model.js';

const N = 'nri/NRI ';
const POD = `${N}plugin should see RunPodSandbox, StopPodSandbox and RemovePodSandbox of a pod in that order, with its name, namespace and uid [Optional] [Feature:NRI] [Serial]`;
const CTR = `${N}plugin should see CreateContainer, StartContainer, StopContainer and RemoveContainer of a container in that order, with its id and name [Optional] [Feature:NRI] [Serial]`;
const EXIT = `${N}plugin should see StopContainer of a container that exits on its own before it is removed, then RemoveContainer [Optional] [Feature:NRI] [Serial]`;
const SYNC = `${N}plugin that connects late should be synchronized with the existing pod and container, then see a new container created [Optional] [Feature:NRI] [Serial]`;
const ADJUST = `${N}container should run with the environment variable an NRI plugin adds in CreateContainer [Optional] [Feature:NRI] [Serial]`;

const ENV = 'CRI_CONFORMANCE_NRI_SOCKET';

/** Runs one NRI test against the lab with an emulated (and maybe tampered) NRI runtime at CRI_CONFORMANCE_NRI_SOCKET. */
async function runEmulated(id: string, tamper: NriTamper = {}, socket?: string): Promise<TestResult> {
  const emu = await startNriEmulator(tamper);
  const prev = process.env[ENV];
  process.env[ENV] = socket ?? emu.socketPath;
  try {
    return await runOne(id, emu.faults);
  } finally {
    if (prev === undefined) delete process.env[ENV]; else process.env[ENV] = prev;
    await emu.close();
  }
}

const fails = async (id: string, tamper: NriTamper, message: RegExp) => expectFailed(id, await runEmulated(id, tamper), message);
const passes = async (id: string) => {
  const r = await runEmulated(id);
  expect(r.status, `expected "${id}" to pass under a faithful emulated NRI runtime: ${r.message ?? ''}`).to.equal('passed');
};
const rename = (method: string, set: (req: Record<string, Record<string, unknown>>) => void): NriTamper =>
  ({ rewrite: (m, req) => { if (m === method) set(req as Record<string, Record<string, unknown>>); } });

describe('self-test: nri', function () {
  this.timeout(600_000);

  it(`${POD} passes under a faithful emulated NRI runtime`, () => passes(POD));
  it(`${POD} fails when RunPodSandbox is never relayed`, () =>
    fails(POD, { drop: ['RunPodSandbox'] }, /^NRI RUN_POD_SANDBOX of pod [0-9a-f]{12}: none within 10000 ms/));
  it(`${POD} fails when the pod's name is wrong`, () =>
    fails(POD, rename('RunPodSandbox', (r) => void (r['pod']!['name'] = 'other')), /^NRI RunPodSandbox: pod\.name: expected "crc-nri-pod-[0-9a-f]+", got "other"/));
  it(`${POD} fails when the pod's namespace is wrong`, () =>
    fails(POD, rename('RunPodSandbox', (r) => void (r['pod']!['namespace'] = 'other')), /^NRI RunPodSandbox: pod\.namespace: expected "crc-ns-[0-9a-f]+", got "other"/));
  it(`${POD} fails when the pod's uid is missing`, () =>
    fails(POD, rename('RunPodSandbox', (r) => void (r['pod']!['uid'] = '')), /^NRI RunPodSandbox: pod\.uid: expected "crc-nri-pod-[0-9a-f]+-uid-[0-9a-f]+", got ""/));
  it(`${POD} fails when StopPodSandbox arrives after RemovePodSandbox`, () =>
    fails(POD, { delay: { method: 'StopPodSandbox', after: 'RemovePodSandbox' } },
      /^NRI: events of pod [0-9a-f]{12} by first arrival: expected \[ 'RUN_POD_SANDBOX', 'STOP_POD_SANDBOX', 'REMOVE_POD_SANDBOX' \], got \[ 'RUN_POD_SANDBOX', 'REMOVE_POD_SANDBOX', 'STOP_POD_SANDBOX' \]/));
  it(`${POD} fails when a container event comes for a pod that has no containers`, () =>
    fails(POD, { inject: { after: 'RunPodSandbox', method: 'StartContainer' } },
      /^NRI: container events of pod [0-9a-f]{12}: expected \[\], got \[ 'START_CONTAINER' \] \(the pod had no containers\)/));
  it(`${POD} fails when the plugin cannot register`, () =>
    fails(POD, { refuseRegistration: { code: 9, message: 'plugin index taken' } }, /^NRI: RegisterPlugin: ttrpc status 9: plugin index taken/));
  it(`${POD} skips when the NRI socket is another runtime's`, async () => {
    const r = await runEmulated(POD, { runtimeName: 'cri-o' });
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/^the NRI socket .* belongs to cri-o .*, not to the runtime under test \(containerd /);
  });
  it(`${POD} skips when there is no NRI socket`, async () => {
    const r = await runEmulated(POD, {}, '/nonexistent/nri.sock');
    expect(r.status).to.equal('skipped');
    expect(r.message).to.equal('no NRI socket at /nonexistent/nri.sock (CRI_CONFORMANCE_NRI_SOCKET)');
  });

  it(`${CTR} passes under a faithful emulated NRI runtime`, () => passes(CTR));
  it(`${CTR} fails when StartContainer is never relayed`, () =>
    fails(CTR, { drop: ['StartContainer'] }, /^NRI START_CONTAINER of container [0-9a-f]{12}: none within 10000 ms/));
  it(`${CTR} fails when StartContainer arrives after StopContainer`, () =>
    fails(CTR, { delay: { method: 'StartContainer', after: 'StopContainer' } },
      /^NRI: events of container [0-9a-f]{12} by first arrival: expected \[ 'CREATE_CONTAINER', 'START_CONTAINER', 'STOP_CONTAINER', 'REMOVE_CONTAINER' \], got \[ 'CREATE_CONTAINER', 'STOP_CONTAINER', 'START_CONTAINER', 'REMOVE_CONTAINER' \]/));
  it(`${CTR} fails when an event names another pod`, () =>
    fails(CTR, rename('StopContainer', (r) => void (r['pod']!['id'] = 'another-pod')), /^NRI StopContainer: pod\.id: expected "[0-9a-f]{64}", got "another-pod"/));
  it(`${CTR} fails when an event names the container wrong`, () =>
    fails(CTR, rename('RemoveContainer', (r) => void (r['container']!['name'] = 'other')), /^NRI RemoveContainer: container\.name: expected "crc-nri-ctr-[0-9a-f]+", got "other"/));
  it(`${CTR} skips, after its other checks, when the runtime leaves Container.name empty (as critest does)`, async () => {
    const r = await runEmulated(CTR, { rewrite: (_m, req) => { if (req['container']) req['container']['name'] = ''; } });
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/^the runtime leaves Container\.name empty in NRI CREATE_CONTAINER, START_CONTAINER, STOP_CONTAINER, REMOVE_CONTAINER/);
  });

  it(`${EXIT} passes under a faithful emulated NRI runtime`, () => passes(EXIT));
  it(`${EXIT} fails when the runtime does not relay the stop it saw`, () =>
    fails(EXIT, { drop: ['StopContainer'] }, /^NRI STOP_CONTAINER of container [0-9a-f]{12} \(exited on its own, before RemoveContainer\): none within 10000 ms/));

  it(`${SYNC} passes under a faithful emulated NRI runtime`, () => passes(SYNC));
  it(`${SYNC} fails when Synchronize leaves out the existing pod`, () =>
    fails(SYNC, { syncOmit: { pods: true } }, /^NRI Synchronize: pods\[\]\.id: expected to include "[0-9a-f]{64}", got \[\]/));
  it(`${SYNC} fails when Synchronize leaves out the existing container`, () =>
    fails(SYNC, { syncOmit: { containers: true } }, /^NRI Synchronize: containers\[\]\.id: expected to include "[0-9a-f]{64}", got \[\]/));
  it(`${SYNC} fails when the container created afterwards is never relayed`, () =>
    fails(SYNC, { drop: ['CreateContainer'] }, /^NRI CreateContainer of container [0-9a-f]{12} \(created after Synchronize\): none within 10000 ms/));

  // The emulator relays CreateContainer only after the container exists: it ignores every adjustment.
  it(`${ADJUST} fails when the runtime ignores the plugin's adjustment`, () =>
    fails(ADJUST, {}, /^ExecSync: stdout \(echo "\$CRC_NRI_ADJUSTED"\): expected "nri-[0-9a-f]{8}", got "" \(the plugin's ContainerAdjustment\.env\)/));
});
