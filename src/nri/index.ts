export * from './api.js';
export * from './mux.js';
export * from './plugin.js';
export { Code, FrameReader, TtrpcClient, TtrpcError, TtrpcServer, encodeFrame, type TtrpcHandler } from './ttrpc.js';
export * from './fake-runtime.js';
