// The field map's vocabulary (issue 27). Claims come from the code (src/tools/gen-coverage.mjs reads suites/);
// fields come from proto/runtime/v1/api.proto; reasons for fields nobody judges are written in reasons.ts.
import type { Judgement } from '../framework/contract.js';

export type { Judgement };
/** A field named by a cri() basis without a judgement kind, or read by check(rpc, field) without one. */
export type ClaimKind = Judgement | 'stated';

export interface FieldClaim {
  /** `Message.field` of runtime.v1: the last field of the place. */
  field: string;
  /** The place as written: the cri() place, or `Rpc: field` of a check(). */
  place: string;
  judges: ClaimKind;
  via: 'basis' | 'check';
  /** `suites/NN-x.suite.ts:line` of the basis or check. */
  site: string;
  /** Ids of the tests that reach it (`suite/describe… title`; `${…}` of a template title matches any text). */
  tests: string[];
}
