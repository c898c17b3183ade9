/**
 * Fast construction of plain objects whose keys recur from one telegram to the next.
 *
 * A meter sends the same lines in the same order every time, so `obis`, `units` and the
 * telegram's own fields have the same keys in the same order in every result. Adding 40
 * properties one by one costs a keyed store with a map transition each (~50 ns); an object
 * literal with the same keys costs a few ns in total. So once a key sequence has come twice
 * (among the last few sequences), a function returning that literal is compiled for it (keys
 * are embedded with JSON.stringify, so any key text is safe) and used while the sequence keeps
 * coming. Sequences seen once (garbage input) are never compiled; only a few shapes are kept.
 */
export class ObjectShapes {
  private readonly compiled: Array<{ keys: string[]; build: (values: readonly unknown[]) => Record<string, unknown> }> = [];
  /** Sequences seen once and not compiled yet (several meters may take turns). */
  private readonly seenOnce: string[][] = [];

  constructor(private readonly capacity = 8) {}

  /** A plain object with `keys[i]: values[i]` for i < count, in that order (a repeated key keeps its first position, last value). */
  build(keys: readonly string[], values: readonly unknown[], count: number): Record<string, unknown> {
    for (let s = 0; s < this.compiled.length; s++) {
      const shape = this.compiled[s];
      if (sameKeys(shape.keys, keys, count)) return shape.build(values);
    }
    const seen = this.seenOnce.findIndex((known) => sameKeys(known, keys, count));
    if (seen >= 0) {
      this.seenOnce.splice(seen, 1);
      return this.compile(keys, count)(values);
    }
    if (this.seenOnce.length >= this.capacity) this.seenOnce.shift();
    this.seenOnce.push(keys.slice(0, count));
    const object: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) object[keys[i]] = values[i];
    return object;
  }

  private compile(keys: readonly string[], count: number): (values: readonly unknown[]) => Record<string, unknown> {
    const own = keys.slice(0, count);
    const body = 'return {' + own.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ') + '};';
    const build = new Function('v', body) as (values: readonly unknown[]) => Record<string, unknown>;
    if (this.compiled.length >= this.capacity) this.compiled.shift();
    this.compiled.push({ keys: own, build });
    return build;
  }
}

function sameKeys(known: readonly string[], keys: readonly string[], count: number): boolean {
  if (known.length !== count) return false;
  for (let i = 0; i < count; i++) if (known[i] !== keys[i]) return false;
  return true;
}
