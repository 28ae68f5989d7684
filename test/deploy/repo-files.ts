/**
 * Reading the repository's deployment files from tests: the repository root, text and YAML of
 * a file by its path, and the `keel start` environment variables (from config.ts's optionSpecs,
 * the one place options are declared).
 * Exports: repoRoot, repoPath, readRepoFile, readYaml, keelEnvNames, dotenv, dockerfileInstructions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { optionSpecs } from '../../packages/server/src/config.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function repoPath(relative: string): string {
  return path.join(repoRoot, relative);
}

export function readRepoFile(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

/** Parses one YAML document; `<<` merge keys are resolved, as docker compose does. */
export function readYaml(relative: string): unknown {
  return parse(readRepoFile(relative), { merge: true });
}

/** Every environment variable `keel start` reads: its options plus the first-start admin password. */
export const keelEnvNames: ReadonlySet<string> = new Set([
  ...optionSpecs.map((option) => option.env),
  'KEEL_ADMIN_PASSWORD',
]);

/** KEY=VALUE lines of a .env file (comments and blank lines skipped; no quoting, as in .env.example). */
export function dotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new Error(`not KEY=VALUE: ${line}`);
    out[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return out;
}

export interface DockerfileInstruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  args: string;
  /** Index of the build stage (0 = first FROM). */
  stage: number;
}

/** The Dockerfile's instructions with continuation lines joined and comments dropped. */
export function dockerfileInstructions(text: string): DockerfileInstruction[] {
  const out: DockerfileInstruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    if (full === '') continue;
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match === null) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: match[2] ?? '', stage });
  }
  return out;
}
