// The npm package's shape, without packing (src/tools/check-package.mjs packs, installs and runs the tarball in
// .ci/run): what package.json publishes and points at, and what the API entry exports.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/profiles/index.js';
import * as api from '../src/index.js';
import { UsageError } from '../src/errors.js';

const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8'));

describe('npm package', () => {
  it('publishes the built dist/src and dist/suites, proto and fixtures, and nothing of dist/test', () => {
    expect(pkg.files).to.include.members(['dist/src', 'dist/suites', 'proto', 'fixtures']);
    expect(pkg.files).to.not.include('dist');
    expect(pkg.files.some((f: string) => f.startsWith('dist/test'))).to.equal(false);
  });

  it('compiles when packed, never at install, and needs no dev dependency to run', () => {
    for (const s of ['prepare', 'preinstall', 'install', 'postinstall']) expect(pkg.scripts, s).to.not.have.property(s);
    expect(pkg.scripts.prepack).to.match(/build:package/);
    expect(pkg.scripts['build:package']).to.match(/tsconfig\.build\.json/);
    for (const dev of ['typescript', 'tsx']) expect(pkg.dependencies, dev).to.not.have.property(dev);
  });

  it('points bin, main, types and exports at the built entry points', () => {
    expect(pkg.bin['cri-conformance']).to.equal('dist/src/cli.js');
    expect(pkg.exports['.']).to.deep.equal({ types: './dist/src/index.d.ts', default: './dist/src/index.js' });
    expect(pkg.types).to.equal('./dist/src/index.d.ts');
    expect(pkg.main).to.equal('./dist/src/index.js');
    const build = JSON.parse(readFileSync(join(repoRoot(), 'tsconfig.build.json'), 'utf8'));
    expect(build.compilerOptions.declaration).to.equal(true);
    expect(build.include).to.deep.equal(['src/**/*.ts', 'suites/**/*.ts']);
  });

  it('exports run, the report writers and the verdict from the API entry', () => {
    for (const f of ['run', 'runConformance', 'runVerdict', 'closingLine', 'toJUnit', 'toTap', 'toSummaryJson', 'toSummaryMarkdown', 'writeReports', 'applyBaseline', 'describeError'] as const) {
      expect(api[f], f).to.be.a('function');
    }
    expect(api.REPORT_FILES.junit).to.equal('junit.xml');
  });

  it('run() rejects what the CLI rejects before touching any endpoint', async () => {
    for (const bad of [{ suites: ['no-such-suite'] }, { kubernetes: '1.2' }, { focus: ['('] }]) {
      let err: unknown;
      await api.run(bad).catch((e: unknown) => (err = e));
      expect(err, JSON.stringify(bad)).to.be.instanceOf(UsageError);
      expect(api.describeError(err).exitCode).to.equal(api.EXIT.USAGE);
    }
  });
});
