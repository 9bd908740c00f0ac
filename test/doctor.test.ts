// `cri-conformance doctor`: each failure class prints one FAIL line naming the cause, with its fix, and exits
// with its own code (3 endpoint, 7 not ready, 8 images). The CLI runs as a child against in-process fakes.
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { missingSocket, startHttpServer, startMiniRuntime } from './support/fake-cri.js';
import { hostLimitLines, line } from '../src/doctor/doctor.js';
import { hostLimitsFrom } from '../src/runner/host.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '..', 'src', 'cli.js');

async function doctor(endpoint: string, ...extra: string[]) {
  // --registry-prefix: the pull goes to the fake, so no registry needs to be served for it.
  const r = await execa('node', [CLI, 'doctor', '-r', endpoint, '-t', '3', '--registry-prefix', '127.0.0.1:9', ...extra], { reject: false, timeout: 60_000 });
  const fails = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
  return { code: r.exitCode, fails, out: r.stdout, err: r.stderr };
}

describe('doctor', function () {
  this.timeout(60_000);
  before(function () {
    if (!CLI.includes(`${path.sep}dist${path.sep}`)) this.skip(); // runs the compiled CLI
  });

  it('a missing socket: one line naming it, exit 3', async () => {
    const m = missingSocket();
    try {
      const r = await doctor(m.endpoint.uri);
      expect(r.fails, r.out + r.err).to.have.length(1);
      expect(r.fails[0]).to.match(/^FAIL {2}endpoint: .* does not exist.* — fix: start the runtime/);
      expect(r.code).to.equal(3);
    } finally {
      m.close();
    }
  });

  it('a server that is not CRI (plain HTTP): one line, exit 3', async () => {
    const s = await startHttpServer();
    try {
      const r = await doctor(s.endpoint.uri);
      expect(r.fails, r.out + r.err).to.have.length(1);
      expect(r.fails[0]).to.match(/^FAIL {2}endpoint: .*not as a gRPC server.* — fix: point --runtime-endpoint at the runtime's CRI socket/);
      expect(r.code).to.equal(3);
    } finally {
      await s.close();
    }
  });

  it('a runtime whose network is not ready: one line with the reason, exit 7', async () => {
    const s = await startMiniRuntime({ networkNotReady: true });
    try {
      const r = await doctor(s.endpoint.uri);
      expect(r.fails, r.out + r.err).to.have.length(1);
      expect(r.fails[0]).to.match(/^FAIL {2}NetworkReady: false \(NetworkPluginNotReady: cni config uninitialized\) — fix: install a CNI plugin/);
      expect(r.code).to.equal(7);
    } finally {
      await s.close();
    }
  });

  it('a runtime that cannot pull: one line with the runtime\'s answer, exit 8', async () => {
    const s = await startMiniRuntime({ pullFails: 'failed to do request: http: server gave HTTP response to HTTPS client' });
    try {
      const r = await doctor(s.endpoint.uri);
      expect(r.fails, r.out + r.err).to.have.length(1);
      expect(r.fails[0]).to.match(/^FAIL {2}images: cannot pull 127\.0\.0\.1:9\/cri-conformance\/pause:3\.9: .*HTTP response to HTTPS client — fix: .*images configure/);
      expect(r.code).to.equal(8);
    } finally {
      await s.close();
    }
  });

  it('a healthy runtime: every check ok, exit 0', async () => {
    const s = await startMiniRuntime();
    try {
      const r = await doctor(s.endpoint.uri);
      expect(r.fails, r.out).to.deep.equal([]);
      expect(r.out).to.include('doctor: this runtime can be tested');
      expect(r.code).to.equal(0);
    } finally {
      await s.close();
    }
  });

  it('run: a runtime that cannot pull the test images ends the run before any suite, with the doctor\'s line and exit 8; ok lines are not printed', async () => {
    const s = await startMiniRuntime({ pullFails: 'failed to do request: http: server gave HTTP response to HTTPS client' });
    try {
      const r = await execa('node', [CLI, 'run', '-r', s.endpoint.uri, '-t', '3', '--registry-prefix', '127.0.0.1:9', '--report-dir', path.join(HERE, 'no-reports'), '--suite', 'container'], { reject: false, timeout: 60_000 });
      const all = `${r.stdout}\n${r.stderr}`;
      expect(r.exitCode, all).to.equal(8);
      expect(all).to.match(/doctor: FAIL {2}images: cannot pull/);
      expect(all).to.match(/cannot pull the test images: .* fix: .*images configure.*--no-doctor/);
      expect(all, 'the preflight prints only what is not fine').not.to.match(/doctor: ok/);
      expect(all, 'no suite ran').not.to.match(/== container/);
    } finally {
      await s.close();
    }
  });

  it('reports host limits as warn lines that say what the affected tests do, and fine ones as info', () => {
    const lines = (texts: Parameters<typeof hostLimitsFrom>[0]) => hostLimitLines(hostLimitsFrom(texts)).map(line);
    const limited = lines({ status: 'CapBnd:\t000001fffeffffff\n', capLastCap: '40', swaps: 'Filename\n/swapfile file\n', selinuxEnforce: '1' });
    expect(limited[0]).to.match(/^warn {2}capability bounding set: incomplete, .*lacks SYS_RESOURCE.*unable to apply caps.*skip with this reason.* — fix: /);
    expect(limited[1]).to.match(/^warn {2}SELinux enforcing: .*selinux_relabel/);
    expect(limited[2]).to.match(/^warn {2}swap: on \(\/proc\/swaps lists \/swapfile\).*memory_swap_limit_in_bytes/);
    const fine = lines({ status: 'CapBnd:\t000001ffffffffff\n', capLastCap: '40', swaps: 'Filename\n' });
    expect(fine.every((l) => l.startsWith('info'))).to.equal(true);
  });
});
