#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's packageManager field through npx, so that a
// fresh machine with only Node and npm needs no global pnpm (corepack is not relied upon).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const pinned = String(manifest.packageManager ?? '').replace(/^pnpm@/, '') || '10';
const result = spawnSync('npx', ['-y', `pnpm@${pinned}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (result.error) {
  process.stderr.write(`could not run pnpm through npx: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? 1);
