#!/usr/bin/env node
/**
 * Offline validation of the Kubernetes manifests (deploy/k8s): renders the kustomization the
 * way `kubectl apply -k` would, then checks every object against the Kubernetes API schemas,
 * with no cluster and no network.
 *
 *   node scripts/validate-k8s.mjs [DIR]      (DIR defaults to deploy/k8s; exit 1 on any problem)
 *
 * Rendering: a small resolver for the kustomize fields Keel uses, `resources` (files, or
 * directories holding a kustomization) and `images`. Any other field is an error rather than
 * silently ignored, so that a manifest change that needs more of kustomize extends this
 * resolver instead of validating something other than what kubectl applies.
 *
 * Validation: the kubernetes-models package (Kubernetes 1.33 OpenAPI schemas compiled to ajv
 * validators, one per kind; version 4.x, the last to support Node 20) checks types, enums and
 * required fields. Those schemas allow unknown fields, which the API server rejects
 * (`kubectl apply` validates strictly), so a typo such as `replica: 3` would pass; a second,
 * strict pass finds unknown fields by probing: a field is known to the schema when giving it a
 * value no schema accepts (a function) makes validation fail at that field's path. A field whose
 * schema accepts any value at all would be reported as unknown; no object of Keel's has one.
 * The package also carries API versions Kubernetes has removed, so only GA versions are accepted.
 * Exports: renderKustomization, validateObjects, validateKustomization, schemaVersion.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);
const modelsVersion = JSON.parse(
  readFileSync(require.resolve('kubernetes-models/package.json'), 'utf8'),
).version;

/** What the schemas are: shown in reports so that a reader knows what "valid" means. */
export const schemaVersion = `Kubernetes 1.33 API schemas (kubernetes-models ${modelsVersion})`;

/**
 * kubernetes-models also carries API versions that Kubernetes has removed (policy/v1beta1,
 * extensions/v1beta1, ...) and betas: they validate there but fail on apply. Only these GA
 * versions, all served by Kubernetes 1.33, are accepted; add one here knowingly.
 */
const gaApiVersions = new Set([
  'v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  'apps/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'autoscaling/v1',
  'autoscaling/v2',
  'batch/v1',
  'certificates.k8s.io/v1',
  'coordination.k8s.io/v1',
  'discovery.k8s.io/v1',
  'events.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1',
  'networking.k8s.io/v1',
  'node.k8s.io/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'storage.k8s.io/v1',
]);

const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const supportedFields = new Set(['apiVersion', 'kind', 'resources', 'images']);

/**
 * Reads DIR's kustomization and returns its objects in order, each with the file it came from.
 * Throws on anything it cannot render faithfully.
 */
export function renderKustomization(dir) {
  const file = kustomizationFiles
    .map((name) => path.join(dir, name))
    .find((candidate) => existsSync(candidate));
  if (file === undefined) throw new Error(`${dir}: no kustomization.yaml`);
  const [kustomization] = parseYamlFile(file);
  if (!isObject(kustomization)) throw new Error(`${file}: not a mapping`);
  if (kustomization.kind !== undefined && kustomization.kind !== 'Kustomization')
    throw new Error(`${file}: kind must be Kustomization, got ${JSON.stringify(kustomization.kind)}`);
  const unsupported = Object.keys(kustomization).filter((key) => !supportedFields.has(key));
  if (unsupported.length > 0) {
    throw new Error(
      `${file}: ${unsupported.join(', ')} not supported by scripts/validate-k8s.mjs ` +
        `(it renders ${[...supportedFields].join(', ')}); extend the resolver before using them`,
    );
  }
  const objects = [];
  for (const entry of asArray(kustomization.resources, `${file}: resources`)) {
    if (typeof entry !== 'string') throw new Error(`${file}: resources entries must be paths`);
    if (/^[a-z]+:\/\//i.test(entry) || entry.startsWith('github.com/'))
      throw new Error(`${file}: remote resource ${entry} cannot be validated offline`);
    const target = path.resolve(dir, entry);
    if (!existsSync(target)) throw new Error(`${file}: resource ${entry} does not exist`);
    if (statSync(target).isDirectory()) {
      objects.push(...renderKustomization(target));
      continue;
    }
    parseYamlFile(target).forEach((object, index) => {
      if (object === null) return; // an empty document, as after a trailing ---
      if (!isObject(object)) throw new Error(`${target}: document ${index + 1} is not a mapping`);
      objects.push({ source: path.relative(process.cwd(), target), object });
    });
  }
  const images = asArray(kustomization.images, `${file}: images`);
  for (const { object } of objects) applyImages(object, images, file);
  rejectDuplicates(objects);
  return objects;
}

/**
 * Checks each object against its kind's schema, then for unknown fields. Returns the problems
 * found (empty when all is well); never throws for a bad object. Does not change the objects.
 */
export async function validateObjects(objects) {
  const problems = [];
  for (const { source, object } of objects) {
    const where = { source, kind: String(object.kind ?? '?'), name: String(object.metadata?.name ?? '?') };
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      problems.push({ ...where, path: '', message: 'apiVersion and kind must be strings' });
      continue;
    }
    if (typeof object.metadata?.name !== 'string' || object.metadata.name === '') {
      problems.push({ ...where, path: '/metadata/name', message: 'every object needs a name' });
    }
    if (!gaApiVersions.has(object.apiVersion)) {
      problems.push({
        ...where,
        path: '/apiVersion',
        message: `${object.apiVersion} is not a GA API version served by Kubernetes 1.33`,
      });
      continue;
    }
    const validate = await validatorFor(object.apiVersion, object.kind);
    if (validate === null) {
      problems.push({
        ...where,
        path: '',
        message: `no schema for apiVersion ${object.apiVersion} kind ${object.kind} in the ${schemaVersion}`,
      });
      continue;
    }
    for (const error of validate(object))
      problems.push({ ...where, path: error.instancePath, message: error.message });
    for (const pointer of unknownFields(validate, object)) {
      problems.push({ ...where, path: pointer, message: 'unknown field (not in the Kubernetes schema)' });
    }
  }
  return problems;
}

