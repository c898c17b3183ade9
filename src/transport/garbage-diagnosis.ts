/**
 * Why bytes from a serial port make no telegram: a guess from a sample, for the status line.
 * Pure; no I/O.
 *
 * - `text`: printable lines arrive but never a complete telegram (not a P1 meter, or cut off).
 * - `parity`: 7-bit text with the top bit set on some bytes: the meter sends 7E1 (DSMR 2.2/3)
 *   and the port reads 8 data bits.
 * - `inverted`: the P1 data line is open-collector and inverted; without an inverter a UART sees
 *   either bytes whose bitwise inverse is text, or (8 data bits) nearly every byte with the
 *   top bit set, because it synchronises on the wrong edges and reads the inverted idle level
 *   as data. Measured with a bit-level UART model: ≥ 93 % at the right speed, ≤ 66 % at a wrong one.
 *   With 7 data bits (an inverted DSMR 2.2/3 line read at 9600 7E1) the UART mostly starts on the
 *   inverted stop bit, so it reads the inverted start bit as bit 0 and the inverted character
 *   shifted one place up: `((~b >> 1) & 0x3f)` gives back the low six bits of the text. Digits
 *   come back that way in ≥ 26 % of the bytes of a real telegram, ≤ 10 % at a wrong speed.
 * - `wrong-framing`: anything else — the usual result of a wrong baud rate.
 */
export type GarbageKind = 'text' | 'parity' | 'inverted' | 'wrong-framing';

export interface GarbageDiagnosis {
  kind: GarbageKind;
  /** Short, for a node status: "signal looks inverted: the P1 data line needs an inverter". */
  message: string;
}

const MESSAGES: Record<GarbageKind, string> = {
  text: 'text but no complete telegram: not a P1 meter, or telegrams are cut off',
  parity: 'parity bits in the data: the meter sends 7E1 (DSMR 2.2/3), use 9600 7E1',
  inverted: 'signal looks inverted: the P1 data line needs an inverter',
  'wrong-framing': 'wrong speed or framing',
};

/** Share of bytes with the top bit set above which an 8-bit sample points at an inverted line. */
const INVERTED_HIGH_BIT_SHARE = 0.85;
/** Share of bytes with the top bit set from which 7-bit text points at a parity bit read as data. */
const PARITY_HIGH_BIT_SHARE = 0.2;
/** Share of 7-bit bytes that are inverted, shifted digits from which a 7E1 sample points at an inverted line. */
const INVERTED_7BIT_DIGIT_SHARE = 0.18;
/** Share of printable characters (plus CR/LF/TAB) for a sample to count as text. */
const TEXT_PRINTABLE_SHARE = 0.9;

/** Diagnose a sample of bytes that produced no telegram; `dataBits` is how the port reads them. */
export function diagnoseGarbage(sample: Uint8Array, dataBits: 7 | 8 = 8): GarbageDiagnosis {
  const kind = classify(sample, dataBits);
  return { kind, message: MESSAGES[kind] };
}

function classify(sample: Uint8Array, dataBits: 7 | 8): GarbageKind {
  if (looksLikeText(sample, (b) => b)) return 'text';
  // A parity bit read as data sets the top bit on about half the characters; the rest is telegram text.
  if (dataBits === 8 && highBitShare(sample) >= PARITY_HIGH_BIT_SHARE && looksLikeText(sample, (b) => b & 0x7f, true)) return 'parity';
  // A 7-bit sample whose inverse is printable is a wrong speed far more often (small values such
  // as 0x05, 0x0a, 0x10 invert to letters); an inverted 7E1 line is recognised below instead.
  if (dataBits === 8 && looksLikeText(sample, (b) => ~b & 0xff)) return 'inverted';
  if (dataBits === 8 && highBitShare(sample) >= INVERTED_HIGH_BIT_SHARE) return 'inverted';
  if (dataBits === 7 && invertedShiftedDigitShare(sample) >= INVERTED_7BIT_DIGIT_SHARE) return 'inverted';
  return 'wrong-framing';
}

/** An OBIS reference as it starts a data line: `1-0:1.8.1(`. */
const OBIS_REFERENCE = /\d-\d+:\d+\.\d+\.\d+\(/;

function looksLikeText(sample: Uint8Array, transform: (b: number) => number, needsObis = false): boolean {
  if (sample.length === 0) return false;
  const text = Buffer.from(sample.map(transform));
  let printable = 0;
  let lineEnds = 0;
  for (const b of text) {
    if (b === 0x0a || b === 0x0d) lineEnds++;
    if ((b >= 0x20 && b <= 0x7e) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  }
  // Telegram lines are short (mostly under 40 characters): a sample of 64 bytes or more without
  // a single line end is not telegram text.
  const needsLineEnd = sample.length >= 64;
  if (printable / sample.length < TEXT_PRINTABLE_SHARE || (needsLineEnd && lineEnds === 0)) return false;
  return !needsObis || OBIS_REFERENCE.test(text.toString('latin1'));
}

function highBitShare(sample: Uint8Array): number {
  if (sample.length === 0) return 0;
  let high = 0;
  for (const b of sample) if (b & 0x80) high++;
  return high / sample.length;
}

/** Share of bytes that read as an inverted digit shifted past an inverted start bit (see the top of this file). */
function invertedShiftedDigitShare(sample: Uint8Array): number {
  if (sample.length === 0) return 0;
  let digits = 0;
  for (const b of sample) {
    const low6 = (~b >> 1) & 0x3f;
    if (b & 1 && low6 >= 0x30 && low6 <= 0x39) digits++;
  }
  return digits / sample.length;
}
