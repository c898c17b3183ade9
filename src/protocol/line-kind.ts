import { bytesOf } from './ascii-bytes';
import { LineMemo } from './line-memo';
import { hasProfileVariants, lookupObis, type ObisDefinition } from './obis-registry';

/**
 * What the parser needs to know about an OBIS id, worked out once per distinct id and then
 * found again by the id's numeric value: no substring, no string hashing, no registry lookup
 * per line after the first telegram.
 */
export interface LineKind {
  /** Reduced id `A-B:C.D.E` as sent (the key in `obis`). */
  readonly key: string;
  /** `key` as bytes (ids are ASCII), for the parser's byte comparisons. */
  readonly keyBytes: Uint8Array;
  /** Value groups A and B of the id (for matching a cached kind by numbers). */
  readonly a: number;
  readonly b: number;
  /** General registry meaning; profile-specific meanings are resolved later when `profileVariants`. */
  readonly definition: ObisDefinition | undefined;
  readonly profileVariants: boolean;
  /** How value groups decode: the registry kind, or `unknown` for codes nobody mapped. */
  readonly decoding: ObisDefinition['kind'] | 'unknown';
  /** M-Bus channel for `0-n:…` ids (n ≠ 0), else 0. */
  readonly channel: number;
  /** DSMR 2.2/3 hourly profile (`0-n:24.3.0`, `24.3.1`): value on the continuation line. */
  readonly hourlyProfile: boolean;
  /** Index of the value in the derived-value inputs (`DERIVED_INPUTS`), or -1. */
  readonly derivedInput: number;
  /** Number of the last telegram scan that read this id (finds duplicate lines without a lookup). */
  lastTelegram: number;
  /** The line that followed this one last time: the parser's first guess for the next line. */
  next: LineKind | undefined;
  /**
   * This id's last clean line, as sent and decoded (see line-memo.ts). Only for ids in the registry:
   * they are few, so the remembered raw strings (slices of recent telegrams) keep little memory alive.
   */
  readonly memo: LineMemo | undefined;
}

/** Registry names whose values feed `powerNet` and the tariff sums. */
export const DERIVED_INPUTS = [
  'powerDelivered',
  'powerReturned',
  'energyDeliveredTariff1',
  'energyDeliveredTariff2',
  'energyDeliveredTariff3',
  'energyDeliveredTariff4',
  'energyReturnedTariff1',
  'energyReturnedTariff2',
  'energyReturnedTariff3',
  'energyReturnedTariff4',
] as const;

const MAX_CACHED_KINDS = 4096;
/** Kinds by `C.D.E` packed into a small integer; ids differing only in `A-B` share a bucket. */
const kindsByCde = new Map<number, LineKind[]>();
let cachedKinds = 0;

/**
 * The kind of the id `text[start, end)` = `A-B:C.D.E`, whose fields the caller has read as
 * numbers (each < 1000). Found by numbers first, so a known id costs no substring and no hashing.
 */
export function lineKindFor(text: string, start: number, end: number, a: number, b: number, cde: number): LineKind {
  let bucket = kindsByCde.get(cde);
  if (bucket !== undefined) {
    for (let i = 0; i < bucket.length; i++) {
      const kind = bucket[i];
      if (kind.a === a && kind.b === b && sameText(kind.key, text, start, end)) return kind;
    }
  }
  const key = text.slice(start, end);
  const definition = lookupObis(key);
  const channel = a === 0 ? b : 0;
  const kind: LineKind = {
    key,
    keyBytes: bytesOf(key),
    a,
    b,
    definition,
    profileVariants: hasProfileVariants(key),
    decoding: definition ? definition.kind : 'unknown',
    channel,
    hourlyProfile: definition?.name === 'mbusHourlyReading' || definition?.name === 'mbusColdReading',
    derivedInput: channel === 0 && definition ? (DERIVED_INPUTS as readonly string[]).indexOf(definition.name) : -1,
    lastTelegram: 0,
    next: undefined,
    memo: definition ? new LineMemo() : undefined,
  };
  // Ids come from meters, so the set is small; a stream of garbage ids must not grow it forever.
  if (cachedKinds >= MAX_CACHED_KINDS) {
    kindsByCde.clear();
    cachedKinds = 0;
    bucket = undefined;
  }
  if (bucket === undefined) kindsByCde.set(cde, (bucket = []));
  bucket.push(kind);
  cachedKinds++;
  return kind;
}

/** Leading zeros (`01-0:…`) give the same numbers as `1-0:…`; the cached key must match the text too. */
function sameText(key: string, text: string, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}
