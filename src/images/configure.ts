// What a runtime needs to pull the served fixture images from 127.0.0.1 over plain HTTP, written only by
// `cri-conformance images configure containerd|crio --dir DIR --port P` (run then uses --serve-port P).
//  - containerd: nothing with Debian's default config (no config_path: the CRI plugin treats localhost as
//    plain HTTP, measured on 1.6.20); with a config_path, a hosts.toml per host:port in that directory.
//  - CRI-O (containers/image): no localhost exception, so a registries.conf drop-in marks both ports insecure.
//  - cri-dockerd: pulls through dockerd, which treats 127.0.0.0/8 as insecure by default: nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface WrittenFile {
  file: string;
  text: string;
}

const hosts = (port: number) => [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`];

export function containerdHostsFiles(dir: string, port: number): WrittenFile[] {
  return hosts(port).map((h) => ({
    file: path.join(dir, h, 'hosts.toml'),
    text: `# written by cri-conformance images configure: the suite's own loopback registry (plain HTTP)\nserver = "http://${h}"\n\n[host."http://${h}"]\n  capabilities = ["pull", "resolve"]\n`,
  }));
}

export function crioRegistriesFile(dir: string, port: number): WrittenFile[] {
  const body = hosts(port)
    .map((h) => `[[registry]]\nprefix = "${h}"\nlocation = "${h}"\ninsecure = true\n`)
    .join('\n');
  return [{ file: path.join(dir, '50-cri-conformance.conf'), text: `# written by cri-conformance images configure: the suite's own loopback registries (plain HTTP)\n${body}` }];
}

export function writeFiles(files: WrittenFile[]): void {
  for (const f of files) {
    mkdirSync(path.dirname(f.file), { recursive: true });
    writeFileSync(f.file, f.text);
  }
}
