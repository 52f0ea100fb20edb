/**
 * Testing: run any topology in-process with no broker (pipe input, read output and stores,
 * advance time).
 */
export { TopologyTestDriver, TestInputTopic, TestOutputTopic } from './topology-test-driver.js';
export type { TopologyTestDriverOptions, ProducedRecord } from './topology-test-driver.js';
