// The lab's runtimes by name (`lab up --runtime <name>`).

import { LabError } from '../errors.js';
import { containerd16 } from './containerd-1.6.js';
import { containerd17 } from './containerd-1.7.js';
import { containerd21 } from './containerd-2.1.js';
import { DEFAULT_RUNTIME, RUNTIME_NAMES, type RuntimeName, type RuntimeProvider } from './types.js';

export { DEFAULT_RUNTIME, RUNTIME_NAMES, type InstalledRuntime, type RuntimeName, type RuntimeProvider } from './types.js';

const PROVIDERS: Record<RuntimeName, RuntimeProvider> = {
  'containerd-1.6': containerd16,
  'containerd-1.7': containerd17,
  'containerd-2.1': containerd21,
};

export function isRuntimeName(s: string): s is RuntimeName {
  return (RUNTIME_NAMES as readonly string[]).includes(s);
}

export function runtimeProvider(name: string = DEFAULT_RUNTIME): RuntimeProvider {
  if (!isRuntimeName(name)) {
    throw new LabError('BAD_RUNTIME', `unknown lab runtime "${name}": use one of ${RUNTIME_NAMES.join(', ')}`);
  }
  return PROVIDERS[name];
}

export function allRuntimeProviders(): RuntimeProvider[] {
  return RUNTIME_NAMES.map((n) => PROVIDERS[n]);
}
