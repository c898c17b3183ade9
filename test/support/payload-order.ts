/**
 * The order of a parsed telegram's keys as people read it (issue 13): time and power first, then
 * energy, phases, the other registers, M-Bus, identification, and `units`, `obis`, `crc`,
 * `warnings` last. Written from the rules, not from the parser's tables, so a test can catch the
 * parser breaking them; used by the protocol test over the corpus and by the debug-sidebar test.
 */

/** The sections of the payload, in the order a user reads them. */
export enum Section {
  Headline,
  Energy,
  Phases,
  Other,
  Mbus,
  Identification,
  Last,
}

/** The headline: `timestamp` first, then these in any order. */
const HEADLINE = ['powerDelivered', 'powerReturned', 'powerNet', 'averageDemand', 'peakDemandMonth', 'peakDemandMonthTime', 'tariff'];
/** Sections whose keys come in this order (each one only if the meter sends it). */
const MBUS = ['gas', 'water', 'heat', 'mbus'];
const IDENTITY = ['header', 'manufacturer', 'model', 'profile', 'version', 'equipmentId'];
export const LAST = ['units', 'obis', 'crc', 'warnings'];
/** Identification fields after IDENTITY, in any order. */
const OTHER_IDS = ['p1Version', 'emucsVersion', 'serialNumber', 'eanCode', 'logicalDeviceName', 'meterNumber', 'manufacturerSerial'];

export function sectionOf(key: string): Section {
  if (key === 'timestamp' || HEADLINE.includes(key)) return Section.Headline;
  if (LAST.includes(key)) return Section.Last;
  if (MBUS.includes(key)) return Section.Mbus;
  if (IDENTITY.includes(key) || OTHER_IDS.includes(key) || key.startsWith('firmware')) return Section.Identification;
  if (key.includes('nergy')) return Section.Energy;
  if (/L[123]$/.test(key)) return Section.Phases;
  return Section.Other;
}

/** Everything in `keys` that breaks the section rules; empty when the order is right. */
export function orderProblems(keys: string[]): string[] {
  const problems: string[] = [];
  const sections = keys.map(sectionOf);
  for (let i = 1; i < keys.length; i++) {
    if (sections[i] < sections[i - 1]) problems.push(`${keys[i]} (${Section[sections[i]]}) comes after ${keys[i - 1]} (${Section[sections[i - 1]]})`);
  }
  if (keys[0] !== 'timestamp') problems.push(`the first key is ${keys[0]}, not timestamp`);
  for (const fixed of [MBUS, LAST]) {
    const present = keys.filter((k) => fixed.includes(k));
    const expected = fixed.filter((k) => keys.includes(k));
    if (present.join() !== expected.join()) problems.push(`${present.join(', ')} should read ${expected.join(', ')}`);
  }
  // The parser always sets all of IDENTITY (equipmentId and version may be null).
  const identityFirst = keys.filter((k) => sectionOf(k) === Section.Identification).slice(0, IDENTITY.length);
  if (identityFirst.join() !== IDENTITY.join()) problems.push(`identification starts ${identityFirst.join(', ')}, not ${IDENTITY.join(', ')}`);
  return problems;
}
