import { TopologyError } from '../errors.js';
import type { ProcessorSupplier } from '../processor/processor.js';
import type { Serde } from '../serde/serde.js';
import type { StoreBuilder } from '../state/store-builder.js';

/** Picks the output partition for a record; `undefined` lets the producer hash the key. */
export type Partitioner<K, V> = (topic: string, key: K, value: V, partitionCount: number) => number | undefined;

export interface SourceOptions<K, V> {
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /**
   * Share of the task's processing this source gets while several of its topics have records
   * waiting (weighted round-robin; an empty topic's share goes to the others). When every
   * source of a sub-topology has the same weight, records are taken in timestamp order instead.
   */
  readonly weight?: number;
}

export interface SinkOptions<K, V> {
  readonly name: string;
  readonly topic: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly partitioner?: Partitioner<K, V>;
}

export interface SourceNode {
  readonly kind: 'source';
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly weight: number;
}

export interface ProcessorNode {
  readonly kind: 'processor';
  readonly name: string;
  readonly parents: readonly string[];
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  readonly stores: string[];
}

export interface SinkNode {
  readonly kind: 'sink';
  readonly name: string;
  readonly parents: readonly string[];
  readonly topic: string;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly partitioner: Partitioner<unknown, unknown> | undefined;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

/**
 * A connected group of nodes: the unit that becomes one task per input partition. All of its
 * source topics must have the same partition count (checked at start, against the broker).
 */
export interface SubTopology {
  readonly id: number;
  readonly sourceTopics: readonly string[];
  /** Nodes in the order they were added. */
  readonly nodes: readonly TopologyNode[];
  readonly storeNames: readonly string[];
}

/**
 * The graph of sources, processors, sinks and state stores, as in Kafka Streams. Add nodes in
 * any order that names parents before children; `describe()` validates and derives the
 * sub-topologies: two nodes belong to the same one when an edge or a shared store joins them.
 */
export class Topology {
  private readonly nodes = new Map<string, TopologyNode>();
  private readonly storeBuilders = new Map<string, StoreBuilder>();
  private readonly topicsOfSources = new Map<string, string>();

  addSource<K, V>(options: SourceOptions<K, V>): this {
    this.assertNewName(options.name);
    if (options.topics.length === 0) throw new TopologyError(`source "${options.name}" names no topic`);
    const weight = options.weight ?? 1;
    if (!(weight > 0) || !Number.isInteger(weight)) {
      throw new TopologyError(`source "${options.name}" has weight ${weight}; use a positive integer`);
    }
    for (const topic of options.topics) {
      const other = this.topicsOfSources.get(topic);
      if (other) throw new TopologyError(`topic "${topic}" is read by two sources: "${other}" and "${options.name}"`);
      this.topicsOfSources.set(topic, options.name);
    }
    this.nodes.set(options.name, {
      kind: 'source',
      name: options.name,
      topics: [...options.topics],
      keySerde: options.keySerde as Serde<unknown>,
      valueSerde: options.valueSerde as Serde<unknown>,
      weight,
    });
    return this;
  }

  addProcessor<KIn, VIn, KOut, VOut>(
    name: string,
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    ...parentNames: string[]
  ): this {
    this.assertNewName(name);
    this.assertParents(name, parentNames);
    this.nodes.set(name, {
      kind: 'processor',
      name,
      parents: parentNames,
      supplier: supplier as unknown as ProcessorSupplier<unknown, unknown, unknown, unknown>,
      stores: [],
    });
    return this;
  }

  addSink<K, V>(options: SinkOptions<K, V>, ...parentNames: string[]): this {
    this.assertNewName(options.name);
    this.assertParents(options.name, parentNames);
    this.nodes.set(options.name, {
      kind: 'sink',
      name: options.name,
      parents: parentNames,
      topic: options.topic,
      keySerde: options.keySerde as Serde<unknown>,
      valueSerde: options.valueSerde as Serde<unknown>,
      partitioner: options.partitioner as Partitioner<unknown, unknown> | undefined,
    });
    return this;
  }

  /** Adds a store and connects it to the named processors (more can be connected later). */
  addStateStore(builder: StoreBuilder, ...processorNames: string[]): this {
    if (this.storeBuilders.has(builder.name)) throw new TopologyError(`store "${builder.name}" is added twice`);
    this.storeBuilders.set(builder.name, builder);
    this.connectProcessorAndStateStores(...processorNames.map((p) => [p, builder.name] as const));
    return this;
  }

