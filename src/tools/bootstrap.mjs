#!/usr/bin/env node
// Makes a fresh clone runnable with no prior steps: installs the locked npm tree when it is missing or
// older than package-lock.json, then compiles. Plain JS with no dependencies, since it runs before npm ci.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
const run = (args) => execFileSync('npm', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  process.stderr.write('bootstrap: installing the locked npm dependencies (npm ci)\n');
  run(['ci', '--no-audit', '--no-fund', '--ignore-scripts']);
}
run(['run', '--silent', 'build']);
