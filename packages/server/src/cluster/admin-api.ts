/**
 * The cluster's operator endpoints, which `keel cluster switchover|failover|add|remove` call:
 *   POST   /cluster/switchover        {"to"?: ID}            zero-loss move of the primary role
 *   POST   /cluster/failover          {"to"?: ID}            the forced variant (no catch-up wait)
 *   POST   /cluster/members           {"id": ID, "address": "HOST:PORT"}   add: learner, then voter
 *   DELETE /cluster/members/ID                               remove
 *   POST   /cluster/members/register  a member record      a node registering its own addresses
 * They change the cluster, so they are guarded: a request is accepted from a loopback address
 * (the operator is on the node, as with `pg_ctl`), or with HTTP Basic credentials of the `keel`
 * superuser, checked against its SCRAM verifier in the catalog (the password never leaves the
 * request). The leader executes them; any other node answers 409 naming the leader, and the CLI
 * goes there. All but `register` are logged as one line each.
 * Exports: AdminApi, AdminRequest, AdminResponse, isLoopback, checkBasicAuth.
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import type { RaftNodeHandle } from '@keel/consensus';
import { isKeelError } from '@keel/errors';
import type { ReplicationControl } from '@keel/replication';
import { parseScramVerifier } from '@keel/wire';
import type { Logger } from '../logger.js';
import { type ClusterState, encodeCommand, parseMember } from './cluster-state.js';
import type { FailoverOrchestrator } from './failover-orchestrator.js';

export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly remoteAddress: string;
  readonly authorization: string | undefined;
}

export interface AdminResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface AdminApiDeps {
  readonly raft: RaftNodeHandle;
  readonly state: ClusterState;
  readonly orchestrator: FailoverOrchestrator;
  readonly replication: ReplicationControl | null;
  /** The `keel` role's SCRAM verifier, or null (no such role, or no SCRAM secret). */
  readonly adminVerifier: () => string | null;
  readonly logger: Logger;
}

export function isLoopback(address: string): boolean {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return plain === '::1' || plain.startsWith('127.');
}

/** Whether `authorization` is Basic keel:<password> matching the SCRAM verifier. */
export function checkBasicAuth(authorization: string | undefined, verifier: string | null): boolean {
  if (authorization === undefined || verifier === null) return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(authorization.trim());
  if (match === null) return false;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(0, colon) !== 'keel') return false;
  const secret = parseScramVerifier(verifier);
  if (secret === null) return false;
  const salted = pbkdf2Sync(decoded.slice(colon + 1), secret.salt, secret.iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  return storedKey.length === secret.storedKey.length && timingSafeEqual(storedKey, secret.storedKey);
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const field = (body: unknown, name: string): unknown =>
  typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;

export class AdminApi {
  private readonly log: Logger;

  constructor(private readonly deps: AdminApiDeps) {
    this.log = deps.logger.child({ component: 'admin' });
  }

  /** The answer to a guarded request, or null when the path is not one of ours. */
  async handle(request: AdminRequest): Promise<AdminResponse | null> {
    const route = this.route(request);
    if (route === null) return null;
    if (
      !isLoopback(request.remoteAddress) &&
      !checkBasicAuth(request.authorization, this.deps.adminVerifier())
    )
      return {
        status: 401,
        body: { error: 'cluster changes need a loopback client or Basic credentials of the keel superuser' },
      };
    const st = this.deps.raft.status();
    if (st.role !== 'leader') {
      const leaderHttp = st.leaderId === null ? null : this.httpOf(st.leaderId);
      return {
        status: 409,
        body: { error: 'this node is not the leader', leaderId: st.leaderId, leaderHttp },
      };
    }
    try {
      return await route();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const hint = isKeelError(error) ? error.hint : undefined;
      this.log.warn({ path: request.path, error: message }, 'cluster command failed');
      return {
        status: isKeelError(error) ? 422 : 500,
        body: { error: message, ...(hint === undefined ? {} : { hint }) },
      };
    }
  }

  private route(request: AdminRequest): (() => Promise<AdminResponse>) | null {
    const { method, path, body } = request;
    if (method === 'POST' && (path === '/cluster/switchover' || path === '/cluster/failover')) {
      const force = path === '/cluster/failover';
      const to = text(field(body, 'to'));
      return async () => {
        this.log.info({ to: to ?? null, force }, force ? 'failover requested' : 'switchover requested');
        const moved = await this.deps.orchestrator.switchover({
          ...(to === undefined ? {} : { to }),
          force,
          timeoutMs: 30_000,
        });
        return { status: 200, body: { ...moved, term: this.deps.raft.status().term } };
      };
    }
    if (method === 'POST' && path === '/cluster/members/register') {
      return async () => {
        const member = parseMember(field(body, 'member'));
        const st = this.deps.raft.status();
        if (member === null || ![...st.voters, ...st.learners].includes(member.nodeId))
          return { status: 400, body: { error: 'not a member record of a current member' } };
        await this.deps.raft.propose(encodeCommand({ type: 'member', member }));
        return { status: 200, body: { registered: member.nodeId } };
      };
    }
    if (method === 'POST' && path === '/cluster/members') return () => this.add(body);
    const removal = /^\/cluster\/members\/([A-Za-z0-9_.-]+)$/.exec(path);
    if (method === 'DELETE' && removal !== null) return () => this.remove(removal[1] ?? '');
    return null;
  }

  private async add(body: unknown): Promise<AdminResponse> {
    const id = text(field(body, 'id'));
    const address = /^([^:\s]+):(\d+)$/.exec(text(field(body, 'address')) ?? '');
    if (id === undefined || address === null)
      return {
        status: 400,
        body: { error: 'expected {"id": ID, "address": "HOST:PORT"} (the gRPC address)' },
      };
    const peer = { id, host: address[1] ?? '', port: Number(address[2]) };
    this.log.info({ nodeId: id, address: `${peer.host}:${peer.port}` }, 'adding a member as learner');
    await this.deps.raft.addLearner(peer);
    // A learner votes for nothing and counts for nothing; it becomes a voter once both its Raft
    // log and (with replication) its WAL have caught up with the primary.
    if (this.deps.replication !== null) {
      this.log.info({ nodeId: id }, 'waiting for the new member to catch up on WAL');
      await this.deps.replication.waitForReplicaCatchUp(id, undefined, { timeoutMs: 600_000 });
    }
    await this.deps.raft.addVoter(id, 120_000);
    this.log.info({ nodeId: id, term: this.deps.raft.status().term }, 'new member promoted to voter');
    return { status: 200, body: { added: id, voter: true } };
  }

  private async remove(id: string): Promise<AdminResponse> {
    const st = this.deps.raft.status();
    if (![...st.voters, ...st.learners].includes(id))
      return { status: 404, body: { error: `no member ${id}` } };
    if (id === st.nodeId)
      return { status: 409, body: { error: 'the leader cannot remove itself: switch over first' } };
    this.log.info({ nodeId: id, term: st.term }, 'removing a member');
    await this.deps.raft.removeServer(id);
    await this.deps.raft.propose(encodeCommand({ type: 'forget', nodeId: id }));
    return { status: 200, body: { removed: id } };
  }

  private httpOf(nodeId: string): string | null {
    const member = this.deps.state.member(nodeId);
    return member === undefined ? null : `${member.host}:${member.httpPort}`;
  }
}
