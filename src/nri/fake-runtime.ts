// An in-process NRI runtime for tests: listens on a unix socket, serves the Runtime service (RegisterPlugin,
// UpdateContainers) and drives a connected plugin the way containerd's NRI adaptation does: Configure, then
// Synchronize (in chunks with `more` when asked), then the events the test sends.

import net from 'node:net';
import { decode, encode, methodTypes, PLUGIN_SERVICE, RUNTIME_SERVICE, type Msg } from './api.js';
import { Mux, PLUGIN_SERVICE_CONN, RUNTIME_SERVICE_CONN } from './mux.js';
import { TtrpcClient, TtrpcError, TtrpcServer, type TtrpcHandler } from './ttrpc.js';

export interface FakeRuntimeOptions {
  socketPath: string;
  runtimeName?: string;
  runtimeVersion?: string;
  /** Synchronize with these, split into `syncChunks` requests (more = true on all but the last). */
  pods?: Msg[];
  containers?: Msg[];
  syncChunks?: number;
  /** Answer RegisterPlugin, then never configure the plugin. */
  neverConfigure?: boolean;
  /** Answer RegisterPlugin with this status code instead of success. */
  refuseRegistration?: { code: number; message: string };
}

export interface FakePluginConn {
  registration: Msg;
  /** ConfigureResponse.events of the plugin. */
  events: number;
  syncReplies: Msg[];
  /** Call a Plugin RPC on this plugin; resolves with the decoded response. */
  call(method: string, req: Msg, timeoutMs?: number): Promise<Msg>;
  close(): void;
}

export class FakeNriRuntime {
  private server!: net.Server;
  readonly plugins: FakePluginConn[] = [];
  readonly updateRequests: Msg[] = [];
  private waiters: ((p: FakePluginConn) => void)[] = [];
  private untaken: FakePluginConn[] = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly options: FakeRuntimeOptions) {}

  async listen(): Promise<void> {
    this.server = net.createServer((s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); this.accept(s); });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.socketPath, () => resolve());
    });
  }

  /** The next plugin to finish Configure and Synchronize (or one that already has and was not yet taken). */
  nextPlugin(): Promise<FakePluginConn> {
    const ready = this.untaken.shift();
    return ready ? Promise.resolve(ready) : new Promise((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(sock: net.Socket): void {
    const mux = new Mux(sock);
    const client = new TtrpcClient(mux.open(PLUGIN_SERVICE_CONN));
    const call = async (method: string, req: Msg, timeoutMs = 5000): Promise<Msg> => {
      const { request, response } = methodTypes('Plugin', method);
      return decode(response, await client.call(PLUGIN_SERVICE, method, encode(request, req), timeoutMs));
    };
    const handlers = new Map<string, TtrpcHandler>();
    handlers.set(`${RUNTIME_SERVICE}/RegisterPlugin`, (payload) => {
      const registration = decode('RegisterPluginRequest', payload);
      const refuse = this.options.refuseRegistration;
      if (refuse) throw new TtrpcError(refuse.code, refuse.message);
      // Like the adaptation: configure and synchronize once registration has been answered.
      if (!this.options.neverConfigure) setImmediate(() => void this.drive(registration, call, () => mux.close()));
      return encode('Empty', {});
    });
    handlers.set(`${RUNTIME_SERVICE}/UpdateContainers`, (payload) => {
      this.updateRequests.push(decode('UpdateContainersRequest', payload));
      return encode('UpdateContainersResponse', { failed: [] });
    });
    new TtrpcServer(mux.open(RUNTIME_SERVICE_CONN), handlers);
  }

  private async drive(registration: Msg, call: FakePluginConn['call'], close: () => void): Promise<void> {
    const cfg = await call('Configure', {
      config: '', runtime_name: this.options.runtimeName ?? 'fake-nri-runtime', runtime_version: this.options.runtimeVersion ?? '0.0.0',
      registration_timeout: '5000', request_timeout: '2000', NRI_version: 'v0.12.2',
    });
    const pods = this.options.pods ?? [];
    const containers = this.options.containers ?? [];
    const n = Math.max(1, this.options.syncChunks ?? 1);
    const syncReplies: Msg[] = [];
    for (let i = 0; i < n; i++) {
      const slice = <T>(a: T[]) => a.slice(Math.floor((a.length * i) / n), Math.floor((a.length * (i + 1)) / n));
      syncReplies.push(await call('Synchronize', { pods: slice(pods), containers: slice(containers), more: i < n - 1 }));
    }
    const conn: FakePluginConn = { registration, events: cfg.events, syncReplies, call, close };
    this.plugins.push(conn);
    const w = this.waiters.shift();
    if (w) w(conn); else this.untaken.push(conn);
  }
}
