/**
 * The Backend behind `--pg-read-port`: the node's own engine, with every session started as
 * read-only (`default_transaction_read_only = on`, as if the client had asked for it in its
 * startup packet), and never routed to the primary. A write there fails with 25006 on any
 * node; `SET default_transaction_read_only = off` is refused on a hot standby by the engine and
 * allowed on the primary, as in PostgreSQL, so the port is a promise of locality, not of safety.
 * Exports: readOnlyBackend.
 */
import type { Backend } from '@keel/wire';

export function readOnlyBackend(engine: Backend): Backend {
  return {
    lookupRole: (user) => engine.lookupRole(user),
    startSession: (startup) =>
      engine.startSession({
        ...startup,
        parameters: new Map([...startup.parameters, ['default_transaction_read_only', 'on']]),
      }),
  };
}
