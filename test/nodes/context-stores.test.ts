/**
 * Which context stores keep p1-energy's totals over a restart, read from settings.js the way
 * Node-RED reads its `contextStorage` (aliases, the first store as default, the memory module).
 */
import { strict as assert } from 'node:assert';
import { describeStores, isPersistentStore } from '../../src/nodes/p1-energy/context-stores';

describe('nodes/p1-energy/context-stores', () => {
  it('has no persistent store without a contextStorage setting', () => {
    assert.equal(isPersistentStore(undefined, undefined), false);
    assert.deepEqual(describeStores(undefined), [{ name: '', persistent: false }]);
  });

  it('follows a default that names another store, and the first store when there is no default', () => {
    const aliased = { default: 'file', memory: { module: 'memory' }, file: { module: 'localfilesystem' } };
    assert.equal(isPersistentStore(aliased, undefined), true);
    assert.equal(isPersistentStore(aliased, 'memory'), false);
    assert.deepEqual(describeStores(aliased), [
      { name: '', persistent: true },
      { name: 'memory', persistent: false },
      { name: 'file', persistent: true },
    ]);
    assert.equal(isPersistentStore({ file: { module: 'localfilesystem' }, memory: { module: 'memory' } }, undefined), true);
    assert.equal(isPersistentStore({ memory: { module: 'memory' }, file: { module: 'localfilesystem' } }, undefined), false);
  });

  it('takes an unknown store name for the default store, as Node-RED does', () => {
    const config = { default: { module: 'localfilesystem' } };
    assert.equal(isPersistentStore(config, 'typo'), true);
    assert.equal(isPersistentStore({ default: { module: 'memory' } }, 'typo'), false);
  });

  it('counts a custom store module (redis, a module object) as persistent', () => {
    assert.equal(isPersistentStore({ default: { module: 'node-red-context-redis' } }, undefined), true);
    assert.equal(isPersistentStore({ default: { module: {} } }, undefined), true);
  });
});
