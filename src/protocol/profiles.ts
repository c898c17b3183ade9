import type { MeterProfile, ObisObject } from './types';

/**
 * The meter profiles as data: how each country or vendor is recognised and what it changes.
 * Adding a country is one entry here plus its rows in obis-registry.ts (rows that mean something
 * else there carry `profiles: [name]`: those are the profile's overrides). docs/protocol.md §4.
 */
export interface ProfileEntry {
  name: MeterProfile;
  /** Manufacturer flags (the header's first three letters, any case) that name this profile. */
  manufacturers: readonly string[];
  /** Codes of which any one, when present, names this profile (a version line, an id line). */
  anyCode?: readonly string[];
  /** Codes that name this profile when all are present. */
  allCodes?: readonly string[];
  /** Registers whose unit names this profile (Austrian meters count Wh, not kWh). */
  unitOf?: { codes: readonly string[]; unit: string };
  /** An IEC 62056-21 group F on the ids (`1-0:1.8.0*255`) names this profile. */
  iecSuffix?: boolean;
  /** The version to state for a telegram without version line and without CRC. */
  versionWithoutCrc?: string;
}

/** In order: the first entry that recognises a telegram is its profile; the last one matches any. */
export const PROFILES: readonly ProfileEntry[] = [
  { name: 'emucs', manufacturers: ['FLU'], anyCode: ['0-0:96.1.4'] },
  { name: 'smarty', manufacturers: ['LUX'] },
  { name: 'lithuania', manufacturers: ['ESO'] },
  { name: 'sweden', manufacturers: ['KAM', 'LGF', 'ELL'] },
  { name: 'austria', manufacturers: ['EST'], unitOf: { codes: ['1-0:1.8.0', '1-0:1.8.1'], unit: 'Wh' } },
  { name: 'hungary', manufacturers: [], allCodes: ['0-0:42.0.0', '1-0:1.8.3'] },
  { name: 'iec62056', manufacturers: ['ESY'], iecSuffix: true },
  // Netherlands, DSMR 2.2 – 5: without version line and CRC a telegram is DSMR 2.2/3 (they look the same on the wire).
  { name: 'dsmr', manufacturers: [], versionWithoutCrc: '2.2/3.0' },
];

/** The profile of a telegram from its manufacturer flag and the lines it carries. */
export function recogniseProfile(manufacturer: string, obis: Record<string, ObisObject>, sawIecSuffix: boolean): ProfileEntry {
  const flag = manufacturer.toUpperCase();
  const recognises = (entry: ProfileEntry): boolean =>
    entry.manufacturers.includes(flag) ||
    (entry.anyCode?.some((code) => obis[code] !== undefined) ?? false) ||
    (entry.allCodes?.every((code) => obis[code] !== undefined) ?? false) ||
    (entry.unitOf?.codes.some((code) => obis[code]?.unit === entry.unitOf?.unit) ?? false) ||
    (entry.iecSuffix === true && sawIecSuffix);
  return PROFILES.find(recognises) ?? PROFILES[PROFILES.length - 1];
}
