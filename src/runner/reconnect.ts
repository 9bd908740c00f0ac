// A runtime that restarts mid-run is survived the way the kubelet survives it: wait for the endpoint (bounded
// by --reconnect-timeout), dial it afresh, check that it still serves the CRI versions first negotiated (the
// CRI docs require that of a re-dial after an upgrade), and go on. Only the tests in flight while it was away
// fail, with RESTARTED; the rest of the run goes on. The runner sees this file through RuntimeWatch alone.
import { closeChannel, RpcLedger, type Cri } from '../cri/client.js';
import { negotiate, type Negotiation } from '../cri/negotiate.js';
import type { ResolvedEndpoints } from '../config.js';
import type { Timeouts } from '../cri/timeouts.js';
import type { TestResult } from '../report/model.js';

export const RESTARTED = 'runtime restarted during this test';

/** Default --reconnect-timeout: a containerd or CRI-O restart, even with many pods to recover, is back well
 * within a minute; that is twice the 30 s after which the kubelet reports a silent runtime down
 * (maxWaitForContainerRuntime), so longer is an outage, not a restart. */
export const DEFAULT_RECONNECT_MS = 60_000;

export interface RuntimeWatch {
  /** Every finished test, before it is printed: may start a liveness check; a test that overlapped a restart
   * is turned into a RESTARTED failure (now, or once the runtime is back). */
  testEnded(r: TestResult): void;
  /** A cleanup step failed with `err`: when that may be the runtime going away, check it (as for a failed test)
   * and wait for the re-dial; true when the step is worth one more try (the runtime was re-dialled). */
  cleanupFailed(what: string, err: unknown): Promise<boolean>;
  /** Resolves when no liveness check or re-dial is under way: a test's cleanup and the next test wait for it. */
  settled(): Promise<void>;
  /** Why the run cannot go on (the runtime did not come back, or came back with another CRI version). */
  readonly lost: string | undefined;
}

export interface WatchOptions {
  cri: Cri;
  endpoints: ResolvedEndpoints;
  negotiation: Negotiation;
  timeouts: Timeouts;
  /** How long to wait for the runtime to come back; 0: do not wait, a runtime that stops answering ends the run. */
  reconnectMs: number;
  info: (line: string) => void;
  /** Called once when the run must stop. */
  onLost: (why: string) => void;
}

/** Failures that may mean the runtime went away (a server shutting down mid-call answers CANCELLED). */
const TRANSPORT = /UNAVAILABLE|DEADLINE_EXCEEDED|CANCELLED/;
/** Failures that can only mean the connection went away: a restart even when the runtime is back before we ask. */
const DROPPED = /UNAVAILABLE: (Connection dropped|.*ECONN(RESET|REFUSED)|.*ENOENT|No connection established)/;

const secs = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const versions = (n: { runtime: string | null; image: string | null }) => `RuntimeService ${n.runtime ?? 'none'}, ImageService ${n.image ?? 'none'}`;

interface Outage {
  from: number;
  /** Tests that ended while the check or re-dial was under way. */
  victims: TestResult[];
  done: Promise<void>;
}

