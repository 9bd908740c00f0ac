// Suite files declare their tests as data: `defineSuite(({ describe, it }) => …)`. Declaring touches no test
// framework and no process state, so one import serves `list`, any number of runs, and the self-tests; the
// runner turns the declaration into mocha tests and hands each test its TestContext.
import type { TestContext } from './context.js';

export type TestFn = (t: TestContext) => Promise<void>;

export interface TestDecl {
  kind: 'test';
  title: string;
  fn: TestFn;
}

export interface GroupDecl {
  kind: 'group';
  title: string;
  children: (GroupDecl | TestDecl)[];
}

export interface SuiteSpec {
  /** Top-level describe blocks, in declaration order. */
  groups: GroupDecl[];
}

export interface SuiteApi {
  describe(title: string, body: () => void): void;
  it(title: string, fn: TestFn): void;
}

export function defineSuite(body: (api: SuiteApi) => void): SuiteSpec {
  const root: GroupDecl = { kind: 'group', title: '', children: [] };
  let current = root;
  body({
    describe(title, inner) {
      const g: GroupDecl = { kind: 'group', title, children: [] };
      current.children.push(g);
      const parent = current;
      current = g;
      try {
        inner();
      } finally {
        current = parent;
      }
    },
    it(title, fn) {
      if (current === root) throw new Error(`it("${title}") outside describe(): every test belongs to a describe block`);
      current.children.push({ kind: 'test', title, fn });
    },
  });
  for (const c of root.children) if (c.kind !== 'group') throw new Error('suite bodies hold describe blocks only');
  return { groups: root.children as GroupDecl[] };
}
