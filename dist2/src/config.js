// Endpoint and timeout resolution, with crictl's names and precedence:
// flags > CONTAINER_RUNTIME_ENDPOINT / IMAGE_SERVICE_ENDPOINT > crictl.yaml > autodetect.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError, ConnectError } from './errors.js';
export const DEFAULT_CRICTL_CONFIG = '/etc/crictl.yaml';
/** crictl's default search order: containerd, CRI-O, cri-dockerd. */
export const AUTODETECT_SOCKETS = [
    { name: 'containerd', path: '/run/containerd/containerd.sock' },
    { name: 'CRI-O', path: '/run/crio/crio.sock' },
    { name: 'cri-dockerd', path: '/run/cri-dockerd.sock' },
];
export function parseEndpoint(raw, source) {
    const s = raw.trim();
    if (s.startsWith('unix://')) {
        const path = s.slice('unix://'.length);
        if (!path.startsWith('/'))
            throw new UsageError(`endpoint "${raw}": unix endpoints need an absolute path, e.g. unix:///run/containerd/containerd.sock`);
        return { uri: `unix://${path}`, target: `unix://${path}`, kind: 'unix', path, source };
    }
    if (s.startsWith('/'))
        return { uri: `unix://${s}`, target: `unix://${s}`, kind: 'unix', path: s, source };
    if (s.startsWith('tcp://')) {
        const hostPort = s.slice('tcp://'.length).replace(/\/$/, '');
        const m = /^(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(hostPort);
        if (!m || Number(m[2]) > 65535)
            throw new UsageError(`endpoint "${raw}": tcp endpoints look like tcp://host:port`);
        return { uri: `tcp://${hostPort}`, target: hostPort, kind: 'tcp', source };
    }
    throw new UsageError(`endpoint "${raw}" is not understood: use unix:///path/to.sock, /path/to.sock or tcp://host:port`);
}
export function readCrictlConfig(file, required) {
    if (!existsSync(file)) {
        if (required)
            throw new UsageError(`config file ${file} does not exist (given with --config)`, 'CONFIG');
        return undefined;
    }
    let text;
    try {
        text = readFileSync(file, 'utf8');
    }
    catch (e) {
        throw new UsageError(`cannot read config file ${file}: ${e.code ?? e.message}; fix its permissions or pass --config`, 'CONFIG');
    }
    let doc;
    try {
        doc = parseYaml(text);
    }
    catch (e) {
        throw new UsageError(`config file ${file} is not valid YAML: ${e.message.split('\n')[0]}`, 'CONFIG');
    }
    if (doc == null)
        return {};
    if (typeof doc !== 'object' || Array.isArray(doc))
        throw new UsageError(`config file ${file} must be a YAML mapping (runtime-endpoint, image-endpoint, timeout)`, 'CONFIG');
    const d = doc;
    const str = (k) => {
        const v = d[k];
        if (v === undefined || v === null || v === '')
            return undefined;
        if (typeof v !== 'string')
            throw new UsageError(`config file ${file}: "${k}" must be a string`, 'CONFIG');
        return v;
    };
    let timeout;
    if (d['timeout'] !== undefined && d['timeout'] !== null) {
        const raw = d['timeout'];
        // Numbers, or numeric strings as crictl accepts; not booleans or lists (Number(true) is 1).
        const t = typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '') ? Number(raw) : NaN;
        if (!Number.isFinite(t) || t <= 0)
            throw new UsageError(`config file ${file}: "timeout" must be a positive number of seconds`, 'CONFIG');
        timeout = t;
    }
    return { runtimeEndpoint: str('runtime-endpoint'), imageEndpoint: str('image-endpoint'), timeout };
}
function defaultSocketExists(path) {
    try {
        return statSync(path).isSocket();
    }
    catch {
        return false;
    }
}
export function resolveEndpoints(inp) {
    const notes = [];
    const cfgFile = inp.configFlag ?? DEFAULT_CRICTL_CONFIG;
    // The default crictl.yaml is only consulted for what flags and env leave open (a broken one must not
    // block a run whose endpoints and timeout were all given); --config is always read.
    const given = (flag, envName) => Boolean(flag || inp.env[envName]);
    const needsFile = inp.configFlag !== undefined ||
        !given(inp.runtimeFlag, 'CONTAINER_RUNTIME_ENDPOINT') ||
        !given(inp.imageFlag, 'IMAGE_SERVICE_ENDPOINT') ||
        inp.timeoutFlag === undefined;
    const cfg = (needsFile ? readCrictlConfig(cfgFile, inp.configFlag !== undefined) : undefined) ?? {};
    const pick = (flag, envName, fromCfg) => {
        if (flag)
            return parseEndpoint(flag, 'flag');
        const e = inp.env[envName];
        if (e)
            return parseEndpoint(e, 'env');
        if (fromCfg)
            return parseEndpoint(fromCfg, 'config');
        return undefined;
    };
    let runtime = pick(inp.runtimeFlag, 'CONTAINER_RUNTIME_ENDPOINT', cfg.runtimeEndpoint);
    if (!runtime) {
        const exists = inp.socketExists ?? defaultSocketExists;
        const found = AUTODETECT_SOCKETS.find((s) => exists(s.path));
        if (!found) {
            throw new ConnectError(`no CRI endpoint given and none found at ${AUTODETECT_SOCKETS.map((s) => s.path).join(', ')}: pass --runtime-endpoint unix:///path/to.sock, or use --lab`, 'NO_ENDPOINT');
        }
        runtime = parseEndpoint(found.path, 'autodetect');
        notes.push(`no endpoint configured; autodetected ${found.name} at ${runtime.uri}`);
    }
    const image = pick(inp.imageFlag, 'IMAGE_SERVICE_ENDPOINT', cfg.imageEndpoint) ?? { ...runtime, source: 'runtime-endpoint' };
    return { runtime, image, timeoutSeconds: inp.timeoutFlag ?? cfg.timeout, notes };
}
//# sourceMappingURL=config.js.map