// The NRI client (src/nri) against byte-level expectations and an in-process fake NRI runtime:
// the mux and ttrpc framing, the NRI v0.12.2 wire schema, and the plugin handshake and events.

import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import {
  Code, decode, encode, encodeFrame, eventMask, FakeNriRuntime, FrameReader, Mux, MAX_WRITE_FRAME, NriPlugin,
  TtrpcClient, TtrpcError, TtrpcServer, type TtrpcHandler,
} from '../src/nri/index.js';
import { NRI_PROTO_ROOT } from '../src/nri/proto-path.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, TYPE_REQUEST, TYPE_RESPONSE } from '../src/nri/ttrpc.js';
import { compareSchema, factsFromProto, type SchemaFacts } from './proto-schema.test.js';

/** A ByteChannel pair in memory: what one side writes the other receives, cut into pieces of `cut` bytes. */
function pipe(cut = Infinity): [Chan, Chan] {
  const a = new Chan(), b = new Chan();
  a.peer = b; b.peer = a; a.cut = b.cut = cut;
  return [a, b];
}
class Chan extends EventEmitter {
  peer!: Chan;
  cut = Infinity;
  written: Buffer[] = [];
  write(d: Uint8Array): void {
    const buf = Buffer.from(d);
    this.written.push(buf);
    for (let i = 0; i < buf.length; i += this.cut === Infinity ? buf.length : this.cut) {
      const part = buf.subarray(i, this.cut === Infinity ? buf.length : i + this.cut);
      setImmediate(() => this.peer.emit('data', part));
    }
  }
}

describe('nri: wire schema', () => {
  it('proto/nri/v1alpha1/api.proto carries exactly the wire facts of containerd/nri v0.12.2', () => {
    const expected = JSON.parse(readFileSync(path.join(path.dirname(NRI_PROTO_ROOT), '..', 'test', 'fixtures', 'nri-schema', 'nri-v0.12.2.json'), 'utf8')) as SchemaFacts;
    const root = new protobuf.Root();
    root.loadSync(path.join(NRI_PROTO_ROOT, 'v1alpha1', 'api.proto'), { keepCase: true });
    root.resolveAll();
    const { facts, problems } = factsFromProto(root, 'nri.pkg.api.v1alpha1');
    expect(problems).to.deep.equal([]);
    expect(compareSchema(facts, expected, 'nri v1alpha1')).to.deep.equal([]);
    expect(Object.keys(facts.messages)).to.have.length(85);
    expect(facts.services['Plugin']).to.have.length(18);
  });

  it('encodes RegisterPluginRequest byte for byte (fields 1, 2, 3 as length-delimited strings)', () => {
    const b = encode('RegisterPluginRequest', { plugin_name: 'ab', plugin_idx: '10', NRI_version: 'v' });
    expect(b.toString('hex')).to.equal('0a02616212023130' + '1a0176');
    expect(decode('RegisterPluginRequest', b)).to.deep.equal({ plugin_name: 'ab', plugin_idx: '10', NRI_version: 'v' });
  });

  it('computes the event mask as bit (event - 1), as nri pkg/api EventMask does', () => {
    expect(eventMask(['RUN_POD_SANDBOX'])).to.equal(1);
    expect(eventMask(['CREATE_CONTAINER', 'REMOVE_CONTAINER'])).to.equal((1 << 3) | (1 << 10));
    expect(() => eventMask(['NOPE'])).to.throw(/no NRI event NOPE/);
  });

  it('decodes CreateContainerResponse adjustments with maps and repeated fields', () => {
    const b = encode('CreateContainerResponse', { adjust: { env: [{ key: 'K', value: 'V' }], annotations: { a: 'b' } } });
    const o = decode('CreateContainerResponse', b);
    expect(o['adjust'].env).to.deep.equal([{ key: 'K', value: 'V' }]);
    expect(o['adjust'].annotations).to.deep.equal({ a: 'b' });
    expect(o['update']).to.deep.equal([]);
  });
});

