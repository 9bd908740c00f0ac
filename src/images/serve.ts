// `run` with no image source configured: serve the fixture images from loopback registries for the run.
import { UsageError } from '../errors.js';
import { fixtureLayout } from './layout.js';
import { serveFixtureImages, type ServedImages } from './registry.js';

/** Starts the registries, or says in one line why the tests needing images will be "not run (no image)". */
export async function serveImagesForRun(runtimeUri: string, info: (l: string) => void, port?: number): Promise<ServedImages | undefined> {
  const started = Date.now();
  const { layout, reason } = await fixtureLayout(info);
  if (!layout) {
    info(`no test images: ${reason}; tests that need one will be "not run (no image)" (use --registry-prefix or --images for your own mirror)`);
    return undefined;
  }
  const served = await serveFixtureImages(layout, port).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE' && port) throw new UsageError(`--serve-port ${port}: 127.0.0.1:${port} or :${port + 1} is already in use; pick another port pair`);
    throw e;
  });
  info(
    `serving the ${layout.images.length} fixture images (${layout.images[0]?.architecture}) at ${served.hosts.public} (private: ${served.hosts.auth}) ` +
      `for this run, in ${Date.now() - started} ms` +
      (runtimeUri.startsWith('tcp://') ? '; a runtime on another host cannot reach this loopback registry: use --registry-prefix' : ''),
  );
  return served;
}
