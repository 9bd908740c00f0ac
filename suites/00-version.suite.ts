// Version negotiation: what the kubelet checks before it registers a node.
import { status as Status } from '@grpc/grpc-js';
import {
  defineSuite, check, failWith, skip,
} from '../src/framework/index.js';
import { isRpcError, codeName } from '../src/cri/errors.js';

export default defineSuite(({ describe, it }) => {
  describe('Version', () => {
    it('runtime should answer Version with version, runtime_name, runtime_version and runtime_api_version set [Conformance]', async (t) => {
      const v = await t.cri.runtime.call('Version', { version: '0.1.0' });
      // kubelet >= 1.27 rejects a Version answer with any of these empty.
      check('Version', 'version', v.version).present();
      check('Version', 'runtime_name', v.runtime_name).present();
      check('Version', 'runtime_version', v.runtime_version).present();
      check('Version', 'runtime_api_version', v.runtime_api_version).present();
    });

    it('runtime should report the negotiated API version in runtime_api_version [Conformance]', async (t) => {
      const v = await t.cri.runtime.call('Version', { version: '0.1.0' });
      const negotiated = t.run.negotiation.runtime!;
      // containerd and CRI-O answer "v1" / "v1alpha2"; older runtimes "0.1.0" for v1alpha2.
      const accepted = negotiated === 'v1' ? ['v1', 'v1.0.0'] : ['v1alpha2', '0.1.0'];
      check('Version', 'runtime_api_version', v.runtime_api_version).oneOf(accepted, `negotiated runtime.${negotiated}`);
    });

    it('RuntimeService should be served in a CRI version the selected kubelet release accepts [Conformance]', async (t) => {
      const { negotiation, policy } = t.run;
      check('negotiation', 'RuntimeService version', negotiation.runtime).oneOf(policy.criVersions, `kubelet ${policy.kubelet}`);
    });

    it('ImageService should be served in a CRI version the selected kubelet release accepts [Conformance]', async (t) => {
      const { negotiation, policy } = t.run;
      check('negotiation', 'ImageService version', negotiation.image).oneOf(policy.criVersions, `kubelet ${policy.kubelet}`);
    });

    it('runtime should answer Version and ImageFsInfo without error, which kubelet 1.27+ requires at startup [Conformance]', async (t) => {
      const { cri } = t.run;
      for (const [name, call] of [
        ['Version', () => cri.runtime.call('Version', { version: '0.1.0' })],
        ['ImageFsInfo', () => cri.image.call('ImageFsInfo', {})],
      ] as const) {
        try {
          await call();
        } catch (e) {
          if (isRpcError(e)) failWith(`${name}: expected an answer, got ${codeName(e.code)}: ${e.details} (kubelet >= 1.27 does not start)`);
          throw e;
        }
      }
    });

    it('runtime.v1 Version should not answer UNIMPLEMENTED when v1 was negotiated [Conformance]', async (t) => {
      const { cri, negotiation } = t.run;
      if (negotiation.mode !== 'auto') skip(`--cri-version ${negotiation.mode} was forced: the v1 to v1alpha2 fallback was not exercised`);
      if (negotiation.runtime !== 'v1') {
        // The fallback is only legal for kubelet 1.23-1.25; the previous tests judge that.
        check('negotiation', 'probes', negotiation.probes.find((p) => p.version === 'v1' && p.rpc === 'Version')?.outcome ?? '').matches(/^UNIMPLEMENTED/, 'fallback to v1alpha2 is only allowed after UNIMPLEMENTED');
        return;
      }
      try {
        await cri.runtime.call('Version', { version: '0.1.0' });
      } catch (e) {
        if (isRpcError(e) && e.code === Status.UNIMPLEMENTED) failWith('Version: expected runtime.v1 to be served, got UNIMPLEMENTED');
        throw e;
      }
    });
  });
});
