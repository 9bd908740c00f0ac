// Checks our proto/runtime/*/api.proto against the cri-api wire facts in
// test/fixtures/cri-schema (kept in the repo so CI anywhere can run it): every
// service, RPC, message, field, enum and enum value, in both directions.

import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_ROOT, loadCri, protoFile, type ApiVersion } from '../src/cri/proto.js';

export interface FieldFact {
  name: string;
  number: number;
  type: string;
  repeated?: boolean;
  map_key?: string;
}
export interface RpcFact {
  name: string;
  request: string;
  response: string;
  server_streaming?: boolean;
  client_streaming?: boolean;
}
export interface SchemaFacts {
  package: string;
  services: Record<string, RpcFact[]>;
  messages: Record<string, FieldFact[]>;
  enums: Record<string, Record<string, number>>;
}

const REPO_ROOT = path.dirname(PROTO_ROOT);
const SCHEMA_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'cri-schema');
const FACT_FILES: Record<ApiVersion, string> = {
  v1: 'runtime-v1.k8s-1.36.json',
  v1alpha2: 'runtime-v1alpha2.k8s-1.25.json',
};
const EXPECTED_RPC_COUNT: Record<ApiVersion, number> = { v1: 41, v1alpha2: 29 };
const VERSIONS: ApiVersion[] = ['v1', 'v1alpha2'];

/** Reads the JSON facts from the repo; throws (never skips) when they are missing. */
function loadFacts(version: ApiVersion): SchemaFacts {
  const file = path.join(SCHEMA_DIR, FACT_FILES[version]);
  if (!existsSync(file)) {
    throw new Error(`CRI wire facts not found: ${file} (test/fixtures/cri-schema is part of the repo; see its README.md)`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as SchemaFacts;
}

function loadRoot(version: ApiVersion): protobuf.Root {
  const root = new protobuf.Root();
  root.loadSync(protoFile(version), { keepCase: true });
  root.resolveAll();
  return root;
}

/** Extracts the same facts from a parsed .proto; names are relative to the package. */
export function factsFromProto(root: protobuf.Root, pkg: string): { facts: SchemaFacts; problems: string[] } {
  const problems: string[] = [];
  const ns = root.lookup(pkg);
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`package ${pkg} not found in proto`);
  const prefix = `${ns.fullName}.`;
  const rel = (t: protobuf.ReflectionObject): string =>
    t.fullName.startsWith(prefix) ? t.fullName.slice(prefix.length) : t.fullName.replace(/^\./, '');
  const facts: SchemaFacts = { package: pkg, services: {}, messages: {}, enums: {} };

  const walk = (container: protobuf.Namespace): void => {
    for (const obj of container.nestedArray) {
      if (obj instanceof protobuf.Service) {
        facts.services[rel(obj)] = obj.methodsArray.map((m) => {
          const rpc: RpcFact = {
            name: m.name,
            request: m.resolvedRequestType ? rel(m.resolvedRequestType) : m.requestType,
            response: m.resolvedResponseType ? rel(m.resolvedResponseType) : m.responseType,
          };
          if (m.responseStream) rpc.server_streaming = true;
          if (m.requestStream) rpc.client_streaming = true;
          return rpc;
        });
      } else if (obj instanceof protobuf.Type) {
        facts.messages[rel(obj)] = obj.fieldsArray.map((f) => {
          const fact: FieldFact = {
            name: f.name,
            number: f.id,
            type: f.resolvedType ? rel(f.resolvedType) : f.type,
          };
          if (f instanceof protobuf.MapField) fact.map_key = f.keyType;
          else if (f.repeated) fact.repeated = true;
          if (f.partOf && !f.partOf.name.startsWith('_')) {
            problems.push(`message ${rel(obj)} field '${f.name}' is in oneof '${f.partOf.name}', which the facts cannot describe`);
          }
          return fact;
        });
        walk(obj);
      } else if (obj instanceof protobuf.Enum) {
        facts.enums[rel(obj)] = { ...obj.values };
      } else if (obj instanceof protobuf.Namespace) {
        problems.push(`unexpected nested namespace ${rel(obj)}`);
      } else {
        problems.push(`unexpected object ${rel(obj)} (${obj.constructor.name})`);
      }
    }
  };
  walk(ns);
  return { facts, problems };
}

const FIELD_KEYS = new Set(['name', 'number', 'type', 'repeated', 'map_key']);
const RPC_KEYS = new Set(['name', 'request', 'response', 'server_streaming', 'client_streaming']);

function keyDiff<T>(a: Record<string, T>, b: Record<string, T>) {
  const onlyA = Object.keys(a).filter((k) => !(k in b)).sort();
  const onlyB = Object.keys(b).filter((k) => !(k in a)).sort();
  const both = Object.keys(a).filter((k) => k in b).sort();
  return { onlyA, onlyB, both };
}

function byName<T extends { name: string }>(list: T[], where: string, problems: string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of list) {
    if (item.name in out) problems.push(`${where}: '${item.name}' appears twice`);
    out[item.name] = item;
  }
  return out;
}

