// A CRI proxy for self-tests: forwards every RPC of both services and both versions to a real runtime,
// except where a fault rewrites the answer. This is how each conformance check is shown to fail when the
// runtime answers wrong.
import {
  Client, Metadata, credentials, status as Status, type Server,
  type UntypedServiceImplementation, type ServerUnaryCall, type sendUnaryData, type ServerWritableStream,
} from '@grpc/grpc-js';
import type { Endpoint } from '../../src/config.js';
import type { ApiVersion } from '../../src/cri/proto.js';
import { serveOnTempSocket, serviceDef } from './grpc-server.js';

// Responses are plain decoded objects; faults mutate them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

export interface Fault {
  /** RPC name, e.g. "ContainerStatus". */
  rpc: string;
  /** Let this many matching calls through untouched first (e.g. the negotiation probes). */
  after?: number;
  /** Only calls whose request this accepts (e.g. by the reference it carries); others pass untouched, uncounted. */
  when?: (req: Msg) => boolean;
  /** Only for this API version; both when absent. */
  version?: ApiVersion;
  /** Rewrite the response (return a new one, or mutate in place; unary answers wait for a promise).
   * For streams: each message, synchronously. */
  mutate?: (res: Msg, req: Msg) => Msg | void | Promise<Msg | void>;
  /** Serve this streaming RPC here instead of forwarding it (e.g. an event stream the runtime lacks). */
  serve?: (call: ServerWritableStream<Msg, Msg>) => void;
  /** Answer with this gRPC error instead of forwarding. */
  error?: { code: Status; details: string };
  /** Rewrite the request before forwarding. */
  mutateRequest?: (req: Msg) => Msg | void;
  /** Answer this instead of forwarding (e.g. serve an RPC the runtime lacks). */
  respond?: (req: Msg) => Msg;
  /** Wait before answering (to exercise deadlines). */
  delayMs?: number;
}

export interface FaultProxy {
  endpoint: Endpoint;
  /** RPC names the proxy forwarded, in order. */
  calls: string[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFaultProxy(upstream: Endpoint, faults: Fault[]): Promise<FaultProxy> {
  const calls: string[] = [];
  // Its own channel: the harness closes its cached channels at the end of every run.
  const up = new Client(upstream.target, credentials.createInsecure());
  const seen = new Map<Fault, number>();
  const faultFor = (rpc: string, v: string, req: Msg) => {
    const f = faults.find((x) => x.rpc === rpc && (!x.version || x.version === v) && (!x.when || x.when(req)));
    if (!f) return undefined;
    const n = (seen.get(f) ?? 0) + 1;
    seen.set(f, n);
    return n > (f.after ?? 0) ? f : undefined;
  };

  const setup = (server: Server) => {
    for (const version of ['v1', 'v1alpha2'] as const) {
      for (const service of ['RuntimeService', 'ImageService'] as const) {
        const def = serviceDef(version, service);
        const impl: UntypedServiceImplementation = {};
        for (const [rpc, m] of Object.entries(def)) {
          if (m.responseStream) {
            impl[rpc] = (call: ServerWritableStream<Msg, Msg>) => {
              calls.push(rpc);
              const f = faultFor(rpc, version, call.request);
              if (f?.error) {
                call.emit('error', { code: f.error.code, details: f.error.details, metadata: new Metadata() });
                return;
              }
              if (f?.serve) return f.serve(call);
              const req = f?.mutateRequest?.(call.request) ?? call.request;
              const deadline = call.getDeadline();
              const upstreamCall = up.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline });
              upstreamCall.on('data', (d: Msg) => call.write((f?.mutate?.(d, req) as Msg | undefined) ?? d));
              upstreamCall.on('end', () => call.end());
              upstreamCall.on('error', (e: { code: number; details: string }) => {
                if (e.code === Status.CANCELLED) call.end();
                else call.emit('error', { code: e.code, details: e.details, metadata: new Metadata() });
              });
              call.on('cancelled', () => upstreamCall.cancel());
            };
          } else {
            impl[rpc] = (call: ServerUnaryCall<Msg, Msg>, cb: sendUnaryData<Msg>) => {
              calls.push(rpc);
              void (async () => {
                const f = faultFor(rpc, version, call.request);
                if (f?.delayMs) await sleep(f.delayMs);
                if (f?.error) return cb({ code: f.error.code, details: f.error.details });
                if (f?.respond) {
                  try {
                    return cb(null, f.respond(call.request));
                  } catch (e) {
                    return cb({ code: Status.INTERNAL, details: `fault respond threw: ${(e as Error).message}` });
                  }
                }
                const req = f?.mutateRequest?.(call.request) ?? call.request;
                up.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline: call.getDeadline() }, (err, res) => {
                  if (err) return cb({ code: err.code, details: err.details });
                  Promise.resolve()
                    .then(() => f?.mutate?.(res, req))
                    .then(
                      (out) => cb(null, out ?? res),
                      (e: Error) => cb({ code: Status.INTERNAL, details: `fault mutate threw: ${e.message}` }),
                    );
                });
              })();
            };
          }
        }
        server.addService(def, impl);
      }
    }

  };
  const srv = await serveOnTempSocket('crc-proxy-', setup, () => up.close());
  return { endpoint: srv.endpoint, calls, close: srv.close };
}
