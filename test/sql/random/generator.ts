/**
 * A seeded random query generator in the spirit of SQLancer, over the corpus schema: random
 * typed expressions (arithmetic, comparisons, CASE, COALESCE, NULLIF, string and math functions,
 * three-valued boolean logic), random predicates, joins of up to four tables (inner, left,
 * right, full, cross), aggregates with GROUP BY/HAVING, DISTINCT, and ORDER BY over every output
 * column with LIMIT/OFFSET. Operations that can fail on a row (division, overflowing
 * multiplication, failing casts) are left out: where an engine filters rows earlier or later
 * such an error would depend on the plan, not on the semantics. The same seed always gives the
 * same queries. `tlpQueries` gives SQLancer's ternary logic partitioning checks.
 * Exports: randomQueries, tlpQueries, TlpCheck.
 */
import { Prng } from '@keel/testkit';
import type { CorpusQuery } from '../support/corpus.js';

type Kind = 'int' | 'num' | 'float' | 'text' | 'bool' | 'date' | 'ts';

interface Column {
  name: string;
  kind: Kind;
}

interface Table {
  name: string;
  columns: Column[];
}

const tables: Table[] = [
  {
    name: 'dept',
    columns: [
      { name: 'id', kind: 'int' },
      { name: 'name', kind: 'text' },
      { name: 'region', kind: 'text' },
      { name: 'budget', kind: 'num' },
      { name: 'opened', kind: 'date' },
    ],
  },
  {
    name: 'emp',
    columns: [
      { name: 'id', kind: 'int' },
      { name: 'dept_id', kind: 'int' },
      { name: 'name', kind: 'text' },
      { name: 'salary', kind: 'num' },
      { name: 'bonus', kind: 'float' },
      { name: 'age', kind: 'int' },
      { name: 'hired', kind: 'ts' },
      { name: 'active', kind: 'bool' },
      { name: 'manager_id', kind: 'int' },
      { name: 'score', kind: 'float' },
    ],
  },
  {
    name: 'proj',
    columns: [
      { name: 'id', kind: 'int' },
      { name: 'dept_id', kind: 'int' },
      { name: 'title', kind: 'text' },
      { name: 'budget', kind: 'num' },
    ],
  },
  {
    name: 'work',
    columns: [
      { name: 'emp_id', kind: 'int' },
      { name: 'proj_id', kind: 'int' },
      { name: 'hours', kind: 'int' },
      { name: 'role', kind: 'text' },
    ],
  },
  {
    name: 'nums',
    columns: [
      { name: 'a', kind: 'int' },
      { name: 'e', kind: 'int' },
      { name: 'd', kind: 'num' },
      { name: 't', kind: 'text' },
    ],
  },
];

const sizes: Record<string, number> = { dept: 12, emp: 300, proj: 60, work: 600, nums: 400 };

interface Source {
  alias: string;
  table: Table;
}

interface Scope {
  columns: { ref: string; kind: Kind }[];
}

const literals: Record<Kind, string[]> = {
  int: ['0', '1', '2', '3', '7', '10', '-1', '30', '100', 'NULL::int'],
  num: ['0.5', '1000', '50000.25', '-3.125', '100000', 'NULL::numeric'],
  float: ['0.5::float8', '100::float8', '-2.25::float8', '1e3::float8', 'NULL::float8'],
  text: ["'a'", "'Ann'", "'b'", "''", "'Sales'", "'dev'", "'alpha'", 'NULL::text'],
  bool: ['true', 'false', 'NULL::bool'],
  date: ["'2010-01-01'::date", "'2020-06-15'::date", 'NULL::date'],
  ts: ["'2015-01-01 00:00:00'::timestamp", "'2020-06-15 12:30:00'::timestamp", 'NULL::timestamp'],
};

class Generator {
  constructor(private readonly r: Prng) {}

  private columnsOf(scope: Scope, kind: Kind): string[] {
    return scope.columns.filter((c) => c.kind === kind).map((c) => c.ref);
  }

  /** A random expression of the given kind, `depth` levels deep at most. */
  expr(scope: Scope, kind: Kind, depth: number): string {
    const r = this.r;
    const cols = this.columnsOf(scope, kind);
    if (depth <= 0 || r.chance(0.3)) {
      if (cols.length > 0 && r.chance(0.75)) return r.pick(cols);
      return r.pick(literals[kind]);
    }
    switch (kind) {
      case 'int':
        return this.intExpr(scope, depth);
      case 'num':
      case 'float':
        return this.numberExpr(scope, kind, depth);
      case 'text':
        return this.textExpr(scope, depth);
      case 'bool':
        return this.predicate(scope, depth);
      default:
        return cols.length > 0 ? r.pick(cols) : r.pick(literals[kind]);
    }
  }

