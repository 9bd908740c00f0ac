// Version negotiation: what the kubelet checks before it registers a node.
import { defineSuite, check } from '../src/framework/index.js';

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

    it('RuntimeService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]', async (t) => {
      const { negotiation, policy } = t.run;
      check('negotiation', 'RuntimeService version', negotiation.runtime).oneOf(policy.criVersions, `kubelet ${policy.kubelet}`);
    });

    it('ImageService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]', async (t) => {
      const { negotiation, policy } = t.run;
      check('negotiation', 'ImageService version', negotiation.image).oneOf(policy.criVersions, `kubelet ${policy.kubelet}`);
    });
  });
});
