// Runtime status: the conditions the kubelet reads to mark the node Ready.
import {
  defineSuite, check, skip, failWith, cri,
} from '../src/framework/index.js';

const REQUIRED = cri('RuntimeCondition', 'Required conditions … If any required condition is unmet, the node will be not ready. The required conditions include: RuntimeReady … NetworkReady');
const NETWORK_READY = cri('RuntimeCondition', 'NetworkReady means the runtime network is up and ready to accept containers which require container network.');
const QUIET = cri('StatusResponse.info', 'It should only be returned non-empty when Verbose is true.');
// The request's flag, judged by its effect: with verbose false, no info.
const VERBOSE = cri('StatusRequest.verbose', 'Verbose indicates whether to return extra information about the runtime.', 'effect');
const HANDLER_NAMES = cri('RuntimeHandler.name', 'Name must be unique in StatusResponse. An empty string denotes the default handler.');

export default defineSuite(({ describe, it }) => {
  describe('Status', () => {
    it('runtime should report RuntimeReady and NetworkReady conditions, both true [Conformance]', async (t) => {
      const res = await t.cri.runtime.call('Status', { verbose: false });
      const conds = res.status?.conditions ?? [];
      check('Status', 'status.conditions', conds.length, REQUIRED).atLeast(2, 'RuntimeReady and NetworkReady are required');
      for (const type of ['RuntimeReady', 'NetworkReady']) {
        const c = conds.find((x) => x.type === type);
        if (!c) failWith(`Status: status.conditions: expected a condition of type ${type}, got [${conds.map((x) => x.type).join(', ')}]`, REQUIRED);
        check('Status', `status.conditions[${type}].status`, c.status, REQUIRED).equals(true, `reason=${c.reason} message=${c.message}`);
      }
    });

    it('runtime should return verbose info only when asked [Conformance]', async (t) => {
      const { cri } = t.run;
      const quiet = await cri.runtime.call('Status', { verbose: false });
      check('Status', 'info (verbose=false)', Object.keys(quiet.info), VERBOSE).absent(`info is for verbose requests only: ${QUIET.says}`);
      // What verbose info holds is the runtime's choice ("could include anything useful for debug"), and the
      // kubelet never parses it: only its absence from quiet answers is a contract matter.
    });

    it('runtime should list the default handler, once, in runtime_handlers [Feature:RuntimeHandlers]', async (t) => {
      const res = await t.cri.runtime.call('Status', { verbose: false });
      const handlers = res.runtime_handlers ?? [];
      if (handlers.length === 0) skip('the runtime reports no runtime_handlers (StatusResponse field added for Kubernetes 1.30); nothing to check');
      check('Status', 'runtime_handlers[].name', handlers.map((h) => h.name), HANDLER_NAMES).includes('', 'the default handler has the empty name');
      const names = handlers.map((h) => h.name);
      check('Status', 'runtime_handlers[].name (unique)', new Set(names).size, HANDLER_NAMES).equals(names.length);
    });

    it('runtime should answer UpdateRuntimeConfig with a pod CIDR [Conformance]', async (t) => {
      await t.cri.runtime.call('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.233.0.0/24' } } });
      const after = await t.cri.runtime.call('Status', { verbose: false });
      const net = after.status?.conditions.find((c) => c.type === 'NetworkReady');
      check('Status', 'status.conditions[NetworkReady].status (after UpdateRuntimeConfig)', net?.status, NETWORK_READY).equals(true);
    });
  });
});
