// The run's SSH key (src/guest/ssh.ts generateRunKey()). ssh2's ed25519
// generator writes a 31-byte public key when the real one starts with a zero
// byte (lib/keygen.js strips every leading zero of the BIT STRING), and its
// own parser refuses that key: a guest that boots and never serves SSH.
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateRunKey, keyUsable } from '../../src/guest/ssh.js';

const { utils } = ssh2;
const draw = () => utils.generateKeyPairSync('ed25519', { comment: 'devmem-lab-run' });
/** The public key blob's length field of the key's type name and key. */
const blobKeyLength = (pub: string) => Buffer.from(pub.split(' ')[1], 'base64').readUInt32BE(4 + 11);

/** One of ssh2's malformed keys: about 1 draw in 256. */
function malformed() {
  for (let i = 0; i < 20_000; i++) {
    const k = draw();
    if (!keyUsable(k.private)) return k;
  }
  throw new Error('no malformed key in 20000 draws');
}

describe('the run key', () => {
  const bad = malformed();
  it('ssh2 writes such a key with a 31-byte public key, and refuses it', () => {
    expect(blobKeyLength(bad.public)).toBe(31);
    expect(utils.parseKey(bad.private)).toBeInstanceOf(Error);
  });
  it('a malformed key is thrown away and another drawn', () => {
    const good = draw();
    const seq = [bad, bad, good];
    const k = generateRunKey(() => seq.shift() ?? good);
    expect(k.publicKey).toBe(good.public);
    expect(blobKeyLength(k.publicKey)).toBe(32);
  });
  it('gives up, saying so, if the generator never gives a usable key', () => {
    expect(() => generateRunKey(() => bad)).toThrow(/could not generate a usable ed25519 key/);
  });
  it('every key it gives is usable (2000 draws)', () => {
    for (let i = 0; i < 2000; i++) expect(keyUsable(generateRunKey().privateKey)).toBe(true);
  });
});
