#!/usr/bin/env node
// Entry point: parse flags, run the command, map any error to one line and its exit code.
import { CommanderError } from 'commander';
import { buildProgram, commanderToUsage } from './cli/program.js';
import { cleanupCommand, labCommand, listCommand, matrixCommand, runCommand } from './cli/commands.js';
import { sonobuoyPluginCommand, sonobuoyRunCommand } from './cli/sonobuoy.js';
import { describeError } from './errors.js';
import { imagesCommand } from './images/commands.js';
import { doctorCommand } from './doctor/command.js';

const program = buildProgram({
  run: runCommand,
  list: listCommand,
  lab: labCommand,
  matrix: matrixCommand,
  cleanup: cleanupCommand,
  sonobuoyPlugin: sonobuoyPluginCommand,
  sonobuoyRun: sonobuoyRunCommand,
  images: imagesCommand,
  doctor: doctorCommand,
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
