// Self-tests: the lab containerd (1.6.20) does not report user namespace support, so the tests skip there. Here
// the proxy makes it claim the feature: containerd 1.6 then ignores userns_options, which is exactly a runtime
// that accepts the field and does nothing, and every check must fail on it; answers are edited where a check
// would otherwise pass.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { expectCheckFails, runOne, Status, type Fault } from '../support/selftest.js';

const U = 'user-namespaces/User namespaces ';
const POD = `${U}runtime should map container root to the given host range in NamespaceMode POD (uid_map and gid_map) [Feature:UserNamespaces]`;
const NODE = `${U}runtime should keep the host's id maps in NamespaceMode NODE [Feature:UserNamespaces]`;
const MANY = `${U}runtime should refuse a user namespace with two mappings or apply both exactly (uid_map and gid_map) [Feature:UserNamespaces]`;
const NO_ROOT = `${U}runtime should refuse a user namespace that leaves container ID 0 unmapped or apply it exactly [Feature:UserNamespaces]`;
const IDMAP = `${U}runtime should mount a host path through its uidMappings and gidMappings so that host files keep their owners inside (idmapped mount) [Feature:UserNamespaces]`;
const MODE = (mode: string) => `${U}runtime should reject a user namespace in NamespaceMode ${mode} [Feature:UserNamespaces]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** This host's own uid map as the checks print it (the lab runs in the initial user namespace: [ [ 0, 0, 4294967295 ] ]). */
const HOST = String.raw`\[ ` + readFileSync('/proc/self/uid_map', 'utf8').trim().split('\n').map((l) => String.raw`\[ ` + l.trim().split(/\s+/).join(', ') + String.raw` \]`).join(', ') + String.raw` \]`;
const re = (s: string) => new RegExp(s);

/** Status claims user namespace support for the default handler. */
const claimUserns: Fault = {
  rpc: 'Status',
  mutate: (r) => void (r.runtime_handlers = [{ name: '', features: { recursive_read_only_mounts: false, user_namespaces: true } }]),
};

/** ExecSync answers for `cat /proc/self/<file>`, edited. */
const mapAnswer = (file: string, edit: (res: Msg) => void): Fault => ({
  rpc: 'ExecSync',
  when: (req) => (req.cmd ?? []).join(' ') === `cat /proc/self/${file}`,
  mutate: (res) => void edit(res),
});

describe('self-test: user-namespaces', function () {
  this.timeout(600_000);

  /** What a container in a user namespace sees of host files through a mount without the mappings: the overflow ids. */
  const statAnswer = (stdout: string): Fault => ({
    rpc: 'ExecSync', when: (req) => (req.cmd ?? [])[0] === 'stat',
    mutate: (res) => void (res.stdout = Buffer.from(stdout)),
  });

  /** Claims user namespaces and answers the uid_map read with the mapping the pod asked for (containerd 1.6 ignores it). */
  const inAskedUserns = (): Fault[] => {
    let asked = '';
    return [
      claimUserns,
      { rpc: 'RunPodSandbox', mutateRequest: (req) => void (asked = (req.config.linux.security_context.namespace_options.userns_options.uids as Msg[]).map((m) => `${m.container_id} ${m.host_id} ${m.length}`).join('\n')) },
      mapAnswer('uid_map', (r) => (r.stdout = Buffer.from(`${asked}\n`))),
    ];
  };

  it(`${IDMAP} fails when the runtime ignores the mount's mappings (host files show as the overflow id)`, () =>
    expectCheckFails(IDMAP, [...inAskedUserns(), statAnswer('65534:65534\n65534:65534\n')],
      /ExecSync: owners \(uid:gid\) of \/mnt\/idmap\/root-file and \/mnt\/idmap\/user-file inside the container: expected \[ '0:0', '1000:2000' \], got \[ '65534:65534', '65534:65534' \]/));

  it(`${IDMAP} fails when only the uid mapping is applied`, () =>
    expectCheckFails(IDMAP, [...inAskedUserns(), statAnswer('0:65534\n1000:65534\n')],
      /ExecSync: owners \(uid:gid\) of .*: expected \[ '0:0', '1000:2000' \], got \[ '0:65534', '1000:65534' \]/));

  it(`${IDMAP} fails when the container is not in the pod's user namespace (the owners would prove nothing)`, () =>
    expectCheckFails(IDMAP, [claimUserns],
      re(String.raw`ExecSync: \/proc\/self\/uid_map \(container id, host id, length\): expected \[ \[ 0, \d+, 65536 \] \], got ${HOST} \(the container must be in the pod's user namespace\)`)));

  it(`${POD} fails when the runtime ignores userns_options (the container keeps the host's map)`, () =>
    expectCheckFails(POD, [claimUserns],
      re(String.raw`ExecSync: \/proc\/self\/uid_map \(container id, host id, length\): expected \[ \[ 0, \d+, 65536 \] \], got ${HOST} \(mode POD with uids and gids`)));

  it(`${POD} fails when only the uid map is right`, () => {
    // The uid answer is made right from the mapping the pod asked for; the gid map is the runtime's own.
    let asked = '';
    return expectCheckFails(POD, [
      claimUserns,
      { rpc: 'RunPodSandbox', mutateRequest: (req) => void (asked = (req.config.linux.security_context.namespace_options.userns_options.uids as Msg[]).map((m) => `${m.container_id} ${m.host_id} ${m.length}`).join('\n')) },
      mapAnswer('uid_map', (r) => (r.stdout = Buffer.from(`${asked}\n`))),
    ], re(String.raw`ExecSync: \/proc\/self\/gid_map \(container id, host id, length\): expected \[ \[ 0, \d+, 65536 \] \], got ${HOST}`));
  });

  it(`${POD} fails when the container cannot read its uid_map`, () =>
    expectCheckFails(POD, [claimUserns, mapAnswer('uid_map', (r) => (r.exit_code = 1))], /ExecSync: exit_code \(cat \/proc\/self\/uid_map\): expected 0, got 1/));

  it(`${NODE} fails when the container is in a user namespace of its own`, () =>
    expectCheckFails(NODE, [claimUserns, mapAnswer('uid_map', (r) => (r.stdout = Buffer.from('         0     655360      65536\n')))],
      re(String.raw`ExecSync: \/proc\/self\/uid_map \(container id, host id, length\): expected ${HOST}, got \[ \[ 0, 655360, 65536 \] \] \(mode NODE shares the host user namespace\)`)));

  it(`${NODE} fails when only the gid map is another`, () =>
    expectCheckFails(NODE, [claimUserns, mapAnswer('gid_map', (r) => (r.stdout = Buffer.from('0 655360 65536\n')))],
      re(String.raw`ExecSync: \/proc\/self\/gid_map \(container id, host id, length\): expected ${HOST}, got \[ \[ 0, 655360, 65536 \] \]`)));

  it(`${MANY} fails when the runtime accepts two mappings and applies none (the host's map)`, () =>
    expectCheckFails(MANY, [claimUserns],
      re(String.raw`ExecSync: \/proc\/self\/uid_map \(container id, host id, length\): expected \[ \[ 0, \d+, 65536 \], \[ 65536, \d+, 65536 \] \], got ${HOST} \(the runtime accepted two uid and gid mappings: it must apply exactly them\) \[rests on api\.proto UserNamespace\.uids`)));

  it(`${MANY} fails when the runtime applies only the first of two mappings`, () => {
    let first = '';
    return expectCheckFails(MANY, [
      claimUserns,
      { rpc: 'RunPodSandbox', mutateRequest: (req) => void (first = ((m: Msg) => `${m.container_id} ${m.host_id} ${m.length}`)(req.config.linux.security_context.namespace_options.userns_options.uids[0])) },
      mapAnswer('uid_map', (r) => (r.stdout = Buffer.from(`${first}\n`))),
    ], re(String.raw`ExecSync: \/proc\/self\/uid_map \(container id, host id, length\): expected \[ \[ 0, \d+, 65536 \], \[ 65536, \d+, 65536 \] \], got \[ \[ 0, \d+, 65536 \] \]`));
  });

  it(`${MANY} passes when the runtime applies both mappings exactly (as CRI-O does; lines in another order)`, async () => {
    let uids = '';
    let gids = '';
    const line = (m: Msg) => `${m.container_id} ${m.host_id} ${m.length}`;
    const r = await runOne(MANY, [
      claimUserns,
      { rpc: 'RunPodSandbox', mutateRequest: (req) => {
        const u = req.config.linux.security_context.namespace_options.userns_options;
        uids = (u.uids as Msg[]).map(line).reverse().join('\n');
        gids = (u.gids as Msg[]).map(line).join('\n');
      } },
      mapAnswer('uid_map', (res) => (res.stdout = Buffer.from(`${uids}\n`))),
      mapAnswer('gid_map', (res) => (res.stdout = Buffer.from(`${gids}\n`))),
    ]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${MANY} passes when the runtime refuses two mappings (RunPodSandbox answers an error)`, async () => {
    const r = await runOne(MANY, [claimUserns, { rpc: 'RunPodSandbox', error: { code: Status.INVALID_ARGUMENT, details: 'only one mapping' } }]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${NO_ROOT} fails when the runtime accepts a mapping without container ID 0 and applies none`, () =>
    expectCheckFails(NO_ROOT, [claimUserns],
      re(String.raw`ExecSync: \/proc\/self\/uid_map \(container id, host id, length\): expected \[ \[ 1, \d+, 65536 \] \], got ${HOST} \(the runtime accepted a mapping that starts at container ID 1: it must apply exactly them\)`)));

  it(`${NO_ROOT} fails when the container cannot read its gid_map (its uid_map made right)`, () => {
    let asked = '';
    return expectCheckFails(NO_ROOT, [
      claimUserns,
      { rpc: 'RunPodSandbox', mutateRequest: (req) => void (asked = (req.config.linux.security_context.namespace_options.userns_options.uids as Msg[]).map((m) => `${m.container_id} ${m.host_id} ${m.length}`).join('\n')) },
      mapAnswer('uid_map', (r) => (r.stdout = Buffer.from(`${asked}\n`))),
      mapAnswer('gid_map', (r) => (r.exit_code = 1)),
    ], /ExecSync: exit_code \(cat \/proc\/self\/gid_map\): expected 0, got 1/);
  });

  it(`${NO_ROOT} passes when the runtime refuses at StartContainer`, async () => {
    const r = await runOne(NO_ROOT, [claimUserns, { rpc: 'StartContainer', error: { code: Status.UNKNOWN, details: 'container ID 0 is not mapped' } }]);
    expect(r.status, r.message).to.equal('passed');
  });

  for (const mode of ['CONTAINER', 'TARGET']) {
    it(`${MODE(mode)} fails when the runtime accepts mode ${mode}`, () =>
      expectCheckFails(MODE(mode), [claimUserns], new RegExp(`RunPodSandbox \\(userns_options: mode ${mode} \\(only POD and NODE are defined for user namespaces\\)\\): expected an error \\(.*\\), got success \\[rests on api\\.proto UserNamespace\\.mode`)));
  }
});
