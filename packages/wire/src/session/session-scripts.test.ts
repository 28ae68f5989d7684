import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { runSessionScript } from '../testing/session-script.js';

// Golden transcripts of whole sessions: testdata/session/<scenario>.txt. UPDATE_GOLDEN=1 rewrites them.
const directory = fileURLToPath(new URL('../../testdata/session/', import.meta.url));
const scripts = readdirSync(directory).filter((name) => name.endsWith('.txt'));

test('there are session scripts', () => {
  expect(scripts.length).toBeGreaterThan(0);
});

test.each(scripts)('%s', async (name) => {
  const path = `${directory}${name}`;
  const expected = readFileSync(path, 'utf8');
  const actual = await runSessionScript(expected);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  else expect(actual).toBe(expected);
});
