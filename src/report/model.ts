// One result model for a run; every reporter (JUnit, TAP, summary) is a pure function of it.
import type { ApiVersion } from '../cri/proto.js';
import type { RpcObservation } from '../cri/client.js';

export type { ApiVersion, RpcObservation };

/** `notrun`: the runner never ran the test (interrupted, runtime lost, --bail, a needed suite failed or was
 * not run); `message` says why. Unlike a skip, nothing was judged. */
export type TestStatus = 'passed' | 'failed' | 'skipped' | 'notrun';

export interface TestResult {
  /** Stable id used by --focus, baselines and `list`: `<suite>/<full mocha title>`. */
  id: string;
  suite: string;
  /** Title of the `it` alone. */
  title: string;
  /** describe path + title, space joined (mocha's fullTitle within the suite file). */
  fullTitle: string;
  status: TestStatus;
  durationMs: number;
  /** One-line failure or skip reason. */
  message?: string;
  /** Full failure detail (stack-free diagnostic text). */
  detail?: string;
  /** Where the failing check stands in the compiled suite file (`suites/NN-x.suite.js:line:col`); self-test
   * coverage proves every check was seen failing. Not written to any report. */
  site?: string;
  /** Why a `notrun` test did not run when that is not the run stopping: 'no-image' = a test image it needs is
   * not available (counted apart as "not run (no image)"; fails the run unless --allow-missing-images). */
  notRunCause?: 'no-image';
  /** Tags parsed from the title: `Conformance`, `Feature:X`, `Optional`, ... */
  tags: string[];
  /** When the test started, in ms after the run's `startedAt` (absent for tests that never ran). */
  startOffsetMs?: number;
  /** Which of the run's --jobs test slots ran it (0-based; a [Serial] test holds every slot and is given 0),
   * for the summary's timeline. Absent: slot 0. */
  slot?: number;
  /** Set by the baseline filter: a listed failure, or a listed test that now passes. */
  baseline?: { state: 'known-failure' | 'fixed'; reason: string };
  /** --repeat: how many rounds gave each status (absent for a single run). */
  rounds?: Partial<Record<TestStatus, number>>;
  /** --repeat: set when the status changed between rounds, with what each round got (the test's own status,
   * message and detail are then those of its last failed round, else of its last round). */
  flaky?: RoundOutcome[];
}

/** What one round of a --repeat run gave a test. */
export interface RoundOutcome {
  /** 1-based. */
  round: number;
  status: TestStatus;
  /** One line: the failure, skip or not-run reason. */
  message?: string;
}

export interface SuiteResult {
  name: string;
  title: string;
  tests: TestResult[];
  durationMs: number;
  /** Set when the whole suite was skipped (dependency failed, no CRI version negotiated, ...). */
  skippedReason?: string;
}


export interface RunResult {
  tool: { name: string; version: string };
  startedAt: string;
  durationMs: number;
  endpoint: { runtime: string; image: string };
  runtime?: { name: string; version: string; apiVersion: string };
  /** `forced` is set when --cri-version chose the version instead of kubelet-style negotiation. */
  negotiated: { runtime: ApiVersion | null; image: ApiVersion | null; reason?: string; forced?: ApiVersion };
  /** Kubernetes minor of the selected profile, e.g. "1.36". */
  profile?: string;
  /** RunPodSandboxRequest.runtime_handler the run used ('' = the runtime's default handler). */
  runtimeHandler?: string;
  host?: { kernel: string; cgroupVersion: string; hostname?: string };
  /** Logical image name -> reference (with digest when known) used by the run. */
  images?: Record<string, string>;
  rpcs?: Record<string, RpcObservation>;
  /** Set when the run stopped early: the runtime became unreachable, or the user interrupted it. */
  aborted?: string;
  /** Objects carrying the run label that the runtime still lists after the final sweep: they fail the run. */
  leftovers?: Leftovers;
  /** Set by applyBaseline: the gate depends on it (strict fails on fixed tests), so reports must know it. */
  baseline?: { mode: Exclude<BaselineMode, 'none'> };
  /** --allow-missing-images: tests not run for want of a test image do not fail the run (still counted). */
  allowMissingImages?: boolean;
  /** --repeat N: the rounds run (fewer than asked when one stopped early). Absent for a single run. */
  repeat?: { rounds: number; asked: number };
  suites: SuiteResult[];
  /** The runtime.v1 fields this run judged (src/coverage): those a check of a passed or failed test judges; a field
   * whose tests all skipped or did not run is not judged on this runtime. Absent when not computed. */
  fieldCoverage?: FieldCoverage;
}

export interface FieldCoverage {
  /** Fields in the map (every field a RuntimeService/ImageService request sends or a response reports). */
  fields: number;
  judged: number;
  /** The fields the kubelet sends (fixtures/kubelet-fields.yaml), and how many of them this run judged. */
  kubelet: { fields: number; judged: number };
  /** `Message.field` of each judged field, in proto order. */
  judgedFields: string[];
}

export interface Leftovers {
  /** "pod sandbox ID" / "container ID", as the sweep names them. */
  ids: string[];
  /** What removes them later: `cri-conformance cleanup --run-id ID`. */
  command: string;
}

/** How known failures are gated: no baseline, a baseline, or a baseline where a listed test that passes fails. */
export type BaselineMode = 'none' | 'baseline' | 'strict';

/** Tags are bracketed words in a title: "should stop [Conformance] [Feature:X]". */
export function parseTags(title: string): string[] {
  return [...title.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!);
}
