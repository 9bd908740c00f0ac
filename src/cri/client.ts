// The single, version-neutral CRI client: suites call v1 shapes; the same plain objects are sent over
// runtime.v1alpha2 when that is what was negotiated (the shared RPCs have the same wire layout).
import { Client, Metadata, credentials, status as Status, type ClientReadableStream, type ServiceDefinition } from '@grpc/grpc-js';
import type { ImageServiceRpcs, RuntimeServiceRpcs } from '../gen/rpc.js';
import { V1ALPHA2_RPCS } from '../gen/rpc.js';
import type { ApiVersion } from './negotiate.js';
import type { Endpoint } from '../config.js';
import { loadCri } from './proto.js';
import { NotInVersionError, RpcError, UnimplementedError, handlerOf, toRpcError } from './errors.js';
import { deadlineFor, type Timeouts } from './timeouts.js';

export type ServiceName = 'RuntimeService' | 'ImageService';
type RpcMap = Record<string, { req: unknown; res: unknown; stream: boolean }>;
export type ReqOf<M extends RpcMap, K extends keyof M> = M[K]['req'];
export type ResOf<M extends RpcMap, K extends keyof M> = M[K]['res'];

export interface CallOptions {
  /** Override the deadline for this call, in milliseconds. */
  timeoutMs?: number;
  /** Extra time on top of the default deadline (e.g. a stop timeout the runtime will wait out). */
  extraMs?: number;
}

/** What the run saw of one RPC, so profiles can judge every kubelet release from one run. */
export interface RpcObservation {
  calls: number;
  unimplemented: number;
  errors: number;
}

/** Counts calls per RPC so one run can be judged against every kubelet release. */
export class RpcLedger {
  readonly seen: Record<string, RpcObservation> = {};
  note(rpc: string, outcome: 'ok' | 'unimplemented' | 'error'): void {
    const o = (this.seen[rpc] ??= { calls: 0, unimplemented: 0, errors: 0 });
    o.calls++;
    if (outcome === 'unimplemented') o.unimplemented++;
    if (outcome === 'error') o.errors++;
  }
}

/**
 * A hung RPC costs its whole deadline in every test that calls it. After `after` consecutive
 * DEADLINE_EXCEEDED of one RPC, later calls of that RPC fail at once instead (any other outcome resets it).
 * Shared by both services of one client, so one run has one breaker.
 */
export class Breaker {
  private readonly expiries = new Map<string, { n: number; ms: number }>();
  constructor(readonly after: number) {}
  /** The error to fail with instead of calling, when the breaker of this RPC is open. */
  check(rpc: string): BreakerOpenError | undefined {
    const e = this.expiries.get(rpc);
    return e && e.n >= this.after ? new BreakerOpenError(rpc, e.n, e.ms) : undefined;
  }
  /** Forget every count (the runtime was re-dialled: what it missed while away says nothing of its RPCs). */
  reset(): void {
    this.expiries.clear();
  }
  record(rpc: string, code: number | undefined, ms: number): void {
    if (code !== Status.DEADLINE_EXCEEDED) this.expiries.delete(rpc);
    else this.expiries.set(rpc, { n: (this.expiries.get(rpc)?.n ?? 0) + 1, ms });
  }
}

/** Still a DEADLINE_EXCEEDED to callers (isCode), but says the RPC was not called. */
export class BreakerOpenError extends RpcError {
  constructor(rpc: string, n: number, ms: number) {
    super(rpc, Status.DEADLINE_EXCEEDED, 'breaker open');
    this.name = 'BreakerOpenError';
    this.message = `${rpc}: breaker open after ${n} consecutive deadline expiries (no answer within ${Number((ms / 1000).toFixed(1))} s each); not called`;
  }
}

