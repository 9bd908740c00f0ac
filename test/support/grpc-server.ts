// The one base of the in-test gRPC servers (fake runtimes, the fault proxy, the event emulator): CRI service
// definitions from our protos, and a server on a fresh unix socket in a temp dir that close() removes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { parseEndpoint, type Endpoint } from '../../src/config.js';
import { loadCri, type ApiVersion } from '../../src/cri/proto.js';

export type CriServiceName = 'RuntimeService' | 'ImageService';

export function serviceDef(version: ApiVersion, service: CriServiceName): ServiceDefinition {
  const pkg = loadCri(version) as unknown as Record<string, Record<string, Record<string, { service: ServiceDefinition }>>>;
  return pkg['runtime']![version]![service]!.service;
}

export interface TestServer {
  /** unix:///tmp/…/cri.sock */
  endpoint: Endpoint;
  path: string;
  close(): Promise<void>;
}

/** Binds a server that `setup` filled with services; close() drops hanging calls and the socket dir. */
export async function serveOnTempSocket(prefix: string, setup: (server: Server) => void, onClose?: () => void): Promise<TestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const sock = path.join(dir, 'cri.sock');
  const server = new Server();
  setup(server);
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${sock}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return {
    endpoint: parseEndpoint(`unix://${sock}`, 'flag'),
    path: sock,
    close: async () => {
      onClose?.();
      server.forceShutdown(); // hanging calls would keep tryShutdown waiting
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
