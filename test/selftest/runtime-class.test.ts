// Self-tests: each RuntimeClass check fails with a useful message when the runtime routes or reports pods wrong.
import { Status, expectCheckFails, type Fault } from '../support/selftest.js';

const R = 'runtime-class/RuntimeClass ';
const LISTED = `${R}runtime should list the runtime handler this run uses in Status.runtime_handlers [Feature:RuntimeHandlers]`;
const EACH = `${R}runtime should run a pod on each of its runtime handlers and report the handler in PodSandboxStatus and ListPodSandbox [Conformance]`;
const HOST = `${R}containers of a pod should run under the pod's runtime handler, as seen from the host [Conformance]`;
const UNKNOWN = `${R}runtime should refuse a pod with an unknown runtime handler and leave nothing of it [Conformance]`;
const IMAGE = `${R}runtime should pull and report an image for a runtime handler (ImageSpec.runtime_handler) [Feature:RuntimeClassInImageCriAPI]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
const bogus = (req: Msg): boolean => String(req.runtime_handler ?? '').startsWith('crc-no-such-handler-');

describe('self-test: runtime-class', function () {
  this.timeout(600_000);

  it(`${LISTED} fails when the runtime lists other handlers only`, () =>
    expectCheckFails(LISTED, [{ rpc: 'Status', mutate: (r) => void (r.runtime_handlers = [{ name: 'kata', features: null }]) }],
      /Status: runtime_handlers\[\]\.name: expected to include "" \(the handler this run uses\), got \["kata"\]/));

  it(`${EACH} fails when PodSandboxStatus reports another handler`, () =>
    expectCheckFails(EACH, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.runtime_handler = 'other') }],
      /PodSandboxStatus: status\.runtime_handler \(pod run with "runc"\): expected "runc", got "other"/));

  it(`${EACH} fails when ListPodSandbox reports another handler`, () =>
    expectCheckFails(EACH, [{ rpc: 'ListPodSandbox', mutate: (r) => r.items.forEach((i: Msg) => (i.runtime_handler = '')) }],
      /ListPodSandbox: items\[0\]\.runtime_handler \(pod run with "runc"\): expected "runc", got ""/));

  it(`${HOST} fails when a crun pod really runs on runc`, () =>
    expectCheckFails(HOST, [{ rpc: 'RunPodSandbox', when: (req) => req.runtime_handler === 'crun', mutateRequest: (req) => void (req.runtime_handler = 'runc') }],
      /host: handlers whose state root holds container [0-9a-f]{12} \(pod run with "crun"\): expected \[ 'crun' \], got \[ 'runc' \]/));

  it(`${UNKNOWN} fails when the runtime runs the pod on its default handler instead`, () =>
    expectCheckFails(UNKNOWN, [{ rpc: 'RunPodSandbox', when: bogus, mutateRequest: (req) => void (req.runtime_handler = '') }],
      /RunPodSandbox \(runtime_handler "crc-no-such-handler-[0-9a-f]+"\): expected an error \(the runtime has no such handler\), got success/));

  // The runtime makes the sandbox, then answers an error: refused, yet something is left.
  const leaves: Fault = {
    rpc: 'RunPodSandbox',
    when: bogus,
    mutateRequest: (req) => void (req.runtime_handler = ''),
    mutate: () => {
      throw new Error('refused after creating the sandbox');
    },
  };
  it(`${UNKNOWN} fails when the refused pod is left behind`, () =>
    expectCheckFails(UNKNOWN, [leaves],
      /ListPodSandbox: items\[\]\.id \(pods labelled like the refused one\): expected no value, got \[ '[0-9a-f]+' \] \(a refused RunPodSandbox must leave no sandbox behind\)/));

  it(`${IMAGE} fails when the pull for the handler answers no image_ref`, () =>
    expectCheckFails(IMAGE, [{ rpc: 'PullImage', when: (req) => req.image?.runtime_handler !== undefined && req.image.runtime_handler !== '', mutate: (r) => void (r.image_ref = '') }],
      /PullImage: image_ref \(runtime_handler "runc"\): expected a non-empty value, got ""/));

  it(`${IMAGE} fails when ImageStatus for the handler does not know the image`, () =>
    expectCheckFails(IMAGE, [{ rpc: 'ImageStatus', when: (req) => req.image?.runtime_handler === 'runc', mutate: (r) => void (r.image = null) }],
      /ImageStatus: image\.id \(runtime_handler "runc"\): expected a non-empty value, got "" \(the image was just pulled for this handler\)/));

  it(`${IMAGE} fails when the runtime refuses the handler's pull`, () =>
    expectCheckFails(IMAGE, [{ rpc: 'PullImage', when: (req) => req.image?.runtime_handler === 'runc', error: { code: Status.NOT_FOUND, details: 'no runtime for "runc"' } }],
      /PullImage \(handler \w+\) failed: NOT_FOUND: no runtime for "runc"/));
});
