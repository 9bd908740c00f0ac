// A refused upgrade's body names the cause ("unable to upgrade: ..."); its first line is the reason.
import type { IncomingMessage } from 'node:http';

export function firstBodyLine(res: IncomingMessage, max = 512): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    const done = () => resolve(body.split('\n')[0]!.trim().slice(0, 300));
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      body += c;
      if (body.length > max) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', done);
  });
}
