import type { CrcCheck } from './types';

/**
 * CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no xor-out), the checksum of
 * DSMR 4+ telegrams over every byte from `/` through `!`.
 *
 * Slicing-by-8: eight tables, so eight bytes cost eight independent lookups instead of a
 * chain of eight dependent ones (about 4× faster than one lookup per byte).
 * `TABLES[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes.
 */

const SLICES = 8;
const TABLES = buildTables();

function buildTables(): Uint16Array {
  const tables = new Uint16Array(SLICES * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    tables[byte] = crc;
  }
  for (let k = 1; k < SLICES; k++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = tables[(k - 1) * 256 + byte];
      tables[k * 256 + byte] = (previous >>> 8) ^ tables[previous & 0xff];
    }
  }
  return tables;
}

/** Continue a CRC over `bytes[start, end)`; start a new one with `crc = 0`. */
export function crc16Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let i = start;
  for (const stop = end - 7; i < stop; i += 8) {
    // The 16-bit CRC folds into the first two bytes; the other six only pass through their tables.
    const x = crc ^ bytes[i] ^ (bytes[i + 1] << 8);
    crc =
      t[1792 + (x & 0xff)] ^ t[1536 + (x >>> 8)] ^ t[1280 + bytes[i + 2]] ^ t[1024 + bytes[i + 3]] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/**
 * CRC-16/ARC of a latin1 string's char codes (telegram text is 7-bit ASCII; a code above
 * 0xFF counts as its low byte). `end` is clamped to the text's length.
 */
export function crc16String(text: string, start = 0, end = text.length): number {
  // One native copy to bytes, then the byte loop: 3× faster than one `charCodeAt` per character.
  return crc16Update(0, Buffer.from(text.slice(Math.max(start, 0), end), 'latin1'));
}

/** CRC-16/ARC of a whole buffer. */
export function crc16(bytes: Uint8Array): number {
  return crc16Update(0, bytes);
}

/** Four upper-case hex digits, as DSMR prints a CRC. */
export function formatCrc(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Check the CRC of one complete telegram text (`/` … `!XXXX`, trailing bytes ignored).
 * The terminator is the first `!` at the start of a line. LF-only text (CRs lost by a
 * capture tool or a bridge) is also checked as if every LF were CR LF.
 */
export function checkTelegramCrc(text: string): CrcCheck {
  const bang = findTerminator(text);
  if (bang < 0) return { present: false, stated: null, computed: formatCrc(crc16String(text)), valid: null };
  const start = text.indexOf('/');
  const computed = formatCrc(crc16String(text, start, bang + 1));
  const stated = readStatedCrc(text, bang + 1);
  if (stated === null) return { present: false, stated: null, computed, valid: null };
  if (stated === computed) return { present: true, stated, computed, valid: true };
  if (text.indexOf('\r', start) < 0 || text.indexOf('\r', start) > bang) {
    const restored = formatCrc(crc16String(text.slice(start, bang + 1).replace(/\n/g, '\r\n')));
    if (restored === stated) return { present: true, stated, computed: restored, valid: true, restoredCrLf: true };
  }
  return { present: true, stated, computed, valid: false };
}

/** Index of the `!` that ends the telegram: the first `!` at the start of a line. -1 if none. */
export function findTerminator(text: string): number {
  // V8 finds one character ten times faster than the two of '\n!'; a '!' elsewhere is rare.
  let bang = text.indexOf('!');
  while (bang >= 0 && (bang === 0 || text.charCodeAt(bang - 1) !== 10)) bang = text.indexOf('!', bang + 1);
  return bang;
}

/** The 1–4 hex digits after `!`, upper-cased and zero-padded; `null` when none follow. */
export function readStatedCrc(text: string, from: number): string | null {
  let end = from;
  while (end < text.length && end - from < 4 && isHexDigit(text.charCodeAt(end))) end++;
  if (end === from) return null;
  return text.slice(from, end).toUpperCase().padStart(4, '0');
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
