// Self-tests: each version check fails, with a message naming the field, when the runtime answers wrong.
import { Status, expectCheckFails } from '../support/selftest.js';

const V = 'version/Version ';

describe('self-test: version', function () {
  this.timeout(600_000);

  for (const field of ['version', 'runtime_name', 'runtime_version', 'runtime_api_version']) {
    it(`fails when Version answers an empty ${field}`, () =>
      expectCheckFails(
        `${V}runtime should answer Version with version, runtime_name, runtime_version and runtime_api_version set [Conformance]`,
        [{ rpc: 'Version', mutate: (r) => void (r[field] = '') }],
        new RegExp(`Version: ${field}: expected a non-empty value, got ""`),
      ));
  }

  it('fails when runtime_api_version does not name the negotiated version', () =>
    expectCheckFails(
      `${V}runtime should report the negotiated API version in runtime_api_version [Conformance]`,
      [{ rpc: 'Version', mutate: (r) => void (r.runtime_api_version = 'v0') }],
      /Version: runtime_api_version: expected one of "v1", "v1.0.0", "1.0.0", got "v0"/,
    ));

  it('fails when only v1alpha2 is served and the release needs v1', () =>
    expectCheckFails(
      `${V}RuntimeService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]`,
      [{ rpc: 'Version', version: 'v1', error: { code: Status.UNIMPLEMENTED, details: 'v1 off' } }],
      /negotiation: RuntimeService version: expected one of "v1", got "v1alpha2" \(kubelet 1\.36\)/,
    ));

  it('fails when the image service is only served in v1alpha2 and the release needs v1', () =>
    expectCheckFails(
      `${V}ImageService should be served in a CRI version the selected kubelet release accepts [Conformance] [Profile]`,
      [{ rpc: 'ImageFsInfo', version: 'v1', error: { code: Status.UNIMPLEMENTED, details: 'v1 off' } }],
      /negotiation: ImageService version: expected one of "v1", got "v1alpha2"/,
    ));
});
