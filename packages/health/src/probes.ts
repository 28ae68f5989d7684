/**
 * What the health monitor observes: the results of probes, each stamped with the time it was
 * taken. The server takes the probes (it reads the engine's WAL counters, calls statfs on the
 * data directory, asks the replication layer about its stream, and asks peers over HTTP); this
 * package only judges them, so every judgement can be replayed in a unit test.
 * Exports: HealthInput, SelfProbe, WalProbe, DiskProbe, StreamProbe, PeerProbe.
 */

/** The WAL as the engine reports it: records inserted and records made durable. */
export interface WalProbe {
  readonly insertLsn: bigint;
  readonly flushLsn: bigint;
}

export interface DiskProbe {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/**
 * The replication stream, from this node's side. A replica reports whether it receives from
 * its primary and how far behind it is; a primary or a lone node reports `role: 'none'`.
 */
export interface StreamProbe {
  readonly role: 'replica' | 'none';
  readonly streaming: boolean;
  /** Bytes of WAL the primary has that this replica has not replayed; null if unknown. */
  readonly lagBytes: bigint | null;
}

/** One round of the node's probes of itself; a field is null when that probe failed. */
export interface SelfProbe {
  readonly kind: 'self';
  readonly atMs: number;
  readonly wal: WalProbe | null;
  readonly disk: DiskProbe | null;
  readonly stream: StreamProbe | null;
}

/** One probe of a peer (an HTTP GET of its /health/live): answered in time, or not. */
export interface PeerProbe {
  readonly kind: 'peer';
  readonly atMs: number;
  readonly peerId: string;
  readonly ok: boolean;
  /** Why it failed (timeout, refused, 503 ...), for the log and /cluster. */
  readonly detail?: string;
}

export type HealthInput = SelfProbe | PeerProbe;
