export const DEFAULT_SUBPROTOCOLS = {
    exec: {
        spdy: ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'],
        websocket: ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'],
    },
    portForward: {
        spdy: ['portforward.k8s.io'],
        websocket: ['v4.channel.k8s.io'],
    },
};
//# sourceMappingURL=types.js.map