// action.yml and .github/workflows/*.yml against the GitHub Actions schemas (SchemaStore's github-action and
// github-workflow, compiled into @action-validator/core: no network), each shown to fail on a broken copy; then
// the composite action's run step, executed with a stand-in CLI, turns inputs into flags and exit codes into outputs.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { repoRoot } from '../src/profiles/index.js';

type Validation = { actionType: string; errors: { code: string; title: string; path?: string; detail?: string }[] };
const validator = createRequire(import.meta.url)('@action-validator/core') as {
  validateAction(src: string): Validation;
  validateWorkflow(src: string): Validation;
};

const root = repoRoot();
const actionText = readFileSync(join(root, 'action.yml'), 'utf8');
const workflowDir = join(root, '.github', 'workflows');
const workflows = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f));
const shown = (v: Validation) => JSON.stringify(v.errors, null, 1).slice(0, 2000);

describe('GitHub Action and workflows', () => {
  it('action.yml is a valid action', () => {
    const v = validator.validateAction(actionText);
    expect(v.errors, shown(v)).to.deep.equal([]);
  });

  it('a broken action.yml fails the validator', () => {
    // A composite run step without its shell, and an unknown `using`.
    const noShell = actionText.replace(/\n      shell: bash\n      working-directory/, '\n      working-directory');
    expect(noShell).to.not.equal(actionText);
    expect(validator.validateAction(noShell).errors).to.not.be.empty;
    expect(validator.validateAction(actionText.replace('using: composite', 'using: compost')).errors).to.not.be.empty;
    expect(validator.validateAction(actionText.replace(/^runs:/m, 'ruins:')).errors).to.not.be.empty;
  });

  for (const f of workflows) {
    it(`.github/workflows/${f} is a valid workflow, and a broken copy is not`, () => {
      const text = readFileSync(join(workflowDir, f), 'utf8');
      const v = validator.validateWorkflow(text);
      expect(v.errors, shown(v)).to.deep.equal([]);
      const broken = text.replace(/runs-on:/, 'runs_on:');
      expect(broken).to.not.equal(text);
      expect(validator.validateWorkflow(broken).errors).to.not.be.empty;
      expect(validator.validateWorkflow(text.replace(/- uses: /, '- usess: ')).errors).to.not.be.empty;
    });
  }

  it('the CI workflow runs .ci/run and the action from this checkout', () => {
    const wf = parse(readFileSync(join(workflowDir, 'ci.yml'), 'utf8'));
    const steps = Object.values(wf.jobs as Record<string, { steps: { uses?: string; run?: string }[] }>).flatMap((j) => j.steps);
    expect(steps.some((s) => s.run?.includes('.ci/run'))).to.equal(true);
    expect(steps.some((s) => s.uses === './')).to.equal(true);
  });

  it('every output and step reference of action.yml names an input or step that exists', () => {
    const a = parse(actionText);
    const inputs = Object.keys(a.inputs);
    const ids = (a.runs.steps as { id?: string }[]).map((s) => s.id).filter(Boolean);
    for (const m of actionText.matchAll(/inputs\.([a-z-]+)/g)) expect(inputs, m[0]).to.include(m[1]);
    for (const m of actionText.matchAll(/steps\.([a-z-]+)\.outputs\.([a-z-]+)/g)) expect(ids, m[0]).to.include(m[1]);
    expect(Object.keys(a.outputs)).to.have.members(['verdict', 'exit-code', 'junit', 'summary']);
    for (const i of ['runtime-endpoint', 'image-endpoint', 'kubernetes', 'runtime-handler', 'baseline', 'focus', 'skip', 'jobs', 'report-dir', 'extra-args']) {
      expect(inputs).to.include(i);
    }
  });

  describe('the run step, with a stand-in CLI', () => {
    const a = parse(actionText);
    const step = (a.runs.steps as { id?: string; run: string; env: Record<string, string> }[]).find((s) => s.id === 'run')!;

    function runStep(inputs: Record<string, string>, exitCode: number) {
      const dir = mkdtempSync(join(tmpdir(), 'cri-action-'));
      mkdirSync(join(dir, 'action', 'dist', 'src'), { recursive: true });
      const cli = join(dir, 'action', 'dist', 'src', 'cli.js');
      // Records its argv, writes the reports where --report-dir says, exits as told.
      writeFileSync(
        cli,
        `const fs = require('fs'); const a = process.argv.slice(2); const d = a[a.indexOf('--report-dir') + 1];
fs.mkdirSync(d, { recursive: true }); fs.writeFileSync(d + '/summary.md', '# summary\\n'); fs.writeFileSync(d + '/junit.xml', '<testsuites/>');
fs.writeFileSync(${JSON.stringify(join(dir, 'argv.json'))}, JSON.stringify(a)); process.exit(${exitCode});`,
      );
      writeFileSync(join(dir, 'action', 'package.json'), '{"type":"commonjs"}');
      chmodSync(cli, 0o755);
      // The step's own env block, its expressions evaluated as the runner would for these inputs.
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', GITHUB_OUTPUT: join(dir, 'out'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
      for (const [k, expr] of Object.entries(step.env)) {
        if (expr === '${{ github.action_path }}') env[k] = join(dir, 'action');
        else {
          const m = /^\$\{\{ inputs\.([a-z-]+) \}\}$/.exec(expr);
          expect(m, `${k}: ${expr}`).to.not.equal(null);
          env[k] = inputs[m![1]!] ?? a.inputs[m![1]!].default ?? '';
        }
      }
      const r = spawnSync('bash', ['-c', step.run], { cwd: dir, env, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      const out = Object.fromEntries(readFileSync(join(dir, 'out'), 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
      return { dir, out, argv: JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8')) as string[], summary: readFileSync(join(dir, 'summary'), 'utf8') };
    }

    it('turns the inputs into flags and a passing run into verdict passed', () => {
      const { dir, out, argv, summary } = runStep(
        { 'runtime-endpoint': 'unix:///run/x.sock', kubernetes: '1.31', focus: 'image/.*digest\nversion', skip: 'OOM', jobs: '4', baseline: 'b.yaml', 'extra-args': '--lab  --bail', 'runtime-handler': 'crun' },
        0,
      );
      expect(argv).to.deep.equal([
        'run', '--report-dir', 'cri-conformance-reports', '--jobs', '4', '--runtime-endpoint', 'unix:///run/x.sock', '--kubernetes', '1.31',
        '--runtime-handler', 'crun', '--baseline', 'b.yaml', '--focus', 'image/.*digest', '--focus', 'version', '--skip', 'OOM', '--lab', '--bail',
      ]);
      expect(out).to.deep.equal({ verdict: 'passed', 'exit-code': '0', junit: `${dir}/cri-conformance-reports/junit.xml`, summary: `${dir}/cri-conformance-reports/summary.json` });
      expect(summary).to.equal('# summary\n');
    });

    it('reports a failing run as verdict failed with its exit code, without failing the step itself', () => {
      const { out, argv } = runStep({ 'report-dir': 'out dir' }, 6);
      expect(argv).to.deep.equal(['run', '--report-dir', 'out dir', '--jobs', '1']);
      expect(out['verdict']).to.equal('failed');
      expect(out['exit-code']).to.equal('6');
    });
  });
});
