import BTreeModule from 'sorted-btree';

/**
 * The B+ tree class of `sorted-btree`, which is CommonJS with `exports.default`: Node's ESM hands
 * us `module.exports` (the class is on `.default`), while bundler-style interop (the test runner)
 * hands us the class itself. Both resolve to the class here.
 */
type BTreeClass = typeof BTreeModule.default;
const loaded = BTreeModule as unknown as { default?: BTreeClass };
export const SortedTree: BTreeClass = loaded.default ?? (BTreeModule as unknown as BTreeClass);

/** A sorted map from latin1 key strings (byte order) to `V`. */
export type SortedTree<V> = InstanceType<typeof BTreeModule.default<string, V>>;
