// Why a field is not judged, where no check judges it and that is by design. Written by hand; every entry names a
// field (or a whole message) of runtime.v1, and test/coverage.test.ts holds each to proto/. A field that has a
// check is judged whatever this says.

/** A message whose name starts with Windows, or a field whose type is one: the suite runs on Linux nodes. */
export const WINDOWS_ONLY = 'Windows only';

/** `Message.field` or `Message` (every field of it) → the reason. */
export const NOT_JUDGED: Record<string, string> = {
  'LinuxSandboxSecurityContext.seccomp_profile_path': 'deprecated in api.proto (seccomp replaces it)',
  'LinuxContainerSecurityContext.seccomp_profile_path': 'deprecated in api.proto (seccomp replaces it)',
  'LinuxContainerSecurityContext.apparmor_profile': 'deprecated in api.proto (apparmor replaces it)',
  'VersionRequest.version': 'api.proto: "Version of the kubelet runtime API." The runtime answers its own version whatever is sent: nothing it does with it can be observed',
  'NetworkConfig.pod_cidr': 'api.proto: "CIDR to use for pod IP addresses. If the CIDR is empty, runtimes should omit it." It names no effect: pod IPs come from the CNI config the node has (containerd only templates a CNI config from it when one is configured; CRI-O ignores it)',
  'RuntimeConfig.network_config': 'holds only NetworkConfig.pod_cidr (see there)',
  'UpdateRuntimeConfigRequest.runtime_config': 'holds only NetworkConfig.pod_cidr (see there)',
  'CreateContainerRequest.sandbox_config': 'api.proto: "the same config that was passed to RunPodSandboxRequest … passed again here just for easy reference": the pod config is judged at RunPodSandbox',
  'LinuxSandboxSecurityContext.supplemental_groups': 'api.proto: "List of groups applied to the first process run in each container": the kubelet sends the same list in each container\'s security context, where the identity checks judge it; what a runtime gives the sandbox\'s own process is not named',
  'LinuxSandboxSecurityContext.supplemental_groups_policy': 'api.proto: "defines how supplemental groups of the first container processes are calculated": judged on the containers\' own field (identity suite), the sandbox process is not named',
  'LinuxPodSandboxConfig.overhead': 'api.proto: "Optional overhead represents the overheads associated with this sandbox": for runtimes that size a pod VM and for NRI plugins; no CRI answer reports it and a runc pod has nothing to apply it to',
  'LinuxPodSandboxConfig.resources': 'api.proto: "Optional resources represents the sum of container resources for this sandbox": as overhead (no CRI answer reports it)',
  'UpdatePodSandboxResourcesRequest.overhead': 'api.proto: UpdatePodSandboxResources "synchronously updates the PodSandboxConfig … treated as best effort": no CRI answer reports it back (only NRI plugins see it); both containerd lab runtimes answer UNIMPLEMENTED',
  'UpdatePodSandboxResourcesRequest.resources': 'as UpdatePodSandboxResourcesRequest.overhead',
  'CheckpointContainerRequest.timeout': 'api.proto: "Timeout in seconds for the checkpoint to complete": seen only with a checkpoint that outlasts it, which needs CRIU (absent here: containerd 1.6 answers UNIMPLEMENTED, 2.1 "criu not found")',
  'AuthConfig.server_address': 'api.proto gives it no words; the kubelet passes it from a docker config entry, and what a runtime does with it (containerd uses the credentials only for the host it names) is not in the contract',
  'AuthConfig.identity_token': 'needs a registry with token authentication to exchange it at; the lab\'s docker-registry serves htpasswd (basic) only',
  'AuthConfig.registry_token': 'needs a registry with token authentication to accept it; the lab\'s docker-registry serves htpasswd (basic) only',
  'PullImageRequest.sandbox_config': 'api.proto: "Config of the PodSandbox, which is used to pull image in PodSandbox context." It names no effect a client can observe (a runtime may pick a snapshotter or a handler by it, or not)',
};
