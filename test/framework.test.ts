// The framework under the suites: assertion messages, LIFO cleanup, polling, and the end-of-run sweep
// (against a fake runtime that ignores label filters).
import { AssertionError, expect } from 'chai';
import { check, failWith } from '../src/framework/expect.js';
import { CleanupStack } from '../src/framework/cleanup.js';
import { consistently, eventually } from '../src/framework/eventually.js';
import { RUN_LABEL } from '../src/framework/context.js';
import { sweepRun } from '../src/runner/sweep.js';
import { closeAllChannels, makeCri } from '../src/cri/client.js';
import { makeTimeouts } from '../src/cri/timeouts.js';
import { startCriServer, startSweepFake, versionResponse, type SweepFake } from './support/fake-cri.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  containerConfig, kubeletContainerConfig, podLogDirectory, podSandboxConfig, withAnnotations, withLabels, withLogPath,
  withSandboxAnnotations, withSandboxLabels, withSandboxMetadata,
} from '../src/framework/builders.js';
import { asKubeletSends } from '../src/framework/resources.js';
import { TestContext, type RunScope } from '../src/framework/context.js';
import type { Cri } from '../src/cri/client.js';

/** The message of the AssertionError fn throws. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(AssertionError);
    return (e as Error).message;
  }
  expect.fail('expected an AssertionError');
}

describe('framework', () => {
  describe('check()', () => {
    it('names the RPC and the field, expected vs actual', () => {
      expect(failure(() => check('ContainerStatus', 'status.state', 'CONTAINER_RUNNING').equals('CONTAINER_EXITED'))).to.equal(
        'ContainerStatus: status.state: expected "CONTAINER_EXITED", got "CONTAINER_RUNNING"',
      );
    });

    it('adds the reason in parentheses', () => {
      expect(failure(() => check('Status', 'status.conditions', 1).equals(2, 'RuntimeReady and NetworkReady'))).to.equal(
        'Status: status.conditions: expected 2, got 1 (RuntimeReady and NetworkReady)',
      );
    });

    it('passes and chains when the value matches', () => {
      const c = check('Version', 'runtime_api_version', 'v1');
      expect(c.equals('v1').matches(/^v1/).oneOf(['v1', 'v1alpha2']).notEquals('v2').present()).to.equal(c);
    });

    it('compares objects deeply and shows them inline', () => {
      check('PodSandboxStatus', 'status.labels', { a: '1' }).equals({ a: '1' });
      expect(failure(() => check('PodSandboxStatus', 'status.labels', { a: '1' }).equals({ a: '2' }))).to.equal(
        "PodSandboxStatus: status.labels: expected { a: '2' }, got { a: '1' }",
      );
    });

    it('notEquals and oneOf', () => {
      expect(failure(() => check('X', 'f', 'a').notEquals('a'))).to.equal('X: f: expected anything but "a", got "a"');
      expect(failure(() => check('X', 'f', 'c').oneOf(['a', 'b']))).to.equal('X: f: expected one of "a", "b", got "c"');
    });

    it('matches requires a string', () => {
      expect(failure(() => check('X', 'f', 'abc').matches(/^z/))).to.equal('X: f: expected a value matching /^z/, got "abc"');
      expect(failure(() => check('X', 'f', 12 as unknown).matches(/12/))).to.equal('X: f: expected a value matching /12/, got 12');
    });

    describe('numbers and int64 strings', () => {
      it('compares int64 decimal strings as numbers, beyond 2^53', () => {
        check('ContainerStats', 'cpu.usage_core_nano_seconds', '9223372036854775807').greaterThan(0).atLeast(9007199254740993n);
        check('ContainerStats', 'memory.working_set_bytes', '1048576').between(1, 2 ** 30).atMost(1048576).atLeast(1048576);
        check('ContainerStatus', 'exit_code', 0).atLeast(0).atMost(0);
        check('X', 'f', '-5').atMost(-5).between(-10, 0);
        // An Int64Value / UInt64Value wrapper message ({ value: '...' }).
        check('ContainerStats', 'memory.rss_bytes', { value: '4096' }).greaterThan(4095);
      });

      it('numeric failures show the bound and the actual value', () => {
        expect(failure(() => check('ContainerStats', 'memory.working_set_bytes', '99').atLeast(100))).to.equal(
          'ContainerStats: memory.working_set_bytes: expected >= 100, got "99"',
        );
        expect(failure(() => check('X', 'f', '100').greaterThan(100))).to.equal('X: f: expected > 100, got "100"');
        expect(failure(() => check('X', 'f', 101).atMost(100))).to.equal('X: f: expected <= 100, got 101');
        expect(failure(() => check('X', 'f', '0').between(1, 5))).to.equal('X: f: expected between 1 and 5, got "0"');
        // Precision: 2^53 + 1 must not compare equal to 2^53.
        expect(failure(() => check('X', 'f', '9007199254740992').atLeast(9007199254740993n))).to.match(/expected >= 9007199254740993/);
      });

      it('a non-numeric value never passes a numeric check', () => {
        for (const v of ['abc', '', '1.5', null, undefined, {}, '12abc']) {
          expect(failure(() => check('X', 'f', v).atLeast(-1e9)), String(v)).to.match(/^X: f: expected >= -1000000000, got /);
        }
      });
    });

    describe('present / absent', () => {
      const empty: [string, unknown][] = [
        ['undefined', undefined], ['null', null], ['""', ''], ['0', 0], ['"0"', '0'], ['[]', []], ['{}', {}], ['empty bytes', Buffer.alloc(0)],
      ];
      const full: [string, unknown][] = [
        ['"x"', 'x'], ['1', 1], ['"42"', '42'], ['[0]', [0]], ['{a: ""}', { a: '' }], ['bytes', Buffer.from('x')],
      ];
      for (const [name, v] of empty) {
        it(`${name} is absent, not present`, () => {
          check('X', 'f', v).absent();
          expect(failure(() => check('X', 'f', v).present())).to.match(/^X: f: expected a non-empty value, got /);
        });
      }
      for (const [name, v] of full) {
        it(`${name} is present, not absent`, () => {
          check('X', 'f', v).present();
          expect(failure(() => check('X', 'f', v).absent())).to.match(/^X: f: expected no value, got /);
        });
      }

      it('messages', () => {
        expect(failure(() => check('Version', 'runtime_name', '').present())).to.equal('Version: runtime_name: expected a non-empty value, got ""');
        expect(failure(() => check('Status', 'info', ['a']).absent('verbose only'))).to.equal(
          "Status: info: expected no value, got [ 'a' ] (verbose only)",
        );
      });
    });

    describe('collections', () => {
      it('sameMembers ignores order but not duplicates or extras', () => {
        check('ListContainers', 'ids', ['b', 'a', 'c']).sameMembers(['a', 'b', 'c']);
        check('ListContainers', 'ids', []).sameMembers([]);
        check('X', 'objs', [{ id: 2 }, { id: 1 }]).sameMembers([{ id: 1 }, { id: 2 }]);
        expect(failure(() => check('ListContainers', 'ids', ['a', 'b']).sameMembers(['a', 'b', 'c']))).to.equal(
          'ListContainers: ids: expected exactly ["a", "b", "c"] in any order, got [ \'a\', \'b\' ]',
        );
        expect(failure(() => check('X', 'ids', ['a', 'a']).sameMembers(['a']))).to.match(/expected exactly \["a"\] in any order/);
        expect(failure(() => check('X', 'ids', ['a', 'b', 'x']).sameMembers(['a', 'b']))).to.match(/expected exactly/);
      });

      it('includes / excludes work on arrays (deep) and strings', () => {
        check('X', 'list', [{ a: 1 }, 'z']).includes({ a: 1 }).excludes({ a: 2 });
        check('X', 'log', 'hello world').includes('world').excludes('bye');
        expect(failure(() => check('X', 'list', ['a']).includes('b'))).to.equal('X: list: expected to include "b", got [ \'a\' ]');
        expect(failure(() => check('X', 'log', 'hello').excludes('ell'))).to.equal('X: log: expected not to include "ell", got "hello"');
      });

      it('isTrue is strict', () => {
        check('X', 'ok', true).isTrue();
        expect(failure(() => check('X', 'ok', 'true' as unknown).isTrue())).to.equal('X: ok: expected true, got "true"');
        expect(failure(() => check('X', 'ok', 1 as unknown).isTrue())).to.equal('X: ok: expected true, got 1');
      });
    });

    it('failWith throws its message as an AssertionError', () => {
      expect(failure(() => failWith('RemovePodSandbox of a missing id should succeed'))).to.equal('RemovePodSandbox of a missing id should succeed');
    });
  });

  describe('CleanupStack', () => {
    it('runs entries newest first and empties itself', async () => {
      const s = new CleanupStack();
      const order: string[] = [];
      for (const n of ['sandbox', 'container', 'exec']) s.push(n, async () => void order.push(n));
      expect(s.size).to.equal(3);
      expect(await s.drain()).to.deep.equal([]);
      expect(order).to.deep.equal(['exec', 'container', 'sandbox']);
      expect(s.size).to.equal(0);
      expect(await s.drain()).to.deep.equal([]);
      expect(order).to.have.length(3);
    });

    it('a failing entry is recorded and does not stop the rest', async () => {
      const s = new CleanupStack();
      const order: string[] = [];
      s.push('pod p1', async () => void order.push('p1'));
      s.push('container c1', async () => {
        order.push('c1');
        throw new Error('RemoveContainer failed: INTERNAL: boom');
      });
      s.push('container c2', async () => void order.push('c2'));
      const failed = await s.drain();
      expect(order).to.deep.equal(['c2', 'c1', 'p1']);
      expect(failed).to.deep.equal(['cleanup of container c1 failed: RemoveContainer failed: INTERNAL: boom']);
      expect(s.errors).to.deep.equal(failed);
    });

    it('keeps every drain\'s errors in .errors; drain() returns only its own', async () => {
      const s = new CleanupStack();
      s.push('a', () => Promise.reject(new Error('one')));
      await s.drain();
      s.push('b', () => Promise.reject(new Error('two')));
      expect(await s.drain()).to.deep.equal(['cleanup of b failed: two']);
      expect(s.errors).to.deep.equal(['cleanup of a failed: one', 'cleanup of b failed: two']);
    });

    it('runs entries pushed during a drain too', async () => {
      const s = new CleanupStack();
      const order: string[] = [];
      s.push('outer', async () => {
        order.push('outer');
        s.push('late', async () => void order.push('late'));
      });
      await s.drain();
      expect(order).to.deep.equal(['outer', 'late']);
      expect(s.size).to.equal(0);
    });
  });

  describe('eventually / consistently', () => {
    it('eventually returns as soon as fn succeeds', async () => {
      let n = 0;
      const t0 = Date.now();
      const v = await eventually(
        async () => {
          if (++n < 3) throw new Error(`not yet ${n}`);
          return 'ready';
        },
        { timeoutMs: 2000, intervalMs: 20 },
      );
      expect(v).to.equal('ready');
      expect(n).to.equal(3);
      expect(Date.now() - t0).to.be.below(500);
    });

    it('eventually rethrows the last error when time runs out, near the timeout', async () => {
      let n = 0;
      const t0 = Date.now();
      let err: Error | undefined;
      await eventually(
        async () => {
          throw new Error(`attempt ${++n}`);
        },
        { timeoutMs: 300, intervalMs: 50 },
      ).catch((e: Error) => (err = e));
      const ms = Date.now() - t0;
      expect(err?.message).to.equal(`attempt ${n}`);
      expect(n).to.be.within(4, 8);
      expect(ms).to.be.within(200, 600);
    });

    it('eventually tries at least once even with a zero timeout', async () => {
      let n = 0;
      expect(await eventually(async () => ++n, { timeoutMs: 0 })).to.equal(1);
    });

    it('consistently keeps checking for the whole window', async () => {
      let n = 0;
      const t0 = Date.now();
      await consistently(async () => void n++, { timeoutMs: 250, intervalMs: 50 });
      expect(Date.now() - t0).to.be.at.least(250);
      expect(n).to.be.within(3, 7);
    });

    it('consistently fails at the first throw, without waiting out the window', async () => {
      let n = 0;
      const t0 = Date.now();
      const err = await consistently(
        async () => {
          if (++n === 2) throw new Error('container exited');
        },
        { timeoutMs: 5000, intervalMs: 20 },
      ).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.equal('container exited');
      expect(n).to.equal(2);
      expect(Date.now() - t0).to.be.below(1000);
    });
  });

  describe('sweepRun', function () {
    this.timeout(10_000);
    const RUN = '20260101-abcd1234';
    let fake: SweepFake | undefined;
    const cri = (f: { endpoint: Parameters<typeof makeCri>[0] }) => makeCri(f.endpoint, f.endpoint, { runtime: 'v1', image: 'v1' }, makeTimeouts(2));

    afterEach(async () => {
      closeAllChannels();
      await fake?.close();
      fake = undefined;
    });

    it('removes only objects carrying this run\'s label, even when the runtime ignores the filter', async () => {
      fake = await startSweepFake({
        containers: [
          { id: 'c-mine', labels: { [RUN_LABEL]: RUN, app: 'x' } },
          { id: 'c-other-run', labels: { [RUN_LABEL]: '20260101-ffffffff' } },
          { id: 'c-prefix', labels: { [RUN_LABEL]: `${RUN}-2` } },
          { id: 'c-unlabelled', labels: {} },
          { id: 'c-user', labels: { 'io.kubernetes.pod.name': 'coredns' } },
          { id: 'c-mine-2', labels: { [RUN_LABEL]: RUN } },
        ],
        sandboxes: [
          { id: 'p-user', labels: { 'io.kubernetes.pod.namespace': 'kube-system' } },
          { id: 'p-mine', labels: { [RUN_LABEL]: RUN } },
          { id: 'p-other-run', labels: { [RUN_LABEL]: 'someone-else' } },
          { id: 'p-label-as-value', labels: { other: RUN } },
        ],
      });
      const r = await sweepRun(cri(fake), RUN);
      expect(fake.mutations).to.deep.equal(['RemoveContainer c-mine', 'RemoveContainer c-mine-2', 'StopPodSandbox p-mine', 'RemovePodSandbox p-mine']);
      expect(r.removed).to.deep.equal(['container c-mine', 'container c-mine-2', 'pod sandbox p-mine']);
      expect(r.errors).to.deep.equal([]);
      // It did ask the runtime to filter by the label.
      expect(fake.filters).to.have.length(2);
      for (const f of fake.filters) expect(f).to.deep.include({ label_selector: { [RUN_LABEL]: RUN } });
    });

    it('with no run id (the cleanup command) removes every cri-conformance run and nothing else', async () => {
      fake = await startSweepFake({
        containers: [
          { id: 'c-run-a', labels: { [RUN_LABEL]: RUN } },
          { id: 'c-run-b', labels: { [RUN_LABEL]: '20260101-ffffffff' } },
          { id: 'c-user', labels: { 'io.kubernetes.pod.name': 'coredns' } },
        ],
        sandboxes: [
          { id: 'p-user', labels: { 'io.kubernetes.pod.namespace': 'kube-system' } },
          { id: 'p-run-b', labels: { [RUN_LABEL]: 'someone-else' } },
          { id: 'p-label-as-value', labels: { other: RUN } },
        ],
      });
      await sweepRun(cri(fake), undefined);
      expect(fake.mutations).to.deep.equal(['RemoveContainer c-run-a', 'RemoveContainer c-run-b', 'StopPodSandbox p-run-b', 'RemovePodSandbox p-run-b']);
    });

    it('touches nothing when no object carries the label', async () => {
      fake = await startSweepFake({
        containers: [{ id: 'c1', labels: {} }, { id: 'c2', labels: { [RUN_LABEL]: 'x' } }],
        sandboxes: [{ id: 'p1', labels: {} }],
      });
      const r = await sweepRun(cri(fake), RUN);
      expect(fake.mutations).to.deep.equal([]);
      expect(r).to.deep.equal({ removed: [], errors: [] });
    });

    it('a failing removal is reported and the sweep goes on', async () => {
      fake = await startSweepFake({
        containers: [{ id: 'c-stuck', labels: { [RUN_LABEL]: RUN } }, { id: 'c-ok', labels: { [RUN_LABEL]: RUN } }],
        sandboxes: [{ id: 'p-stuck', labels: { [RUN_LABEL]: RUN } }, { id: 'p-ok', labels: { [RUN_LABEL]: RUN } }],
        failRemove: ['c-stuck', 'p-stuck'],
      });
      const r = await sweepRun(cri(fake), RUN);
      expect(fake.mutations).to.deep.equal([
        'RemoveContainer c-stuck', 'RemoveContainer c-ok',
        'StopPodSandbox p-stuck', 'RemovePodSandbox p-stuck', // stop failed: removal (which force-stops) still tried
        'StopPodSandbox p-ok', 'RemovePodSandbox p-ok',
      ]);
      expect(r.removed).to.deep.equal(['container c-ok', 'pod sandbox p-ok']);
      expect(r.errors).to.have.length(2);
      expect(r.errors[0]).to.match(/^container c-stuck: RemoveContainer failed: INTERNAL: cannot RemoveContainer c-stuck/);
      expect(r.errors[1]).to.match(/^pod sandbox p-stuck: RemovePodSandbox failed: INTERNAL/);
    });

    it('a runtime that cannot list reports an error per listing, tries both, and removes nothing', async () => {
      const s = await startCriServer({ 'v1.RuntimeService': { Version: () => versionResponse('v1') } });
      try {
        const r = await sweepRun(cri(s), RUN);
        expect(r.removed).to.deep.equal([]);
        expect(r.errors).to.have.length(2);
        expect(r.errors[0]).to.match(/^listing this run's containers failed: ListContainers failed: UNIMPLEMENTED/);
        expect(r.errors[1]).to.match(/^listing this run's pod sandboxes failed: ListPodSandbox failed: UNIMPLEMENTED/);
        expect(s.calls).to.deep.equal(['v1.RuntimeService/ListContainers', 'v1.RuntimeService/ListPodSandbox']);
      } finally {
        closeAllChannels();
        await s.close();
      }
    });
  });

  describe('requests as the kubelet builds them', () => {
    const IMG = 'registry.test/cri-conformance/busybox:1.36';

    it('a pod carries the kubelet\'s labels from its metadata and the annotations its pod config adds, beside what the test gave', () => {
      const c = podSandboxConfig('p', withSandboxLabels({ app: 'a' }), withSandboxAnnotations({ note: 'n' }));
      const m = c.metadata!;
      expect(c.labels).to.deep.equal({ app: 'a', 'io.kubernetes.pod.name': m.name, 'io.kubernetes.pod.namespace': m.namespace, 'io.kubernetes.pod.uid': m.uid });
      expect(c.annotations).to.have.all.keys('note', 'kubernetes.io/config.source', 'kubernetes.io/config.seen');
      expect(c.annotations!['kubernetes.io/config.source']).to.equal('api');
      expect(Date.parse(c.annotations!['kubernetes.io/config.seen']!)).to.be.closeTo(Date.now(), 5_000);
    });

    it('pod labels follow metadata set by an option; a key the test sets itself is sent as given', () => {
      const c = podSandboxConfig('p', withSandboxMetadata({ name: 'n1', uid: 'u1', namespace: 'ns1', attempt: 0 }), withSandboxLabels({ 'io.kubernetes.pod.uid': 'mine' }));
      expect(c.labels).to.deep.equal({ 'io.kubernetes.pod.name': 'n1', 'io.kubernetes.pod.namespace': 'ns1', 'io.kubernetes.pod.uid': 'mine' });
    });

    it('the pod log directory is <root>/<namespace>_<name>_<uid>', () => {
      expect(podLogDirectory('/r/pods', { name: 'n', namespace: 'ns', uid: 'u', attempt: 0 })).to.equal('/r/pods/ns_n_u');
    });

    it('a container carries the kubelet\'s labels, annotations, log_path and user_specified_image, beside the test\'s own', () => {
      const pod = podSandboxConfig('p');
      pod.log_directory = '/r/pods/x';
      const given = containerConfig('c', IMG, withLabels({ app: 'a' }), withAnnotations({ note: 'n' }));
      const name = given.metadata!.name!;
      const c = kubeletContainerConfig(given, pod);
      const pm = pod.metadata!;
      expect(c.labels).to.deep.equal({
        app: 'a', 'io.kubernetes.container.name': name, 'io.kubernetes.pod.name': pm.name, 'io.kubernetes.pod.namespace': pm.namespace, 'io.kubernetes.pod.uid': pm.uid,
      });
      expect(c.annotations).to.deep.include({
        note: 'n',
        'io.kubernetes.container.restartCount': '0',
        'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
        'io.kubernetes.container.terminationMessagePolicy': 'File',
        'io.kubernetes.pod.terminationGracePeriod': '30',
      });
      expect(c.annotations!['io.kubernetes.container.hash']).to.match(/^[0-9a-f]{1,8}$/);
      expect(c.log_path).to.equal(`${name}/0.log`);
      expect(c.image).to.deep.equal({ image: IMG, user_specified_image: IMG });
      expect(given.labels, 'the input is not changed').to.deep.equal({ app: 'a' });
    });

    it('a container\'s hash changes with its spec, its log_path and restartCount follow its attempt', () => {
      const pod = podSandboxConfig('p');
      pod.log_directory = '/r/pods/x';
      const a = containerConfig('c', IMG);
      const b = structuredClone(a);
      b.command = ['sh'];
      b.metadata!.attempt = 2;
      const ka = kubeletContainerConfig(a, pod);
      const kb = kubeletContainerConfig(b, pod);
      expect(ka.annotations!['io.kubernetes.container.hash']).to.not.equal(kb.annotations!['io.kubernetes.container.hash']);
      expect(kb.log_path).to.equal(`${b.metadata!.name}/2.log`);
      expect(kb.annotations!['io.kubernetes.container.restartCount']).to.equal('2');
    });

    it('a container keeps a log_path the test set, and gets none in a pod without a log directory', () => {
      const pod = podSandboxConfig('p');
      expect(kubeletContainerConfig(containerConfig('c', IMG), pod).log_path).to.equal(undefined);
      pod.log_directory = '/r/pods/x';
      expect(kubeletContainerConfig(containerConfig('c', IMG, withLogPath('own/5.log')), pod).log_path).to.equal('own/5.log');
    });

    it('an image spec without user_specified_image gets the image as the test named it', () => {
      const c = containerConfig('c', IMG);
      c.image = { image: IMG };
      expect(kubeletContainerConfig(c, podSandboxConfig('p')).image).to.deep.equal({ image: IMG, user_specified_image: IMG });
    });

    describe('asKubeletSends (what CreateContainer sends)', () => {
      let dir: string;
      beforeEach(() => void (dir = mkdtempSync(path.join(os.tmpdir(), 'crc-requests-'))));
      afterEach(() => rmSync(dir, { recursive: true, force: true }));

      /** A test context whose image service answers ImageStatus with `id` (undefined: the image is absent) and
       * PullImage with `pulled` (undefined: the pull fails). */
      const context = (id: string | undefined, pulled?: string) => {
        const asked: unknown[] = [];
        const call = async (rpc: string, req: unknown) => {
          asked.push([rpc, req]);
          if (rpc === 'ImageStatus') return { image: id ? { id } : null };
          if (rpc === 'PullImage' && pulled) return { image_ref: pulled };
          throw new Error(`${rpc} failed`);
        };
        const cri = { image: { call } } as unknown as Cri;
        const run = { cri, runId: 'run-1', workDir: dir, preexistingImages: new Set(), runCleanup: new CleanupStack() } as unknown as RunScope;
        return { t: new TestContext(run, 'suite/test'), asked };
      };

      it('sends the image id as ImageSpec.image and the name as given as user_specified_image, creates <log_directory>/<name>/ and removes it after the test', async () => {
        const { t, asked } = context('sha256:' + 'a'.repeat(64));
        const pod = podSandboxConfig('p');
        pod.log_directory = path.join(dir, 'pods', 'ns_p_u');
        const cfg = containerConfig('c', IMG);
        const sent = await asKubeletSends(t, { id: 'sb', config: pod }, cfg);
        expect(sent, 'completed in place: the test sees what was sent').to.equal(cfg);
        expect(asked).to.deep.equal([['ImageStatus', { image: { image: IMG } }]]);
        expect(cfg.image).to.deep.equal({ image: 'sha256:' + 'a'.repeat(64), user_specified_image: IMG });
        expect(cfg.labels).to.include({ [RUN_LABEL]: 'run-1', 'io.kubernetes.container.name': cfg.metadata!.name });
        const logDir = path.join(pod.log_directory, cfg.metadata!.name!);
        expect(existsSync(logDir)).to.equal(true);
        expect(await t.close()).to.deep.equal([]);
        expect(existsSync(logDir), 'removed after the test').to.equal(false);
        expect(existsSync(pod.log_directory), 'the pod\'s directory is the pod\'s to remove').to.equal(true);
      });

      it('pulls an image the runtime lacks (EnsureImageExists, IfNotPresent) and sends PullImage\'s image_ref', async () => {
        const { t, asked } = context(undefined, 'sha256:' + 'b'.repeat(64));
        const cfg = containerConfig('c', IMG);
        await asKubeletSends(t, { id: 'sb', config: podSandboxConfig('p') }, cfg);
        expect(asked.map((a) => (a as string[])[0])).to.deep.equal(['ImageStatus', 'PullImage']);
        expect(cfg.image).to.deep.equal({ image: 'sha256:' + 'b'.repeat(64), user_specified_image: IMG });
      });

      it('sends the reference as given when the image can be neither found nor pulled, and creates nothing outside the run\'s directory', async () => {
        const { t } = context(undefined);
        const pod = podSandboxConfig('p');
        pod.log_directory = path.join(os.tmpdir(), `crc-not-ours-${process.pid}`);
        const cfg = containerConfig('c', IMG);
        await asKubeletSends(t, { id: 'sb', config: pod }, cfg);
        expect(cfg.image).to.deep.equal({ image: IMG, user_specified_image: IMG });
        expect(existsSync(pod.log_directory)).to.equal(false);
        await t.close();
      });
    });
  });
});
