import assert from 'node:assert/strict';
import { ObjectShapes } from '../../src/protocol/object-shapes';

describe('ObjectShapes', () => {
  it('builds the same plain object whether the shape is compiled or not', () => {
    const shapes = new ObjectShapes();
    const keys = ['1-0:1.8.1', 'a"b', "it's", 'x\\y', 'n'];
    for (let round = 0; round < 4; round++) {
      const values = [round, { nested: round }, null, 'text', [round]];
      const object = shapes.build(keys, values, keys.length);
      assert.deepEqual(Object.keys(object), keys);
      assert.deepEqual(Object.values(object), values);
      assert.equal(Object.getPrototypeOf(object), Object.prototype);
    }
  });

  it('uses only the first count keys and keeps a repeated key at its first position with the last value', () => {
    const shapes = new ObjectShapes();
    const keys = ['a', 'b', 'a', 'ignored'];
    for (let round = 0; round < 3; round++) assert.deepEqual(JSON.stringify(shapes.build(keys, [1, 2, 3, 4], 3)), '{"a":3,"b":2}');
  });

  it('keeps up with several sequences taking turns', () => {
    const shapes = new ObjectShapes(2);
    const sequences = [['a', 'b'], ['c'], ['d', 'e', 'f']];
    for (let round = 0; round < 5; round++) {
      for (const keys of sequences) {
        const object = shapes.build(keys, keys.map((key) => key + round), keys.length);
        assert.deepEqual(object, Object.fromEntries(keys.map((key) => [key, key + round])));
      }
    }
  });
});
