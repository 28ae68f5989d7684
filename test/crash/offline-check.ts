/**
 * Offline check of a cleanly stopped node's data directory, with the storage engine itself (as
 * PostgreSQL's amcheck and a checksum scan would): every page of every relation file is read,
 * so each checksum is verified, and every B-tree (recognised by its meta page) passes
 * checkBTree: keys in order within and across pages, children within their parents' bounds,
 * levels consistent, sibling links intact. The engine's own WAL records (transactions,
 * sequences) are skipped: after a clean stop there is nothing left to redo.
 * Exports: checkDataDirectory.
 */

import {
  checkBTree,
  PAGE_SIZE,
  type RedoHandler,
  StorageEngine,
} from '../../packages/node-core/src/storage/index.js';
import { PageKind, pageKind } from '../../packages/node-core/src/storage/page/page-layout.js';
import { RmgrId } from '../../packages/node-core/src/wal/wal-record.js';

/** Returns the problems found (empty when the directory is sound). */
export async function checkDataDirectory(dataDir: string): Promise<string[]> {
  const ignore: RedoHandler = () => {};
  const handlers = new Map<number, RedoHandler>();
  for (let rmgr = RmgrId.FirstUpperRmgr; rmgr < 64; rmgr++) handlers.set(rmgr, ignore);
  const engine = await StorageEngine.open({
    dataDir,
    bufferPoolBytes: 256 * PAGE_SIZE,
    checkpointIntervalMs: 0,
    checkpointWalBytes: 0,
    walWriterDelayMs: 0,
    bgwriterDelayMs: 0,
    redoHandlers: handlers,
  });
  const problems: string[] = [];
  try {
    for (const rel of engine.relationIds()) {
      try {
        const pages = engine.files.nblocks(rel);
        if (pages === 0) continue;
        const meta = engine.bufferPool.pin(rel, 0);
        const kind = pageKind(meta.page);
        engine.bufferPool.unpin(meta);
        if (kind === PageKind.BTreeMeta) {
          checkBTree(rel, engine.accessEnv());
        }
        for (let pageNo = 0; pageNo < pages; pageNo++) {
          engine.bufferPool.unpin(engine.bufferPool.pin(rel, pageNo));
        }
      } catch (err) {
        problems.push(`offline check of relation file base/${rel}: ${String(err)}`);
      }
    }
  } finally {
    engine.abandon();
  }
  return problems;
}
