// Self-test support: run one conformance check through the fault proxy and read its result.
// The upstream is the lab containerd (brought up once) or CRI_SELFTEST_ENDPOINT.
import { status as Status } from '@grpc/grpc-js';
import { appendFileSync } from 'node:fs';
import * as chai from 'chai';
import { expect } from 'chai';
import { parseEndpoint, type Endpoint } from '../../src/config.js';
import { makeTimeouts } from '../../src/cri/timeouts.js';
import { runConformance } from '../../src/runner/run.js';
import type { TestResult } from '../../src/report/model.js';
import type { RegistryAuth } from '../../src/framework/context.js';
import type { HostFeatures } from '../../src/runner/host.js';
import { labUp } from '../../src/lab/index.js';
import { withLabCri } from '../../src/lab/cri.js';
import { startFaultProxy, type Fault } from './fault-proxy.js';
import { silent } from './fake-run.js';

export { Status, type Fault };

// A self-test's failure shows the check's whole message: chai cuts values in its own messages at 40
// characters by default, which once left "CreateContainer failed: NOT_FOUND: fa…" and no cause (issue 24).
chai.config.truncateThreshold = 0;

/** The images tests take through testImage()/ensureImage(): shared, never removed by a test. */
const SHARED_IMAGES = ['pause', 'busybox', 'webserver', 'volume', 'nonroot', 'user-name', 'user-uid-gid', 'suid'];

interface Upstream {
  endpoint: Endpoint;
  images: Record<string, string>;
  privateRegistry?: RegistryAuth;
  knownHandlers: string[];
  handlerRoots: Record<string, string>;
}

let upstream: Promise<Upstream> | undefined;

/** The lab the self-tests run against: the default one, or CRI_SELFTEST_LAB_DIR (a developer's own, so two
 *  checkouts can run self-tests side by side without sharing, or purging, one lab). */
export const selftestLabDir = (): string | undefined => process.env.CRI_SELFTEST_LAB_DIR || undefined;

export function labUpstream(): Promise<Upstream> {
  upstream ??= (async () => {
    const info = await labUp({ dir: selftestLabDir(), log: () => undefined });
    // Self-test files run in parallel processes, every run against this one lab, and a run removes at its end
    // the images it pulled (they were not on the node when it started). On a fresh lab, a run that pulled
    // busybox removed it while a run of another process was creating a container from it: CreateContainer
    // NOT_FOUND "failed to resolve image" instead of the check's failure (issue 24). Pulled here once, before
    // any run, the shared images are on the node when every run starts, so no run removes them.
    await withLabCri(info.runtimeEndpoint, async (cri) => {
      for (const n of SHARED_IMAGES.filter((x) => info.images[x])) {
        await cri.image.call('PullImage', { image: { image: info.images[n]! } }, { timeoutMs: 300_000 });
      }
    });
    return {
      endpoint: parseEndpoint(info.runtimeEndpoint, 'lab'),
      images: info.images,
      privateRegistry: info.authRegistry,
      knownHandlers: info.runtimeHandlers,
      handlerRoots: info.handlerRoots,
    };
  })();
  return upstream;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface RunOneOptions {
  criVersion?: 'auto' | 'v1' | 'v1alpha2';
  kubernetes?: string;
  /** Pretend host features this node lacks (e.g. AppArmor), so a check is judged against fake answers. */
  hostFeatures?: Partial<HostFeatures>;
}

/** Runs exactly the test with this id through a proxy with these faults. */
export async function runOne(id: string, faults: Fault[], o: RunOneOptions = {}): Promise<TestResult> {
  const up = await labUpstream();
  const proxy = await startFaultProxy(up.endpoint, faults);
  try {
    const suite = id.split('/')[0]!;
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
      knownHandlers: up.knownHandlers,
      handlerRoots: up.handlerRoots,
      progress: silent,
      signal: new AbortController().signal,
      ...(o.hostFeatures ? { hostFeatures: o.hostFeatures } : {}),
    });
    const tests = run.suites.flatMap((s) => s.tests);
    expect(tests, `no test has the id "${id}" (check \`cri-conformance list\`)`).to.have.length(1);
    return tests[0]!;
  } finally {
    await proxy.close();
  }
}

/** The result must be a failure with this message; its check's site then counts as shown to fail (appended
 * to $CRI_SELFTEST_SITES, which the coverage test reads after every self-test worker finished). */
export function expectFailed(id: string, r: TestResult, message: RegExp): void {
  expect(r.status, `expected "${id}" to fail under the fault, it ${r.status}: ${r.message ?? ''}`).to.equal('failed');
  expect(r.message ?? '', `failure message of "${id}"`).to.match(message);
  const file = process.env['CRI_SELFTEST_SITES'];
  if (r.site && file) appendFileSync(file, `${JSON.stringify({ site: r.site, id })}\n`);
}

/** The check must fail, and its message must match: this is what proves a check can fail usefully. */
export async function expectCheckFails(id: string, faults: Fault[], message: RegExp, o: RunOneOptions = {}): Promise<void> {
  expectFailed(id, await runOne(id, faults, o), message);
}

/** The same check passes through the proxy when no fault is injected (the proxy itself is transparent). */
export async function expectCheckPasses(id: string, o: RunOneOptions = {}): Promise<void> {
  const r = await runOne(id, [], o);
  expect(r.status, `expected "${id}" to pass without faults: ${r.message ?? ''}`).to.equal('passed');
}
