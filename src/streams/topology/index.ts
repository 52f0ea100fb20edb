/**
 * Topology: the graph of sources, processors, sinks and stores, and its sub-topologies.
 */
export { Topology } from './topology.js';
export type { SourceOptions, SinkOptions, Partitioner, SubTopology, TopologyNode, SourceNode, SinkNode, ProcessorNode } from './topology.js';
