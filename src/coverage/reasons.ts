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
};
