// An NRI plugin over our own mux + ttrpc: connect to the runtime's NRI socket, RegisterPlugin, answer
// Configure (the event subscription) and Synchronize, then record every event the runtime relays and
// answer it with the handler's reply (CreateContainer may return an adjustment).

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  decode, encode, EVENT_METHOD, eventMask, methodTypes, NRI_API_VERSION, PLUGIN_SERVICE, pluginMethods,
  RUNTIME_SERVICE, type Msg, type NriEventName,
} from './api.js';
import { Mux, PLUGIN_SERVICE_CONN, RUNTIME_SERVICE_CONN } from './mux.js';
import { TtrpcClient, TtrpcError, TtrpcServer, type TtrpcHandler } from './ttrpc.js';

export type NriHandler = (req: Msg) => Msg | void | Promise<Msg | void>;

export interface NriPluginOptions {
  socketPath: string;
  /** RegisterPluginRequest.plugin_name. */
  name: string;
  /** RegisterPluginRequest.plugin_idx: two digits, plugins are called in ascending order. */
  idx: string;
  /** Events to subscribe to in ConfigureResponse.events. */
  events: readonly NriEventName[];
  /** Replies by Plugin method name (CreateContainer, RunPodSandbox, …); throw to fail the call. Changeable later. */
  handlers?: Partial<Record<string, NriHandler>>;
  /** Connect, register, configure and synchronize within this time (default 10 s). */
  timeoutMs?: number;
}

export interface NriEvent {
  event: NriEventName;
  /** The Plugin RPC it came by: the dedicated one, or 'StateChange' (runtimes on NRI before v0.9). */
  method: string;
  pod?: Msg;
  container?: Msg;
  request: Msg;
  /** performance.now() when it arrived. */
  at: number;
}

/** Milliseconds from the start of connect(). */
export interface NriHandshake {
  connected: number;
  configured: number;
  registered: number;
  synchronized: number;
}

export class NriPluginError extends Error {
  constructor(message: string) { super(message); this.name = 'NriPluginError'; }
}

const METHOD_EVENT = new Map<string, NriEventName>(
  Object.entries(EVENT_METHOD).map(([e, m]) => [m, e as NriEventName]));

export class NriPlugin {
  readonly events: NriEvent[] = [];
  readonly handlers: Partial<Record<string, NriHandler>>;
  configureRequest: Msg | undefined;
  synchronized: { pods: Msg[]; containers: Msg[] } | undefined;
  readonly handshake: NriHandshake = { connected: -1, configured: -1, registered: -1, synchronized: -1 };
  shutdownReceived = false;
  private readonly listeners = new Set<() => void>();
  private closeError: Error | undefined;
  private isClosed = false;
  private mux!: Mux;
  private client!: TtrpcClient;
  private server!: TtrpcServer;

  private constructor(readonly options: NriPluginOptions) {
    this.handlers = { ...(options.handlers ?? {}) };
  }

  static async connect(options: NriPluginOptions): Promise<NriPlugin> {
    const p = new NriPlugin(options);
    await p.start();
    return p;
  }

  /** Why the connection ended, if it did. */
  get closed(): { closed: boolean; error?: Error } { return { closed: this.isClosed, error: this.closeError }; }

  /** Protocol errors the ttrpc server saw. */
  get protocolErrors(): readonly string[] { return this.server.protocolErrors; }

