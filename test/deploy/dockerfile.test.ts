/**
 * The Dockerfile and .dockerignore, checked without a Docker engine (none runs on the CI
 * machines): the build context holds what the build copies and nothing secret; the runtime
 * stage runs the deployed server as a non-root user with its data in a volume, a health check
 * on /health/ready, SIGTERM to stop, and only KEEL_* settings. The image itself is built and
 * run by the docker suite (pnpm test:docker).
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { record } from './json-access.js';
import { dockerfileInstructions, keelEnvNames, readRepoFile, repoPath } from './repo-files.js';

const instructions = dockerfileInstructions(readRepoFile('Dockerfile'));
const runtimeStage = Math.max(...instructions.map((i) => i.stage));
const runtime = instructions.filter((i) => i.stage === runtimeStage);
const build = instructions.filter((i) => i.stage < runtimeStage);
const args = (keyword: string, from = runtime) =>
  from.filter((i) => i.keyword === keyword).map((i) => i.args);

/** .dockerignore semantics: patterns in order, the last match wins, `!` re-includes, a match covers a directory's content. */
function dockerignore(text: string): (file: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\.?\//, '');
      let source = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i] ?? '';
        if (pattern.startsWith('**/', i)) {
          source += '(?:.*/)?';
          i += 2;
        } else if (pattern.startsWith('**', i)) {
          source += '.*';
          i += 1;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (file) => {
    let excluded = false;
    for (const rule of rules) if (rule.regex.test(file)) excluded = !rule.negate;
    return excluded;
  };
}

const excluded = dockerignore(readRepoFile('.dockerignore'));

describe('Dockerfile', () => {
  it('builds in one stage and ships only the deployed server in another', () => {
    expect(instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args)).toEqual([
      `\${NODE_IMAGE} AS build`,
      `\${NODE_IMAGE} AS runtime`,
    ]);
    const buildRuns = args('RUN', build).join('\n');
    expect(buildRuns).toMatch(/pnpm install --frozen-lockfile --offline/);
    expect(buildRuns).toMatch(/pnpm build/);
    expect(buildRuns).toMatch(/pnpm --filter @keel\/server deploy --legacy --prod --offline .* \/out/);
    // pnpm is the version package.json pins, not whatever npm has as latest.
    expect(buildRuns).toMatch(/"pnpm@\$\(node -p "require\('\.\/package\.json'\)\.packageManager/);
    expect(args('COPY')).toContain('--from=build /out /app');
    expect(args('ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--", "node", "/app/dist/main.js"]']);
    expect(existsSync(repoPath('packages/server/src/main.ts'))).toBe(true);
  });

  it('runs as a fixed non-root user with the data directory in a volume', () => {
    const [user] = args('USER');
    expect(user).toMatch(/^\d+:\d+$/);
    expect(user?.startsWith('0:')).toBe(false);
    expect(args('VOLUME')).toEqual(['["/var/lib/keel"]']);
    expect(args('RUN').join('\n')).toMatch(/chown keel:keel \/var\/lib\/keel/);
    expect(args('RUN').join('\n')).toMatch(/--uid 10001 --gid keel/);
  });

  it('listens on every interface and is configured only through KEEL_* settings', () => {
    const env = new Map(
      args('ENV').flatMap((a) => [...a.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]] as const)),
    );
    expect(env.get('KEEL_DATA_DIR')).toBe('/var/lib/keel');
    for (const host of ['KEEL_PG_HOST', 'KEEL_HTTP_HOST', 'KEEL_GRPC_HOST'])
      expect(env.get(host)).toBe('0.0.0.0');
    for (const name of env.keys()) if (name?.startsWith('KEEL_')) expect(keelEnvNames).toContain(name);
    expect([...env.keys()].filter((name) => !name?.startsWith('KEEL_'))).toEqual(['NODE_ENV']);
    // PostgreSQL, HTTP, Raft gRPC and replication gRPC (7000 and 7001 by the compose and k8s convention).
    expect(args('EXPOSE')).toEqual([`${env.get('KEEL_PG_PORT')} ${env.get('KEEL_HTTP_PORT')} 7000 7001`]);
  });

  it('checks health on /health/ready and stops on SIGTERM', () => {
    const [healthcheck] = args('HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD \["node", "\/app\/probe\.mjs", "\/health\/ready"\]$/);
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toContain('deploy/docker/probe.mjs');
    for (const source of sources) {
      if (source === '.') continue;
      expect(existsSync(repoPath(source)), source).toBe(true);
      expect(excluded(source), source).toBe(false);
    }
  });

  it('sends every workspace manifest the frozen-lockfile install needs, and no secrets or build output', () => {
    const lockfile = parse(readRepoFile('pnpm-lock.yaml'));
    const importers = Object.keys(record(lockfile, 'importers'));
    expect(importers).toContain('packages/server');
    for (const importer of importers) {
      const manifest = importer === '.' ? 'package.json' : `${importer}/package.json`;
      expect(excluded(manifest), manifest).toBe(false);
    }
    for (const needed of [
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'tsconfig.base.json',
      'proto/raft.proto',
    ]) {
      expect(excluded(needed), needed).toBe(false);
    }
    for (const dir of readdirSync(repoPath('packages'))) {
      expect(excluded(`packages/${dir}/src/index.ts`), dir).toBe(false);
      expect(excluded(`packages/${dir}/dist/index.js`), dir).toBe(true);
      expect(excluded(`packages/${dir}/node_modules/x/index.js`), dir).toBe(true);
    }
    for (const secret of ['.env', '.env.local', 'data/base/1', 'node_modules/.pnpm/x', '.git/config']) {
      expect(excluded(secret), secret).toBe(true);
    }
    expect(excluded('.env.example')).toBe(false);
    expect(excluded('test/foundation/psql.test.ts')).toBe(true);
  });
});
