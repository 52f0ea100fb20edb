/**
 * Prometheus metrics per provider (DESIGN F15): sends by outcome, errors by class, send latency,
 * circuit state, in-flight sends, billable units and delivery reports. Without a registry every
 * call is a no-op, so providers never branch on whether metrics are on.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CircuitState } from './guard/circuit-breaker.js';
import type { DeliveryReport, SendResult } from './types.js';

/** Why a send did not succeed, as a metric label. */
export type ErrorClass = 'retryable' | 'permanent' | 'timeout' | 'circuit_open' | 'unregistered';

/** Metric handles bound to one provider's labels. */
export interface ProviderMetrics {
  /** Records a finished send with its latency. */
  observe(result: SendResult, seconds: number, errorClass?: ErrorClass): void;
  /** Records a send refused before reaching the provider (circuit open). */
  refused(errorClass: ErrorClass): void;
  circuit(state: CircuitState): void;
  inFlight(delta: 1 | -1): void;
  deliveryReport(report: DeliveryReport): void;
}

const CIRCUIT_VALUE: Record<CircuitState, number> = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 };

const NOOP: ProviderMetrics = {
  observe: () => undefined,
  refused: () => undefined,
  circuit: () => undefined,
  inFlight: () => undefined,
  deliveryReport: () => undefined,
};

/** Latency buckets from a fast webhook (ms) to a slow carrier (seconds). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Owns the metric families on one registry and hands out per-provider handles. */
export class ChannelMetrics {
  readonly #families: ReturnType<typeof createFamilies> | undefined;

  constructor(registry?: Registry, prefix = 'notify_channel_') {
    this.#families = registry ? createFamilies(registry, prefix) : undefined;
  }

  /** Handles for one provider; cheap label children are resolved once here. */
  forProvider(provider: string, channel: string): ProviderMetrics {
    const f = this.#families;
    if (!f) return NOOP;
    const labels = { provider, channel };
    const sends = {
      ACCEPTED: f.sends.labels({ ...labels, outcome: 'accepted' }),
      RETRYABLE_ERROR: f.sends.labels({ ...labels, outcome: 'retryable_error' }),
      PERMANENT_ERROR: f.sends.labels({ ...labels, outcome: 'permanent_error' }),
    };
    const latency = f.latency.labels(labels);
    const circuit = f.circuit.labels(labels);
    const inFlight = f.inFlight.labels(labels);
    const units = f.units.labels(labels);
    circuit.set(0);
    inFlight.set(0);
    // The per-send counts are plain numbers, added to the metrics when the registry is
    // collected: prom-client hashes the labels on every update, several times per message.
    const pending = { ACCEPTED: 0, RETRYABLE_ERROR: 0, PERMANENT_ERROR: 0, units: 0, inFlight: 0 };
    publishersOf(f.sends).add(() => {
      for (const status of ['ACCEPTED', 'RETRYABLE_ERROR', 'PERMANENT_ERROR'] as const) {
        if (pending[status] > 0) sends[status].inc(pending[status]);
        pending[status] = 0;
      }
      if (pending.units > 0) units.inc(pending.units);
      pending.units = 0;
      inFlight.set(pending.inFlight);
    });
    return {
      observe(result, seconds, errorClass) {
        pending[result.status]++;
        latency.observe(seconds);
        if (result.status === 'ACCEPTED') pending.units += result.billableUnits;
        else f.errors.inc({ ...labels, class: errorClass ?? classify(result) });
      },
      refused(errorClass) {
        pending.RETRYABLE_ERROR++;
        f.errors.inc({ ...labels, class: errorClass });
      },
      circuit(state) {
        circuit.set(CIRCUIT_VALUE[state]);
      },
      inFlight(delta) {
        pending.inFlight += delta;
      },
      deliveryReport(report) {
        f.reports.inc({ provider, status: report.status.toLowerCase() });
      },
    };
  }
}

/** What each provider handle adds to the metrics of a registry when it is collected. */
const publishers = new WeakMap<Counter<string>, Set<() => void>>();

function publishersOf(sends: Counter<string>): Set<() => void> {
  let set = publishers.get(sends);
  if (set === undefined) publishers.set(sends, (set = new Set()));
  return set;
}

/** The `collect` of the per-send metrics: every provider publishes its counts first. */
function collectSends(sends: Counter<string>): void {
  for (const publish of publishersOf(sends)) publish();
}

function classify(result: SendResult): ErrorClass {
  if (result.status === 'PERMANENT_ERROR') return result.unregistered ? 'unregistered' : 'permanent';
  return 'retryable';
}

/** Reuses families already on the registry, so several routers can share one registry. */
function createFamilies(registry: Registry, prefix: string) {
  const reuse = <T>(name: string, make: () => T): T => (registry.getSingleMetric(prefix + name) as T | undefined) ?? make();
  const registers = [registry];
  const sends: Counter<string> = reuse('sends_total', (): Counter<string> => new Counter({
    name: `${prefix}sends_total`,
    help: 'Sends finished per provider, by outcome (accepted, retryable_error, permanent_error).',
    labelNames: ['provider', 'channel', 'outcome'],
    registers,
    collect(this: Counter<string>): void {
      collectSends(this);
    },
  }));
  const collect = (): void => collectSends(sends);
  return {
    sends,
    errors: reuse('errors_total', () => new Counter({
      name: `${prefix}errors_total`,
      help: 'Failed sends per provider by class (retryable, permanent, unregistered, timeout, circuit_open).',
      labelNames: ['provider', 'channel', 'class'],
      registers,
    })),
    latency: reuse('send_duration_seconds', () => new Histogram({
      name: `${prefix}send_duration_seconds`,
      help: 'Time from handing a message to the provider until its answer (excludes rate-limit waits).',
      labelNames: ['provider', 'channel'],
      buckets: LATENCY_BUCKETS,
      registers,
    })),
    circuit: reuse('circuit_state', () => new Gauge({
      name: `${prefix}circuit_state`,
      help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider', 'channel'],
      registers,
    })),
    inFlight: reuse('in_flight', () => new Gauge({
      name: `${prefix}in_flight`,
      help: 'Sends currently waiting for a provider answer.',
      labelNames: ['provider', 'channel'],
      registers,
      collect,
    })),
    units: reuse('billable_units_total', () => new Counter({
      name: `${prefix}billable_units_total`,
      help: 'Billable units (e.g. SMS segments) of accepted sends per provider.',
      labelNames: ['provider', 'channel'],
      registers,
      collect,
    })),
    reports: reuse('delivery_reports_total', () => new Counter({
      name: `${prefix}delivery_reports_total`,
      help: 'Asynchronous delivery reports per provider, by status (delivered, failed).',
      labelNames: ['provider', 'status'],
      registers,
    })),
  };
}
