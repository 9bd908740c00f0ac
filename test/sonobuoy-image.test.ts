// The suite image as the Sonobuoy plugin runs it, on the lab containerd: this test plays the cluster's part.
// It builds the image from the npm package (src/tools/build-image.mjs's path), pushes it to the lab registry,
// runs it in a pod sandbox of its own (host network, labelled) with the plugin definition's command, env and
// mounts (the lab socket as the node's CRI socket), waits for `done` in the results dir as the worker does,
// and checks the JUnit and the result tarball. Not tried: a real cluster, Sonobuoy's own worker and aggregator.
// Packs the already compiled dist/ (--ignore-scripts: no second compile). Takes 1–2 min (npm install, a
// 130 MiB layer, the run): set CRI_CONFORMANCE_IMAGE_LAYOUT=oci:DIR:TAG to reuse a
// built image.

import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseEndpoint } from '../src/config.js';
import { closeChannel, makeCri } from '../src/cri/client.js';
import { makeTimeouts } from '../src/cri/timeouts.js';
import { labUp, type LabInfo } from '../src/lab/index.js';
import { buildSuiteImage } from '../src/sonobuoy/image.js';
import { SONOBUOY_RESULTS_DIR, pluginDefinition } from '../src/sonobuoy/plugin.js';
import { TOOL } from '../src/version.js';
import { repoRoot } from './support/report-fixtures.js';
import { tarNames } from './support/tar-names.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('sonobuoy plugin image on the lab containerd', function () {
  this.timeout(900_000);
  let why: string | undefined;
  if (process.getuid?.() !== 0) why = 'needs root (the lab socket is root-only)';
  else if (!has('umoci') || !has('skopeo') || !existsSync('/bin/busybox')) why = 'needs umoci, skopeo and busybox-static (the lab installs them: cri-conformance lab up)';

  const run = `fleet-${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(path.join(os.tmpdir(), 'cri-sonobuoy-image-'));
  const results = path.join(work, 'results');
  const hostWork = path.join(work, 'tmp');
  let cleanup: (() => Promise<void>)[] = [];

  let info: LabInfo;
  before(async function () {
    if (why) return this.skip();
    // As `run --lab` does: reuse the running lab, or bring it up.
    try {
      info = await labUp({ log: () => undefined });
    } catch (e) {
      why = `the lab could not be brought up: ${(e as Error).message}`;
      return this.skip();
    }
  });
  after(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
    cleanup = [];
    rmSync(work, { recursive: true, force: true });
  });

  it('leaves junit_<node>.xml and a result tarball named in done, as the worker contract says', async function () {
    if (why) return this.skip();
    // 1. The image: built from the package, or the layout given.
    let src = process.env['CRI_CONFORMANCE_IMAGE_LAYOUT'];
    if (!src) {
      const packDir = path.join(work, 'pack');
      mkdirSync(packDir);
      const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[0];
      const img = await buildSuiteImage({ tarball: path.join(packDir, packed.filename), workDir: path.join(work, 'image'), tag: TOOL.version });
      src = `oci:${img.layout}:${img.tag}`;
    }
    const ref = `${info.registry}/cri-conformance-fleet/suite:${run}`;
    execFileSync('skopeo', ['copy', '--insecure-policy', '--quiet', '--dest-tls-verify=false', src, `docker://${ref}`]);

    // 2. The plugin's container as the DaemonSet would run it, through the lab's CRI.
    const ep = parseEndpoint(info.runtimeEndpoint, 'lab');
    const cri = makeCri(ep, ep, { runtime: 'v1', image: 'v1' }, makeTimeouts(30));
    cleanup.push(async () => closeChannel(ep));
    await cri.image.call('PullImage', { image: { image: ref } });
    cleanup.push(async () => void (await cri.image.call('RemoveImage', { image: { image: ref } })));

    const def = pluginDefinition({ image: ref, runtimeEndpoint: info.runtimeEndpoint, workDir: hostWork, registryPrefix: info.registry, suites: ['version', 'runtime-status'] });
    const spec = def['spec'] as Obj;
    const podSpec = def['podSpec'] as Obj;
    // hostPath volumes by name; `results` is the worker's emptyDir, here a host directory we can watch.
    const hostPaths: Record<string, string> = { results };
    for (const v of podSpec['volumes']) hostPaths[v.name] = v.hostPath.path;
    mkdirSync(results, { recursive: true });
    mkdirSync(hostWork, { recursive: true });
    const labels = { 'cri-conformance.io/fleet-test': run };
    const logDir = path.join(work, 'logs');
    mkdirSync(logDir);
    const sandbox = {
      metadata: { name: `sonobuoy-${run}`, uid: `${run}-uid`, namespace: 'sonobuoy', attempt: 0 },
      labels,
      log_directory: logDir,
      linux: { security_context: { namespace_options: { network: podSpec['hostNetwork'] ? ('NODE' as const) : ('POD' as const) } } },
    };
    const sb = (await cri.runtime.call('RunPodSandbox', { config: sandbox })).pod_sandbox_id;
    cleanup.push(async () => {
      await cri.runtime.call('StopPodSandbox', { pod_sandbox_id: sb });
      await cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: sb });
    });
    // Sonobuoy sets SONOBUOY_RESULTS_DIR; the downward API gives NODE_NAME.
    const envs = [
      { key: 'SONOBUOY_RESULTS_DIR', value: SONOBUOY_RESULTS_DIR },
      ...spec['env'].map((e: Obj) => ({ key: e.name, value: e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName' ? 'lab-node' : '') })),
    ];
    const container = {
      metadata: { name: spec['name'], attempt: 0 },
      image: { image: ref },
      command: spec['command'],
      // In a cluster the container stays up after done (--linger); here the test is the only watcher.
      args: spec['args'],
      envs,
      mounts: spec['volumeMounts'].map((m: Obj) => ({ container_path: m.mountPath, host_path: hostPaths[m.name] })),
      labels,
      log_path: 'plugin.log',
      linux: { security_context: { run_as_user: { value: spec['securityContext'].runAsUser }, namespace_options: { network: 'NODE' as const } } },
    };
    const ctr = (await cri.runtime.call('CreateContainer', { pod_sandbox_id: sb, config: container, sandbox_config: sandbox })).container_id;
    cleanup.push(async () => void (await cri.runtime.call('RemoveContainer', { container_id: ctr })));
    await cri.runtime.call('StartContainer', { container_id: ctr });

    // 3. The worker's side: wait for done, then read what it names.
    const done = path.join(results, 'done');
    const deadline = Date.now() + 600_000;
    while (!existsSync(done) && Date.now() < deadline) {
      const st = (await cri.runtime.call('ContainerStatus', { container_id: ctr })).status;
      if (st?.state === 'CONTAINER_EXITED') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const log = () => (existsSync(path.join(logDir, 'plugin.log')) ? readFileSync(path.join(logDir, 'plugin.log'), 'utf8').slice(-3000) : '(no log)');
    expect(existsSync(done), `no done file; the plugin's log:\n${log()}`).to.equal(true);
    const named = readFileSync(done, 'utf8');
    expect(named).to.equal(`${SONOBUOY_RESULTS_DIR}/cri-conformance-lab-node.tar.gz`);
    const onHost = path.join(results, path.basename(named));
    expect(tarNames(readFileSync(onHost)).sort()).to.deep.equal(['junit_lab-node.xml', 'summary.html', 'summary.json', 'summary.md']);
    const junit = readFileSync(path.join(results, 'junit_lab-node.xml'), 'utf8');
    expect(junit).to.match(/<testsuites name="cri-conformance" tests="\d+" failures="0"/);
    expect(junit).to.include('name="kubernetes.release"').and.include('name="runtime" value="containerd');
    expect(junit).to.include('name="version/');
    const summary = JSON.parse(readFileSync(path.join(results, 'summary.json'), 'utf8'));
    expect(summary.result, log()).to.equal('passed');
    expect(summary.endpoint.runtime).to.equal('unix:///run/cri-conformance/cri.sock');
    // --linger: still running after handing over, as a DaemonSet pod must be.
    const st = (await cri.runtime.call('ContainerStatus', { container_id: ctr })).status;
    expect(st?.state).to.equal('CONTAINER_RUNNING');
    await cri.runtime.call('StopContainer', { container_id: ctr, timeout: 10 });
    expect(readdirSync(results)).to.include('junit_lab-node.xml');
  });
});
