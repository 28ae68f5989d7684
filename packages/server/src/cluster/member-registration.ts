/**
 * How a follower gets its own member record (advertised host and ports) into the replicated
 * directory: only the leader can propose, so the follower POSTs the record to the leader's
 * /cluster/members/register (admin-api.ts), whose HTTP address it knows from the leader's own
 * record (a leader registers itself on election). The request carries the keel superuser's
 * Basic credentials when KEEL_ADMIN_PASSWORD is set, which a multi-host cluster needs; on one
 * host the loopback rule admits it. The orchestrator retries until the record is applied.
 * Exports: registerWithLeader.
 */
import type { MemberRecord } from './cluster-state.js';
import { hostForUrl } from './health-monitor.js';

export async function registerWithLeader(
  leader: MemberRecord,
  self: MemberRecord,
  adminPassword: string | undefined,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (adminPassword !== undefined && adminPassword !== '')
    headers.authorization = `Basic ${Buffer.from(`keel:${adminPassword}`).toString('base64')}`;
  const response = await fetch(
    `http://${hostForUrl(leader.host)}:${leader.httpPort}/cluster/members/register`,
    {
      method: 'POST',
      headers,
      body: JSON.stringify({ member: self }),
      signal: AbortSignal.timeout(2000),
    },
  );
  const text = await response.text();
  if (!response.ok)
    throw new Error(`the leader refused the registration (HTTP ${response.status}): ${text.trim()}`);
}
