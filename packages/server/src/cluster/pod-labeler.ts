/**
 * The Kubernetes role label (issue 10, point 4; deploy/README.md, "The role label"), as Patroni's
 * Kubernetes mode does it: on every role change the node sets `keel/role=primary|replica` on its
 * own pod with a JSON merge patch through the API server, so that the `keel-primary` and
 * `keel-replicas` Services (which select that label) follow the primary.
 *
 *   PATCH {api}/api/v1/namespaces/{namespace}/pods/{pod}
 *   Content-Type: application/merge-patch+json
 *   Authorization: Bearer <the mounted ServiceAccount token, read again for every request>
 *   {"metadata":{"labels":{"keel/role":"primary"}}}
 *
 * The RBAC Role in deploy/k8s/rbac.yaml allows exactly this (get and patch of the StatefulSet's
 * pods). The patches are driven by the same level-triggered runner as `--on-role-change`
 * (role-hook.ts): from committed Raft state, one at a time, the latest role wins, a failure is
 * logged and retried with backoff, nothing waits for it. No state file: a recreated pod has lost
 * its label, so every start patches again (a merge patch is idempotent).
 *
 * The API address is `--k8s-api-url`, else https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 * (what every pod gets); the CA is trusted through NODE_EXTRA_CA_CERTS (set in the StatefulSet).
 * Exports: ROLE_LABEL, podLabelAction, kubernetesApiUrl.
 */
import { readFile } from 'node:fs/promises';
import type { HookOutcome, HookRole } from './role-hook.js';

export const ROLE_LABEL = 'keel/role';

export interface PodLabelOptions {
  readonly apiUrl: string;
  readonly namespace: string;
  readonly pod: string;
  readonly tokenFile: string;
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
}

/** The API server's base URL: the flag, else the in-cluster service variables; null when neither. */
export function kubernetesApiUrl(flag: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flag !== null) return flag.replace(/\/+$/, '');
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (host === undefined || host === '') return null;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The runner's action: one merge patch of the pod's role label. */
export function podLabelAction(
  options: PodLabelOptions,
): (role: HookRole, term: number) => Promise<HookOutcome> {
  const url = `${options.apiUrl}/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(options.pod)}`;
  return async (role) => {
    let token: string;
    try {
      // Bound ServiceAccount tokens are rotated by the kubelet: read the file every time.
      token = (await readFile(options.tokenFile, 'utf8')).trim();
    } catch (error) {
      return { ok: false, detail: `cannot read the ServiceAccount token: ${String(error)}` };
    }
    try {
      const response = await fetch(url, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/merge-patch+json',
          accept: 'application/json',
        },
        body: JSON.stringify({ metadata: { labels: { [ROLE_LABEL]: role } } }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await response.text();
      if (!response.ok)
        return { ok: false, detail: `PATCH ${url}: HTTP ${response.status} ${text.slice(0, 500)}` };
      return { ok: true, detail: `pod ${options.pod} labelled ${ROLE_LABEL}=${role}` };
    } catch (error) {
      return { ok: false, detail: `PATCH ${url}: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
}
