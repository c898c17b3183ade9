import { strict as assert } from 'node:assert';
import { DecryptError, LUXEMBOURG_AUTHENTICATION_KEY, decryptFrame, type DecryptFailure } from '../../src/protocol/decrypt';
import { buildFrame } from '../support/dlms-frame';
import { loadEncryptedFixtures } from './corpus-files';
import { SeededRandom } from './seeded-random';

function failsWith(reason: DecryptFailure, run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DecryptError, `expected a DecryptError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    assert.ok(error.message.length > 10);
    return true;
  });
}

describe('decryptFrame', () => {
  const fixtures = loadEncryptedFixtures();

  it('has the four encrypted fixtures of the corpus', () => {
    assert.equal(fixtures.length, 4);
  });

  for (const fixture of fixtures) {
    describe(fixture.file, () => {
      const options = fixture.tagUsesAad ? { key: fixture.key, authenticationKey: fixture.authenticationKey } : { key: fixture.key };

      it('decrypts with its key to exactly its plaintext', () => {
        assert.ok(decryptFrame(fixture.frame, options).equals(fixture.plaintext));
      });

      it('rejects a wrong key', () => {
        const wrong = fixture.key.slice(0, -1) + (fixture.key.endsWith('0') ? '1' : '0');
        failsWith('auth-failed', () => decryptFrame(fixture.frame, { ...options, key: wrong }));
      });

      it('rejects a frame with any one byte of header, counter, ciphertext or tag changed', () => {
        const positions = [2, 9, 14, 17, 18, fixture.frame.length >> 1, fixture.frame.length - 13, fixture.frame.length - 1];
        for (const at of positions) {
          const tampered = Buffer.from(fixture.frame);
          tampered[at] ^= 0x01;
          failsWith('auth-failed', () => decryptFrame(tampered, options));
        }
      });

      it('rejects a truncated frame', () => {
        failsWith('truncated', () => decryptFrame(fixture.frame.subarray(0, fixture.frame.length - 1), options));
        failsWith('truncated', () => decryptFrame(fixture.frame.subarray(0, 11), options));
      });
    });
  }

  it('without an authentication key, tries the Luxembourg key and then an empty AAD', () => {
    for (const fixture of fixtures) {
      const luxembourgKey = fixture.authenticationKey.toUpperCase() === LUXEMBOURG_AUTHENTICATION_KEY.toString('hex').toUpperCase();
      const decrypts = !fixture.tagUsesAad || luxembourgKey;
      if (decrypts) assert.ok(decryptFrame(fixture.frame, { key: fixture.key }).equals(fixture.plaintext), fixture.file);
      else failsWith('auth-failed', () => decryptFrame(fixture.frame, { key: fixture.key }));
    }
  });

  it('accepts keys as bytes or as hex with any case and separators', () => {
    const fixture = fixtures.find((f) => f.file.includes('lu_smarty_real'))!;
    const spaced = fixture.key.toLowerCase().replace(/(..)(?!$)/g, '$1 ');
    assert.ok(decryptFrame(fixture.frame, { key: spaced }).equals(fixture.plaintext));
    assert.ok(decryptFrame(fixture.frame, { key: new Uint8Array(Buffer.from(fixture.key, 'hex')) }).equals(fixture.plaintext));
  });

  it('rejects malformed keys before touching the frame', () => {
    const frame = fixtures[0].frame;
    failsWith('bad-key', () => decryptFrame(frame, { key: 'D491470F' }));
    failsWith('bad-key', () => decryptFrame(frame, { key: 'X'.repeat(32) }));
    failsWith('bad-key', () => decryptFrame(frame, { key: new Uint8Array(15) }));
    failsWith('bad-key', () => decryptFrame(frame, { key: fixtures[0].key, authenticationKey: '0011' }));
  });

  it('rejects what is not a general-glo-ciphering frame', () => {
    failsWith('not-a-frame', () => decryptFrame(Buffer.from('/ISK5\r\n'), { key: fixtures[0].key }));
    failsWith('not-a-frame', () => decryptFrame(Buffer.alloc(0), { key: fixtures[0].key }));
  });

  it('decrypts security byte 0x20 (encrypted, no tag) and refuses other modes', () => {
    const key = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
    const plaintext = Buffer.from('/TST5\r\n\r\n1-3:0.2.8(50)\r\n!\r\n', 'latin1');
    assert.ok(decryptFrame(buildFrame(plaintext, key, 0x20, null), { key }).equals(plaintext));
    failsWith('unsupported', () => decryptFrame(buildFrame(plaintext, key, 0x10, null), { key }));
  });

  it('refuses a frame without a tag (0x20) when authentication is required', () => {
    const key = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
    const plaintext = Buffer.from('/TST5\r\n\r\n1-3:0.2.8(50)\r\n!\r\n', 'latin1');
    failsWith('unauthenticated', () => decryptFrame(buildFrame(plaintext, key, 0x20, null), { key, requireAuthentication: true }));
    const tagged = buildFrame(plaintext, key, 0x30, Buffer.concat([Buffer.from([0x30]), LUXEMBOURG_AUTHENTICATION_KEY]));
    assert.ok(decryptFrame(tagged, { key, requireAuthentication: true }).equals(plaintext));
  });

  it('a system title of another length than 8 is a DecryptError, not a TypeError', () => {
    const key = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
    const frame = Buffer.from('db040707070720200000400000000000400000400000000000000000400000000000000000408000', 'hex');
    failsWith('not-a-frame', () => decryptFrame(frame, { key }));
  });

  it('throws only DecryptError for 100,000 malformed frames (seeded)', () => {
    const random = new SeededRandom(0xdec);
    const key = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
    const plaintext = Buffer.from('/TST5\r\n\r\n1-3:0.2.8(50)\r\n!\r\n', 'latin1');
    const sources = [...fixtures.map((f) => f.frame), buildFrame(plaintext, key, 0x20, null), buildFrame(plaintext, key, 0x30, null)];
    const mutations: Array<(frame: Buffer) => Buffer> = [
      (frame) => frame.subarray(0, random.int(0, frame.length - 1)),
      (frame) => {
        const out = Buffer.from(frame);
        out[random.int(0, Math.min(out.length, 24) - 1)] = random.int(0, 255);
        return out;
      },
      (frame) => {
        const out = Buffer.from(frame);
        out[1] = random.int(0, 32);
        return out;
      },
      (frame) => Buffer.concat([frame.subarray(0, 2), random.bytes(random.int(0, 40))]),
      (frame) => {
        const out = Buffer.from(frame);
        out[random.int(0, out.length - 1)] ^= 1 << random.int(0, 7);
        return out;
      },
    ];
    let decryptErrors = 0;
    for (let n = 0; n < 100_000; n++) {
      const frame = random.pick(mutations)(random.pick(sources));
      try {
        decryptFrame(frame, { key: random.pick([key, fixtures[2].key]), requireAuthentication: random.int(0, 1) === 1 });
      } catch (error) {
        if (!(error instanceof DecryptError)) assert.fail(`${String(error)} for frame ${frame.subarray(0, 24).toString('hex')}`);
        decryptErrors++;
      }
    }
    assert.ok(decryptErrors > 90_000, `${decryptErrors} DecryptErrors`);
  });

  it('decrypts a frame built with a custom authentication key', () => {
    const key = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
    const authenticationKey = Buffer.from('F0E0D0C0B0A090807060504030201000', 'hex');
    const plaintext = Buffer.from('/TST5\r\n\r\n!\r\n', 'latin1');
    const frame = buildFrame(plaintext, key, 0x30, Buffer.concat([Buffer.from([0x30]), authenticationKey]));
    assert.ok(decryptFrame(frame, { key, authenticationKey }).equals(plaintext));
    failsWith('auth-failed', () => decryptFrame(frame, { key }));
  });
});
