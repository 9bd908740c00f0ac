// The lab talks to its containerd through the project's one CRI client (runtime.v1, fixed: the lab's
// containerd serves it), on a channel of its own that is closed after each use.
import { parseEndpoint } from '../config.js';
import { closeChannel, makeCri } from '../cri/client.js';
import { makeTimeouts } from '../cri/timeouts.js';
export async function withLabCri(endpoint, fn) {
    const ep = parseEndpoint(endpoint, 'lab');
    const cri = makeCri(ep, ep, { runtime: 'v1', image: 'v1' }, makeTimeouts(10));
    try {
        return await fn(cri);
    }
    finally {
        closeChannel(ep);
    }
}
//# sourceMappingURL=cri.js.map