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
  'PullImageRequest.sandbox_config': 'api.proto: "Config of the PodSandbox, which is used to pull image in PodSandbox context." It names no effect a client can observe (a runtime may pick a snapshotter or a handler by it, or not)',
};
