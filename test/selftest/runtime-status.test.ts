// Self-tests: each runtime status check fails with a useful message when the runtime answers wrong.
import { Status, expectCheckFails } from '../support/selftest.js';

const S = 'runtime-status/Status ';
type Cond = { type: string; status: boolean };

describe('self-test: runtime-status', function () {
  this.timeout(600_000);

  it('fails when NetworkReady is false', () =>
    expectCheckFails(
      `${S}runtime should report RuntimeReady and NetworkReady conditions, both true [Conformance]`,
      [{ rpc: 'Status', mutate: (r) => r.status.conditions.forEach((c: Cond) => c.type === 'NetworkReady' && (c.status = false)) }],
      /Status: status\.conditions\[NetworkReady\]\.status: expected true, got false/,
    ));

  it('fails when RuntimeReady is missing', () =>
    expectCheckFails(
      `${S}runtime should report RuntimeReady and NetworkReady conditions, both true [Conformance]`,
      [{ rpc: 'Status', mutate: (r) => void (r.status.conditions = r.status.conditions.filter((c: Cond) => c.type !== 'RuntimeReady')) }],
      /status\.conditions: expected >= 2, got 1|expected a condition of type RuntimeReady/,
    ));

  it('fails when RuntimeReady is reported under another type', () =>
    expectCheckFails(
      `${S}runtime should report RuntimeReady and NetworkReady conditions, both true [Conformance]`,
      [{ rpc: 'Status', mutate: (r) => r.status.conditions.forEach((c: Cond) => c.type === 'RuntimeReady' && (c.type = 'ContainerdReady')) }],
      /Status: status\.conditions: expected a condition of type RuntimeReady, got \[ContainerdReady, NetworkReady\]/,
    ));

  it('fails when info is returned without verbose', () =>
    expectCheckFails(
      `${S}runtime should return verbose info only when asked [Conformance]`,
      [{ rpc: 'Status', mutate: (r, req) => void (!req.verbose && (r.info = { config: '{}' })) }],
      /Status: info \(verbose=false\): expected no value, got \[ 'config' \]/,
    ));

  it('fails when the runtime sees verbose true and answers its info (the flag acts)', () =>
    expectCheckFails(
      `${S}runtime should return verbose info only when asked [Conformance]`,
      [{ rpc: 'Status', mutateRequest: (req) => void (req.verbose = true) }],
      /Status: info \(verbose=false\): expected no value, got \[ /,
    ));

  it('fails when runtime_handlers lacks the default handler', () =>
    expectCheckFails(
      `${S}runtime should list the default handler, once, in runtime_handlers [Feature:RuntimeHandlers]`,
      [{ rpc: 'Status', mutate: (r) => void (r.runtime_handlers = [{ name: 'crun', features: { recursive_read_only_mounts: false, user_namespaces: false } }]) }],
      /Status: runtime_handlers\[\]\.name: expected to include "", got \[ 'crun' \]/,
    ));

  it('fails when runtime_handlers repeats a name', () =>
    expectCheckFails(
      `${S}runtime should list the default handler, once, in runtime_handlers [Feature:RuntimeHandlers]`,
      [{ rpc: 'Status', mutate: (r) => void (r.runtime_handlers = [{ name: '' }, { name: 'crun' }, { name: 'crun' }]) }],
      /runtime_handlers\[\]\.name \(unique\): expected 3, got 2/,
    ));

  it('fails when UpdateRuntimeConfig errors', () =>
    expectCheckFails(
      `${S}runtime should answer UpdateRuntimeConfig with a pod CIDR [Conformance]`,
      [{ rpc: 'UpdateRuntimeConfig', error: { code: Status.INVALID_ARGUMENT, details: 'bad cidr' } }],
      /UpdateRuntimeConfig failed: INVALID_ARGUMENT: bad cidr/,
    ));

  it('fails when the network is not ready after UpdateRuntimeConfig', () =>
    expectCheckFails(
      `${S}runtime should answer UpdateRuntimeConfig with a pod CIDR [Conformance]`,
      [{ rpc: 'Status', mutate: (r) => r.status.conditions.forEach((c: Cond) => c.type === 'NetworkReady' && (c.status = false)) }],
      /status\.conditions\[NetworkReady\]\.status \(after UpdateRuntimeConfig\): expected true, got false/,
    ));
});
