// Slot pods (src/framework/slot-pods.ts): a slot's pod goes to the slot's next test only after a clean pass;
// anything else removes it, and the end of the run removes what is left. Judged with recording stand-ins for
// the two RPCs (no runtime).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SlotPods } from '../src/framework/slot-pods.js';
import { containerPod, defineSuite } from '../src/framework/index.js';
import { startMiniRuntime } from './support/fake-cri.js';
import { entry, runAgainst } from './support/fake-run.js';

describe('slot pods', () => {
  let dir: string;
  let calls: string[];
  let n: number;
  const pods = () =>
    new SlotPods({
      workDir: dir,
      create: async (config, handler) => {
        const id = `pod-${++n}`;
        calls.push(`create ${id} handler=${handler || 'default'} logs=${path.basename(config.log_directory ?? '')}`);
        return id;
      },
      remove: async (id) => void calls.push(`remove ${id}`),
    });
  let uids: number;
  const cfg = () => ({ metadata: { name: 'x', uid: `u${++uids}`, namespace: 'n', attempt: 0 } });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'crc-slot-pods-'));
    calls = [];
    n = 0;
    uids = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands a pod to the same slot\'s next test after a clean pass, and never to another slot', async () => {
    const p = pods();
    const a = await p.take(0, '', cfg);
    await p.release(0, a, true);
    expect((await p.take(0, '', cfg)).id).to.equal(a.id);
    const b = await p.take(1, '', cfg);
    expect(b.id).to.not.equal(a.id);
    expect(calls).to.deep.equal(['create pod-1 handler=default logs=n_x_u1', 'create pod-2 handler=default logs=n_x_u2']);
  });

  it('removes the pod after a failed test or a failed cleanup, and makes a new one for the slot', async () => {
    const p = pods();
    const a = await p.take(0, '', cfg);
    await p.release(0, a, false);
    expect(calls).to.deep.equal(['create pod-1 handler=default logs=n_x_u1', 'remove pod-1']);
    const b = await p.take(0, '', cfg);
    expect(b.id).to.equal('pod-2');
  });

  it('gives a test that asks for another handler a pod of that handler', async () => {
    const p = pods();
    await p.release(0, await p.take(0, '', cfg), true);
    const c = await p.take(0, 'crun', cfg);
    expect(c.id).to.equal('pod-2');
    expect(calls).to.deep.equal(['create pod-1 handler=default logs=n_x_u1', 'remove pod-1', 'create pod-2 handler=crun logs=n_x_u2']);
  });

  it('makes each pod\'s log directory the kubelet\'s way under the run\'s directory, with the kubelet\'s pod labels, and removes it with the pod', async () => {
    const p = pods();
    const a = await p.take(0, '', cfg);
    expect(a.config.log_directory).to.equal(path.join(dir, 'pods', 'n_x_u1'));
    expect(existsSync(a.config.log_directory!)).to.equal(true);
    expect(a.config.labels).to.include({ 'io.kubernetes.pod.name': 'x', 'io.kubernetes.pod.namespace': 'n', 'io.kubernetes.pod.uid': 'u1' });
    await p.release(0, a, true);
    expect(existsSync(a.config.log_directory!), 'kept while the pod waits in its slot').to.equal(true);
    const b = await p.take(1, '', cfg);
    await p.release(1, b, false);
    expect(existsSync(b.config.log_directory!), 'removed with a pod removed after a failed test').to.equal(false);
    await p.closeAll();
    expect(existsSync(a.config.log_directory!), 'removed at the end of the run').to.equal(false);
    expect(readdirSync(path.join(dir, 'pods'))).to.deep.equal([]);
  });

  it('removes every pod at the end of the run, idle or still held', async () => {
    const p = pods();
    await p.release(0, await p.take(0, '', cfg), true);
    await p.take(1, '', cfg); // held by a test that never released it (the run was interrupted)
    await p.closeAll();
    expect(calls.filter((c) => c.startsWith('remove')).sort()).to.deep.equal(['remove pod-1', 'remove pod-2']);
    await p.closeAll();
    expect(calls.filter((c) => c.startsWith('remove'))).to.have.length(2);
  });

  it('in a run: the next test of the slot gets the pod of a passed test, a failed test\'s pod is removed, none is left', async () => {
    const fake = await startMiniRuntime();
    try {
      const seen: string[] = [];
      const spec = defineSuite(({ describe, it }) =>
        describe('s', () => {
          it('one passes', async (t) => void seen.push((await containerPod(t)).id));
          it('two fails', async (t) => {
            seen.push((await containerPod(t)).id);
            throw new Error('failed on purpose');
          });
          it('three passes', async (t) => void seen.push((await containerPod(t)).id));
          it('four asks twice', async (t) => void seen.push((await containerPod(t)).id, (await containerPod(t)).id));
        }),
      );
      const r = await runAgainst(fake, [entry('s', spec)], { jobs: 1 });
      expect(r.suites[0]!.tests.map((x) => x.status)).to.deep.equal(['passed', 'failed', 'passed', 'passed']);
      expect(seen).to.deep.equal(['sb1', 'sb1', 'sb2', 'sb2', 'sb3']);
      expect(fake.mutations.filter((m) => m.startsWith('RemovePodSandbox'))).to.deep.equal(['RemovePodSandbox sb1', 'RemovePodSandbox sb3', 'RemovePodSandbox sb2']);
      expect(fake.sandboxes.size).to.equal(0);
    } finally {
      await fake.close();
    }
  });
});
