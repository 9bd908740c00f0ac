// The ordered suite manifest: run order is fixed here, not by file names or discovery.
import type { SuiteSpec } from '../framework/suite.js';

export interface SuiteEntry {
  name: string;
  title: string;
  /** Module under suites/, without extension. */
  file: string;
  /** Suites that must have passed (no failure, not skipped) for this one to be meaningful. */
  needs: string[];
  /** A declaration given directly instead of a file (the runner's own tests). */
  spec?: SuiteSpec;
}

export const SUITES: readonly SuiteEntry[] = [
  { name: 'version', title: 'Version negotiation', file: '00-version.suite', needs: [] },
  { name: 'runtime-status', title: 'Runtime status', file: '10-runtime-status.suite', needs: ['version'] },
  { name: 'runtime-config', title: 'RuntimeConfig (cgroup driver)', file: '15-runtime-config.suite', needs: ['runtime-status'] },
  { name: 'image', title: 'Image service', file: '20-image.suite', needs: ['runtime-status'] },
  { name: 'pod-sandbox', title: 'Pod sandbox lifecycle', file: '30-pod-sandbox.suite', needs: ['runtime-status'] },
  { name: 'networking', title: 'Pod networking (the pod IP from the node)', file: '32-networking.suite', needs: ['runtime-status'] },
  { name: 'container', title: 'Container lifecycle', file: '40-container.suite', needs: ['runtime-status'] },
  { name: 'idempotence', title: 'Idempotence', file: '45-idempotence.suite', needs: ['runtime-status'] },
  { name: 'stats', title: 'Stats', file: '50-stats.suite', needs: ['runtime-status'] },
  { name: 'resources', title: 'Resource updates', file: '55-resources.suite', needs: ['runtime-status'] },
  { name: 'logs', title: 'Container logs', file: '60-logs.suite', needs: ['runtime-status'] },
  { name: 'events', title: 'Container events', file: '65-events.suite', needs: ['runtime-status'] },
  { name: 'streaming', title: 'Streaming (Exec, Attach, PortForward)', file: '70-streaming.suite', needs: ['runtime-status'] },
  { name: 'namespaces', title: 'Namespaces', file: '75-namespaces.suite', needs: ['runtime-status'] },
  { name: 'identity', title: 'Users and groups', file: '76-identity.suite', needs: ['runtime-status'] },
  { name: 'privileges', title: 'Privileges (privileged, capabilities, no_new_privs, masked and read-only paths)', file: '77-privileges.suite', needs: ['runtime-status'] },
  { name: 'seccomp', title: 'Seccomp profiles', file: '78-seccomp.suite', needs: ['runtime-status'] },
  { name: 'lsm', title: 'AppArmor and SELinux', file: '79-lsm.suite', needs: ['runtime-status'] },
  { name: 'mounts', title: 'Mounts (propagation, status, SELinux relabel)', file: '80-mounts.suite', needs: ['runtime-status'] },
  { name: 'user-namespaces', title: 'User namespaces', file: '81-user-namespaces.suite', needs: ['runtime-status'] },
  { name: 'image-volumes', title: 'Image volumes (Mount.image)', file: '82-image-volumes.suite', needs: ['runtime-status'] },
  { name: 'runtime-class', title: 'RuntimeClass (runtime handlers)', file: '85-runtime-class.suite', needs: ['runtime-status'] },
  { name: 'nri', title: 'NRI (Node Resource Interface) plugins', file: '90-nri.suite', needs: ['runtime-status'] },
];
