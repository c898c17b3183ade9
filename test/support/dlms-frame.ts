/**
 * Encrypted P1 frames for tests, made with node's own AES-GCM, independent of the decoder under
 * test: any plaintext, key, security byte and AAD.
 */
import { createCipheriv } from 'node:crypto';

/** A general-glo-ciphering frame built with node's GCM, independent of the decoder under test. */
export function buildFrame(plaintext: Buffer, key: Buffer, securityByte: number, aad: Buffer | null): Buffer {
  const systemTitle = Buffer.from('TESTMETR', 'latin1');
  const frameCounter = Buffer.from([0x00, 0x00, 0x12, 0x34]);
  const cipher = createCipheriv('aes-128-gcm', key, Buffer.concat([systemTitle, frameCounter]), { authTagLength: 12 });
  if (aad) cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = securityByte === 0x30 ? cipher.getAuthTag() : Buffer.alloc(0);
  const length = 1 + 4 + ciphertext.length + tag.length;
  const lengthField = length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff];
  return Buffer.concat([Buffer.from([0xdb, 8]), systemTitle, Buffer.from(lengthField), Buffer.from([securityByte]), frameCounter, ciphertext, tag]);
}
