// What a check rests on. Every check names its ground beside it, and a failure shows it, so a runtime author
// can tell "the CRI says so" from "the kubelet needs it" from "we hold this opinion" without reading our code.
//   cri:     an api.proto comment (where = Message.field, Message or Service.Rpc of runtime.v1; says = its words)
//   kubelet: what the kubelet does with the answer (where = its kuberuntime source file or function)
//   opinion: the contract is silent and we still judge; allowed only in [Strict] and [Optional] tests
// test/contract-refs.test.ts holds every check site in suites/ to this, and cri() places to proto/.

export type BasisKind = 'cri' | 'kubelet' | 'opinion';

/** How a check judges the api.proto field its cri() basis names (issue 27; the field map, `cri-conformance coverage`):
 *   effect:   observed where it acts (inside the container, in the cgroup, on the node, on the wire);
 *   echo:     comes back, equal, where the contract says it does;
 *   honoured: a filter or selector shown to include what matches and exclude what does not;
 *   true:     a reported value compared with what the node or the workload shows.
 * A cri() basis without one judges its field "stated" (how is not declared). */
export type Judgement = 'effect' | 'echo' | 'honoured' | 'true';

export interface Basis {
  readonly kind: BasisKind;
  /** api.proto Message.field / Service.Rpc, a kubelet source file or function; empty for an opinion. */
  readonly where: string;
  /** The contract's words (quoted, shortened), what the kubelet does, or the opinion. */
  readonly says: string;
  /** cri() only: how the check judges the field named by `where` (see Judgement); absent = not declared. */
  readonly judges?: Judgement;
  /** cri() only: further places the same check judges the same way (a check of the environment judges
   * `KeyValue.key` and `KeyValue.value` with `ContainerConfig.envs`). */
  readonly also?: readonly string[];
}

/** An api.proto comment: `cri('ContainerStatus.log_path', 'Path to the log file of the container.')`; a third
 * argument says how the check judges that field: `cri('LinuxContainerResources.memory_limit_in_bytes', '…', 'effect')`;
 * a fourth names further places it judges the same way. A place may be a path through message fields
 * (`LinuxSandboxSecurityContext.selinux_options.type`): the check then judges every field along it. */
export const cri = (where: string, says: string, judges?: Judgement, also?: readonly string[]): Basis => ({
  kind: 'cri', where, says, ...(judges ? { judges } : {}), ...(also?.length ? { also } : {}),
});

/** A kubelet behaviour: `kubelet('kuberuntime_logs.go ReadLogs', 'opens status.log_path as is')`. */
export const kubelet = (where: string, does: string): Basis => ({ kind: 'kubelet', where, says: does });

/** Where the contract is silent: only a [Strict] or [Optional] test may judge by this. */
export const opinion = (says: string): Basis => ({ kind: 'opinion', where: '', says });

/** The basis as a failure message shows it, e.g. `[rests on api.proto ContainerStatus.log_path: "…"]`. */
export function showBasis(b: Basis | undefined): string {
  if (!b) return '';
  const src = b.kind === 'cri' ? `api.proto ${b.where}` : b.kind === 'kubelet' ? `the kubelet (${b.where})` : 'our opinion, not the contract';
  return ` [rests on ${src}: ${JSON.stringify(b.says)}]`;
}
