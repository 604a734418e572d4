/**
 * `/metrics` in the Prometheus text format, behind the token like /api. On each scrape one
 * `system.metrics` operation reads everything in one read transaction (runs and steps by status,
 * the queue, a histogram of how long finished attempts took, tokens and cost by model from the
 * cost ledger, budget headroom as `status` shows it); the numbers come from the store, not from
 * events this process happened to see, so a restart or a second worker never skews them. A fresh
 * prom-client Registry (not the global one) holds the metrics; scrapes are taken one at a time
 * so two never mix their snapshots.
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Runtime } from '../app/runtime.js';
import type { SystemMetrics } from '../core/services/metrics-service.js';
import { findOperation } from '../operations/catalog.js';
import { RUN_STATUSES, STEP_STATUSES } from '../domain/run.js';

type Bucketed = SystemMetrics['stepDuration'];

/**
 * A histogram whose buckets the store counts (prom-client builds one only from single
 * observations): it answers the last snapshot's buckets in prom-client's own shape.
 */
class BucketedHistogram extends Histogram<string> {
  snapshot: Bucketed = { boundsSeconds: [], buckets: [], count: 0, sumSeconds: 0 };
  private readonly names: { name: string; help: string };

  constructor(configuration: { name: string; help: string; registers: Registry[] }) {
    super(configuration);
    this.names = { name: configuration.name, help: configuration.help };
  }

  override async get(): ReturnType<Histogram<string>['get']> {
    const { name, help } = this.names;
    const { boundsSeconds, buckets, count, sumSeconds } = this.snapshot;
    const bucket = `${name}_bucket`;
    return {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      values: [
        ...boundsSeconds.map((le, i) => ({
          metricName: bucket,
          labels: { le },
          value: buckets[i] ?? 0,
        })),
        { metricName: bucket, labels: { le: '+Inf' }, value: count },
        { metricName: `${name}_sum`, labels: {}, value: sumSeconds },
        { metricName: `${name}_count`, labels: {}, value: count },
      ],
    } as unknown as Awaited<ReturnType<Histogram<string>['get']>>;
  }

  /** What the registry renders from, when a metric has it (prom-client's Histogram does). */
  getForPromString() {
    return this.get();
  }
}

export interface MetricsEndpoint {
  readonly contentType: string;
  /** Reads the store and answers the exposition text. */
  scrape(): Promise<string>;
}

export function createMetrics(runtime: Runtime): MetricsEndpoint {
  const registry = new Registry();
  const registers = [registry];
  const runs = new Gauge({
    name: 'bosun_runs',
    help: 'Runs by status',
    labelNames: ['status'],
    registers,
  });
  const steps = new Gauge({
    name: 'bosun_steps',
    help: 'Steps of every run by status',
    labelNames: ['status'],
    registers,
  });
  const queueDepth = new Gauge({
    name: 'bosun_queue_depth',
    help: 'Steps ready to run that no worker has leased yet',
    registers,
  });
  const tokens = new Counter({
    name: 'bosun_tokens_total',
    help: 'Model tokens recorded in the cost ledger, by model and kind (input, output, cached_input)',
    labelNames: ['model', 'kind'],
    registers,
  });
  const cost = new Counter({
    name: 'bosun_cost_usd_total',
    help: 'Spend recorded in the cost ledger, in US dollars, by model',
    labelNames: ['model'],
    registers,
  });
  const headroom = new Gauge({
    name: 'bosun_budget_headroom',
    help: 'What a budget has left now (unit usd or tokens); run budgets, which apply to each run anew, are left out',
    labelNames: ['budget', 'unit'],
    registers,
  });
  const duration = new BucketedHistogram({
    name: 'bosun_step_duration_seconds',
    help: 'How long finished step attempts took',
    registers,
  });

  const operation = findOperation('system.metrics')!;
  const fill = (snapshot: SystemMetrics) => {
    for (const status of RUN_STATUSES) runs.set({ status }, snapshot.runs[status] ?? 0);
    for (const status of STEP_STATUSES) steps.set({ status }, snapshot.steps[status] ?? 0);
    queueDepth.set(snapshot.queueDepth);
    duration.snapshot = snapshot.stepDuration;
    tokens.reset();
    cost.reset();
    for (const row of snapshot.models) {
      tokens.inc({ model: row.key, kind: 'input' }, row.inputTokens);
      tokens.inc({ model: row.key, kind: 'output' }, row.outputTokens);
      tokens.inc({ model: row.key, kind: 'cached_input' }, row.cachedInputTokens);
      cost.inc({ model: row.key }, row.costUsd);
    }
    headroom.reset();
    for (const budget of snapshot.budgets) {
      if (budget.headroomUsd !== null) {
        headroom.set({ budget: budget.name, unit: 'usd' }, budget.headroomUsd);
      }
      if (budget.headroomTokens !== null) {
        headroom.set({ budget: budget.name, unit: 'tokens' }, budget.headroomTokens);
      }
    }
  };

  let last: Promise<unknown> = Promise.resolve();
  return {
    contentType: registry.contentType,
    scrape() {
      const scraped = last.then(async () => {
        fill((await runtime.runner.run(operation, {}, 'metrics')) as SystemMetrics);
        return registry.metrics();
      });
      last = scraped.catch(() => undefined);
      return scraped;
    },
  };
}
