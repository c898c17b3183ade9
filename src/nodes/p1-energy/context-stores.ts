/**
 * Which Node-RED context stores keep their data over a restart, read from the `contextStorage`
 * setting. p1-energy warns (in the log and in its dialog) when its totals live in memory only.
 */

/** `settings.js` → `contextStorage`: store name → `{ module, config }`, or the name of another store (an alias such as `default: "file"`). */
export interface ContextStorageSettings {
  [store: string]: string | { module?: unknown };
}

/** Store name → does it survive a restart? The default store is listed as '' first. */
export function describeStores(config: ContextStorageSettings | undefined): Array<{ name: string; persistent: boolean }> {
  const names = config ? Object.keys(config).filter((name) => name !== 'default' || typeof config.default !== 'string') : [];
  return [{ name: '', persistent: isPersistentStore(config, undefined) }, ...names.map((name) => ({ name, persistent: isPersistentStore(config, name) }))];
}

/**
 * Whether a store keeps data over a restart: anything but Node-RED's `memory` module. Without a
 * `contextStorage` setting every store is memory; the default store is `default` (which may name
 * another store) or else the first one listed.
 */
export function isPersistentStore(config: ContextStorageSettings | undefined, store: string | undefined): boolean {
  if (!config || Object.keys(config).length === 0) return false;
  let entry = config[store ?? 'default'] ?? (store === undefined ? config[Object.keys(config)[0]] : undefined);
  if (typeof entry === 'string') entry = config[entry];
  if (entry === undefined) return isPersistentStore(config, undefined);
  const module = typeof entry === 'object' && entry !== null ? entry.module : undefined;
  return module !== undefined && module !== 'memory';
}
