/**
 * Prometheus metrics through prom-client: Node's default process metrics plus the node's own
 * (keel_ prefix, units in names, _total for counters). Values are read from the engine's
 * status at scrape time, so nothing is counted twice and cores never import prom-client.
 * Exports: NodeMetrics.
 */
import type { Engine } from '@keel/node-core';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export class NodeMetrics {
  private readonly registry = new Registry();

  constructor(engine: Engine) {
    collectDefaultMetrics({ register: this.registry });
    const status = () => engine.status();
    new Gauge({
      name: 'keel_connections',
      help: 'Client sessions currently open',
      registers: [this.registry],
      collect() {
        this.set(status().sessions);
      },
    });
    new Gauge({
      name: 'keel_transactions_active',
      help: 'Transactions currently open',
      registers: [this.registry],
      collect() {
        this.set(status().activeTransactions);
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
