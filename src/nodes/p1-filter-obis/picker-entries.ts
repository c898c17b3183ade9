/**
 * What the editor's value picker offers: the device shortcuts `gas`, `water` and `heat` first,
 * then every registry code with its friendly name, English label and unit. The shortcuts are
 * selection aliases, not registry rows: obis-selection.ts resolves them through `payload.gas`
 * etc., the M-Bus device of that kind whatever its channel, so they have no single code.
 */
import { OBIS_REGISTRY, type ObisDefinition } from '../../protocol/obis-registry';

export interface PickerEntry {
  name: string;
  /** Reduced OBIS code; absent for the device shortcuts. */
  code?: string;
  /** English label; the editor shows the localised one from its message catalog when there is one. */
  label: string;
  unit?: string;
}

export const DEVICE_SHORTCUTS: readonly PickerEntry[] = [
  { name: 'gas', label: 'Gas meter reading (any M-Bus channel)', unit: 'm3' },
  { name: 'water', label: 'Water meter reading (any M-Bus channel)', unit: 'm3' },
  { name: 'heat', label: 'Heat meter reading (any M-Bus channel)', unit: 'GJ' },
];

/** The picker's list, shortcuts first (typing `gas` should offer `gas` before any M-Bus code). */
export function pickerEntries(registry: readonly ObisDefinition[] = OBIS_REGISTRY): PickerEntry[] {
  return [...DEVICE_SHORTCUTS, ...registry.map(({ name, code, label, unit }) => ({ name, code, label, unit }))];
}