const channelOptions = {
  // Fail fast on a dead endpoint instead of grpc-js's default reconnect backoff up to 2 min.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

const clientCache = new Map<string, Client>();

/** One channel per endpoint target, shared by both services and versions. */
export function channelFor(endpoint: Endpoint): Client {
  let c = clientCache.get(endpoint.target);
  if (!c) {
    c = new Client(endpoint.target, credentials.createInsecure(), channelOptions);
    clientCache.set(endpoint.target, c);
  }
  return c;
}

export function closeChannel(endpoint: Endpoint): void {
  clientCache.get(endpoint.target)?.close();
  clientCache.delete(endpoint.target);
}

export function closeAllChannels(): void {
  for (const c of clientCache.values()) c.close();
  clientCache.clear();
}

function serviceDefinition(version: ApiVersion, service: ServiceName): ServiceDefinition {
  const pkg = loadCri(version) as unknown as Record<string, Record<string, Record<string, { service: ServiceDefinition }>>>;
  return pkg['runtime']![version]![service]!.service;
}

export class CriService<M extends RpcMap> {
  private readonly def: ServiceDefinition;
  constructor(
    readonly service: ServiceName,
    readonly version: ApiVersion,
    readonly endpoint: Endpoint,
    private readonly timeouts: Timeouts,
    private readonly ledger: RpcLedger,
    private readonly breaker?: Breaker,
  ) {
    this.def = serviceDefinition(version, service);
  }

  has(rpc: keyof M & string): boolean {
    return this.version === 'v1' || (V1ALPHA2_RPCS[this.service] as readonly string[]).includes(rpc);
  }

  private method(rpc: string) {
    if (!this.has(rpc)) throw new NotInVersionError(rpc, this.version);
    const m = this.def[rpc];
    if (!m) throw new NotInVersionError(rpc, this.version);
    return m;
  }

  /** A unary call with a deadline; errors become RpcError/UnimplementedError naming the RPC. */
  call<K extends keyof M & string>(rpc: K, req: ReqOf<M, K>, opts: CallOptions = {}): Promise<ResOf<M, K>> {
    const m = this.method(rpc);
    const open = this.breaker?.check(rpc);
    if (open) return Promise.reject(open);
    const ms = (opts.timeoutMs ?? deadlineFor(this.timeouts, rpc)) + (opts.extraMs ?? 0);
    const deadline = new Date(Date.now() + ms);
    const ch = channelFor(this.endpoint);
    return new Promise((resolve, reject) => {
      ch.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        req ?? {},
        new Metadata(),
        { deadline },
        (err, res) => {
          this.breaker?.record(rpc, err?.code, ms);
          if (err) {
            const e = toRpcError(rpc, err, { ms, baseSeconds: this.timeouts.baseMs / 1000 }, handlerOf(req));
            this.ledger.note(rpc, e instanceof UnimplementedError ? 'unimplemented' : 'error');
            reject(e);
          } else {
            this.ledger.note(rpc, 'ok');
            resolve(res as ResOf<M, K>);
          }
        },
      );
    });
  }

  /** A server-streaming call; the caller must cancel() it. Errors surface on the stream as RpcError. */
  stream<K extends keyof M & string>(rpc: K, req: ReqOf<M, K>, opts: CallOptions = {}): ClientReadableStream<ResOf<M, K>> {
    const m = this.method(rpc);
    const deadline = opts.timeoutMs ? new Date(Date.now() + opts.timeoutMs) : undefined;
    const call = channelFor(this.endpoint).makeServerStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      req ?? {},
      new Metadata(),
      deadline ? { deadline } : {},
    ) as ClientReadableStream<ResOf<M, K>>;
    // Book the outcome once: UNIMPLEMENTED and other errors arrive on the stream, not at the call.
    let booked = false;
    const book = (o: 'ok' | 'unimplemented' | 'error') => {
      if (!booked) this.ledger.note(rpc, o);
      booked = true;
    };
    call.once('data', () => book('ok'));
    call.once('end', () => book('ok'));
    call.on('error', (e: { code?: number }) => book(e.code === Status.UNIMPLEMENTED ? 'unimplemented' : e.code === Status.CANCELLED ? 'ok' : 'error'));
    return call;
  }
}

export type RuntimeClient = CriService<RuntimeServiceRpcs>;
export type ImageClient = CriService<ImageServiceRpcs>;

export interface Cri {
  runtime: RuntimeClient;
  image: ImageClient;
  ledger: RpcLedger;
  /** The run's breaker, when it has one. */
  breaker?: Breaker;
}

export function makeCri(
  runtimeEp: Endpoint,
  imageEp: Endpoint,
  versions: { runtime: ApiVersion; image: ApiVersion },
  timeouts: Timeouts,
  ledger = new RpcLedger(),
  /** Consecutive deadline expiries of one RPC after which it is no longer called (0 or absent: never). */
  breakAfter = 0,
): Cri {
  const breaker = breakAfter > 0 ? new Breaker(breakAfter) : undefined;
  return {
    runtime: new CriService<RuntimeServiceRpcs>('RuntimeService', versions.runtime, runtimeEp, timeouts, ledger, breaker),
    image: new CriService<ImageServiceRpcs>('ImageService', versions.image, imageEp, timeouts, ledger, breaker),
    ledger,
    ...(breaker ? { breaker } : {}),
  };
}
