/**
 * Loads the Raft service definition from proto/raft.proto once per process. The .proto file
 * is the single source of the wire format; proto-loader compiles it at startup, so there is no
 * generated code to keep in step with it.
 * Exports: raftService, RaftSendMethod, protoPath.
 */
import { fileURLToPath } from 'node:url';
import {
  loadSync,
  type MethodDefinition,
  type PackageDefinition,
  type ServiceDefinition,
} from '@grpc/proto-loader';
import { assert } from '@keel/errors';
import { protoLoaderOptions } from './wire-codec.js';

/** proto/raft.proto at the repository root; the same relative path works from src/ and dist/. */
export const protoPath = fileURLToPath(new URL('../../../../proto/raft.proto', import.meta.url));

export type RaftSendMethod = MethodDefinition<object, object>;

let loaded: ServiceDefinition | null = null;

function isService(definition: PackageDefinition[string] | undefined): definition is ServiceDefinition {
  return definition !== undefined && !('format' in definition);
}

/** The `keel.raft.v1.Raft` service and its one method. */
export function raftService(): { service: ServiceDefinition; send: RaftSendMethod } {
  if (loaded === null) {
    const definition = loadSync(protoPath, protoLoaderOptions)['keel.raft.v1.Raft'];
    assert(isService(definition), 'keel.raft.v1.Raft is not a service in raft.proto');
    loaded = definition;
  }
  const send = loaded.Send;
  assert(send?.requestStream === true && !send.responseStream, 'Raft.Send is not a client stream');
  return { service: loaded, send };
}
