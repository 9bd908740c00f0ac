// Version negotiation: what the kubelet checks before it registers a node.
import { defineSuite, check, cri, kubelet } from '../src/framework/index.js';

/** The kubelet refuses a runtime whose VersionResponse leaves any of these empty (profiles.yaml versionResponse). */
const VERSION_FIELDS = kubelet('cri-client remote_runtime.go Version() (pkg/kubelet/cri/remote before 1.30)', 'fails with "not all fields are set in VersionResponse" when version, runtime_name, runtime_version or runtime_api_version is empty');
const API_VERSION = cri('VersionResponse.runtime_api_version', 'API version of the container runtime. The string must be semver-compatible.', 'true');
const SERVED = kubelet('cri-client remote_runtime.go / remote_image.go validateServiceConnection()', 'the kubelet of a release speaks only its CRI versions (v1, and v1alpha2 before 1.26) and does not start without one');

export default defineSuite(({ describe, it }) => {
  describe('Version', () => {
    it('runtime should answer Version with version, runtime_name, runtime_version and runtime_api_version set [Conformance]', async (t) => {
      const v = await t.cri.runtime.call('Version', { version: '0.1.0' });
      // kubelet >= 1.27 rejects a Version answer with any of these empty.
      check('Version', 'version', v.version, VERSION_FIELDS).present();
      check('Version', 'runtime_name', v.runtime_name, VERSION_FIELDS).present();
      check('Version', 'runtime_version', v.runtime_version, VERSION_FIELDS).present();
      check('Version', 'runtime_api_version', v.runtime_api_version, VERSION_FIELDS).present();
    });

    it('runtime should report the negotiated API version in runtime_api_version [Conformance]', async (t) => {
      const v = await t.cri.runtime.call('Version', { version: '0.1.0' });
      const negotiated = t.run.negotiation.runtime!;
      // containerd and CRI-O answer "v1" / "v1alpha2"; older runtimes "0.1.0" for v1alpha2. The contract asks for a
      // semver-compatible string, so the semver spellings of v1 count too.
      const accepted = negotiated === 'v1' ? ['v1', 'v1.0.0', '1.0.0'] : ['v1alpha2', '0.1.0'];
      check('Version', 'runtime_api_version', v.runtime_api_version, API_VERSION).oneOf(accepted, `negotiated runtime.${negotiated}`);
    });

    it('RuntimeService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]', async (t) => {
      const { negotiation, policy } = t.run;
      check('negotiation', 'RuntimeService version', negotiation.runtime, SERVED).oneOf(policy.criVersions, `kubelet ${policy.kubelet}`);
    });

    it('ImageService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]', async (t) => {
      const { negotiation, policy } = t.run;
      check('negotiation', 'ImageService version', negotiation.image, SERVED).oneOf(policy.criVersions, `kubelet ${policy.kubelet}`);
    });
  });
});
