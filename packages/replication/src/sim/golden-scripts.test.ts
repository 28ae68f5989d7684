/**
 * Golden scenario scripts: every testdata/*.txt is run by ScriptRunner and must reproduce itself
 * exactly. `UPDATE_GOLDEN=1 npx vitest run packages/replication/src/sim/golden-scripts.test.ts`
 * rewrites the files instead; review the diff like code.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ScriptRunner } from './script-runner.js';

const dir = fileURLToPath(new URL('../../testdata/', import.meta.url));
const scripts = readdirSync(dir)
  .filter((name) => name.endsWith('.txt'))
  .sort();
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden scripts', () => {
  test('there are scripts to run', () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  test.each(scripts)('%s', (name) => {
    const file = `${dir}${name}`;
    const text = readFileSync(file, 'utf8');
    const runner = new ScriptRunner();
    const actual = runner.run(text);
    if (update) writeFileSync(file, actual);
    else expect(actual, `${name} differs; rerun with UPDATE_GOLDEN=1 and review the diff`).toBe(text);
    expect(runner.violations).toEqual([]);
  });
});
