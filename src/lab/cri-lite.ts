// The few CRI calls the lab itself needs (readiness, pre-pulling the pause image, stopping pods on
// down), over @grpc/grpc-js. Loads the repository's proto/runtime/v1/api.proto when present and
// falls back to an embedded subset of the same wire schema (identical field numbers) otherwise, so
// the lab never depends on the state of the shared client in src/cri/.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Subset of runtime.v1 (cri-api) used by the lab; field numbers match the published API. */
export const MINI_PROTO = `
syntax = "proto3";
package runtime.v1;
service RuntimeService {
  rpc Version(VersionRequest) returns (VersionResponse) {}
  rpc StopPodSandbox(StopPodSandboxRequest) returns (StopPodSandboxResponse) {}
  rpc RemovePodSandbox(RemovePodSandboxRequest) returns (RemovePodSandboxResponse) {}
  rpc ListPodSandbox(ListPodSandboxRequest) returns (ListPodSandboxResponse) {}
  rpc Status(StatusRequest) returns (StatusResponse) {}
}
service ImageService {
  rpc PullImage(PullImageRequest) returns (PullImageResponse) {}
}
message VersionRequest { string version = 1; }
message VersionResponse { string version = 1; string runtime_name = 2; string runtime_version = 3; string runtime_api_version = 4; }
message StopPodSandboxRequest { string pod_sandbox_id = 1; }
message StopPodSandboxResponse {}
message RemovePodSandboxRequest { string pod_sandbox_id = 1; }
message RemovePodSandboxResponse {}
message ListPodSandboxRequest {}
message PodSandbox { string id = 1; }
message ListPodSandboxResponse { repeated PodSandbox items = 1; }
message StatusRequest { bool verbose = 1; }
message RuntimeCondition { string type = 1; bool status = 2; string reason = 3; string message = 4; }
message RuntimeStatus { repeated RuntimeCondition conditions = 1; }
message StatusResponse { RuntimeStatus status = 1; map<string, string> info = 2; }
message ImageSpec { string image = 1; map<string, string> annotations = 2; }
message AuthConfig { string username = 1; string password = 2; string auth = 3; string server_address = 4; string identity_token = 5; string registry_token = 6; }
message PullImageRequest { ImageSpec image = 1; AuthConfig auth = 2; }
message PullImageResponse { string image_ref = 1; }
`;

function findRepoProto(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'proto', 'runtime', 'v1', 'api.proto');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

type Ctor = grpc.ServiceClientConstructor;
let services: { runtime: Ctor; image: Ctor; source: string } | undefined;

export function loadServices(): { runtime: Ctor; image: Ctor; source: string } {
  if (services) return services;
  let def: protoLoader.PackageDefinition | undefined;
  let source = 'embedded subset';
  const file = findRepoProto();
  if (file) {
    try {
      def = protoLoader.loadSync(file, LOADER_OPTIONS);
      source = file;
    } catch {
      def = undefined;
    }
  }
  if (!def) {
    const root = protobuf.parse(MINI_PROTO, { keepCase: true }).root;
    def = protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
  }
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    runtime: { v1: { RuntimeService: Ctor; ImageService: Ctor } };
  };
  services = { runtime: pkg.runtime.v1.RuntimeService, image: pkg.runtime.v1.ImageService, source };
  return services;
}

/** grpc-js target for a CRI endpoint (`unix:///path` or a bare socket path). */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return `unix:${endpoint.slice('unix://'.length)}`;
  if (endpoint.startsWith('/')) return `unix:${endpoint}`;
  return endpoint;
}

export class LiteClient {
  private readonly rt: grpc.Client;
  private readonly img: grpc.Client;

  constructor(endpoint: string) {
    const s = loadServices();
    const target = grpcTarget(endpoint);
    const opts = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    this.rt = new s.runtime(target, grpc.credentials.createInsecure(), opts);
    this.img = new s.image(target, grpc.credentials.createInsecure(), opts);
  }

  call<T = Record<string, unknown>>(
    svc: 'runtime' | 'image',
    method: string,
    req: object,
    timeoutMs = 5000,
  ): Promise<T> {
    const client = svc === 'runtime' ? this.rt : this.img;
    const fn = (client as unknown as Record<string, Function>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`no such CRI method ${method}`));
    return new Promise<T>((resolve, reject) => {
      fn.call(client, req, { deadline: new Date(Date.now() + timeoutMs) }, (err: grpc.ServiceError | null, res: T) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  close(): void {
    this.rt.close();
    this.img.close();
  }
}
