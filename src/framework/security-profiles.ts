// Security-context options for the seccomp and LSM suites (seccomp, AppArmor, SELinux, privileged,
// capabilities), and the host-feature gate those suites share. Imported by path, not through index.ts.
import type { ContainerOption, SandboxOption } from './builders.js';
import type { SecurityProfile } from '../gen/v1/runtime/v1/SecurityProfile.js';
import type { SELinuxOption } from '../gen/v1/runtime/v1/SELinuxOption.js';
import type { HostFeatures } from '../runner/host.js';
import type { TestContext } from './context.js';
import { skip } from './skip.js';

export type Profile = SecurityProfile;
export const RUNTIME_DEFAULT: Profile = { profile_type: 'RuntimeDefault' };
export const UNCONFINED: Profile = { profile_type: 'Unconfined' };
export const localhost = (ref: string): Profile => ({ profile_type: 'Localhost', localhost_ref: ref });

type ContainerSc = NonNullable<NonNullable<Parameters<ContainerOption>[0]['linux']>['security_context']>;
type SandboxSc = NonNullable<NonNullable<Parameters<SandboxOption>[0]['linux']>['security_context']>;

const containerSc = (patch: Partial<ContainerSc>): ContainerOption => (c) => {
  c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, ...patch } };
};
const sandboxSc = (patch: Partial<SandboxSc>): SandboxOption => (c) => {
  c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, ...patch } };
};

export const withSeccomp = (p: Profile): ContainerOption => containerSc({ seccomp: p });
export const withSeccompPath = (path: string): ContainerOption => containerSc({ seccomp_profile_path: path });
export const withSandboxSeccomp = (p: Profile): SandboxOption => sandboxSc({ seccomp: p });
export const withApparmor = (p: Profile): ContainerOption => containerSc({ apparmor: p });
export const withApparmorPath = (name: string): ContainerOption => containerSc({ apparmor_profile: name });
export const withSelinux = (o: SELinuxOption): ContainerOption => containerSc({ selinux_options: o });
export const withPrivilegedContainer = (): ContainerOption => containerSc({ privileged: true });
export const withPrivilegedSandbox = (): SandboxOption => sandboxSc({ privileged: true });
export const withAddedCapabilities = (...caps: string[]): ContainerOption => containerSc({ capabilities: { add_capabilities: caps } });
/** The pod's containers share one PID namespace, so PID 1 is the sandbox's own process. */
export const withSharedPid = (): SandboxOption => (c) => {
  const sc = c.linux?.security_context ?? {};
  c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, pid: 'POD' } } };
};
export const withSharedPidContainer = (): ContainerOption => (c) => {
  const sc = c.linux?.security_context ?? {};
  c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, pid: 'POD' } } };
};

const FEATURE_NAMES = { seccomp: 'seccomp', apparmor: 'AppArmor', selinux: 'SELinux' } as const;

/** Skips the test, naming the evidence, when the node lacks this kernel feature. */
export function requireHostFeature(t: TestContext, f: keyof typeof FEATURE_NAMES): HostFeatures {
  const h = t.run.hostFeatures;
  if (!h[f].present) skip(`${FEATURE_NAMES[f]} is not enabled on this node (${h[f].evidence})`);
  return h;
}
