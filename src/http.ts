// Plain HTTP on node:http, for the lab's registry probes and the suites' dials of a pod's web server. fetch()
// would load undici, whose HTTP parser is WebAssembly: compiling it added ~12 MiB to the harness's RSS for the
// rest of the run and ~30 MiB at its peak (issue 26; README "Speed and memory").
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request; rejects on a connection error, or when no whole answer came within timeoutMs. */
export function httpRequest(url: string, o: { method?: string; headers?: Record<string, string>; timeoutMs: number }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, signal: AbortSignal.timeout(o.timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (e: Error) => reject(e.name === 'AbortError' ? new Error(`no answer within ${o.timeoutMs} ms`) : e));
    req.end();
  });
}
