/**
 * First start of an empty data directory (PostgreSQL's initdb): the cluster-wide catalog heap,
 * the superuser, and the databases `template1`, `template0`, `postgres` and `keel` (clients
 * default to a database named like the user), each with its `public` schema. Runs as one transaction, then a checkpoint,
 * then writes keel.json last: a crash anywhere before leaves a directory that the next start
 * recognizes as not initialized.
 * Exports: bootstrapCluster.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseInfo, Role } from '../catalog/objects.js';
import { WellKnownOid } from '../catalog/objects.js';
import type { Engine } from './engine.js';

const TEMPLATE1_DATABASE_OID = 1;
const TEMPLATE0_DATABASE_OID = 4;
const POSTGRES_DATABASE_OID = 5;

export async function bootstrapCluster(
  engine: Engine,
  options: { superuser: string; passwordVerifier: string },
): Promise<void> {
  const shared = engine.storage.createRelation('heap');
  engine.catalogHeaps.setShared(shared);
  const txn = engine.txns.begin(
    0,
    { isolation: 'read committed', readOnly: false, deferrable: false },
    engine.nowMicros(),
    true,
  );
  const superuser: Role = {
    kind: 'role',
    oid: WellKnownOid.bootstrapSuperuser,
    name: options.superuser,
    superuser: true,
    inherit: true,
    createRole: true,
    createDb: true,
    canLogin: true,
    replication: true,
    bypassRls: true,
    connectionLimit: -1,
    password: options.passwordVerifier,
    validUntil: null,
    memberOf: [],
  };
  engine.catalog.put(txn, 'shared', superuser);
  // template1 and template0 as initdb makes them (PostgreSQL's oids): tools connect to
  // template1; template0 refuses connections. CREATE DATABASE accepts either as TEMPLATE.
  for (const [oid, name, isTemplate, allowConnections] of [
    [TEMPLATE1_DATABASE_OID, 'template1', true, true],
    [TEMPLATE0_DATABASE_OID, 'template0', true, false],
    [POSTGRES_DATABASE_OID, 'postgres', false, true],
    [engine.catalog.allocateOid(), 'keel', false, true],
  ] as const) {
    const relFile = engine.storage.createRelation('heap');
    engine.catalogHeaps.setDatabase(oid, relFile);
    const database: DatabaseInfo = {
      kind: 'database',
      oid,
      name,
      ownerOid: superuser.oid,
      catalogRelFile: relFile,
      allowConnections,
      connectionLimit: -1,
      isTemplate,
    };
    engine.catalog.put(txn, 'shared', database);
    engine.catalog.put(txn, oid, {
      kind: 'namespace',
      oid: WellKnownOid.publicNamespace,
      name: 'public',
      ownerOid: superuser.oid,
    });
  }
  await engine.txns.commit(txn, { synchronous: true, timestamp: engine.nowMicros() });
  engine.catalog.commit(txn);
  await engine.checkpoint();
  engine.directory.writeMeta({
    format: 1,
    systemIdentifier: randomBytes(8).toString('hex'),
    sharedCatalogRelFile: shared,
    createdAt: new Date().toISOString(),
  });
}
