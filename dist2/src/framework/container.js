// Container-area config options that mirror what the kubelet sends by default.
//
// NamespaceMode's zero value is POD, so a config that leaves namespace_options.pid unset asks for a
// pod-shared PID namespace (shareProcessNamespace: true), where PID 1 is the sandbox's pause process.
// The kubelet always sets pid: CONTAINER unless the pod asks to share; tests that look at PID 1 or at
// the process tree need the same.
import { KUBELET_NAMESPACES } from './builders.js';
/** Sandbox: network and IPC shared by the pod, a PID namespace per container (kubelet default). */
export const withKubeletSandboxNamespaces = () => (c) => {
    const sc = c.linux?.security_context ?? {};
    c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, ...KUBELET_NAMESPACES, network: sc.namespace_options?.network ?? 'POD' } } };
};
/** Container: the namespace options the kubelet copies from the pod (network/IPC POD, PID CONTAINER). */
export const withKubeletNamespaces = () => (c) => {
    const sc = c.linux?.security_context ?? {};
    c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, ...KUBELET_NAMESPACES } } };
};
//# sourceMappingURL=container.js.map