/**
 * Compares facts extracted from our .proto (`proto`) with the cri-api facts (`expected`).
 * Returns one human-readable line per difference; empty means identical.
 */
export function compareSchema(proto: SchemaFacts, expected: SchemaFacts, label: string): string[] {
  const d: string[] = [];
  const say = (s: string): void => {
    d.push(`${label}: ${s}`);
  };
  if (proto.package !== expected.package) say(`package is '${proto.package}' in proto, '${expected.package}' expected`);

  // services and RPCs
  const svc = keyDiff(proto.services, expected.services);
  for (const s of svc.onlyA) say(`service ${s} is in the proto but not in the facts`);
  for (const s of svc.onlyB) say(`service ${s} is missing from the proto`);
  for (const s of svc.both) {
    const problems: string[] = [];
    const a = byName(proto.services[s]!, `service ${s} (proto)`, problems);
    const b = byName(expected.services[s]!, `service ${s} (facts)`, problems);
    problems.forEach(say);
    const r = keyDiff(a, b);
    for (const n of r.onlyA) say(`rpc ${s}.${n} is in the proto but not in the facts`);
    for (const n of r.onlyB) say(`rpc ${s}.${n} is missing from the proto`);
    for (const n of r.both) {
      const pa = a[n]!;
      const pb = b[n]!;
      for (const k of Object.keys(pb)) if (!RPC_KEYS.has(k)) say(`rpc ${s}.${n}: facts use unknown key '${k}'`);
      if (pa.request !== pb.request) say(`rpc ${s}.${n} request is ${pa.request} in proto, ${pb.request} expected`);
      if (pa.response !== pb.response) say(`rpc ${s}.${n} response is ${pa.response} in proto, ${pb.response} expected`);
      for (const k of ['server_streaming', 'client_streaming'] as const) {
        const va = pa[k] === true;
        const vb = pb[k] === true;
        if (va !== vb) say(`rpc ${s}.${n} ${k} is ${va} in proto, ${vb} expected`);
      }
    }
  }

  // messages and fields
  const msg = keyDiff(proto.messages, expected.messages);
  for (const m of msg.onlyA) say(`message ${m} is in the proto but not in the facts`);
  for (const m of msg.onlyB) say(`message ${m} is missing from the proto`);
  for (const m of msg.both) {
    const problems: string[] = [];
    const a = byName(proto.messages[m]!, `message ${m} (proto)`, problems);
    const b = byName(expected.messages[m]!, `message ${m} (facts)`, problems);
    problems.forEach(say);
    const f = keyDiff(a, b);
    for (const n of f.onlyA) say(`message ${m} field '${n}' is in the proto but not in the facts`);
    for (const n of f.onlyB) say(`message ${m} field '${n}' is missing from the proto`);
    for (const n of f.both) {
      const fa = a[n]!;
      const fb = b[n]!;
      const where = `message ${m} field '${n}'`;
      for (const k of Object.keys(fb)) if (!FIELD_KEYS.has(k)) say(`${where}: facts use unknown key '${k}'`);
      if (fa.number !== fb.number) say(`${where} number is ${fa.number} in proto, ${fb.number} expected`);
      if (fa.type !== fb.type) say(`${where} type is ${fa.type} in proto, ${fb.type} expected`);
      if ((fa.repeated === true) !== (fb.repeated === true)) {
        say(`${where} repeated is ${fa.repeated === true} in proto, ${fb.repeated === true} expected`);
      }
      if ((fa.map_key ?? null) !== (fb.map_key ?? null)) {
        say(`${where} map key is ${fa.map_key ?? '(not a map)'} in proto, ${fb.map_key ?? '(not a map)'} expected`);
      }
    }
  }

  // enums and values
  const en = keyDiff(proto.enums, expected.enums);
  for (const e of en.onlyA) say(`enum ${e} is in the proto but not in the facts`);
  for (const e of en.onlyB) say(`enum ${e} is missing from the proto`);
  for (const e of en.both) {
    const v = keyDiff(proto.enums[e]!, expected.enums[e]!);
    for (const n of v.onlyA) say(`enum ${e} value ${n} is in the proto but not in the facts`);
    for (const n of v.onlyB) say(`enum ${e} value ${n} is missing from the proto`);
    for (const n of v.both) {
      const na = proto.enums[e]![n];
      const nb = expected.enums[e]![n];
      if (na !== nb) say(`enum ${e} value ${n} is ${na} in proto, ${nb} expected`);
    }
  }
  return d;
}

function rpcCount(facts: SchemaFacts): number {
  return Object.values(facts.services).reduce((n, list) => n + list.length, 0);
}

