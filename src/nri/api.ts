// The NRI API messages (proto/nri/v1alpha1/api.proto, package nri.pkg.api.v1alpha1) as plain objects:
// encode from an object, decode to one (keepCase names, 64-bit integers as strings, enums as names).

import path from 'node:path';
import protobuf from 'protobufjs';
import { NRI_PROTO_ROOT } from './proto-path.js';

export const NRI_PACKAGE = 'nri.pkg.api.v1alpha1';
export const RUNTIME_SERVICE = `${NRI_PACKAGE}.Runtime`;
export const PLUGIN_SERVICE = `${NRI_PACKAGE}.Plugin`;
/** The NRI release whose API the proto follows; sent as RegisterPluginRequest.NRI_version. */
export const NRI_API_VERSION = 'v0.12.2';

const root = new protobuf.Root();
root.loadSync(path.join(NRI_PROTO_ROOT, 'v1alpha1', 'api.proto'), { keepCase: true });
root.resolveAll();

const types = new Map<string, protobuf.Type>();
function type(name: string): protobuf.Type {
  let t = types.get(name);
  if (!t) { t = root.lookupType(`${NRI_PACKAGE}.${name}`); types.set(name, t); }
  return t;
}

/** Decoding options: arrays and maps always present, unset scalars at their defaults. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer, defaults: true, arrays: true, objects: true };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

export function encode(typeName: string, obj: Msg): Buffer {
  const t = type(typeName);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

export function decode(typeName: string, b: Uint8Array): Msg {
  const t = type(typeName);
  return t.toObject(t.decode(b), TO_OBJECT);
}

/** Request and response message names of a Plugin or Runtime RPC. */
export function methodTypes(service: 'Plugin' | 'Runtime', method: string): { request: string; response: string } {
  const m = root.lookupService(`${NRI_PACKAGE}.${service}`).methods[method];
  if (!m) throw new Error(`no ${service}.${method} in the NRI API`);
  return { request: m.requestType, response: m.responseType };
}

export function pluginMethods(): string[] {
  return Object.keys(root.lookupService(PLUGIN_SERVICE).methods);
}

/** The number of an Event enum name. */
export function eventValue(name: string): number {
  const v = root.lookupEnum(`${NRI_PACKAGE}.Event`).values[name];
  if (v === undefined) throw new Error(`no NRI event ${name}`);
  return v;
}

/** ConfigureResponse.events: bit (event - 1) for each subscribed event (nri pkg/api event.go EventMask). */
export function eventMask(events: readonly string[]): number {
  let m = 0;
  for (const e of events) m |= 1 << (eventValue(e) - 1);
  return m;
}

export type NriEventName =
  | 'RUN_POD_SANDBOX' | 'STOP_POD_SANDBOX' | 'REMOVE_POD_SANDBOX' | 'UPDATE_POD_SANDBOX' | 'POST_UPDATE_POD_SANDBOX'
  | 'CREATE_CONTAINER' | 'POST_CREATE_CONTAINER' | 'START_CONTAINER' | 'POST_START_CONTAINER'
  | 'UPDATE_CONTAINER' | 'POST_UPDATE_CONTAINER' | 'STOP_CONTAINER' | 'REMOVE_CONTAINER'
  | 'VALIDATE_CONTAINER_ADJUSTMENT';

/** The dedicated Plugin RPC of each event (newer runtimes) — older ones send the same as StateChange. */
export const EVENT_METHOD: Readonly<Record<NriEventName, string>> = Object.freeze({
  RUN_POD_SANDBOX: 'RunPodSandbox', STOP_POD_SANDBOX: 'StopPodSandbox', REMOVE_POD_SANDBOX: 'RemovePodSandbox',
  UPDATE_POD_SANDBOX: 'UpdatePodSandbox', POST_UPDATE_POD_SANDBOX: 'PostUpdatePodSandbox',
  CREATE_CONTAINER: 'CreateContainer', POST_CREATE_CONTAINER: 'PostCreateContainer',
  START_CONTAINER: 'StartContainer', POST_START_CONTAINER: 'PostStartContainer',
  UPDATE_CONTAINER: 'UpdateContainer', POST_UPDATE_CONTAINER: 'PostUpdateContainer',
  STOP_CONTAINER: 'StopContainer', REMOVE_CONTAINER: 'RemoveContainer',
  VALIDATE_CONTAINER_ADJUSTMENT: 'ValidateContainerAdjustment',
});