  connectProcessorAndStateStores(...pairs: (readonly [processorName: string, storeName: string])[]): this {
    for (const [processorName, storeName] of pairs) {
      const node = this.nodes.get(processorName);
      if (!node) throw new TopologyError(`store "${storeName}" is connected to unknown processor "${processorName}"`);
      if (node.kind !== 'processor') throw new TopologyError(`store "${storeName}" is connected to ${node.kind} "${processorName}"; only processors have stores`);
      if (!this.storeBuilders.has(storeName)) throw new TopologyError(`processor "${processorName}" is connected to unknown store "${storeName}"`);
      if (!node.stores.includes(storeName)) node.stores.push(storeName);
    }
    return this;
  }

  storeBuilder(name: string): StoreBuilder | undefined {
    return this.storeBuilders.get(name);
  }

  node(name: string): TopologyNode | undefined {
    return this.nodes.get(name);
  }

  /** Children of a node, in the order they were added (forward order). */
  childrenOf(name: string): TopologyNode[] {
    const children: TopologyNode[] = [];
    for (const node of this.nodes.values()) {
      if (node.kind !== 'source' && node.parents.includes(name)) children.push(node);
    }
    return children;
  }

  /** Every topic written by a sink. */
  sinkTopics(): string[] {
    return [...new Set([...this.nodes.values()].flatMap((n) => (n.kind === 'sink' ? [n.topic] : [])))];
  }

  /** Validates the graph and derives its sub-topologies. Throws `TopologyError` naming the node. */
  describe(): SubTopology[] {
    const all = [...this.nodes.values()];
    if (!all.some((n) => n.kind === 'source')) throw new TopologyError('the topology has no source');
    for (const name of this.storeBuilders.keys()) {
      if (!all.some((n) => n.kind === 'processor' && n.stores.includes(name))) {
        throw new TopologyError(`store "${name}" is not connected to any processor`);
      }
    }
    // Parents are declared before children, so the graph cannot have a cycle; keep the check
    // anyway because connect calls and future mutation paths could introduce one.
    this.assertAcyclic();

    // Union-find over nodes: edges and shared stores join groups.
    const parent = new Map<string, string>(all.map((n) => [n.name, n.name]));
    const find = (x: string): string => {
      let root = x;
      while (parent.get(root) !== root) root = parent.get(root)!;
      parent.set(x, root);
      return root;
    };
    const union = (a: string, b: string): void => {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(ra, rb);
    };
    const storeOwner = new Map<string, string>();
    for (const node of all) {
      if (node.kind !== 'source') for (const p of node.parents) union(node.name, p);
      if (node.kind === 'processor') {
        for (const store of node.stores) {
          const owner = storeOwner.get(store);
          if (owner) union(node.name, owner);
          else storeOwner.set(store, node.name);
        }
      }
    }
    const groups = new Map<string, TopologyNode[]>();
    for (const node of all) {
      const root = find(node.name);
      const group = groups.get(root) ?? [];
      group.push(node);
      groups.set(root, group);
    }
    const result: SubTopology[] = [];
    for (const nodes of groups.values()) {
      const sources = nodes.filter((n): n is SourceNode => n.kind === 'source');
      if (sources.length === 0) {
        throw new TopologyError(`node "${nodes[0]!.name}" is not reachable from any source`);
      }
      const storeNames = [...new Set(nodes.flatMap((n) => (n.kind === 'processor' ? n.stores : [])))];
      result.push({ id: result.length, sourceTopics: sources.flatMap((s) => s.topics), nodes, storeNames });
    }
    return result;
  }

  private assertNewName(name: string): void {
    if (!name) throw new TopologyError('a node needs a name');
    if (this.nodes.has(name)) throw new TopologyError(`node "${name}" is added twice`);
  }

  private assertParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw new TopologyError(`node "${name}" has no parent`);
    for (const p of parents) {
      const node = this.nodes.get(p);
      if (!node) throw new TopologyError(`node "${name}" names unknown parent "${p}"`);
      if (node.kind === 'sink') throw new TopologyError(`node "${name}" names sink "${p}" as parent; sinks have no children`);
      if (p === name) throw new TopologyError(`node "${name}" is its own parent`);
    }
  }

  private assertAcyclic(): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string): void => {
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') throw new TopologyError(`the topology has a cycle through node "${name}"`);
      state.set(name, 'visiting');
      for (const child of this.childrenOf(name)) visit(child.name);
      state.set(name, 'done');
    };
    for (const name of this.nodes.keys()) visit(name);
  }
}
