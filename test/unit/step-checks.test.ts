// The host-pattern step's check (src/lab/judge.ts stepChecks): the host's and
// the guest's views of one plugged page must agree, unless the model says the
// guest cannot read /proc/kcore at all (R-KCORE-OPEN under
// lockdown=confidentiality), in which case the refusal itself is judged.
import { describe, expect, it } from 'vitest';
import { stepChecks } from '../../src/lab/judge.js';
import { facts, STEPS } from './model/q35.js';

const read = { result: 'ok', bytes: 4096, zero: false, fnv: '75fa1694a7854625' };
const refused = { result: 'errno', errno: 'EPERM', syscall: 'open' };
const check = (lockdown: 'none' | 'confidentiality', guest: unknown, agree: boolean) =>
  stepChecks({
    facts: facts('6.12'),
    state: { ...STEPS.afterUncleanUnload, lockdown },
    action: { kind: 'host-pattern' },
    dmesg: [],
    hostPattern: { agree, hostFnv: '75fa1694a7854625', addr: '0x100800000', guest },
  })[0];

describe('host-pattern check', () => {
  it('compares the two views when the guest can read /proc/kcore', () => {
    expect(check('none', read, true)).toMatchObject({ rule: 'HOST-GUEST-CROSSCHECK', verdict: 'match' });
    expect(check('none', { ...read, fnv: '0000000000000000' }, false)).toMatchObject({ rule: 'HOST-GUEST-CROSSCHECK', verdict: 'mismatch' });
  });

  it('judges the refusal under lockdown=confidentiality instead', () => {
    expect(check('confidentiality', refused, false)).toMatchObject({ rule: 'R-KCORE-OPEN', verdict: 'match' });
    // A kernel that let the guest read kcore anyway disagrees with the model.
    expect(check('confidentiality', read, true)).toMatchObject({ rule: 'R-KCORE-OPEN', verdict: 'mismatch' });
  });
});
