/**
 * Decoding of single value fields of a telegram line, working on index ranges of the
 * telegram text so that no substring is made before it is needed.
 */

/** Exact powers of ten (all below 2^53), so that `mantissa / POW10[k]` rounds only once. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The decimal in `text[start, end)` (`000671.578`, `-00.024`, `2147583646`) as the nearest
 * double, or NaN when the range is not a plain decimal. Up to 15 significant digits are read
 * as an integer mantissa divided by an exact power of ten (one correctly rounded division);
 * longer numbers go through `Number`.
 */
export function parseDecimal(text: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let decimals = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      if (significant > 0 || c !== 48) significant++;
      mantissa = mantissa * 10 + (c - 48);
      if (decimals >= 0) decimals++;
    } else if (c === 46 /* . */ && decimals < 0) {
      decimals = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0) return NaN;
  if (significant > 15 || decimals > 15) return Number(text.slice(start, end));
  const value = decimals > 0 ? mantissa / POW10[decimals] : mantissa;
  return negative && value !== 0 ? -value : value;
}

/** Number of digits after the decimal point in a number as sent (`00.193` → 3). */
export function decimalPlaces(raw: string): number {
  const star = raw.indexOf('*');
  const end = star < 0 ? raw.length : star;
  const dot = raw.indexOf('.');
  return dot < 0 || dot > end ? 0 : end - dot - 1;
}

/** `a + sign * b` for decimals with `places` decimals, computed on scaled integers so no float noise appears. */
export function addDecimals(a: number, b: number, places: number, sign = 1): number {
  const scale = POW10[Math.min(places, 15)];
  return (Math.round(a * scale) + sign * Math.round(b * scale)) / scale;
}

/**
 * Canonical unit spellings. Meters write the same unit in several cases (`kWh`, `kwh`,
 * `kVArh`, `kvarh`), so units match case-insensitively and come out as written here.
 */
const CANONICAL_UNITS = [
  'kWh',
  'kW',
  'V',
  'A',
  'm3',
  's',
  'kvarh',
  'kvar',
  'kVA',
  'Wh',
  'W',
  'varh',
  'var',
  'Hz',
  'GJ',
  'dm3',
  'VA',
  'kVAh',
  'VAh',
  'MWh',
  'MW',
  'MJ',
  'l',
  'min',
  'h',
];

/** The canonical spelling of the unit in `text[start, end)`; unknown units are returned as sent. */
export function canonicalUnit(text: string, start: number, end: number): string {
  const length = end - start;
  for (let u = 0; u < CANONICAL_UNITS.length; u++) {
    const unit = CANONICAL_UNITS[u];
    if (unit.length !== length) continue;
    let i = 0;
    while (i < length && (unit.charCodeAt(i) | 0x20) === (text.charCodeAt(start + i) | 0x20)) i++;
    if (i === length) return unit;
  }
  return text.slice(start, end);
}

/**
 * The text an octet string `text[start, end)` encodes (`4530303334` → `E0034`), or `undefined`
 * when the range is not an even number of hex digits or decodes to control characters
 * (anonymised ids such as `serienummer`, binary ids). Latin-1, as the meters send bytes.
 */
export function decodeHexText(text: string, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 0 || (length & 1) !== 0) return undefined;
  let decoded = '';
  for (let i = start; i < end; i += 2) {
    const high = hexValue(text.charCodeAt(i));
    const low = hexValue(text.charCodeAt(i + 1));
    if (high < 0 || low < 0) return undefined;
    const byte = (high << 4) | low;
    if (!isPrintable(byte)) return undefined;
    decoded += String.fromCharCode(byte);
  }
  return decoded;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

function isPrintable(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f) || byte >= 0xa0 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
