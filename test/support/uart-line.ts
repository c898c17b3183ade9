/**
 * A bit-level model of a UART line, to make the garbage a real port produces when speed,
 * framing or polarity are wrong: encode bytes as line levels, then decode them as a receiver
 * with other settings would (sampling mid-bit, resynchronising on the next falling edge).
 */
export interface UartFraming {
  dataBits: 7 | 8;
  parity: 'none' | 'even';
  stopBits: 1 | 2;
}

export const FRAMING_8N1: UartFraming = { dataBits: 8, parity: 'none', stopBits: 1 };
export const FRAMING_7E1: UartFraming = { dataBits: 7, parity: 'even', stopBits: 1 };

/** Line levels (1 = mark/idle) with `samplesPerBit` samples per bit; `inverted` flips every level (a P1 line without inverter). */
export function encodeLine(bytes: Uint8Array, framing: UartFraming, samplesPerBit: number, inverted = false): Uint8Array {
  const levels: number[] = [];
  const put = (level: number, bits: number) => {
    for (let i = 0; i < bits * samplesPerBit; i++) levels.push(inverted ? 1 - level : level);
  };
  put(1, 20);
  for (const byte of bytes) {
    put(0, 1);
    let ones = 0;
    for (let bit = 0; bit < framing.dataBits; bit++) {
      const level = (byte >> bit) & 1;
      ones += level;
      put(level, 1);
    }
    if (framing.parity === 'even') put(ones % 2, 1);
    put(1, framing.stopBits);
  }
  put(1, 20);
  return Uint8Array.from(levels);
}

/** The bytes a receiver with `framing` and `samplesPerBit` reads from the line (framing errors ignored, as most drivers do). */
export function decodeLine(levels: Uint8Array, framing: UartFraming, samplesPerBit: number): Buffer {
  const bytes: number[] = [];
  let i = 0;
  while (i < levels.length) {
    if (levels[i] === 1) {
      i++;
      continue;
    }
    let byte = 0;
    let position = i + samplesPerBit * 1.5;
    for (let bit = 0; bit < framing.dataBits; bit++, position += samplesPerBit) {
      const level = levels[Math.floor(position)];
      if (level === undefined) return Buffer.from(bytes);
      byte |= level << bit;
    }
    if (framing.parity === 'even') position += samplesPerBit;
    bytes.push(byte);
    i = Math.floor(position);
    while (i < levels.length && levels[i] === 0) i++; // a held-low line is one long break
  }
  return Buffer.from(bytes);
}

/** `bytes` sent with (`sent`, `sentBaud`) as a receiver at (`read`, `readBaud`) sees them. */
export function receiveAs(bytes: Uint8Array, sent: UartFraming, sentBaud: number, read: UartFraming, readBaud: number, inverted = false): Buffer {
  // Pick a sample rate both speeds divide: 115200 / 9600 = 12.
  const sampleRate = 115200 * 8;
  return decodeLine(encodeLine(bytes, sent, sampleRate / sentBaud, inverted), read, sampleRate / readBaud);
}