  private intExpr(scope: Scope, depth: number): string {
    const r = this.r;
    const e = (k: Kind = 'int') => this.expr(scope, k, depth - 1);
    switch (r.int(0, 8)) {
      case 0:
        return `(${e()} + ${e()})`;
      case 1:
        return `(${e()} - ${e()})`;
      case 2:
        return `(${e()} * ${r.int(-3, 3)})`;
      case 3:
        return `abs(${e()})`;
      case 4:
        return `coalesce(${e()}, ${e()})`;
      case 5:
        return `nullif(${e()}, ${e()})`;
      case 6:
        return `CASE WHEN ${this.predicate(scope, depth - 1)} THEN ${e()} ELSE ${e()} END`;
      case 7:
        return `length(${e('text')})`;
      default:
        return r.chance(0.5) ? `greatest(${e()}, ${e()})` : `least(${e()}, ${e()})`;
    }
  }

  private numberExpr(scope: Scope, kind: 'num' | 'float', depth: number): string {
    const r = this.r;
    const e = () => this.expr(scope, kind, depth - 1);
    switch (r.int(0, 6)) {
      case 0:
        return `(${e()} + ${e()})`;
      case 1:
        return `(${e()} - ${this.expr(scope, 'int', depth - 1)})`;
      case 2:
        return `(${e()} * 2)`;
      case 3:
        return `abs(${e()})`;
      case 4:
        return kind === 'num' ? `round(${e()}, ${r.int(0, 2)})` : `floor(${e()})`;
      case 5:
        return `coalesce(${e()}, ${e()})`;
      default:
        return `CASE WHEN ${this.predicate(scope, depth - 1)} THEN ${e()} END`;
    }
  }

  private textExpr(scope: Scope, depth: number): string {
    const r = this.r;
    const e = () => this.expr(scope, 'text', depth - 1);
    switch (r.int(0, 6)) {
      case 0:
        return `upper(${e()})`;
      case 1:
        return `lower(${e()})`;
      case 2:
        return `(${e()} || ${e()})`;
      case 3:
        return `substr(${e()}, ${r.int(1, 3)}, ${r.int(0, 4)})`;
      case 4:
        return `coalesce(${e()}, ${e()})`;
      case 5:
        return `replace(${e()}, 'a', 'b')`;
      default:
        return `CASE WHEN ${this.predicate(scope, depth - 1)} THEN ${e()} ELSE ${e()} END`;
    }
  }

  private comparable(): Kind {
    return this.r.pick<Kind>(['int', 'int', 'num', 'float', 'text', 'date', 'ts']);
  }

  /** A random boolean expression (NULL possible). */
  predicate(scope: Scope, depth: number): string {
    const r = this.r;
    if (depth <= 0) {
      const bools = this.columnsOf(scope, 'bool');
      if (bools.length > 0 && r.chance(0.3)) return r.pick(bools);
      const k = this.comparable();
      return `${this.expr(scope, k, 0)} ${r.pick(['=', '<>', '<', '<=', '>', '>='])} ${this.expr(scope, k, 0)}`;
    }
    const p = () => this.predicate(scope, depth - 1);
    const k = this.comparable();
    const x = () => this.expr(scope, k, depth - 1);
    switch (r.int(0, 11)) {
      case 0:
        return `(${p()} AND ${p()})`;
      case 1:
        return `(${p()} OR ${p()})`;
      case 2:
        return `(NOT ${p()})`;
      case 3:
        return `(${x()} IS ${r.chance(0.5) ? '' : 'NOT '}NULL)`;
      case 4:
        return `(${x()} BETWEEN ${x()} AND ${x()})`;
      case 5:
        return `(${x()} ${r.chance(0.3) ? 'NOT ' : ''}IN (${x()}, ${x()}, ${x()}))`;
      case 6:
        return `(${this.expr(scope, 'text', depth - 1)} ${r.chance(0.3) ? 'NOT ' : ''}LIKE ${r.pick(["'%a%'", "'A%'", "'_'", "'%'", "'b%'"])})`;
      case 7:
        return `(${x()} IS ${r.chance(0.5) ? '' : 'NOT '}DISTINCT FROM ${x()})`;
      case 8:
        return `(${p()} IS ${r.pick(['TRUE', 'NOT TRUE', 'FALSE', 'NOT FALSE', 'UNKNOWN', 'NOT UNKNOWN'])})`;
      case 9:
        return `coalesce(${p()}, ${p()})`;
      default:
        return `(${x()} ${r.pick(['=', '<>', '<', '<=', '>', '>='])} ${x()})`;
    }
  }

  /** Up to `count` tables whose cross product stays under 200,000 rows (queries stay quick). */
  sources(count: number): Source[] {
    const r = this.r;
    const out: Source[] = [];
    let product = 1;
    for (let i = 0; i < count; i++) {
      const candidates = tables.filter((t) => product * (sizes[t.name] ?? 1) <= 200_000);
      if (candidates.length === 0) break;
      const table = r.pick(candidates);
      product *= sizes[table.name] ?? 1;
      out.push({ alias: `t${i}`, table });
    }
    return out;
  }

