// Local stand-ins for a misbehaving streaming server, for the client's deadline tests: one that never
// answers the upgrade, one that upgrades to SPDY but never replies to a stream, one that replies to
// every stream but never finishes, a WebSocket one that never finishes, and one that refuses.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { FrameReader, FrameType, controlFrame, streamIdOf } from '../../src/cri/streaming/spdy/frames.js';
import { HeaderDeflater } from '../../src/cri/streaming/spdy/header-block.js';
export async function fakeStreamingServer(behaviour) {
    const sockets = new Set();
    const seen = [];
    // Upgrade requests never reach this handler (Node gives them to 'upgrade'); 'silent' reads and never answers.
    const server = http.createServer(() => undefined);
    server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => [...p][0] ?? false });
    server.on('upgrade', (req, socket, head) => {
        if (behaviour === 'silent')
            return;
        if (behaviour === 'refuse') {
            const body = 'unable to upgrade: unable to negotiate protocol: client supports [x], server accepts [y]\nsecond line\n';
            socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
            return;
        }
        if (behaviour === 'ws-never-done') {
            wss.handleUpgrade(req, socket, head, (ws) => seen.push(ws.protocol));
            return;
        }
        const proto = String(req.headers['x-stream-protocol-version'] ?? '').split(',')[0].trim();
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${proto}\r\n\r\n`);
        const reader = new FrameReader();
        const deflater = new HeaderDeflater();
        socket.on('data', (d) => {
            for (const f of reader.push(d)) {
                if (!f.control || f.type !== FrameType.SynStream)
                    continue;
                const id = streamIdOf(f.payload);
                seen.push(`stream ${id}`);
                if (behaviour === 'spdy-never-done') {
                    const body = Buffer.concat([Buffer.alloc(4), deflater.compress({})]);
                    body.writeUInt32BE(id, 0);
                    socket.write(controlFrame(FrameType.SynReply, 0, body));
                }
            }
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address();
    return {
        url: `http://127.0.0.1:${port}/exec/faketoken`,
        seen,
        close: async () => {
            for (const s of sockets)
                s.destroy();
            wss.close();
            await new Promise((r) => server.close(() => r()));
        },
    };
}
//# sourceMappingURL=fake-streaming-server.js.map