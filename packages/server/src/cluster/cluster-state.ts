/**
 * The cluster's replicated state: what every node learns from committed Raft entries, in the
 * same order, so that routing, DNS answers and role-change hooks agree everywhere. It is
 * Patroni's DCS content, kept in Keel's own Raft log:
 *   - the member directory: each node's advertised host and its PostgreSQL, read-only,
 *     HTTP and replication ports (a node registers its own record; see member-registration.ts);
 *   - the primary announcement: "node X was promoted in term T", proposed by a leader once its
 *     replication layer runs as primary. Followers start streaming from it, hooks fire on it,
 *     and sessions are routed to it only when its term is the current Raft term.
 *   - lease entries (leader-lease.ts), which change nothing here.
 * Commands are JSON; an entry this version does not understand is ignored (a newer node may
 * write it during a rolling upgrade), never a crash.
 * Exports: ClusterState, ClusterCommand, MemberRecord, PrimaryAnnouncement, encodeCommand,
 * decodeCommand, parseMember, sameMember.
 */

export interface MemberRecord {
  readonly nodeId: string;
  /** The address clients reach this node at (DNS answers, routing). */
  readonly host: string;
  readonly pgPort: number;
  /** --pg-read-port, or null when the node has none. */
  readonly readPort: number | null;
  readonly httpPort: number;
  /** The replication layer's port, or null without replication. */
  readonly replicationPort: number | null;
}

export interface PrimaryAnnouncement {
  readonly term: number;
  readonly nodeId: string;
  /** The Raft log index of the announcement (orders announcements of one term, for hooks). */
  readonly index: number;
}

export type ClusterCommand =
  | { readonly type: 'lease'; readonly term: number }
  | { readonly type: 'member'; readonly member: MemberRecord }
  | { readonly type: 'forget'; readonly nodeId: string }
  | { readonly type: 'primary'; readonly term: number; readonly nodeId: string };

export function encodeCommand(command: ClusterCommand): Uint8Array {
  return Buffer.from(JSON.stringify(command), 'utf8');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPort = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A member record from untrusted JSON, or null. */
export function parseMember(value: unknown): MemberRecord | null {
  if (!isRecord(value)) return null;
  const { nodeId, host, pgPort, readPort, httpPort, replicationPort } = value;
  if (!isText(nodeId) || !isText(host) || !isPort(pgPort) || !isPort(httpPort)) return null;
  if (readPort !== null && !isPort(readPort)) return null;
  if (replicationPort !== null && !isPort(replicationPort)) return null;
  return { nodeId, host, pgPort, readPort, httpPort, replicationPort };
}

/** The command in an entry, or null when the entry is not one this version understands. */
export function decodeCommand(bytes: Uint8Array): ClusterCommand | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  switch (value.type) {
    case 'lease':
      return typeof value.term === 'number' ? { type: 'lease', term: value.term } : null;
    case 'member': {
      const member = parseMember(value.member);
      return member === null ? null : { type: 'member', member };
    }
    case 'forget':
      return isText(value.nodeId) ? { type: 'forget', nodeId: value.nodeId } : null;
    case 'primary':
      return typeof value.term === 'number' && isText(value.nodeId)
        ? { type: 'primary', term: value.term, nodeId: value.nodeId }
        : null;
    default:
      return null;
  }
}

export function sameMember(a: MemberRecord | undefined, b: MemberRecord): boolean {
  return (
    a !== undefined &&
    a.nodeId === b.nodeId &&
    a.host === b.host &&
    a.pgPort === b.pgPort &&
    a.readPort === b.readPort &&
    a.httpPort === b.httpPort &&
    a.replicationPort === b.replicationPort
  );
}

interface Snapshot {
  readonly members: MemberRecord[];
  readonly primary: PrimaryAnnouncement | null;
}

export class ClusterState {
  private readonly directory = new Map<string, MemberRecord>();
  private announced: PrimaryAnnouncement | null = null;
  private readonly listeners = new Set<() => void>();

  /** Applies one committed entry; returns whether the state changed. */
  apply(bytes: Uint8Array, index: number): boolean {
    const command = decodeCommand(bytes);
    if (command === null) return false;
    switch (command.type) {
      case 'lease':
        return false;
      case 'member':
        if (sameMember(this.directory.get(command.member.nodeId), command.member)) return false;
        this.directory.set(command.member.nodeId, command.member);
        break;
      case 'forget':
        if (!this.directory.delete(command.nodeId)) return false;
        break;
      case 'primary':
        // Announcements commit in log order; an older term's (a slow leader's) never wins back.
        if (this.announced !== null && command.term < this.announced.term) return false;
        this.announced = { term: command.term, nodeId: command.nodeId, index };
        break;
    }
    this.notify();
    return true;
  }

  primary(): PrimaryAnnouncement | null {
    return this.announced;
  }

  member(nodeId: string): MemberRecord | undefined {
    return this.directory.get(nodeId);
  }

  members(): MemberRecord[] {
    return [...this.directory.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  }

  /** Called after every change (synchronously, from the apply). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): Uint8Array {
    const snapshot: Snapshot = { members: this.members(), primary: this.announced };
    return Buffer.from(JSON.stringify(snapshot), 'utf8');
  }

  restore(bytes: Uint8Array): void {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    this.directory.clear();
    this.announced = null;
    if (isRecord(value)) {
      const members = Array.isArray(value.members) ? value.members : [];
      for (const raw of members) {
        const member = parseMember(raw);
        if (member !== null) this.directory.set(member.nodeId, member);
      }
      const p = value.primary;
      if (isRecord(p) && typeof p.term === 'number' && isText(p.nodeId) && typeof p.index === 'number')
        this.announced = { term: p.term, nodeId: p.nodeId, index: p.index };
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
