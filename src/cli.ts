#!/usr/bin/env node
// Entry point: parse flags, run the command, map any error to one line and its exit code.
import { CommanderError } from 'commander';
import { buildProgram, commanderToUsage } from './cli/program.js';
import { describeError } from './errors.js';

// A reader that stops early (`list | head`) closes our stdout: that ends the command quietly, not with a trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') process.stderr.write(`cri-conformance: cannot write to stdout: ${e.message}\n`);
  process.exit(e.code === 'EPIPE' ? (Number(process.exitCode) || 0) : 1);
});

// Commands load what they need when they run: --help, `list` and a bad flag never load gRPC, mocha or the lab.
const commands = () => import('./cli/commands.js');
const program = buildProgram({
  // `run` re-executes itself once with memory settings a process cannot change once started (cli/respawn.ts).
  run: async (o) => (await import('./cli/respawn.js')).respawnTuned() ?? (await commands()).runCommand(o),
  list: async (o) => (await import('./cli/list.js')).listCommand(o),
  lab: async (a, o) => (await commands()).labCommand(a, o),
  matrix: async (o) => (await commands()).matrixCommand(o),
  cleanup: async (o) => (await commands()).cleanupCommand(o),
  bench: async (o) => (await import('./bench/index.js')).benchCommand(o),
  sonobuoyPlugin: async (o) => (await import('./cli/sonobuoy.js')).sonobuoyPluginCommand(o),
  sonobuoyRun: async (a, o) => (await import('./cli/sonobuoy.js')).sonobuoyRunCommand(a, o),
  images: async (a, arg, o) => (await import('./images/commands.js')).imagesCommand(a, arg, o),
  doctor: async (o) => (await import('./doctor/command.js')).doctorCommand(o),
  coverage: async (o) => (await commands()).coverageCommand(o),
});
try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e instanceof CommanderError ? commanderToUsage(e) : e;
  if (err) {
    const { line, exitCode } = describeError(err);
    // One line, always: commander's suggestions ("(Did you mean --focus?)") and some messages span lines.
    process.stderr.write(`cri-conformance: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
    if (process.env['CRI_CONFORMANCE_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = exitCode;
  } else {
    process.exitCode = (e as CommanderError).exitCode;
  }
}
