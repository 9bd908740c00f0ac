// Self-tests of the networking suite: a pod IP the node cannot reach, a missing IP, and another server
// answering at the reported address each fail the check with the address and what came back.
import { createServer, type Server } from 'node:http';
import { expectCheckFails, type Fault } from '../support/selftest.js';

const N = 'networking/Networking ';
const IP = `${N}runtime should give a pod an IP that the node reaches: a container port answers at PodSandboxStatus.network.ip [Conformance]`;
const PORT_ONLY = `${N}runtime should support port mapping with only container port: the pod is reached at its IP on that port [Conformance]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** PodSandboxStatus reports this IP instead of the pod's. */
const reportIp = (ip: string): Fault => ({ rpc: 'PodSandboxStatus', mutate: (res: Msg) => void (res.status.network = { ip, additional_ips: [] }) });

describe('self-test: networking', function () {
  this.timeout(300_000);

  it(`${IP} fails when the pod has no IP`, () =>
    expectCheckFails(IP, [reportIp('')], /PodSandboxStatus: status\.network\.ip: expected a value matching .*, got ""/));

  it(`${IP} fails when nothing answers at the reported IP`, () =>
    // 127.0.0.2: a loopback address where no web server listens (connection refused at once).
    expectCheckFails(IP, [reportIp('127.0.0.2')], /node -> http:\/\/127\.0\.0\.2:8080\/index\.html \(a pod with no port mappings\): expected the web server's page within 20 s, got .*ECONNREFUSED/));

  it(`${PORT_ONLY} fails when the pod is not reached on its container port`, () =>
    expectCheckFails(PORT_ONLY, [reportIp('127.0.0.2')], /node -> http:\/\/127\.0\.0\.2:8080\/index\.html \(port_mappings \[\{protocol: TCP, container_port: 8080\}\]/));

  it(`${IP} fails when another server answers at the reported IP`, async () => {
    const stray: Server = createServer((_q, res) => res.end('some other service\n'));
    await new Promise<void>((done, fail) => stray.once('error', fail).listen(8080, '127.0.0.3', done));
    try {
      await expectCheckFails(IP, [reportIp('127.0.0.3')], /GET http:\/\/127\.0\.0\.3:8080\/index\.html: body: expected to include "cri-conformance webserver OK", got "some other service\\n"/);
    } finally {
      stray.closeAllConnections();
      await new Promise((done) => stray.close(done));
    }
  });
});
