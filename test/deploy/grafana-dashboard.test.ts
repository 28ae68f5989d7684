/**
 * deploy/grafana/keel-dashboard.json against what the node exposes: every query parses as
 * PromQL (Prometheus' own grammar) and names only metrics that NodeMetrics renders, and the
 * dashboard covers the cluster at a glance. Grafana itself is not run here.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { beforeAll, describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../packages/server/src/metrics.js';
import { at, isRecord, list, num, text } from './json-access.js';
import { readRepoFile } from './repo-files.js';

const dashboard: unknown = JSON.parse(readRepoFile('deploy/grafana/keel-dashboard.json'));
const panels = list(dashboard, 'panels').filter(isRecord);
const queries = panels.flatMap((panel) =>
  (Array.isArray(panel.targets) ? panel.targets : []).map((target) => ({
    panel: text(panel, 'title'),
    expr: text(target, 'expr'),
    datasource: at(target, 'datasource', 'uid'),
  })),
);

/** Sample names of a full exposition: every metric, with cluster and replication metrics present. */
let exposed = new Set<string>();

beforeAll(async () => {
  const metrics = new NodeMetrics({
    engineStats: () => ({
      connections: { open: 1, max: 10 },
      transactions: { active: 0, committedTotal: 1, rolledBackTotal: 0 },
      wal: { insertLsn: 10, flushLsn: 10, replayLsn: 10, writtenBytesTotal: 10, syncsTotal: 1 },
      bufferPool: {
        capacityPages: 8,
        usedPages: 1,
        dirtyPages: 0,
        hitsTotal: 1,
        missesTotal: 1,
        evictionsTotal: 0,
      },
      checkpoints: { completedTotal: 1, redoLsn: 10, lastDurationSeconds: 0.1 },
    }),
    clusterStats: () => ({
      nodeId: 'n1',
      role: 'leader',
      term: 1,
      commitIndex: 1,
      electionsTotal: 1,
      leaderChangesTotal: 1,
      failoversTotal: 0,
      switchoversTotal: 0,
      replicas: [
        { nodeId: 'n2', state: 'streaming', writeLsn: 10, flushLsn: 10, replayLsn: 10, replayLagSeconds: 0 },
      ],
    }),
  });
  const { body } = await metrics.render();
  exposed = new Set(
    body
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.split(/[{ ]/)[0] ?? ''),
  );
});

/** Panels name their datasource through the dashboard's variable, as Grafana writes it. */
const datasourceVariable = `\${datasource}`;

/** Grafana substitutes its variables before Prometheus sees a query. */
function asPrometheusSees(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'keel');
}

function syntaxErrorAt(expr: string): number | null {
  let at: number | null = null;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError && at === null) at = node.from;
    },
  });
  return at;
}

describe('deploy/grafana/keel-dashboard.json', () => {
  it('has queries, and every one is valid PromQL', () => {
    expect(queries.length).toBeGreaterThan(25);
    for (const { panel, expr } of queries) {
      expect(syntaxErrorAt(asPrometheusSees(expr)), `${panel}: ${expr}`).toBeNull();
    }
  });

  it('the PromQL check catches a broken query', () => {
    expect(syntaxErrorAt('sum by (le (rate(keel_commit_duration_seconds_bucket[1m]))')).not.toBeNull();
  });

  it('names only metrics the node exposes', () => {
    expect(exposed.has('keel_commit_duration_seconds_bucket')).toBe(true);
    const metricNames = /\b(?:keel|process|nodejs)_[a-z0-9_]+\b/g;
    for (const { panel, expr } of queries) {
      for (const [name] of expr.matchAll(metricNames)) expect(exposed, `${panel}: ${name}`).toContain(name);
    }
  });

  it('shows the cluster at a glance: roles and term, commits and latency, lag, hit ratio, connections, checkpoints', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'keel_raft_role',
      'keel_raft_term',
      'keel_raft_elections_total',
      'keel_failovers_total',
      'keel_transactions_committed_total',
      'keel_commit_duration_seconds_bucket',
      'keel_query_duration_seconds_bucket',
      'keel_replication_lag_bytes',
      'keel_buffer_pool_hits_total',
      'keel_buffer_pool_misses_total',
      'keel_connections',
      'keel_checkpoints_total',
    ]) {
      expect(all, metric).toContain(metric);
    }
  });

  it('takes its datasource from a variable, so it works provisioned or imported', () => {
    const variables = list(dashboard, 'templating', 'list');
    expect(variables.find((v) => at(v, 'name') === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(at(panel, 'datasource', 'uid'), text(panel, 'title')).toBe(datasourceVariable);
    }
    for (const query of queries) expect(query.datasource, query.panel).toBe(datasourceVariable);
    expect(at(dashboard, 'uid')).toBe('keel-cluster');
  });

  it('lays panels out without overlaps, with unique ids', () => {
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const panel of panels) {
      const x = num(panel, 'gridPos', 'x');
      const y = num(panel, 'gridPos', 'y');
      const w = num(panel, 'gridPos', 'w');
      const h = num(panel, 'gridPos', 'h');
      expect(x + w, text(panel, 'title')).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${text(panel, 'title')} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      }
    }
  });
});
