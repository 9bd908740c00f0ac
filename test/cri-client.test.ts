// The client layer's own promises: a deadline on every call, and a timeout that says what a runtime author
// needs (the RPC, the wait, the flag) instead of grpc-js's resolver and balancer timings.
import { expect } from 'chai';
import { makeCri, closeChannel } from '../src/cri/client.js';
import { RpcError } from '../src/cri/errors.js';
import { makeTimeouts } from '../src/cri/timeouts.js';
import { HANG, startCriServer, versionResponse, type FakeServer } from './support/fake-cri.js';

describe('CRI client deadlines', () => {
  let fake: FakeServer;
  before(async () => (fake = await startCriServer({ 'v1.RuntimeService': { Version: () => versionResponse('v1'), ContainerStatus: HANG } })));
  after(async () => {
    closeChannel(fake.endpoint);
    await fake.close();
  });

  it('a call the runtime never answers fails after its deadline, naming the RPC, the wait and --timeout', async () => {
    const cri = makeCri(fake.endpoint, fake.endpoint, { runtime: 'v1', image: 'v1' }, makeTimeouts(0.3));
    const err = await cri.runtime.call('ContainerStatus', { container_id: 'x' }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(RpcError);
    expect((err as RpcError).message).to.equal('ContainerStatus failed: DEADLINE_EXCEEDED: no answer within 0.3 s (raise --timeout, now 0.3, if the runtime is only slow)');
  });
});

describe('RPC errors name the runtime handler of the request', () => {
  it('RunPodSandbox (handler crun) failed: …; no handler, no mention', async () => {
    const { toRpcError, handlerOf } = await import('../src/cri/errors.js');
    const err = Object.assign(new Error('boom'), { code: 2, details: 'runtime "crun" refused the spec' });
    expect(toRpcError('RunPodSandbox', err, undefined, handlerOf({ config: {}, runtime_handler: 'crun' })).message)
      .to.equal('RunPodSandbox (handler crun) failed: UNKNOWN: runtime "crun" refused the spec');
    expect(handlerOf({ image: { image: 'x', runtime_handler: 'kata' } })).to.equal('kata');
    expect(handlerOf({ config: { image: { image: 'x', runtime_handler: 'kata' } } })).to.equal('kata');
    expect(toRpcError('RunPodSandbox', err, undefined, handlerOf({ runtime_handler: '' })).message).to.equal('RunPodSandbox failed: UNKNOWN: runtime "crun" refused the spec');
  });
});