describe('nri: mux framing', () => {
  it('writes an 8-byte header (connection id, length) and splits payloads at 4096 bytes', () => {
    const frames: Buffer[] = [];
    const sock = Object.assign(new EventEmitter(), { write: (b: Buffer) => { frames.push(b); return true; }, destroy: () => undefined });
    const m = new Mux(sock as unknown as net.Socket);
    m.write(2, Buffer.from('hi'));
    expect(frames[0]!.toString('hex')).to.equal('00000002' + '00000002' + '6869');
    frames.length = 0;
    m.write(1, Buffer.alloc(MAX_WRITE_FRAME * 2 + 5, 7));
    expect(frames.map((f) => f.readUInt32BE(4))).to.deep.equal([4096, 4096, 5]);
    expect(frames.every((f) => f.readUInt32BE(0) === 1)).to.equal(true);
  });

  it('demultiplexes frames cut at any byte into the right connections, in order', () => {
    const sock = Object.assign(new EventEmitter(), { write: () => true, destroy: () => undefined });
    const m = new Mux(sock as unknown as net.Socket);
    const got: Record<number, string> = { 1: '', 2: '' };
    m.open(1).on('data', (b: Buffer) => { got[1] += b.toString(); });
    m.open(2).on('data', (b: Buffer) => { got[2] += b.toString(); });
    const frame = (id: number, s: string) => Buffer.concat([Buffer.from([0, 0, 0, id, 0, 0, 0, s.length]), Buffer.from(s)]);
    const all = Buffer.concat([frame(1, 'abc'), frame(2, 'xy'), frame(3, 'lost'), frame(1, 'def')]);
    for (const byte of all) sock.emit('data', Buffer.from([byte]));
    expect(got).to.deep.equal({ 1: 'abcdef', 2: 'xy' });
    expect(m.droppedFrames).to.equal(1);
    expect(() => m.open(0)).to.throw(/reserved/);
  });

  it('closes on an oversized frame header instead of buffering it', () => {
    const sock = Object.assign(new EventEmitter(), { write: () => true, destroy: () => undefined });
    const m = new Mux(sock as unknown as net.Socket);
    let err: Error | undefined;
    m.open(1).on('close', (e?: Error) => { err = e; });
    sock.emit('data', Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]));
    expect(err?.message).to.match(/exceeds/);
  });
});

describe('nri: ttrpc framing', () => {
  it('writes a 10-byte header: length, stream id, type, flags', () => {
    const f = encodeFrame({ streamId: 3, type: TYPE_REQUEST, flags: 1, payload: Buffer.from('xyz') });
    expect(f.toString('hex')).to.equal('00000003' + '00000003' + '01' + '01' + '78797a');
  });

  it('reassembles frames fed one byte at a time', () => {
    const r = new FrameReader();
    const bytes = Buffer.concat([encodeFrame({ streamId: 1, type: 1, flags: 1, payload: Buffer.from('a') }), encodeFrame({ streamId: 3, type: 2, flags: 0, payload: Buffer.alloc(0) })]);
    const out = [...bytes].flatMap((b) => r.push(Buffer.from([b])));
    expect(out.map((f) => [f.streamId, f.type, f.flags, f.payload.toString()])).to.deep.equal([[1, 1, 1, 'a'], [3, 2, 0, '']]);
  });

  it('round-trips the Request and Response envelopes (timeout in nanoseconds, status code and message)', () => {
    const req = decodeRequest(encodeRequest({ service: 's', method: 'm', payload: Buffer.from([1, 2]), timeoutMs: 1500 }));
    expect([req.service, req.method, [...req.payload], req.timeout_nano]).to.deep.equal(['s', 'm', [1, 2], '1500000000']);
    expect(decodeResponse(encodeResponse({ code: 5, message: 'gone' }))).to.include({ code: 5, message: 'gone' });
    expect(decodeResponse(encodeResponse({ payload: Buffer.from('ok') })).payload.toString()).to.equal('ok');
  });

  it('client and server: odd increasing stream ids, replies matched by id, errors keep their code', async () => {
    const [a, b] = pipe(3);
    const handlers = new Map<string, TtrpcHandler>([
      ['svc/Echo', (p) => p],
      ['svc/Slow', async (p) => { await new Promise((r) => setTimeout(r, 30)); return p; }],
      ['svc/Fail', () => { throw new TtrpcError(Code.FAILED_PRECONDITION, 'no'); }],
    ]);
    const server = new TtrpcServer(b, handlers);
    const client = new TtrpcClient(a);
    const [slow, fast] = await Promise.all([client.call('svc', 'Slow', Buffer.from('1')), client.call('svc', 'Echo', Buffer.from('2'))]);
    expect([slow.toString(), fast.toString()]).to.deep.equal(['1', '2']);
    const ids = a.written.map((f) => f.readUInt32BE(4));
    expect(ids).to.deep.equal([1, 3]);
    const e = await client.call('svc', 'Fail', Buffer.alloc(0)).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(TtrpcError);
    expect((e as TtrpcError).code).to.equal(Code.FAILED_PRECONDITION);
    const u = await client.call('svc', 'Nope', Buffer.alloc(0)).catch((x: unknown) => x);
    expect((u as TtrpcError).code).to.equal(Code.UNIMPLEMENTED);
    expect(server.protocolErrors).to.deep.equal([]);
    expect(b.written.every((f) => f.readUInt8(8) === TYPE_RESPONSE)).to.equal(true);
  });

  it('server refuses even or reused stream ids with INVALID_ARGUMENT', async () => {
    const [a, b] = pipe();
    const server = new TtrpcServer(b, new Map([['s/m', (p: Buffer) => p]]));
    const replies: Buffer[] = [];
    a.on('data', (d: Buffer) => replies.push(d));
    a.write(encodeFrame({ streamId: 2, type: TYPE_REQUEST, flags: 1, payload: encodeRequest({ service: 's', method: 'm', payload: Buffer.alloc(0) }) }));
    await new Promise((r) => setTimeout(r, 10));
    const r = new FrameReader().push(Buffer.concat(replies));
    expect(decodeResponse(r[0]!.payload).code).to.equal(Code.INVALID_ARGUMENT);
    expect(server.protocolErrors).to.deep.equal(['bad stream id 2']);
  });

  it('client call times out with DEADLINE_EXCEEDED and fails pending calls when the channel closes', async () => {
    const [a] = pipe();
    const client = new TtrpcClient(a);
    const e = await client.call('s', 'm', Buffer.alloc(0), 20).catch((x: unknown) => x);
    expect((e as TtrpcError).code).to.equal(Code.DEADLINE_EXCEEDED);
    const p = client.call('s', 'm', Buffer.alloc(0), 5000).catch((x: unknown) => x);
    a.emit('close', new Error('gone'));
    expect(((await p) as Error).message).to.equal('gone');
  });
});

