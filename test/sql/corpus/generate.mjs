#!/usr/bin/env node
// Writes the SQL differential corpus into packages/node-core/testdata/sql-corpus: schema.sql
// (data.mjs) and one NN-topic.sql file per template family (templates.mjs). The output is
// checked in; run `node test/sql/corpus/generate.mjs` after changing a template and review the
// diff. Hand-written files (NN-*.sql not produced here) are left alone.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaSql } from './data.mjs';
import { corpusFiles } from './templates.mjs';

const dir = fileURLToPath(new URL('../../../packages/node-core/testdata/sql-corpus/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('schema.sql', `file://${dir}`), schemaSql());
let total = 0;
for (const { file, title, queries } of corpusFiles()) {
  const body = queries.map((q) => `${q.trim()};`).join('\n');
  writeFileSync(new URL(file, `file://${dir}`), `-- ${title}\n${body}\n`);
  total += queries.length;
  process.stdout.write(`${file}: ${queries.length}\n`);
}
process.stdout.write(`total: ${total}\n`);
