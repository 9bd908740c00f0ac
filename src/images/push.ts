// `images push --to HOST[:PORT]`: our own client for the push side of the distribution API (no skopeo needed):
// HEAD each blob, else POST an upload and PUT it whole (monolithic), then PUT the manifest by tag. Basic auth,
// and bearer tokens from the registry's realm when it asks for them (WWW-Authenticate: Bearer).
import { readFileSync } from 'node:fs';
import type { FixtureLayout, LayoutImage } from './layout.js';

export interface PushTarget {
  host: string;
  username?: string;
  password?: string;
  /** http for loopback hosts unless told, https elsewhere. */
  scheme?: 'http' | 'https';
}

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export class RegistryClient {
  private token = new Map<string, string>();
  readonly base: string;
  constructor(
    readonly t: PushTarget,
    private readonly fetcher: Fetch = fetch,
  ) {
    const scheme = t.scheme ?? (/^(127\.|localhost|\[::1\])/.test(t.host) ? 'http' : 'https');
    this.base = `${scheme}://${t.host}`;
  }

  private basic(): string | undefined {
    return this.t.username !== undefined ? `Basic ${Buffer.from(`${this.t.username}:${this.t.password ?? ''}`).toString('base64')}` : undefined;
  }

  /** One request, answering a 401 challenge once (basic, or a bearer token for `scope`). */
  async request(method: string, pathOrUrl: string, scope: string, init: RequestInit = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const withAuth = (auth?: string): RequestInit => ({ ...init, method, headers: { ...(init.headers as Record<string, string>), ...(auth ? { Authorization: auth } : {}) } });
    const cached = this.token.get(scope);
    let res = await this.fetcher(url, withAuth(cached ?? this.basic()));
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.arrayBuffer();
    if (/^Bearer /i.test(challenge)) {
      const p = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      const q = new URLSearchParams({ ...(p['service'] ? { service: p['service'] } : {}), scope: p['scope'] ?? scope });
      const tr = await this.fetcher(`${p['realm']}?${q}`, { headers: this.basic() ? { Authorization: this.basic()! } : {} });
      if (!tr.ok) throw new Error(`token from ${p['realm']}: HTTP ${tr.status}`);
      const j = (await tr.json()) as { token?: string; access_token?: string };
      const bearer = `Bearer ${j.token ?? j.access_token}`;
      this.token.set(scope, bearer);
      res = await this.fetcher(url, withAuth(bearer));
    } else if (this.basic() === undefined) {
      throw new Error(`${this.t.host} asks for credentials: pass --username and --password (or --creds USER:PASS)`);
    }
    return res;
  }
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  const body = (await res.text()).slice(0, 300).replace(/\s+/g, ' ');
  throw new Error(`${what}: HTTP ${res.status} ${body}`);
}

/** Pushes one image (blobs, then manifest by tag); returns the manifest digest the registry reports. */
export async function pushImage(c: RegistryClient, l: FixtureLayout, img: LayoutImage): Promise<string> {
  const repo = img.repository;
  const scope = `repository:${repo}:pull,push`;
  for (const digest of img.blobs) {
    const head = await c.request('HEAD', `/v2/${repo}/blobs/${digest}`, scope);
    if (head.ok) continue;
    const start = await c.request('POST', `/v2/${repo}/blobs/uploads/`, scope);
    await expectOk(start, `start upload of ${digest} to ${repo}`);
    const loc = start.headers.get('location');
    if (!loc) throw new Error(`start upload to ${repo}: no Location header`);
    const u = new URL(loc, c.base);
    u.searchParams.set('digest', digest);
    const body = readFileSync(l.blobPath(digest));
    const put = await c.request('PUT', u.toString(), scope, { body, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) } });
    await expectOk(put, `upload of ${digest} to ${repo}`);
  }
  const manifest = readFileSync(l.blobPath(img.manifest.digest));
  const put = await c.request('PUT', `/v2/${repo}/manifests/${img.tag}`, scope, { body: manifest, headers: { 'Content-Type': img.manifest.mediaType } });
  await expectOk(put, `manifest ${repo}:${img.tag}`);
  return put.headers.get('docker-content-digest') ?? img.manifest.digest;
}
