import { createDecipheriv } from 'node:crypto';
import { GLO_CIPHERING, SYSTEM_TITLE_LENGTH, isAxdrLengthStart, readAxdrLength } from './dlms';

/**
 * Decrypt a DLMS general-glo-ciphering frame (Luxembourg Smarty and other meters that wrap
 * the DSMR telegram in AES-128-GCM; protocol.md §8):
 *
 *   DB | 08 | system title (8) | A-XDR length | security byte | frame counter (4) | ciphertext | tag (12)
 *
 * IV = system title ‖ frame counter. With security byte 0x30 (authenticated + encrypted) the
 * GCM tag is checked with AAD = security byte ‖ authentication key, so a wrong key or a
 * tampered frame is an error and never yields partial plaintext. 0x20 (encrypted only) has
 * no tag: it is decrypted as GCM's counter mode without authentication, and only the
 * telegram's own CRC guards it.
 */

export type DecryptFailure = 'not-a-frame' | 'truncated' | 'bad-key' | 'auth-failed' | 'unauthenticated' | 'unsupported';

export class DecryptError extends Error {
  constructor(
    readonly reason: DecryptFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DecryptError';
  }
}

export interface DecryptOptions {
  /** Encryption key (EK): 16 bytes, or 32 hex digits. */
  key: string | Uint8Array;
  /** Authentication key (AK): 16 bytes or 32 hex digits; AAD = security byte ‖ AK. */
  authenticationKey?: string | Uint8Array;
  /** Refuse frames without an authentication tag (security byte 0x20) with `DecryptError('unauthenticated')`. */
  requireAuthentication?: boolean;
}

/** The authentication key every Luxembourg Smarty meter uses (LU P1 spec §3.2.5). */
export const LUXEMBOURG_AUTHENTICATION_KEY = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');

const AUTHENTICATED_AND_ENCRYPTED = 0x30;
const ENCRYPTED_ONLY = 0x20;
const FRAME_COUNTER_LENGTH = 4;
const TAG_LENGTH = 12;
const KEY_LENGTH = 16;

/** The plaintext (the DSMR telegram bytes) of one frame; throws `DecryptError`. */
export function decryptFrame(frame: Uint8Array, options: DecryptOptions): Buffer {
  const key = readKey(options.key, 'decryption key');
  const parts = splitFrame(frame);
  if (parts.securityByte === AUTHENTICATED_AND_ENCRYPTED) {
    const candidates =
      options.authenticationKey !== undefined ? [readKey(options.authenticationKey, 'authentication key')] : [LUXEMBOURG_AUTHENTICATION_KEY, null];
    for (const authenticationKey of candidates) {
      const plaintext = openGcm(key, parts, authenticationKey);
      if (plaintext) return plaintext;
    }
    throw new DecryptError('auth-failed', 'encrypted frame failed authentication: wrong decryption or authentication key, or the frame was damaged');
  }
  if (parts.securityByte === ENCRYPTED_ONLY) {
    if (options.requireAuthentication) throw new DecryptError('unauthenticated', 'encrypted frame has no authentication tag (security byte 0x20)');
    return decryptCounterMode(key, parts);
  }
  throw new DecryptError('unsupported', `security control byte 0x${hex2(parts.securityByte)} is not supported (expected 0x30 or 0x20)`);
}

/**
 * A key as 16 bytes: a Uint8Array of 16, or 32 hex digits (spaces, colons and dashes between
 * them are allowed, as people paste keys in many forms). Throws `DecryptError('bad-key')`.
 */
export function readKey(key: string | Uint8Array, what = 'key'): Buffer {
  if (typeof key === 'string') {
    const digits = key.replace(/[\s:-]/g, '');
    if (/^[0-9a-fA-F]{32}$/.test(digits)) return Buffer.from(digits, 'hex');
    throw new DecryptError('bad-key', `${what} must be 32 hexadecimal digits (16 bytes), got ${digits.length} characters`);
  }
  if (key instanceof Uint8Array && key.length === KEY_LENGTH) return Buffer.from(key);
  throw new DecryptError('bad-key', `${what} must be 16 bytes`);
}

interface FrameParts {
  systemTitle: Uint8Array;
  securityByte: number;
  frameCounter: Uint8Array;
  /** Ciphertext, followed by the tag for authenticated frames. */
  payload: Uint8Array;
}

function splitFrame(frame: Uint8Array): FrameParts {
  if (frame.length < 2 || frame[0] !== GLO_CIPHERING) {
    throw new DecryptError('not-a-frame', 'not a DLMS general-glo-ciphering frame (first byte is not 0xDB)');
  }
  // The IV is system title ‖ frame counter: any other title length is not a frame we can open.
  if (frame[1] !== SYSTEM_TITLE_LENGTH) throw new DecryptError('not-a-frame', `system title length ${frame[1]}, expected ${SYSTEM_TITLE_LENGTH}`);
  const titleEnd = 2 + SYSTEM_TITLE_LENGTH;
  if (frame.length <= titleEnd) throw new DecryptError('truncated', 'encrypted frame ends inside its system title');
  if (!isAxdrLengthStart(frame[titleEnd])) throw new DecryptError('not-a-frame', `unsupported A-XDR length form 0x${hex2(frame[titleEnd])}`);
  const axdr = readAxdrLength(frame, titleEnd, frame.length);
  if (!axdr) throw new DecryptError('truncated', 'encrypted frame ends inside its length field');
  const { length, contentStart: at } = axdr;
  if (frame.length < at + length) {
    throw new DecryptError('truncated', `encrypted frame announces ${length} bytes but only ${frame.length - at} follow`);
  }
  if (length < 1 + FRAME_COUNTER_LENGTH) throw new DecryptError('truncated', 'encrypted frame too short for a security header');
  const securityByte = frame[at];
  return {
    systemTitle: frame.subarray(2, titleEnd),
    securityByte,
    frameCounter: frame.subarray(at + 1, at + 1 + FRAME_COUNTER_LENGTH),
    payload: frame.subarray(at + 1 + FRAME_COUNTER_LENGTH, at + length),
  };
}

function initialisationVector(parts: FrameParts): Buffer {
  return Buffer.concat([parts.systemTitle, parts.frameCounter]);
}

/** GCM decrypt and verify; `null` when the tag does not match with this AAD. */
function openGcm(key: Buffer, parts: FrameParts, authenticationKey: Buffer | null): Buffer | null {
  if (parts.payload.length < TAG_LENGTH) throw new DecryptError('truncated', 'encrypted frame too short for its authentication tag');
  const ciphertext = parts.payload.subarray(0, parts.payload.length - TAG_LENGTH);
  const tag = parts.payload.subarray(parts.payload.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-128-gcm', key, initialisationVector(parts), { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(tag);
  if (authenticationKey) decipher.setAAD(Buffer.concat([Uint8Array.of(parts.securityByte), authenticationKey]));
  const plaintext = decipher.update(ciphertext);
  try {
    return Buffer.concat([plaintext, decipher.final()]);
  } catch {
    return null;
  }
}

/** GCM without its tag is AES-CTR starting at counter block IV ‖ 00000002. */
function decryptCounterMode(key: Buffer, parts: FrameParts): Buffer {
  const counterBlock = Buffer.concat([initialisationVector(parts), Uint8Array.of(0, 0, 0, 2)]);
  const decipher = createDecipheriv('aes-128-ctr', key, counterBlock);
  return Buffer.concat([decipher.update(parts.payload), decipher.final()]);
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