describe('nri: plugin against a fake NRI runtime', () => {
  let dir: string;
  let rt: FakeNriRuntime | undefined;
  let plugin: NriPlugin | undefined;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'nri-test-')); });
  afterEach(async () => { plugin?.close(); plugin = undefined; await rt?.close(); rt = undefined; rmSync(dir, { recursive: true, force: true }); });

  async function start(opts: Partial<ConstructorParameters<typeof FakeNriRuntime>[0]> = {}): Promise<FakeNriRuntime> {
    rt = new FakeNriRuntime({ socketPath: path.join(dir, 'nri.sock'), ...opts });
    await rt.listen();
    return rt;
  }

  it('registers, is configured with its event mask, and collects a Synchronize sent in chunks', async () => {
    const r = await start({ pods: [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }], containers: [{ id: 'c1', pod_sandbox_id: 'p1' }], syncChunks: 3, runtimeName: 'fake' });
    plugin = await NriPlugin.connect({ socketPath: path.join(dir, 'nri.sock'), name: 'unit', idx: '42', events: ['RUN_POD_SANDBOX', 'CREATE_CONTAINER'] });
    const conn = await r.nextPlugin();
    expect(conn.registration).to.deep.equal({ plugin_name: 'unit', plugin_idx: '42', NRI_version: 'v0.12.2' });
    expect(conn.events).to.equal(eventMask(['RUN_POD_SANDBOX', 'CREATE_CONTAINER']));
    expect(conn.syncReplies.map((s) => s['more'])).to.deep.equal([true, true, false]);
    expect(plugin.configureRequest?.['runtime_name']).to.equal('fake');
    expect(plugin.synchronized?.pods.map((p) => p['id'])).to.deep.equal(['p1', 'p2', 'p3']);
    expect(plugin.synchronized?.containers.map((c) => c['id'])).to.deep.equal(['c1']);
    for (const k of ['connected', 'registered', 'configured', 'synchronized'] as const) expect(plugin.handshake[k]).to.be.at.least(0);
  });

  it('answers CreateContainer with the handler\'s adjustment, and records dedicated and StateChange events alike', async () => {
    const r = await start();
    plugin = await NriPlugin.connect({
      socketPath: path.join(dir, 'nri.sock'), name: 'unit', idx: '10', events: ['CREATE_CONTAINER', 'START_CONTAINER'],
      handlers: { CreateContainer: (req) => ({ adjust: { env: [{ key: 'FROM', value: String(req['container'].name) }] } }) },
    });
    const conn = await r.nextPlugin();
    const reply = await conn.call('CreateContainer', { pod: { id: 'p', name: 'pod' }, container: { id: 'c', name: 'ctr', pod_sandbox_id: 'p' } });
    expect(reply['adjust'].env).to.deep.equal([{ key: 'FROM', value: 'ctr' }]);
    await conn.call('StateChange', { event: 'START_CONTAINER', pod: { id: 'p' }, container: { id: 'c' } });
    await conn.call('StartContainer', { pod: { id: 'p' }, container: { id: 'c' } });
    expect(plugin.events.map((e) => [e.event, e.method, e.container?.['id']])).to.deep.equal([
      ['CREATE_CONTAINER', 'CreateContainer', 'c'], ['START_CONTAINER', 'StateChange', 'c'], ['START_CONTAINER', 'StartContainer', 'c']]);
    const ev = await plugin.waitForEvent((e) => e.event === 'START_CONTAINER', 100);
    expect(ev.method).to.equal('StateChange');
  });

  it('a throwing handler fails the runtime\'s call; a handler set after connecting is used', async () => {
    const r = await start();
    plugin = await NriPlugin.connect({ socketPath: path.join(dir, 'nri.sock'), name: 'unit', idx: '10', events: ['RUN_POD_SANDBOX'] });
    const conn = await r.nextPlugin();
    plugin.handlers['RunPodSandbox'] = () => { throw new Error('refused by test'); };
    const e = await conn.call('RunPodSandbox', { pod: { id: 'p' } }).catch((x: unknown) => x);
    expect((e as TtrpcError).code).to.equal(Code.UNKNOWN);
    expect((e as TtrpcError).detail).to.equal('refused by test');
  });

  it('waitForEvent times out naming what it waited for, and rejects when the runtime goes away', async () => {
    const r = await start();
    plugin = await NriPlugin.connect({ socketPath: path.join(dir, 'nri.sock'), name: 'unit', idx: '10', events: ['RUN_POD_SANDBOX'] });
    const conn = await r.nextPlugin();
    const e = await plugin.waitForEvent(() => false, 20, 'RunPodSandbox of pod x').catch((x: unknown) => x);
    expect((e as Error).message).to.equal('RunPodSandbox of pod x: none within 20 ms');
    const closed = plugin.waitForEvent(() => false, 5000, 'anything').catch((x: unknown) => x);
    conn.close();
    expect(((await closed) as Error).message).to.match(/^anything: the NRI connection closed first/);
    expect(plugin.closed.closed).to.equal(true);
  });

  it('connect fails naming the handshake step the runtime never did, within its timeout', async () => {
    await start({ neverConfigure: true });
    const t0 = Date.now();
    const e = await NriPlugin.connect({ socketPath: path.join(dir, 'nri.sock'), name: 'unit', idx: '10', events: [], timeoutMs: 300 }).catch((x: unknown) => x);
    expect((e as Error).message).to.equal('Configure: not done within 300 ms');
    expect(Date.now() - t0).to.be.below(2000);
  });

  it('connect fails with a one-line reason when registration is refused or no runtime listens', async () => {
    await start({ refuseRegistration: { code: Code.FAILED_PRECONDITION, message: 'plugin index taken' } });
    const e = await NriPlugin.connect({ socketPath: path.join(dir, 'nri.sock'), name: 'unit', idx: '10', events: [] }).catch((x: unknown) => x);
    expect((e as Error).message).to.equal('RegisterPlugin: ttrpc status 9: plugin index taken');
    const n = await NriPlugin.connect({ socketPath: path.join(dir, 'none.sock'), name: 'unit', idx: '10', events: [], timeoutMs: 500 }).catch((x: unknown) => x);
    expect((n as Error).message).to.match(/^connect .*none\.sock: .*ENOENT/);
  });
});
