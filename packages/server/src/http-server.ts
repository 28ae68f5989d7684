/**
 * The node's HTTP endpoints, in the style load balancers and Kubernetes expect (Patroni's):
 *   GET /health/live   200 while the process serves requests at all
 *   GET /health/ready  200 when the node accepts SQL sessions, 503 while starting or stopping
 *   GET /metrics       Prometheus text format (prom-client)
 *   GET /cluster       the node's view of the cluster as JSON
 *   GET /primary, /replica[?lag=BYTES]   Patroni's role checks (provider.roleCheck)
 *   POST/DELETE /cluster/...             operator commands (provider.admin, cluster/admin-api.ts,
 *                                        which owns their guard); bodies are JSON, at most 64 KiB
 * GET handlers only read state through the provider; nothing here changes the database itself.
 * Exports: startHttpServer, HttpStatusProvider, HttpServerHandle.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminRequest, AdminResponse } from './cluster/admin-api.js';
import type { Logger } from './logger.js';

export interface HealthVerdict {
  ok: boolean;
  /** Why the node is not ok, or a short state summary when it is. */
  reason: string;
  details?: Record<string, unknown>;
}

export interface HttpStatusProvider {
  live(): HealthVerdict;
  ready(): HealthVerdict;
  /** Additional Patroni-style role endpoints (/primary, /replica); null when the path is unknown. */
  roleCheck(path: string, query: URLSearchParams): HealthVerdict | null;
  cluster(): Record<string, unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Operator commands (POST, DELETE); null when the path is not one. */
  admin?(request: AdminRequest): Promise<AdminResponse | null>;
}

const maxBodyBytes = 64 * 1024;

async function readJsonBody(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBodyBytes) throw new RangeError(`request body over ${maxBodyBytes} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? {} : JSON.parse(text);
}

export interface HttpServerHandle {
  port: number;
  close(): Promise<void>;
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function sendVerdict(response: http.ServerResponse, verdict: HealthVerdict): void {
  sendJson(response, verdict.ok ? 200 : 503, {
    status: verdict.ok ? 'ok' : 'unavailable',
    reason: verdict.reason,
    ...verdict.details,
  });
}

export async function startHttpServer(
  host: string,
  port: number,
  provider: HttpStatusProvider,
  logger: Logger,
): Promise<HttpServerHandle> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const work =
      request.method === 'GET' || request.method === 'HEAD'
        ? handle(url, response, provider)
        : handleCommand(url, request, response, provider);
    work.catch((error: unknown) => {
      logger.error({ err: error, path: url.pathname }, 'HTTP handler failed');
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handleCommand(
  url: URL,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  provider: HttpStatusProvider,
): Promise<void> {
  if ((request.method !== 'POST' && request.method !== 'DELETE') || provider.admin === undefined) {
    sendJson(response, 405, { error: 'method not allowed' });
    return;
  }
  let body: unknown;
  try {
    body = await readJsonBody(request);
  } catch (error) {
    sendJson(response, 400, {
      error: `bad request body: ${error instanceof Error ? error.message : String(error)}`,
    });
    return;
  }
  const answer = await provider.admin({
    method: request.method,
    path: url.pathname,
    body,
    remoteAddress: request.socket.remoteAddress ?? '',
    authorization: request.headers.authorization,
  });
  if (answer === null) sendJson(response, 404, { error: `no endpoint ${request.method} ${url.pathname}` });
  else sendJson(response, answer.status, answer.body);
}

async function handle(url: URL, response: http.ServerResponse, provider: HttpStatusProvider): Promise<void> {
  switch (url.pathname) {
    case '/health/live':
    case '/liveness':
      sendVerdict(response, provider.live());
      return;
    case '/health/ready':
    case '/readiness':
      sendVerdict(response, provider.ready());
      return;
    case '/cluster':
      sendJson(response, 200, provider.cluster());
      return;
    case '/metrics': {
      const { contentType, body } = await provider.metrics();
      response.writeHead(200, { 'content-type': contentType });
      response.end(body);
      return;
    }
    default: {
      const verdict = provider.roleCheck(url.pathname, url.searchParams);
      if (verdict === null) sendJson(response, 404, { error: `no endpoint ${url.pathname}` });
      else sendVerdict(response, verdict);
    }
  }
}
