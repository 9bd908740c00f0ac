// Self-test support: run one conformance check through the fault proxy and read its result.
// The upstream is the lab containerd (brought up once) or CRI_SELFTEST_ENDPOINT.
import { status as Status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { parseEndpoint } from '../../src/config.js';
import { makeTimeouts } from '../../src/cri/timeouts.js';
import { runConformance } from '../../src/runner/run.js';
import { labUp } from '../../src/lab/index.js';
import { startFaultProxy } from './fault-proxy.js';
export { Status };
let upstream;
export function labUpstream() {
    upstream ??= (async () => {
        const info = await labUp({ log: () => undefined });
        return { endpoint: parseEndpoint(info.runtimeEndpoint, 'lab'), images: info.images, privateRegistry: info.authRegistry };
    })();
    return upstream;
}
const silent = { info: () => undefined, suiteStart: () => undefined, testEnd: () => undefined, done: () => undefined };
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Runs exactly the test with this id through a proxy with these faults. */
export async function runOne(id, faults, o = {}) {
    const up = await labUpstream();
    const proxy = await startFaultProxy(up.endpoint, faults);
    try {
        const suite = id.split('/')[0];
        const run = await runConformance({
            endpoints: { runtime: proxy.endpoint, image: proxy.endpoint, notes: [] },
            criVersion: o.criVersion ?? 'auto',
            timeouts: makeTimeouts(20),
            testTimeoutMs: 120_000,
            kubernetes: o.kubernetes ?? '1.36',
            focus: [new RegExp(`^${escape(id)}$`)],
            skip: [],
            suites: [suite],
            bail: false,
            images: up.images,
            privateRegistry: up.privateRegistry,
            progress: silent,
            signal: new AbortController().signal,
        });
        const tests = run.suites.flatMap((s) => s.tests);
        expect(tests, `no test has the id "${id}" (check \`cri-conformance list\`)`).to.have.length(1);
        return tests[0];
    }
    finally {
        await proxy.close();
    }
}
/** Where each check was seen failing with the expected message, in this process (read by the coverage test). */
export const failedSites = [];
/** The result must be a failure with this message; its check's site then counts as shown to fail. */
export function expectFailed(id, r, message) {
    expect(r.status, `expected "${id}" to fail under the fault, it ${r.status}: ${r.message ?? ''}`).to.equal('failed');
    expect(r.message ?? '', 'failure message').to.match(message);
    if (r.site)
        failedSites.push(r.site);
}
/** The check must fail, and its message must match: this is what proves a check can fail usefully. */
export async function expectCheckFails(id, faults, message, o = {}) {
    expectFailed(id, await runOne(id, faults, o), message);
}
/** The same check passes through the proxy when no fault is injected (the proxy itself is transparent). */
export async function expectCheckPasses(id, o = {}) {
    const r = await runOne(id, [], o);
    expect(r.status, `expected "${id}" to pass without faults: ${r.message ?? ''}`).to.equal('passed');
}
//# sourceMappingURL=selftest.js.map