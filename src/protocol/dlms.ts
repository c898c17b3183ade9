/**
 * The framing facts of a DLMS general-glo-ciphering APDU (the encrypted P1 frame of Luxembourg
 * and Austrian meters), shared by the framer, which finds such frames in a byte stream, and
 * decryption, which takes one apart:
 *   DB | 08 | system title (8) | A-XDR length | security byte | frame counter (4) | ciphertext | tag
 */

/** The APDU tag: first byte of an encrypted frame. */
export const GLO_CIPHERING = 0xdb;
export const SYSTEM_TITLE_LENGTH = 8;

/** Whether `first` opens an A-XDR length we accept: the short form (< 0x80), or 0x81/0x82 (one or two length bytes follow). */
export function isAxdrLengthStart(first: number): boolean {
  return first < 0x80 || first === 0x81 || first === 0x82;
}

/**
 * The A-XDR length starting at `bytes[at]` (which must pass `isAxdrLengthStart`) and where the
 * content after it starts; `null` while its length bytes before `end` are not all there.
 */
export function readAxdrLength(bytes: Uint8Array, at: number, end: number): { length: number; contentStart: number } | null {
  if (at >= end) return null;
  const first = bytes[at];
  if (first < 0x80) return { length: first, contentStart: at + 1 };
  const lengthBytes = first & 0x7f;
  if (end < at + 1 + lengthBytes) return null;
  let length = 0;
  for (let k = 1; k <= lengthBytes; k++) length = (length << 8) | bytes[at + k];
  return { length, contentStart: at + 1 + lengthBytes };
}
