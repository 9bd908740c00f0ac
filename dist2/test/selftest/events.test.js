// Self-tests of the events suite. The lab containerd (1.6) answers GetContainerEvents with UNIMPLEMENTED,
// so the fault proxy alone can only show the skips. To show that each check passes on a correct event
// stream and fails on a wrong one, these tests put an event emulator in front of the lab: it forwards
// every v1 RPC and serves GetContainerEvents itself, emitting the events a correct runtime would (from
// the container RPCs it forwards and the exits it observes), with the statuses read from the lab at that
// moment. Faults then corrupt that stream.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { Client, Server, ServerCredentials, Metadata, credentials, status as Status, } from '@grpc/grpc-js';
import { loadCri } from '../../src/cri/proto.js';
import { parseEndpoint } from '../../src/config.js';
import { makeTimeouts } from '../../src/cri/timeouts.js';
import { runConformance } from '../../src/runner/run.js';
import { expectFailed, labUpstream, runOne } from '../support/selftest.js';
const T = 'events/Container events ';
const ids = {
    order: `${T}runtime should stream CONTAINER_CREATED, STARTED, STOPPED and DELETED events for a container, in order [Feature:ContainerEvents]`,
    content: `${T}container events should carry the pod sandbox status and the container statuses of the moment [Feature:ContainerEvents]`,
    exit: `${T}runtime should send CONTAINER_STOPPED_EVENT with the exit code when a container exits on its own [Feature:ContainerEvents]`,
};
const all = Object.values(ids);
const serviceDef = (service) => loadCri('v1')['runtime']['v1'][service].service;
async function startEmulator(upstream, faults = {}) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-events-'));
    const sock = path.join(dir, 'cri.sock');
    const up = new Client(upstream.target, credentials.createInsecure());
    const rt = serviceDef('RuntimeService');
    const upCall = (rpc, req) => new Promise((resolve, reject) => up.makeUnaryRequest(rt[rpc].path, rt[rpc].requestSerialize, rt[rpc].responseDeserialize, req, new Metadata(), { deadline: Date.now() + 20_000 }, (err, res) => (err ? reject(err) : resolve(res))));
    const streams = new Set();
    const sent = new Map();
    const sandboxOf = new Map();
    const seen = new Map();
    let held;
    let queue = Promise.resolve();
    const send = (e) => {
        const out = faults.mutate ? faults.mutate(e) : e;
        if (!out)
            return;
        for (const s of streams) {
            s.write(out);
            const n = (sent.get(s) ?? 0) + 1;
            sent.set(s, n);
            if (faults.closeAfter !== undefined && n >= faults.closeAfter) {
                streams.delete(s);
                s.end();
            }
        }
    };
    /** Builds the event from the lab's state now and sends it, in call order. */
    const emit = (id, type) => {
        const types = seen.get(id) ?? new Set();
        if (types.has(type))
            return queue;
        types.add(type);
        seen.set(id, types);
        const sandboxId = sandboxOf.get(id);
        queue = queue.then(async () => {
            const sb = await upCall('PodSandboxStatus', { pod_sandbox_id: sandboxId }).catch(() => ({ status: null }));
            const list = await upCall('ListContainers', { filter: { pod_sandbox_id: sandboxId } }).catch(() => ({ containers: [] }));
            const statuses = [];
            for (const c of list.containers) {
                const st = await upCall('ContainerStatus', { container_id: c.id }).catch(() => null);
                if (st?.status)
                    statuses.push(st.status);
            }
            const e = {
                container_id: id,
                container_event_type: type,
                created_at: String(BigInt(Date.now()) * 1000000n),
                pod_sandbox_status: sb.status,
                containers_statuses: statuses,
            };
            if (faults.swapCreatedStarted && type === 'CONTAINER_CREATED_EVENT') {
                held = e;
                return;
            }
            send(e);
            if (held && type === 'CONTAINER_STARTED_EVENT') {
                send(held);
                held = undefined;
            }
        });
        return queue;
    };
    // A running container that exits on its own gets its CONTAINER_STOPPED_EVENT from this watch.
    const watch = setInterval(() => {
        if (faults.noExitWatch)
            return;
        for (const [id, types] of seen) {
            if (!types.has('CONTAINER_STARTED_EVENT') || types.has('CONTAINER_STOPPED_EVENT'))
                continue;
            upCall('ContainerStatus', { container_id: id })
                .then((r) => (r.status?.state === 'CONTAINER_EXITED' ? emit(id, 'CONTAINER_STOPPED_EVENT') : undefined))
                .catch(() => undefined);
        }
    }, 200);
    const after = {
        CreateContainer: async (req, res) => {
            sandboxOf.set(res.container_id, req.pod_sandbox_id);
            await emit(res.container_id, 'CONTAINER_CREATED_EVENT');
        },
        StartContainer: (req) => emit(req.container_id, 'CONTAINER_STARTED_EVENT'),
        StopContainer: (req) => (sandboxOf.has(req.container_id) ? emit(req.container_id, 'CONTAINER_STOPPED_EVENT') : Promise.resolve()),
        RemoveContainer: async (req) => {
            if (!sandboxOf.has(req.container_id))
                return;
            const types = seen.get(req.container_id);
            if (types?.has('CONTAINER_STARTED_EVENT'))
                await emit(req.container_id, 'CONTAINER_STOPPED_EVENT');
            await emit(req.container_id, 'CONTAINER_DELETED_EVENT');
        },
    };
    const server = new Server();
    for (const service of ['RuntimeService', 'ImageService']) {
        const def = serviceDef(service);
        const impl = {};
        for (const [rpc, m] of Object.entries(def)) {
            if (rpc === 'GetContainerEvents') {
                impl[rpc] = (call) => {
                    if (faults.closeAfter === 0) {
                        call.end();
                        return;
                    }
                    streams.add(call);
                    call.on('cancelled', () => streams.delete(call));
                };
            }
            else if (m.responseStream) {
                impl[rpc] = (call) => call.emit('error', { code: Status.UNIMPLEMENTED, details: 'not emulated' });
            }
            else {
                impl[rpc] = (call, cb) => {
                    up.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, call.request, new Metadata(), { deadline: call.getDeadline() }, (err, res) => {
                        if (err)
                            return cb({ code: err.code, details: err.details });
                        const hook = after[rpc];
                        if (!hook)
                            return cb(null, res);
                        hook(call.request, res).then(() => cb(null, res), () => cb(null, res));
                    });
                };
            }
        }
        server.addService(def, impl);
    }
    await new Promise((resolve, reject) => server.bindAsync(`unix://${sock}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    return {
        endpoint: parseEndpoint(`unix://${sock}`, 'flag'),
        async close() {
            clearInterval(watch);
            for (const s of streams)
                s.end();
            server.forceShutdown();
            up.close();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const silent = { info: () => undefined, suiteStart: () => undefined, testEnd: () => undefined, done: () => undefined };
/** Runs one test through the emulator (runOne's twin, with the emulator as the endpoint). */
async function runEmulated(id, faults = {}) {
    const lab = await labUpstream();
    const emu = await startEmulator(lab.endpoint, faults);
    try {
        const run = await runConformance({
            endpoints: { runtime: emu.endpoint, image: emu.endpoint, notes: [] },
            criVersion: 'v1',
            timeouts: makeTimeouts(20),
            testTimeoutMs: 120_000,
            kubernetes: '1.36',
            focus: [new RegExp(`^${escape(id)}$`)],
            skip: [],
            suites: ['events'],
            bail: false,
            images: lab.images,
            privateRegistry: lab.privateRegistry,
            progress: silent,
            signal: new AbortController().signal,
        });
        const tests = run.suites.flatMap((s) => s.tests);
        expect(tests, `no test has the id "${id}"`).to.have.length(1);
        return tests[0];
    }
    finally {
        await emu.close();
    }
}
async function expectEmulatedFails(id, faults, message) {
    expectFailed(id, await runEmulated(id, faults), message);
}
async function expectSkipped(r, reason) {
    expect(r.status, `expected a skip, got ${r.status}: ${r.message ?? ''}`).to.equal('skipped');
    expect(r.message ?? '').to.match(reason);
}
const each = (f) => (e) => (f(e), e);
describe('self-test: events', function () {
    this.timeout(600_000);
    for (const id of all) {
        it(`${id} passes on a correct event stream (emulated)`, async () => {
            const r = await runEmulated(id);
            expect(r.status, r.message ?? '').to.equal('passed');
        });
        it(`${id} is skipped when GetContainerEvents answers UNIMPLEMENTED`, async () => expectSkipped(await runOne(id, [{ rpc: 'GetContainerEvents', error: { code: Status.UNIMPLEMENTED, details: 'method GetContainerEvents not implemented' } }]), /^GetContainerEvents answered UNIMPLEMENTED: GetContainerEvents is optional/));
        it(`${id} is skipped when the runtime closes the stream at once (events disabled)`, async () => expectSkipped(await runEmulated(id, { closeAfter: 0 }), /^runtime closed the GetContainerEvents stream cleanly without sending any event while the test ran a pod: container events are disabled/));
    }
    it(`${ids.order} is skipped when the runtime refuses the stream with another code`, async () => expectSkipped(await runOne(ids.order, [{ rpc: 'GetContainerEvents', error: { code: Status.FAILED_PRECONDITION, details: 'container events are disabled' } }]), /^runtime closed the GetContainerEvents stream with FAILED_PRECONDITION: container events are disabled without sending any event/));
    it(`${ids.order} is skipped over v1alpha2, which has no GetContainerEvents`, async () => expectSkipped(await runOne(ids.order, [], { criVersion: 'v1alpha2' }), /^GetContainerEvents is not in v1alpha2/));
    it(`${ids.order} is skipped for a kubelet release without the feature`, async () => expectSkipped(await runOne(ids.order, [], { kubernetes: '1.24' }), /^Feature:ContainerEvents is not part of kubelet 1\.24/));
    it(`${ids.order} fails when CREATED arrives after STARTED`, () => expectEmulatedFails(ids.order, { swapCreatedStarted: true }, /GetContainerEvents: container_event_type of the events for container \w+: expected \["CONTAINER_CREATED_EVENT","CONTAINER_STARTED_EVENT","CONTAINER_STOPPED_EVENT","CONTAINER_DELETED_EVENT"\], got \["CONTAINER_STARTED_EVENT","CONTAINER_CREATED_EVENT",/));
    it(`${ids.order} fails when an event is sent twice`, () => {
        let dup = true;
        return expectEmulatedFails(ids.order, {
            mutate: (e) => (dup && e.container_event_type === 'CONTAINER_STARTED_EVENT' ? ((dup = false), { ...e, container_event_type: 'CONTAINER_CREATED_EVENT' }) : e),
        }, /expected \["CONTAINER_CREATED_EVENT","CONTAINER_STARTED_EVENT",.*got \["CONTAINER_CREATED_EVENT","CONTAINER_CREATED_EVENT",/);
    });
    it(`${ids.order} fails when DELETED never comes`, () => expectEmulatedFails(ids.order, { mutate: (e) => (e.container_event_type === 'CONTAINER_DELETED_EVENT' ? null : e) }, /GetContainerEvents: expected CONTAINER_DELETED_EVENT for container \w+ within 15s, got \[CONTAINER_CREATED_EVENT, CONTAINER_STARTED_EVENT, CONTAINER_STOPPED_EVENT\]/));
    it(`${ids.order} fails when events carry another container_id`, () => expectEmulatedFails(ids.order, { mutate: each((e) => (e.container_id = `x${e.container_id}`)) }, /expected CONTAINER_DELETED_EVENT for container \w+ within 15s, got \[\]/));
    it(`${ids.order} fails when the stream ends in the middle`, () => expectEmulatedFails(ids.order, { closeAfter: 2 }, /GetContainerEvents: expected the stream to stay open, it ended cleanly after 2 events/));
    it(`${ids.content} fails when pod_sandbox_status is another sandbox's`, () => expectEmulatedFails(ids.content, { mutate: each((e) => (e.pod_sandbox_status.id = 'not-the-sandbox')) }, /GetContainerEvents: CONTAINER_CREATED_EVENT\.pod_sandbox_status\.id: expected "\w+", got "not-the-sandbox"/));
    it(`${ids.content} fails when pod_sandbox_status is missing`, () => expectEmulatedFails(ids.content, { mutate: each((e) => (e.pod_sandbox_status = null)) }, /CONTAINER_CREATED_EVENT\.pod_sandbox_status\.id: expected "\w+", got undefined/));
    it(`${ids.content} fails when pod_sandbox_status has another pod uid`, () => expectEmulatedFails(ids.content, { mutate: each((e) => (e.pod_sandbox_status.metadata.uid = 'other-uid')) }, /CONTAINER_CREATED_EVENT\.pod_sandbox_status\.metadata\.uid: expected ".*", got "other-uid"/));
    it(`${ids.content} fails when the STARTED event carries the status from before the start`, () => expectEmulatedFails(ids.content, {
        mutate: each((e) => {
            if (e.container_event_type === 'CONTAINER_STARTED_EVENT')
                for (const s of e.containers_statuses)
                    if (s.id === e.container_id)
                        s.state = 'CONTAINER_CREATED';
        }),
    }, /CONTAINER_STARTED_EVENT\.containers_statuses\[\w+\]\.state: expected "CONTAINER_RUNNING", got "CONTAINER_CREATED"/));
    it(`${ids.content} fails when the container is missing from containers_statuses`, () => expectEmulatedFails(ids.content, { mutate: each((e) => (e.containers_statuses = e.containers_statuses.filter((s) => s.id !== e.container_id))) }, /CONTAINER_CREATED_EVENT\.containers_statuses: expected a status for container \w+, got \[\]/));
    it(`${ids.content} fails when created_at is in seconds`, () => expectEmulatedFails(ids.content, { mutate: each((e) => (e.created_at = String(BigInt(e.created_at) / 1000000000n))) }, /CONTAINER_CREATED_EVENT\.created_at \(ns\): expected between \d+ and \d+, got "\d{10}"/));
    it(`${ids.content} fails when created_at goes back in time`, () => 
    // CREATED stamped 5 s late (still inside the test's clock window): STARTED then goes back in time.
    expectEmulatedFails(ids.content, {
        mutate: each((e) => {
            if (e.container_event_type === 'CONTAINER_CREATED_EVENT')
                e.created_at = String(BigInt(e.created_at) + 5000000000n);
        }),
    }, /CONTAINER_STARTED_EVENT\.created_at \(ns\): expected >= \d+, got "\d+" \(events of one container must not go back in time\)/));
    it(`${ids.exit} fails when an exit on its own sends no CONTAINER_STOPPED_EVENT`, () => expectEmulatedFails(ids.exit, { noExitWatch: true }, /GetContainerEvents: expected CONTAINER_STOPPED_EVENT for container \w+ within 15s, got \[CONTAINER_CREATED_EVENT, CONTAINER_STARTED_EVENT\]/));
    it(`${ids.exit} fails when the STOPPED event carries a wrong exit code`, () => expectEmulatedFails(ids.exit, {
        mutate: each((e) => {
            if (e.container_event_type === 'CONTAINER_STOPPED_EVENT')
                for (const s of e.containers_statuses)
                    if (s.id === e.container_id)
                        s.exit_code = 0;
        }),
    }, /CONTAINER_STOPPED_EVENT\.containers_statuses\[\w+\]\.exit_code: expected 3, got 0/));
    it(`${ids.exit} fails when the STOPPED event still says running`, () => expectEmulatedFails(ids.exit, {
        mutate: each((e) => {
            if (e.container_event_type === 'CONTAINER_STOPPED_EVENT')
                for (const s of e.containers_statuses)
                    if (s.id === e.container_id)
                        s.state = 'CONTAINER_RUNNING';
        }),
    }, /CONTAINER_STOPPED_EVENT\.containers_statuses\[\w+\]\.state: expected "CONTAINER_EXITED", got "CONTAINER_RUNNING"/));
});
//# sourceMappingURL=events.test.js.map