/**
 * The librdkafka adapter (@confluentinc/kafka-javascript, node-rdkafka-style API): the group
 * consumer and producer of a stream thread, and the admin operations tools need.
 */
export { KafkaAdmin } from './admin.js';
export type { TopicSpec } from './admin.js';