describe('CRI proto schema matches the cri-api wire facts', () => {
  for (const version of VERSIONS) {
    describe(`runtime.${version}`, () => {
      it(`proto/runtime/${version}/api.proto matches ${FACT_FILES[version]}`, () => {
        const expected = loadFacts(version);
        const { facts, problems } = factsFromProto(loadRoot(version), `runtime.${version}`);
        const diffs = [...problems.map((p) => `${version}: ${p}`), ...compareSchema(facts, expected, version)];
        expect(diffs, `schema differences:\n  ${diffs.join('\n  ')}\n`).to.deep.equal([]);
      });

      it(`has ${EXPECTED_RPC_COUNT[version]} RPCs across RuntimeService and ImageService`, () => {
        const expected = loadFacts(version);
        const { facts } = factsFromProto(loadRoot(version), `runtime.${version}`);
        expect(Object.keys(facts.services).sort()).to.deep.equal(['ImageService', 'RuntimeService']);
        expect(rpcCount(facts), 'RPCs in proto').to.equal(EXPECTED_RPC_COUNT[version]);
        expect(rpcCount(expected), 'RPCs in facts').to.equal(EXPECTED_RPC_COUNT[version]);
      });

      it('is proto3 and loads through @grpc/proto-loader (loadCri)', () => {
        expect(readFileSync(protoFile(version), 'utf8')).to.match(/^syntax = "proto3";$/m);
        const expected = loadFacts(version);
        const pkg = loadCri(version) as unknown as {
          runtime: Record<string, Record<string, { service: Record<string, { path: string; responseStream: boolean }> }>>;
        };
        for (const [svc, rpcs] of Object.entries(expected.services)) {
          const def = pkg.runtime[version]![svc]!.service;
          expect(Object.keys(def).sort(), `${svc} methods`).to.deep.equal(rpcs.map((r) => r.name).sort());
          for (const r of rpcs) {
            expect(def[r.name]!.path).to.equal(`/runtime.${version}.${svc}/${r.name}`);
            expect(def[r.name]!.responseStream, `${svc}.${r.name} responseStream`).to.equal(r.server_streaming === true);
          }
        }
        expect(loadCri(version), 'cached').to.equal(loadCri(version));
      });
    });
  }

  describe('self-check: the comparison can fail', () => {
    const clone = (f: SchemaFacts): SchemaFacts => JSON.parse(JSON.stringify(f)) as SchemaFacts;

    it('reports a changed field number, naming the message and field', () => {
      const expected = clone(loadFacts('v1'));
      const hostname = expected.messages['PodSandboxConfig']!.find((f) => f.name === 'hostname')!;
      hostname.number = 99;
      const { facts } = factsFromProto(loadRoot('v1'), 'runtime.v1');
      expect(compareSchema(facts, expected, 'v1')).to.deep.equal([
        "v1: message PodSandboxConfig field 'hostname' number is 2 in proto, 99 expected",
      ]);
    });

    it('reports differences in both directions for RPCs, messages, fields and enums', () => {
      const expected = clone(loadFacts('v1'));
      expected.services['ImageService'] = expected.services['ImageService']!.filter((r) => r.name !== 'PullImage');
      expected.services['RuntimeService']!.find((r) => r.name === 'Version')!.server_streaming = true;
      expected.services['RuntimeService']!.push({ name: 'Bogus', request: 'VersionRequest', response: 'VersionResponse' });
      delete expected.messages['KeyValue'];
      expected.messages['Nope'] = [];
      expected.messages['Mount']!.find((f) => f.name === 'propagation')!.type = 'Protocol';
      expected.messages['ContainerConfig']!.find((f) => f.name === 'labels')!.map_key = 'int32';
      expected.messages['ExecSyncRequest']!.find((f) => f.name === 'cmd')!.repeated = false;
      expected.enums['SecurityProfile.ProfileType']!['Localhost'] = 7;
      expected.enums['Protocol']!['QUIC'] = 3;
      const { facts } = factsFromProto(loadRoot('v1'), 'runtime.v1');
      const diffs = compareSchema(facts, expected, 'v1');
      expect(diffs).to.include.members([
        'v1: rpc ImageService.PullImage is in the proto but not in the facts',
        'v1: rpc RuntimeService.Bogus is missing from the proto',
        'v1: rpc RuntimeService.Version server_streaming is false in proto, true expected',
        'v1: message KeyValue is in the proto but not in the facts',
        'v1: message Nope is missing from the proto',
        "v1: message Mount field 'propagation' type is MountPropagation in proto, Protocol expected",
        "v1: message ContainerConfig field 'labels' map key is string in proto, int32 expected",
        "v1: message ExecSyncRequest field 'cmd' repeated is true in proto, false expected",
        'v1: enum SecurityProfile.ProfileType value Localhost is 2 in proto, 7 expected',
        'v1: enum Protocol value QUIC is missing from the proto',
      ]);
      expect(diffs).to.have.length(10);
    });

    it('reports a change made to the parsed proto itself', () => {
      const root = loadRoot('v1alpha2');
      const mount = root.lookupType('runtime.v1alpha2.Mount');
      mount.remove(mount.fields['readonly']!);
      const { facts } = factsFromProto(root, 'runtime.v1alpha2');
      expect(compareSchema(facts, loadFacts('v1alpha2'), 'v1alpha2')).to.deep.equal([
        "v1alpha2: message Mount field 'readonly' is missing from the proto",
      ]);
    });
  });
});
