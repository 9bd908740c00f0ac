// The Sonobuoy commands: print the plugin definition; run inside the plugin image.
// Loaded only when a Sonobuoy command runs: every other command starts without these modules.
import { EXIT } from '../errors.js';

type Opts = Record<string, unknown>;
const str = (o: Opts, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
const list = (o: Opts, k: string) => (Array.isArray(o[k]) ? (o[k] as string[]) : []);

export async function sonobuoyPluginCommand(o: Opts): Promise<number> {
  const { pluginYaml } = await import('../sonobuoy/plugin.js');
  process.stdout.write(
    pluginYaml({
      image: str(o, 'image'),
      pluginName: str(o, 'pluginName'),
      runtimeEndpoint: str(o, 'runtimeEndpoint'),
      kubernetes: str(o, 'kubernetes'),
      runtimeHandler: str(o, 'runtimeHandler'),
      registryPrefix: str(o, 'registryPrefix'),
      suites: list(o, 'suite'),
      focus: list(o, 'focus'),
      skip: list(o, 'skip'),
      jobs: typeof o['jobs'] === 'number' ? (o['jobs'] as number) : undefined,
      nodeSelector: list(o, 'nodeSelector'),
      tolerations: list(o, 'toleration'),
      workDir: str(o, 'workDir'),
    }),
  );
  return EXIT.OK;
}

export async function sonobuoyRunCommand(runArgs: string[], o: Opts): Promise<number> {
  const { sonobuoyRun } = await import('../sonobuoy/run.js');
  const r = await sonobuoyRun({ runArgs, linger: Boolean(o['linger']) });
  return r.exitCode;
}