export function watchRuntime(o: WatchOptions): RuntimeWatch {
  const windows: { from: number; to: number }[] = [];
  let current: Outage | undefined;
  let lost: string | undefined;

  const restarted = (r: TestResult) => {
    if (r.status !== 'passed' && r.status !== 'failed') return;
    const before = r.status === 'failed' ? `failed: ${r.detail ?? r.message}` : 'passed';
    Object.assign(r, { status: 'failed', message: RESTARTED, detail: `${RESTARTED}; before the restart was handled it had ${before}` });
    delete r.site; // no check of the suite failed
  };

  const alive = () =>
    o.cri.runtime.call('Version', { version: '0.1.0' }, { timeoutMs: o.timeouts.connectMs }).then(
      () => true,
      () => false,
    );

  /** Waits until the runtime serves the first negotiated versions again, or says why not. */
  const redial = async (deadline: number): Promise<{ ok: true } | { ok: false; why: string }> => {
    const first = o.negotiation;
    let last = 'no answer';
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return { ok: false, why: last };
      // A fresh channel: no waiting out grpc-js's reconnect backoff, no call stuck on the dead connection.
      closeChannel(o.endpoints.runtime);
      closeChannel(o.endpoints.image);
      try {
        const n = await negotiate(o.endpoints.runtime, o.endpoints.image, first.mode, { ...o.timeouts, connectMs: Math.max(200, Math.min(o.timeouts.connectMs, left)) }, new RpcLedger());
        if (n.runtime === first.runtime && n.image === first.image) return { ok: true };
        const definite = (n.runtime && n.runtime !== first.runtime) || (n.image && n.image !== first.image) || n.probes.every((p) => p.outcome.startsWith('UNIMPLEMENTED'));
        if (definite) return { ok: false, why: `the runtime came back serving ${versions(n)}, not ${versions(first)} as first negotiated` };
        last = n.reason ?? 'no CRI version'; // e.g. still starting: errors other than UNIMPLEMENTED
      } catch (e) {
        last = (e as Error).message; // no socket, refused, hang: not back yet
      }
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    }
  };

  /** After a re-dial the runtime may still be recovering its pods: wait (within the bound) until it says it is ready. */
  const ready = async (deadline: number): Promise<void> => {
    while (Date.now() < deadline) {
      const s = await o.cri.runtime.call('Status', {}, { timeoutMs: Math.max(200, Math.min(o.timeouts.connectMs, deadline - Date.now())) }).catch(() => undefined);
      const conditions = s?.status?.conditions ?? [];
      if (!s || conditions.every((c) => c.status)) return;
      await sleep(250);
    }
  };

  /** `r`: what failed (a test, or a cleanup step); `victim`: the test to fail if it was a restart. */
  const check = (r: { id: string; message?: string }, victim?: TestResult) => {
    const from = Date.now();
    const outage: Outage = { from, victims: victim ? [victim] : [], done: Promise.resolve() };
    current = outage;
    outage.done = (async () => {
      const up = await alive();
      if (up && (!DROPPED.test(r.message ?? '') || o.reconnectMs === 0)) {
        // The runtime answers and no connection was lost: a failure of the runtime's own, judged as usual.
        current = undefined;
        for (const v of outage.victims.filter((v) => v !== victim)) watch.testEnded(v);
        return;
      }
      const cause = (r.message ?? '').split('. ')[0];
      if (!up && o.reconnectMs > 0) o.info(`the runtime stopped answering during "${r.id}" (${cause}): waiting up to ${secs(o.reconnectMs)} for it to come back (--reconnect-timeout)`);
      // Back already (a quick restart): still check the versions it serves now.
      const back = o.reconnectMs > 0 ? await redial(Math.max(from + o.reconnectMs, Date.now() + o.timeouts.connectMs)) : { ok: false as const, why: '' };
      if (back.ok) {
        await ready(from + o.reconnectMs);
        o.cri.breaker?.reset(); // deadlines missed while it was away say nothing about its RPCs
        windows.push({ from, to: Date.now() });
        for (const v of outage.victims) restarted(v);
        o.info(`runtime back after ${secs(Date.now() - from)}, serving ${versions(o.negotiation)} as first negotiated: the tests in flight fail ("${RESTARTED}"), the rest run`);
      } else {
        lost = back.why.startsWith('the runtime came back')
          ? `${back.why} (it restarted during "${r.id}")`
          : o.reconnectMs > 0
            ? `the runtime stopped answering during "${r.id}" (${cause}) and did not come back within ${secs(o.reconnectMs)} (--reconnect-timeout): ${back.why}`
            : `the runtime stopped answering during "${r.id}" (${cause})`;
        o.info(`${lost}: stopping the run`);
        o.onLost(lost);
      }
      current = undefined;
    })();
  };

  const watch: RuntimeWatch = {
    testEnded(r) {
      const end = Date.now();
      const start = end - (r.durationMs ?? 0);
      if (current) {
        // Ended while the runtime was being checked: in flight during the outage, if it turns out to be one.
        if (r.status === 'passed' || r.status === 'failed') current.victims.push(r);
        return;
      }
      if (windows.some((w) => start <= w.to && end >= w.from)) return restarted(r);
      if (lost || r.status !== 'failed' || !TRANSPORT.test(r.message ?? '')) return;
      check(r, r);
    },
    async cleanupFailed(what, err) {
      const message = (err as Error)?.message ?? String(err);
      if (lost || !TRANSPORT.test(message)) return false;
      if (!current) check({ id: what, message });
      await watch.settled();
      return !lost && windows.length > 0;
    },
    async settled() {
      while (current) await current.done;
    },
    get lost() {
      return lost;
    },
  };
  return watch;
}
