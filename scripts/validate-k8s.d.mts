/** Types of scripts/validate-k8s.mjs, for the tests that import it (test/deploy). */

export interface RenderedObject {
  /** The file the object came from, relative to the working directory. */
  source: string;
  object: Record<string, unknown>;
}

export interface ManifestProblem {
  source: string;
  kind: string;
  name: string;
  /** JSON pointer into the object ('' for the object as a whole). */
  path: string;
  message: string;
}

export declare const schemaVersion: string;
export declare function renderKustomization(dir: string): RenderedObject[];
export declare function validateObjects(objects: readonly RenderedObject[]): Promise<ManifestProblem[]>;
export declare function validateKustomization(
  dir: string,
): Promise<{ objects: RenderedObject[]; problems: ManifestProblem[] }>;
