/**
 * The Processor API: what a node of a topology implements and what it sees of its task.
 */
export { Record } from './record.js';
export type { Headers, RecordMetadata } from './record.js';
export type { Processor, ProcessorSupplier, ProcessorContext, PunctuationType, Punctuator, Cancellable } from './processor.js';
