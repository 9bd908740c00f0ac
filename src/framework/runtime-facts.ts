// What runtimes compute asynchronously, and how long they may take: every wait in the suites on such a value
// is a poll whose deadline comes from one of these facts, never a single read or a bare number.
// Each fact names its source so a runtime author can check it against their own implementation.
import { sleep } from './eventually.js';

export interface RuntimeFact {
  /** What the runtime computes off the request path. */
  what: string;
  /** The longest period a conforming runtime documents for it, ms. */
  periodMs: number;
  /** Where that period is documented. */
  source: string;
}

export const FACTS = {
  imageFsUsage: {
    what: 'image filesystem usage (ImageFsInfo used_bytes, inodes_used)',
    periodMs: 10_000,
    source: 'containerd CRI plugin: snapshot usage is collected every stats_collect_period, default 10 s; CRI-O computes it on request',
  },
  forcedRemoval: {
    what: 'removal of a running container that ignores SIGTERM, after the caller\'s deadline (RemoveContainer)',
    periodMs: 5_000,
    source: 'CRI-O stops it with the time left before the request deadline as grace, then kills and deletes it, so it may finish just after the caller gave up (server/container_remove.go, server/utils.go stopTimeoutFromContext); containerd kills at once',
  },
  containerEvent: {
    what: 'a GetContainerEvents event after the RPC or the exit that caused it',
    periodMs: 5_000,
    source: 'CRI-O sends it as the RPC completes or as conmon reports the exit (generateCRIEvent); containerd publishes it from the task event monitor',
  },
  containerStatsSample: {
    what: 'container and pod sandbox CPU and memory samples (ContainerStats/PodSandboxStats cpu, memory and their timestamps)',
    periodMs: 10_000,
    source: 'containerd reads the cgroup on each stats call; CRI-O too unless collection_period is set (crio.conf stats section, default 0: on demand); 10 s allows a node that samples periodically, as the kubelet itself does every 10 s (cri_stats_provider.go ListPodStatsAndUpdateCPUNanoCoreUsage)',
  },
  writableLayerUsage: {
    what: "a container's writable layer usage (ContainerStats writable_layer used_bytes, inodes_used)",
    periodMs: 10_000,
    source: 'containerd CRI plugin: snapshot usage is collected every stats_collect_period, default 10 s (pkg/cri/config config_unix.go); CRI-O reads it from storage on request (internal/lib/statsserver populateWritableLayer)',
  },
  podSandboxMetrics: {
    what: 'ListPodSandboxMetrics samples of a new sandbox and its containers',
    periodMs: 10_000,
    source: 'CRI-O collects included_pod_metrics every collection_period (crio.conf, default 0: on request); containerd (2.1 included) answers ListMetricDescriptors UNIMPLEMENTED',
  },
  forcedSandboxRemoval: {
    what: 'RemovePodSandbox of a ready sandbox whose running container ignores SIGTERM (forced stop, then removal)',
    periodMs: 20_000,
    source: 'api.proto bounds no time ("must be forcibly terminated and removed"); containerd kills at once (sandbox_stop.go stopContainer(ctx, container, 0)); CRI-O spends the call\'s deadline as the stop grace period and kills one second before it (server/utils.go stopTimeoutFromContext), so its answer may come just after the deadline; the kubelet removes only stopped sandboxes and retries a failed removal (kuberuntime_gc.go)',
  },
  oomReason: {
    what: "the OOMKilled reason of a container the OOM killer ended (ContainerStatus.reason)",
    periodMs: 5_000,
    source: 'containerd records it from the TaskOOM event, which reaches the CRI plugin apart from the task exit (pkg/cri/server/events.go), so a status read at the exit may still say Error; CRI-O reads the oom file conmon writes (internal/oci/oci.go); the kubelet reads the status again on every relist (1 s)',
  },
} as const satisfies Record<string, RuntimeFact>;

/** Three periods: the value may have been sampled just before the change, and the next sample may land late. */
export const deadlineMs = (f: RuntimeFact, periods = 3): number => periods * f.periodMs;

/**
 * Reads until `accept` holds or the fact's deadline passes; returns the accepted value. On time-out the
 * caller's `fail` gets the last value read and how long it waited, so the message can show both.
 */
export async function pollFact<T>(
  f: RuntimeFact,
  read: () => Promise<T>,
  accept: (v: T) => boolean,
  fail: (last: T, waitedMs: number) => never,
  intervalMs = 500,
): Promise<T> {
  const start = Date.now();
  const deadline = start + deadlineMs(f);
  for (;;) {
    const v = await read();
    if (accept(v)) return v;
    if (Date.now() + intervalMs > deadline) fail(v, Date.now() - start);
    await sleep(intervalMs);
  }
}

/** "(polled 30 s: image filesystem usage … is computed every 10 s by containerd …)" for failure messages. */
export const waitedFor = (f: RuntimeFact, waitedMs: number): string =>
  `polled ${(waitedMs / 1000).toFixed(1)} s, ${deadlineMs(f) / f.periodMs} periods: ${f.what}; ${f.source}`;
