// `cri-conformance doctor` and the brief preflight `run` does first.
import { resolveEndpoints, type Endpoint } from '../config.js';
import { closeAllChannels } from '../cri/client.js';
import { makeTimeouts } from '../cri/timeouts.js';
import type { VersionMode } from '../cri/negotiate.js';
import { CliError, EXIT } from '../errors.js';
import { MANIFEST, readImagesFile } from '../runner/images.js';
import { serveImagesForRun } from '../images/serve.js';
import { doctor, line } from './doctor.js';

type Opts = Record<string, unknown>;
const str = (o: Opts, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

export async function doctorCommand(o: Opts): Promise<number> {
  const endpoints = resolveEndpoints({
    runtimeFlag: str(o, 'runtimeEndpoint'),
    imageFlag: str(o, 'imageEndpoint'),
    configFlag: str(o, 'config'),
    timeoutFlag: typeof o['timeout'] === 'number' ? (o['timeout'] as number) : undefined,
    env: process.env,
  });
  for (const n of endpoints.notes) process.stderr.write(`${n}\n`);
  let images: Record<string, string> = {};
  if (str(o, 'images')) images = readImagesFile(str(o, 'images')!);
  else if (str(o, 'registryPrefix')) images = readImagesFile(MANIFEST, str(o, 'registryPrefix'));
  let reason: string | undefined;
  const servePort = typeof o['servePort'] === 'number' ? (o['servePort'] as number) : undefined;
  const served = Object.keys(images).length ? undefined : await serveImagesForRun(endpoints.runtime.uri, (l) => (reason = l), servePort);
  if (served) images = served.images;
  try {
    const r = await doctor(
      { runtime: endpoints.runtime, image: endpoints.image, timeouts: makeTimeouts((o['timeout'] as number) ?? 10), images, ...(reason && !served ? { noImagesReason: reason } : {}) },
      (l) => process.stdout.write(line(l) + '\n'),
    );
    process.stdout.write(r.exitCode === EXIT.OK ? 'doctor: this runtime can be tested\n' : `doctor: not ready to test (exit ${r.exitCode})\n`);
    return r.exitCode;
  } finally {
    closeAllChannels();
    await served?.close();
  }
}

/** run's preflight: the doctor's lines that are not fine (no host features). Test images the runtime cannot
 * pull end the run here with exit 8 and the fix (every test would fail on the setup, not on the runtime); a
 * runtime that says it is not ready is printed and judged test by test; connection and version problems are
 * left to the run's own one line. */
export async function preflight(runtime: Endpoint, image: Endpoint, mode: VersionMode, timeoutSeconds: number, images: Record<string, string>, info: (l: string) => void): Promise<void> {
  const r = await doctor({ runtime, image, mode, timeouts: makeTimeouts(Math.min(timeoutSeconds, 20)), ...(Object.keys(images).length ? { images } : {}), brief: true });
  if (r.exitCode === EXIT.CONNECT || r.exitCode === EXIT.NO_VERSION) return;
  for (const l of r.lines) if (l.state === 'FAIL' || l.state === 'warn') info(`doctor: ${line(l)}`);
  const images8 = r.lines.find((l) => l.state === 'FAIL' && l.check === 'images');
  if (images8) throw new CliError(`the runtime cannot pull the test images: ${images8.detail}${images8.fix ? ` — fix: ${images8.fix}` : ''} (or run --no-doctor to go on anyway)`, EXIT.IMAGES, 'IMAGES');
}
