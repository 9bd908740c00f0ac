// The Sonobuoy plugin: its definition validates against the Kubernetes schemas (as the DaemonSet Sonobuoy
// builds from it), the in-image program keeps the worker's contract (JUnit and a result tarball in the results
// dir, its path in `done`), and the image built from the npm package does the same as a container on the lab
// containerd, the worker's side played by this test (no real cluster here).

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Pod } from 'kubernetes-models/v1/Pod';
import { IMAGE_CLI, SOCKET_IN_POD, SONOBUOY_RESULTS_DIR, pluginDefinition, pluginYaml } from '../src/sonobuoy/plugin.js';
import { failureJUnit } from '../src/sonobuoy/run.js';
import { UsageError } from '../src/errors.js';
import { repoRoot } from './support/report-fixtures.js';
import { tarNames } from './support/tar-names.js';
import { unknownFields } from './support/k8s-fields.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

/** The DaemonSet Sonobuoy makes of a plugin definition: our podSpec, our container, its worker and `results` volume. */
function asDaemonSet(def: Obj): DaemonSet {
  const podSpec = structuredClone(def['podSpec']);
  podSpec.containers = [
    def['spec'],
    { name: 'sonobuoy-worker', image: 'sonobuoy/sonobuoy:v0.57.3', command: ['/sonobuoy'], args: ['worker', 'single-node', '-v', '5'], volumeMounts: [{ name: 'results', mountPath: SONOBUOY_RESULTS_DIR }] },
  ];
  podSpec.volumes = [...(podSpec.volumes ?? []), { name: 'results', emptyDir: {} }];
  podSpec.restartPolicy = 'Always';
  const labels = { 'sonobuoy-plugin': def['sonobuoy-config']['plugin-name'] };
  return new DaemonSet({
    metadata: { name: `sonobuoy-${labels['sonobuoy-plugin']}-daemon-set`, namespace: 'sonobuoy', labels },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  });
}

