/**
 * Session routing: the one hook that lets a server hand a client connection to another server
 * after reading its StartupMessage, before authenticating it. Keel uses it so that every node's
 * PostgreSQL port reaches the primary: a replica answers `forward` with the primary's address,
 * and its listener replays the startup packet there and splices the two sockets byte for byte.
 * Authentication, the session and every later message are then the primary's business; the
 * forwarding node sees only bytes.
 *
 * Why here and not in the Backend: routing is decided before there is a session, and the
 * answer is an address, not a database call, so the smallest change is one optional listener
 * option. Without a router every session is served locally, exactly as before.
 * Exports: SessionRouter, SessionRoute, RouteTarget.
 */
import type { StartupRequest } from './startup-negotiation.js';

export interface RouteTarget {
  readonly host: string;
  readonly port: number;
}

export type SessionRoute = { readonly kind: 'local' } | ({ readonly kind: 'forward' } & RouteTarget);

export interface SessionRouter {
  /**
   * Where the session is served. May wait (for example while a failover elects a new primary);
   * a KeelError thrown here reaches the client as a FATAL error.
   */
  route(request: StartupRequest): SessionRoute | Promise<SessionRoute>;
}