/** Renders DIR and validates what it renders. */
export async function validateKustomization(dir) {
  const objects = renderKustomization(dir);
  return { objects, problems: await validateObjects(objects) };
}

function parseYamlFile(file) {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true });
  return documents.map((document, index) => {
    const [error] = document.errors;
    if (error !== undefined) throw new Error(`${file}: YAML document ${index + 1}: ${error.message}`);
    return document.toJS();
  });
}

/** kustomize's `images`: replaces name, tag or digest of matching container images. */
function applyImages(object, images, file) {
  if (images.length === 0) return;
  for (const container of podContainers(object)) {
    if (typeof container.image !== 'string') continue;
    const { name, tag, digest } = splitImage(container.image);
    const rule = images.find((candidate) => isObject(candidate) && candidate.name === name);
    if (rule === undefined) continue;
    const unknown = Object.keys(rule).filter((key) => !['name', 'newName', 'newTag', 'digest'].includes(key));
    if (unknown.length > 0)
      throw new Error(`${file}: images entry ${rule.name}: unsupported ${unknown.join(', ')}`);
    const newName = rule.newName ?? name;
    if (rule.digest !== undefined) container.image = `${newName}@${rule.digest}`;
    else if (rule.newTag !== undefined) container.image = `${newName}:${rule.newTag}`;
    else container.image = `${newName}${tag === null ? '' : `:${tag}`}${digest === null ? '' : `@${digest}`}`;
  }
}

function splitImage(image) {
  const [withoutDigest, digest = null] = image.split('@');
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash)
    return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  return { name: withoutDigest, tag: null, digest };
}

function podContainers(object) {
  const spec =
    object.kind === 'Pod'
      ? object.spec
      : object.kind === 'CronJob'
        ? object.spec?.jobTemplate?.spec?.template?.spec
        : object.spec?.template?.spec;
  if (!isObject(spec)) return [];
  return [
    ...asArray(spec.initContainers, 'initContainers'),
    ...asArray(spec.containers, 'containers'),
  ].filter(isObject);
}

function rejectDuplicates(objects) {
  const seen = new Map();
  for (const { source, object } of objects) {
    const group = String(object.apiVersion ?? '')
      .split('/')
      .slice(0, -1)
      .join('/');
    const id = `${group}/${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
    const first = seen.get(id);
    if (first !== undefined)
      throw new Error(`${object.kind} ${object.metadata?.name} is defined twice (${first} and ${source})`);
    seen.set(id, source);
  }
}

const modelModules = new Map();

/** The kind's validator as a function returning ajv errors (empty when valid), or null if unknown. */
async function validatorFor(apiVersion, kind) {
  const specifier = `kubernetes-models/${apiVersion}`;
  if (!modelModules.has(specifier)) {
    modelModules.set(
      specifier,
      await import(specifier).catch((error) => {
        if (error?.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || error?.code === 'ERR_MODULE_NOT_FOUND')
          return null;
        throw error;
      }),
    );
  }
  const Model = modelModules.get(specifier)?.[kind];
  if (typeof Model !== 'function' || typeof Model.prototype?.validate !== 'function') return null;
  return (object) => {
    try {
      new Model(object).validate();
      return [];
    } catch (error) {
      if (!Array.isArray(error?.errors)) throw error;
      return error.errors.map((e) => ({ instancePath: e.instancePath, message: e.message ?? e.keyword }));
    }
  };
}

/** A value of no JSON type: every typed schema rejects it. */
const probe = () => undefined;

/**
 * JSON pointers of the fields of `object` that its schema does not know. Errors the object
 * already has do not confuse the probe: they lie under known fields, since the schema never
 * looks inside an unknown one.
 */
function unknownFields(validate, object) {
  const copy = structuredClone(object);
  const unknown = [];
  const visit = (node, pointer) => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, `${pointer}/${index}`);
      return;
    }
    if (!isObject(node)) return;
    for (const key of Object.keys(node)) {
      const child = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      const value = node[key];
      node[key] = probe;
      const errors = validate(copy);
      node[key] = value;
      if (errors.some((e) => e.instancePath === child || e.instancePath.startsWith(`${child}/`)))
        visit(value, child);
      else unknown.push(child);
    }
  };
  visit(copy, '');
  return unknown;
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value, what) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${what} must be a list`);
  return value;
}

async function main() {
  const dir = path.resolve(process.argv[2] ?? 'deploy/k8s');
  let result;
  try {
    result = await validateKustomization(dir);
  } catch (error) {
    process.stderr.write(`validate-k8s: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const { objects, problems } = result;
  for (const p of problems)
    process.stderr.write(`${p.source}: ${p.kind}/${p.name} ${p.path || '/'}: ${p.message}\n`);
  const kinds = objects.map(({ object }) => `${object.kind}/${object.metadata?.name}`).join(', ');
  process.stdout.write(
    `validate-k8s: ${objects.length} objects from ${path.relative(process.cwd(), dir) || '.'} against the ${schemaVersion}: ` +
      `${problems.length === 0 ? 'all valid' : `${problems.length} problem(s)`}\n  ${kinds}\n`,
  );
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
