#!/usr/bin/env node
/**
 * Writes the README's client compatibility table from the client matrix (test/clients/matrix.json):
 * one row per client with the versions tested (npm versions from test/package.json, Debian
 * versions from dpkg when installed), what its tests cover, and the outcome of those tests in
 * the last vitest run (.vitest-results.json, written by `npm test`), or "not run" without one.
 * The table replaces what is between <!-- clients:begin --> and <!-- clients:end --> in README.md.
 * Usage: node scripts/clients-table.mjs [--check]   (--check: exit 1 if README.md is stale)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const matrix = JSON.parse(readFileSync(path.join(root, 'test/clients/matrix.json'), 'utf8'));
const testPackage = JSON.parse(readFileSync(path.join(root, 'test/package.json'), 'utf8'));
const npmVersions = { ...testPackage.dependencies, ...testPackage.devDependencies };
const resultsPath = path.join(root, '.vitest-results.json');
const results = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : null;

function debianVersion(name) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const query = spawnSync('dpkg-query', ['-W', '-f', '${Version}', name], { encoding: 'utf8' });
  return query.status === 0 && query.stdout !== ''
    ? query.stdout.replace(/^\d+:/, '').replace(/[-+].*$/, '')
    : 'Debian 12';
}

function versions(packages) {
  return packages
    .map((p) =>
      p.npm !== undefined
        ? `${p.npm} ${npmVersions[p.npm] ?? '?'}`
        : `${p.debian} ${debianVersion(p.debian)}`,
    )
    .join(', ');
}

function outcome(tests) {
  if (results === null) return 'not run';
  let passed = 0;
  let failed = 0;
  let seen = false;
  for (const suite of results.testResults ?? []) {
    const file = path.relative(root, suite.name);
    if (!tests.includes(file)) continue;
    seen = true;
    for (const test of suite.assertionResults ?? []) {
      if (test.status === 'passed') passed++;
      else if (test.status === 'failed') failed++;
    }
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed++;
  }
  if (!seen) return 'not run';
  return failed === 0 ? `passes (${passed} tests)` : `${failed} of ${passed + failed} tests fail`;
}

const cell = (text) => text.replace(/\|/g, '\\|');
const lines = [
  '| client | versions tested | workflow covered | last run | gaps |',
  '| --- | --- | --- | --- | --- |',
  ...matrix.clients.map(
    (c) =>
      `| ${cell(c.client)} | ${cell(versions(c.packages))} | ${cell(c.covers)} | ${outcome(c.tests)} | ${cell(c.notes || '')} |`,
  ),
];
const table = `${lines.join('\n')}\n`;

const readmePath = path.join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const begin = '<!-- clients:begin -->';
const end = '<!-- clients:end -->';
const from = readme.indexOf(begin);
const to = readme.indexOf(end);
if (from < 0 || to < from) {
  console.error(`README.md has no ${begin} ... ${end} section`);
  process.exit(1);
}
const updated = `${readme.slice(0, from + begin.length)}\n${table}${readme.slice(to)}`;
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md client table is stale: run node scripts/clients-table.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, updated);
  console.log(`README.md: client table with ${matrix.clients.length} clients`);
}
