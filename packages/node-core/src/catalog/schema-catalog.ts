/**
 * An immutable view of one database's catalog plus the cluster-wide roles and databases, with
 * the indexes the binder and DDL need (by oid, by schema and name, indexes of a table).
 * A session sees the committed catalog, or, once its transaction has run DDL, that transaction's
 * own version of it (see CatalogManager). Views are cheap to build: a DDL statement builds one.
 * Exports: SchemaCatalog.
 */
import type {
  Comment,
  DatabaseInfo,
  IndexRelation,
  Namespace,
  Oid,
  Relation,
  Role,
  SchemaObject,
  SharedObject,
  TableRelation,
} from './objects.js';

function commentKey(objectOid: Oid, classOid: Oid, subId: number): string {
  return `${objectOid}/${classOid}/${subId}`;
}

export class SchemaCatalog {
  private readonly namespacesByOid = new Map<Oid, Namespace>();
  private readonly namespacesByName = new Map<string, Namespace>();
  private readonly relationsByOid = new Map<Oid, Relation>();
  private readonly relationsByName = new Map<string, Relation>();
  private readonly indexesByTable = new Map<Oid, IndexRelation[]>();
  private readonly commentsByKey = new Map<string, Comment>();
  private readonly rolesByOid = new Map<Oid, Role>();
  private readonly rolesByName = new Map<string, Role>();
  private readonly databasesByOid = new Map<Oid, DatabaseInfo>();
  private readonly databasesByName = new Map<string, DatabaseInfo>();

  constructor(
    readonly database: DatabaseInfo,
    schemaObjects: Iterable<SchemaObject>,
    sharedObjects: Iterable<SharedObject>,
  ) {
    for (const object of schemaObjects) this.add(object);
    for (const object of sharedObjects) {
      if (object.kind === 'role') {
        this.rolesByOid.set(object.oid, object);
        this.rolesByName.set(object.name, object);
      } else {
        this.databasesByOid.set(object.oid, object);
        this.databasesByName.set(object.name, object);
      }
    }
    for (const list of this.indexesByTable.values()) list.sort((a, b) => a.oid - b.oid);
  }

  namespace(oid: Oid): Namespace | null {
    return this.namespacesByOid.get(oid) ?? null;
  }

  namespaceByName(name: string): Namespace | null {
    return this.namespacesByName.get(name) ?? null;
  }

  namespaces(): Namespace[] {
    return [...this.namespacesByOid.values()];
  }

  relation(oid: Oid): Relation | null {
    return this.relationsByOid.get(oid) ?? null;
  }

  relationByName(namespaceOid: Oid, name: string): Relation | null {
    return this.relationsByName.get(`${namespaceOid}/${name}`) ?? null;
  }

  relations(): Relation[] {
    return [...this.relationsByOid.values()];
  }

  table(oid: Oid): TableRelation | null {
    const relation = this.relationsByOid.get(oid);
    return relation?.kind === 'table' ? relation : null;
  }

  indexesOf(tableOid: Oid): IndexRelation[] {
    return this.indexesByTable.get(tableOid) ?? [];
  }

  comment(objectOid: Oid, classOid: Oid, subId: number): Comment | null {
    return this.commentsByKey.get(commentKey(objectOid, classOid, subId)) ?? null;
  }

  comments(): Comment[] {
    return [...this.commentsByKey.values()];
  }

  role(oid: Oid): Role | null {
    return this.rolesByOid.get(oid) ?? null;
  }

  roleByName(name: string): Role | null {
    return this.rolesByName.get(name) ?? null;
  }

  roles(): Role[] {
    return [...this.rolesByOid.values()];
  }

  databaseByName(name: string): DatabaseInfo | null {
    return this.databasesByName.get(name) ?? null;
  }

  databases(): DatabaseInfo[] {
    return [...this.databasesByOid.values()];
  }

  private add(object: SchemaObject): void {
    switch (object.kind) {
      case 'namespace':
        this.namespacesByOid.set(object.oid, object);
        this.namespacesByName.set(object.name, object);
        return;
      case 'comment':
        this.commentsByKey.set(commentKey(object.objectOid, object.classOid, object.subId), object);
        return;
      default:
        this.relationsByOid.set(object.oid, object);
        this.relationsByName.set(`${object.namespaceOid}/${object.name}`, object);
        if (object.kind === 'index') {
          const list = this.indexesByTable.get(object.tableOid);
          if (list === undefined) this.indexesByTable.set(object.tableOid, [object]);
          else list.push(object);
        }
    }
  }
}
