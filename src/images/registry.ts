// A read-only OCI registry (the pull side of the distribution API v2) serving the fixture layout on a loopback
// port for the duration of a run: GET/HEAD /v2/, manifests by tag and by digest, blobs, tags/list, with the
// content types and Docker-Content-Digest runtimes check. One server per visibility: the public one answers
// anyone; the auth one (the "private" image) answers only HTTP basic auth with the run's credentials.
// Anything that would change the registry (PUT, POST, PATCH, DELETE) answers 405 UNSUPPORTED.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FixtureLayout, LayoutImage } from './layout.js';

export interface RegistryCreds {
  username: string;
  password: string;
}

export interface ServedRegistry {
  /** host:port */
  host: string;
  close(): Promise<void>;
  /** Requests answered so far (method path status), for tests and --debug. */
  log: string[];
}

const API_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...API_HEADER, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

const error = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  send(res, status, { errors: [{ code, message, detail: null }] }, headers);

function authorized(req: IncomingMessage, creds: RegistryCreds): boolean {
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Basic ')) return false;
  const got = Buffer.from(Buffer.from(h.slice(6), 'base64').toString('utf8'));
  const want = Buffer.from(`${creds.username}:${creds.password}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Serves `images` (a subset of the layout) on 127.0.0.1 at a random port. */
export async function serveRegistry(layout: FixtureLayout, images: LayoutImage[], o: { creds?: RegistryCreds; port?: number } = {}): Promise<ServedRegistry> {
  // repository -> tag -> image; repository -> allowed digests (its manifests and their blobs)
  const tags = new Map<string, Map<string, LayoutImage>>();
  const digests = new Map<string, Map<string, LayoutImage | 'blob'>>();
  for (const img of images) {
    if (!tags.has(img.repository)) tags.set(img.repository, new Map());
    if (!digests.has(img.repository)) digests.set(img.repository, new Map());
    tags.get(img.repository)!.set(img.tag, img);
    const d = digests.get(img.repository)!;
    d.set(img.manifest.digest, img);
    for (const b of img.blobs) if (!d.has(b)) d.set(b, 'blob');
  }
  const log: string[] = [];
  const realm = `cri-conformance-${randomBytes(3).toString('hex')}`;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.on('finish', () => log.push(`${req.method} ${url.pathname} ${res.statusCode}`));
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, 'UNSUPPORTED', 'this registry is read-only (cri-conformance fixture images)', { Allow: 'GET, HEAD' });
    if (o.creds && !authorized(req, o.creds)) {
      return error(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': `Basic realm="${realm}"` });
    }
    const p = url.pathname;
    if (p === '/v2/' || p === '/v2') return send(res, 200, {});
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(p) ?? /^\/v2\/(.+)\/(tags)\/(list)$/.exec(p);
    if (!m) return error(res, 404, 'NOT_FOUND', `no route ${p}`);
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    const repoTags = tags.get(repo);
    if (!repoTags) return error(res, 404, 'NAME_UNKNOWN', `repository ${repo} is not known to this registry`);
    if (kind === 'tags') return send(res, 200, { name: repo, tags: [...repoTags.keys()].sort() });
    const byDigest = digests.get(repo)!;
    if (kind === 'manifests') {
      const img = ref.startsWith('sha256:') ? byDigest.get(ref) : repoTags.get(ref);
      if (!img || img === 'blob') return error(res, 404, 'MANIFEST_UNKNOWN', `manifest ${repo}:${ref} unknown`);
      return sendFile(res, layout.blobPath(img.manifest.digest), img.manifest.digest, img.manifest.mediaType);
    }
    if (!byDigest.has(ref)) return error(res, 404, 'BLOB_UNKNOWN', `blob ${ref} unknown to ${repo}`);
    return sendFile(res, layout.blobPath(ref), ref, 'application/octet-stream');
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) error(res, 500, 'UNKNOWN', (e as Error).message);
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendFile(res: ServerResponse, file: string, digest: string, type: string): void {
  const size = statSync(file).size;
  res.writeHead(200, { ...API_HEADER, 'Content-Type': type, 'Content-Length': String(size), 'Docker-Content-Digest': digest, ETag: `"${digest}"` });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

export interface ServedImages {
  /** Logical name -> reference, plus `<name>@digest`, like the lab's resolved map. */
  images: Record<string, string>;
  /** Where the "private" image is and the credentials that open it. */
  privateRegistry: { host: string; username: string; password: string };
  hosts: { public: string; auth: string };
  close(): Promise<void>;
}

/** Both registries (public + basic-auth) for a run, with fresh credentials and the resolved image map. */
export async function serveFixtureImages(layout: FixtureLayout, port?: number): Promise<ServedImages> {
  const creds = { username: 'cri-conformance', password: randomBytes(12).toString('hex') };
  const pub = await serveRegistry(layout, layout.images.filter((i) => i.registry === 'public'), port ? { port } : {});
  const auth = await serveRegistry(layout, layout.images.filter((i) => i.registry === 'auth'), { creds, ...(port ? { port: port + 1 } : {}) }).catch(async (e) => {
    await pub.close();
    throw e;
  });
  const images: Record<string, string> = {};
  for (const i of layout.images) {
    const host = i.registry === 'auth' ? auth.host : pub.host;
    images[i.name] = `${host}/${i.repository}:${i.tag}`;
    images[`${i.name}@digest`] = `${host}/${i.repository}@${i.manifest.digest}`;
  }
  return {
    images,
    privateRegistry: { host: auth.host, ...creds },
    hosts: { public: pub.host, auth: auth.host },
    close: async () => {
      await Promise.all([pub.close(), auth.close()]);
    },
  };
}