  scopeOf(sources: Source[]): Scope {
    return {
      columns: sources.flatMap((s) =>
        s.table.columns.map((c) => ({ ref: `${s.alias}.${c.name}`, kind: c.kind })),
      ),
    };
  }

  /** FROM with random joins; each join condition relates the new table to an earlier one. */
  from(sources: Source[]): string {
    const r = this.r;
    const first = sources[0];
    if (first === undefined) return '';
    let sql = `${first.table.name} ${first.alias}`;
    for (let i = 1; i < sources.length; i++) {
      const s = sources[i] as Source;
      const visible = this.scopeOf(sources.slice(0, i + 1));
      const kind = r.pick(['JOIN', 'JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN', 'CROSS JOIN']);
      if (kind === 'CROSS JOIN') {
        sql += ` CROSS JOIN ${s.table.name} ${s.alias}`;
        continue;
      }
      const mine = s.table.columns.filter((c) => c.kind === 'int');
      const theirs = this.scopeOf(sources.slice(0, i)).columns.filter((c) => c.kind === 'int');
      const eq =
        mine.length > 0 && theirs.length > 0
          ? `${s.alias}.${r.pick(mine).name} = ${r.pick(theirs).ref}`
          : this.predicate(visible, 1);
      const extra = r.chance(0.3) ? ` AND ${this.predicate(visible, 1)}` : '';
      sql += ` ${kind} ${s.table.name} ${s.alias} ON ${eq}${extra}`;
    }
    return sql;
  }

  select(index: number): string {
    const r = this.r;
    const sources = this.sources(r.int(1, 3));
    const scope = this.scopeOf(sources);
    const where = r.chance(0.8) ? ` WHERE ${this.predicate(scope, r.int(1, 3))}` : '';
    if (r.chance(0.3)) return this.aggregateQuery(scope, sources, where);
    const width = r.int(1, 3);
    const outputs = Array.from({ length: width }, () =>
      this.expr(scope, r.pick<Kind>(['int', 'num', 'float', 'text', 'bool']), r.int(0, 2)),
    );
    const distinct = r.chance(0.15) ? 'DISTINCT ' : '';
    const order = r.chance(0.5);
    const positions = outputs.map(
      (_, i) => `${i + 1}${r.chance(0.3) ? ' DESC' : ''}${r.chance(0.2) ? ' NULLS FIRST' : ''}`,
    );
    let sql = `SELECT ${distinct}${outputs.join(', ')} FROM ${this.from(sources)}${where}`;
    if (order) {
      sql += ` ORDER BY ${positions.join(', ')}`;
      if (r.chance(0.5)) sql += ` LIMIT ${r.int(0, 20)}${r.chance(0.3) ? ` OFFSET ${r.int(0, 10)}` : ''}`;
    }
    void index;
    return sql;
  }

  private aggregateQuery(scope: Scope, sources: Source[], where: string): string {
    const r = this.r;
    const kind = r.pick<Kind>(['int', 'text', 'bool']);
    const key = this.expr(scope, kind, r.int(0, 1));
    const measure = () => {
      const k = r.pick<Kind>(['int', 'num', 'float']);
      const fn = r.pick(['count', 'sum', 'min', 'max', 'avg']);
      return `${fn}(${r.chance(0.15) ? 'DISTINCT ' : ''}${this.expr(scope, k, r.int(0, 1))})`;
    };
    const aggs = [r.chance(0.5) ? 'count(*)' : measure(), measure()];
    const having = r.chance(0.3) ? ` HAVING count(*) > ${r.int(0, 5)}` : '';
    return `SELECT ${key}, ${aggs.join(', ')} FROM ${this.from(sources)}${where} GROUP BY 1${having} ORDER BY 1`;
  }
}

export function randomQueries(seed: number, count: number): CorpusQuery[] {
  const g = new Generator(new Prng(seed));
  return Array.from({ length: count }, (_, i) => {
    const sql = g.select(i);
    return { id: `${seed}/${i + 1}`, sql, ordered: sql.includes(' ORDER BY '), write: false };
  });
}

export interface TlpCheck {
  id: string;
  whole: string;
  partitioned: string;
}

/** Ternary logic partitioning: rows where p, NOT p and p IS NULL hold are exactly all rows. */
export function tlpQueries(seed: number, count: number): TlpCheck[] {
  const r = new Prng(seed * 7919 + 13);
  const g = new Generator(r);
  return Array.from({ length: count }, (_, i) => {
    const sources = g.sources(r.int(1, 2));
    const scope = g.scopeOf(sources);
    const from = g.from(sources);
    const cols = scope.columns.map((c) => c.ref).join(', ');
    const p = g.predicate(scope, r.int(1, 3));
    const part = (w: string) => `SELECT ${cols} FROM ${from} WHERE ${w}`;
    return {
      id: `tlp:${seed}/${i + 1}`,
      whole: `SELECT ${cols} FROM ${from}`,
      partitioned: `${part(p)} UNION ALL ${part(`NOT (${p})`)} UNION ALL ${part(`(${p}) IS NULL`)}`,
    };
  });
}
