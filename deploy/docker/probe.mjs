#!/usr/bin/env node
/**
 * HTTP probe for the container: `node /app/probe.mjs PATH` exits 0 when the node's HTTP
 * endpoint answers PATH with 2xx, 1 otherwise (and says why on stderr). The image has no curl;
 * Node is already there. Used by the image's HEALTHCHECK (/health/ready), docker-compose's
 * health checks, and the Kubernetes preStop hook (/primary: "am I the primary?").
 * The node listens on KEEL_HTTP_HOST:KEEL_HTTP_PORT; the probe runs inside the same container,
 * so it asks 127.0.0.1 unless KEEL_HTTP_HOST names one specific address.
 */
const path = process.argv[2] ?? '/health/ready';
const port = process.env.KEEL_HTTP_PORT || '8080';
const configuredHost = process.env.KEEL_HTTP_HOST || '127.0.0.1';
const host = configuredHost === '0.0.0.0' || configuredHost === '::' ? '127.0.0.1' : configuredHost;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2500) });
  const body = (await response.text()).trim().slice(0, 300);
  if (response.ok) process.exit(0);
  process.stderr.write(`probe: ${url} answered ${response.status}: ${body}\n`);
  process.exit(1);
} catch (error) {
  process.stderr.write(
    `probe: ${url} unreachable: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