function schemaErrors(def: Obj): string | undefined {
  // The schemas leave objects open: a misspelt field is caught by name, as kubectl --validate=strict would.
  const unknown = [...unknownFields(def['podSpec'], 'PodSpec', 'podSpec'), ...unknownFields(def['spec'], 'Container', 'spec')];
  if (unknown.length) return `unknown fields: ${unknown.join(', ')}`;
  try {
    asDaemonSet(def).validate();
    new Pod({ metadata: { name: 'p' }, spec: asDaemonSet(def).spec!.template.spec! }).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('sonobuoy plugin', function () {
  this.timeout(120_000);
  describe('definition', () => {
    const def = parseYaml(pluginYaml({ image: 'registry.example/cri-conformance:0.1.0', kubernetes: '1.31', nodeSelector: ['kubernetes.io/os=linux'], tolerations: ['node-role.kubernetes.io/control-plane:NoSchedule', 'dedicated=ci'] })) as Obj;

    it('is a DaemonSet plugin with JUnit results', () => {
      expect(def['sonobuoy-config']).to.include({ driver: 'DaemonSet', 'plugin-name': 'cri-conformance', 'result-format': 'junit' });
      expect(Object.keys(def).sort()).to.deep.equal(['podSpec', 'sonobuoy-config', 'spec']);
    });

    it('validates against the Kubernetes schemas as the DaemonSet and Pod Sonobuoy makes of it', () => {
      expect(schemaErrors(def)).to.equal(undefined);
      expect(schemaErrors(pluginDefinition())).to.equal(undefined);
    });

    it('the validator refuses broken copies', () => {
      const broken: [string, (d: Obj) => void][] = [
        ['a mount path that is not a string', (d) => (d['spec'].volumeMounts[1].mountPath = 7)],
        ['a hostPath without a path', (d) => delete d['podSpec'].volumes[0].hostPath.path],
        ['an unknown toleration operator', (d) => (d['podSpec'].tolerations[0].operator = 'Sometimes')],
        ['env without a name', (d) => delete d['spec'].env[0].name],
        ['a container without a name', (d) => delete d['spec'].name],
        ['a misspelt container field', (d) => (d['spec'].volumeMount = d['spec'].volumeMounts)],
        ['a misspelt field deep in the pod spec', (d) => (d['podSpec'].volumes[0].hostPath.kind = 'Socket')],
        ['a misspelt env source', (d) => (d['spec'].env[0].valueFrom.fieldRefs = {})],
      ];
      for (const [what, spoil] of broken) {
        const copy = structuredClone(def);
        spoil(copy);
        expect(schemaErrors(copy), what).to.be.a('string');
      }
    });

    it("mounts the node's CRI socket, the results dir and the work dir at the host's path", () => {
      const vols = Object.fromEntries(def['podSpec'].volumes.map((v: Obj) => [v.name, v]));
      expect(vols['cri-socket'].hostPath).to.deep.equal({ path: '/run/containerd/containerd.sock', type: 'Socket' });
      const mounts = Object.fromEntries(def['spec'].volumeMounts.map((m: Obj) => [m.name, m.mountPath]));
      expect(mounts).to.deep.equal({ results: SONOBUOY_RESULTS_DIR, 'cri-socket': SOCKET_IN_POD, 'cri-conformance-work': vols['cri-conformance-work'].hostPath.path });
      const env = Object.fromEntries(def['spec'].env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
      expect(env['CONTAINER_RUNTIME_ENDPOINT']).to.equal(`unix://${SOCKET_IN_POD}`);
      expect(env['TMPDIR']).to.equal(vols['cri-conformance-work'].hostPath.path);
      expect(env['NODE_NAME']).to.deep.equal({ fieldRef: { fieldPath: 'spec.nodeName' } });
      expect(def['podSpec'].hostNetwork).to.equal(true);
    });

    it('runs sonobuoy-run in the image and passes the run flags after --', () => {
      expect(def['spec'].command).to.deep.equal(['/usr/local/bin/node', IMAGE_CLI, 'sonobuoy-run', '--linger', '--']);
      expect(def['spec'].args).to.deep.equal(['--kubernetes', '1.31']);
    });

    it('node selector and tolerations; every taint tolerated by default', () => {
      expect(def['podSpec'].nodeSelector).to.deep.equal({ 'kubernetes.io/os': 'linux' });
      expect(def['podSpec'].tolerations).to.deep.equal([
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'dedicated', operator: 'Equal', value: 'ci' },
      ]);
      expect(pluginDefinition()['podSpec']).to.deep.include({ tolerations: [{ operator: 'Exists' }] });
      expect(pluginDefinition()['podSpec']).to.not.have.property('nodeSelector');
    });

    it('refuses bad options with a usage error', () => {
      expect(() => pluginDefinition({ nodeSelector: ['nolabel'] })).to.throw(UsageError, /--node-selector "nolabel"/);
      expect(() => pluginDefinition({ tolerations: ['k:Never'] })).to.throw(UsageError, /--toleration/);
      expect(() => pluginDefinition({ runtimeEndpoint: 'tcp://1.2.3.4:5' })).to.throw(UsageError, /mounts the node's socket/);
      expect(() => pluginDefinition({ pluginName: 'Bad_Name' })).to.throw(UsageError, /--plugin-name/);
    });

    it('the CLI prints it; a bad flag is one line and exit 2', () => {
      const ok = spawnSync(process.execPath, [CLI, 'sonobuoy-plugin', '--image', 'x/y:1', '--focus', 'version'], { encoding: 'utf8' });
      expect(ok.status).to.equal(0);
      const printed = parseYaml(ok.stdout) as Obj;
      expect(printed['spec'].image).to.equal('x/y:1');
      expect(schemaErrors(printed)).to.equal(undefined);
      const bad = spawnSync(process.execPath, [CLI, 'sonobuoy-plugin', '--node-selector', 'oops'], { encoding: 'utf8' });
      expect(bad.status).to.equal(2);
      expect(bad.stderr.trim().split('\n')).to.have.length(1);
    });
  });

  describe('sonobuoy-run (the worker contract, on the host)', () => {
    it('a run that cannot start still hands over a JUnit file naming why, and done', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'cri-sonobuoy-'));
      try {
        const r = spawnSync(process.execPath, [CLI, 'sonobuoy-run', '--', '--runtime-endpoint', `unix://${dir}/no.sock`, '-q'], {
          encoding: 'utf8',
          env: { ...process.env, SONOBUOY_RESULTS_DIR: dir, NODE_NAME: 'node-x' },
        });
        expect(r.status).to.equal(3);
        const done = readFileSync(path.join(dir, 'done'), 'utf8');
        expect(done).to.equal(path.join(dir, 'cri-conformance-node-x.tar.gz'));
        const junit = readFileSync(path.join(dir, 'junit_node-x.xml'), 'utf8');
        expect(junit).to.match(/<failure message="cri-conformance run exited 3 before writing a report: [^"]*no\.sock/);
        expect(tarNames(readFileSync(done))).to.include('junit_node-x.xml');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('failureJUnit escapes the reason', () => {
      expect(failureJUnit('n', 2, 'bad <flag> & "x"')).to.include('bad &lt;flag&gt; &amp; "x"');
    });
  });
});