  private async start(): Promise<void> {
    const t0 = performance.now();
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const deadline = t0 + timeoutMs;
    const left = () => Math.max(1, deadline - performance.now());
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(this.options.socketPath);
      const timer = setTimeout(() => { s.destroy(); reject(new NriPluginError(`connect ${this.options.socketPath}: timed out after ${timeoutMs} ms`)); }, left());
      s.once('connect', () => { clearTimeout(timer); resolve(s); });
      s.once('error', (e) => { clearTimeout(timer); reject(new NriPluginError(`connect ${this.options.socketPath}: ${e.message}`)); });
    });
    this.handshake.connected = performance.now() - t0;
    this.mux = new Mux(sock);
    this.mux.on('close', (err?: Error) => { this.isClosed = true; this.closeError ??= err; this.notify(); });

    let configured!: () => void;
    const configuredP = new Promise<void>((r) => { configured = r; });
    let synced!: () => void;
    const syncedP = new Promise<void>((r) => { synced = r; });
    const collected: { pods: Msg[]; containers: Msg[] } = { pods: [], containers: [] };

    const handlers = new Map<string, TtrpcHandler>();
    for (const method of pluginMethods()) {
      const { request, response } = methodTypes('Plugin', method);
      handlers.set(`${PLUGIN_SERVICE}/${method}`, async (payload) => {
        const req = decode(request, payload);
        let reply: Msg | void;
        switch (method) {
          case 'Configure':
            this.configureRequest = req;
            this.handshake.configured = performance.now() - t0;
            reply = { events: eventMask(this.options.events) };
            configured();
            break;
          case 'Synchronize':
            collected.pods.push(...req.pods);
            collected.containers.push(...req.containers);
            reply = { update: [], more: req.more };
            if (!req.more) {
              this.synchronized = collected;
              this.handshake.synchronized = performance.now() - t0;
              setImmediate(synced);
            }
            break;
          case 'Shutdown':
            this.shutdownReceived = true;
            reply = {};
            break;
          default: {
            const event = method === 'StateChange' ? req.event as NriEventName : METHOD_EVENT.get(method);
            if (event) {
              this.events.push({ event, method, pod: req.pod ?? undefined, container: req.container ?? undefined, request: req, at: performance.now() });
              this.notify();
            }
            const h = this.handlers[method] ?? (method === 'StateChange' && event ? this.handlers[EVENT_METHOD[event]] : undefined);
            reply = h ? await h(req) : undefined;
            if (method === 'StateChange') reply = {};
          }
        }
        return encode(response, reply ?? {});
      });
    }
    this.server = new TtrpcServer(this.mux.open(PLUGIN_SERVICE_CONN), handlers);
    this.client = new TtrpcClient(this.mux.open(RUNTIME_SERVICE_CONN));

    // One deadline and one close watch for the whole handshake, removed once it is over.
    let step = 'RegisterPlugin';
    let stopWatch = (): void => undefined;
    const watch = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new NriPluginError(`${step}: not done within ${timeoutMs} ms`)), left());
      const onClose = (err?: Error) => reject(new NriPluginError(`${step}: connection closed${err ? ': ' + err.message : ''}`));
      this.mux.once('close', onClose);
      stopWatch = () => { clearTimeout(timer); this.mux.off('close', onClose); };
    });
    try {
      await Promise.race([this.callRuntime('RegisterPlugin', {
        plugin_name: this.options.name, plugin_idx: this.options.idx, NRI_version: NRI_API_VERSION,
      }, left()), watch]);
      this.handshake.registered = performance.now() - t0;
      step = 'Configure';
      await Promise.race([configuredP, watch]);
      step = 'Synchronize';
      await Promise.race([syncedP, watch]);
    } catch (e) {
      this.close();
      throw e instanceof TtrpcError ? new NriPluginError(`RegisterPlugin: ${e.message}`) : e;
    } finally {
      stopWatch();
    }
  }

  /** Call the runtime's Runtime service (RegisterPlugin, UpdateContainers). */
  async callRuntime(method: string, req: Msg, timeoutMs = 10_000): Promise<Msg> {
    const { request, response } = methodTypes('Runtime', method);
    const out = await this.client.call(RUNTIME_SERVICE, method, encode(request, req), timeoutMs);
    return decode(response, out);
  }

  /** Resolves with the first recorded event (earlier or later) that matches, or rejects after timeoutMs. */
  waitForEvent(match: (e: NriEvent) => boolean, timeoutMs: number, what = 'NRI event'): Promise<NriEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.find(match);
        if (e) { done(); resolve(e); return true; }
        if (this.isClosed) { done(); reject(new NriPluginError(`${what}: the NRI connection closed first${this.closeError ? ': ' + this.closeError.message : ''}`)); return true; }
        return false;
      };
      const timer = setTimeout(() => { done(); reject(new NriPluginError(`${what}: none within ${timeoutMs} ms`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners.delete(listener); };
      const listener = () => { check(); };
      if (!check()) this.listeners.add(listener);
    });
  }

  close(): void { if (this.mux && !this.mux.isClosed) this.mux.close(); }

  private notify(): void { for (const l of [...this.listeners]) l(); }
}


