import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinScenarioNames, loadScenarioFile, parseScenario, resolveScenario } from '../../src/scenario/file.js';

const dir = mkdtempSync(join(tmpdir(), 'scenario-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ok = { name: 'mine', description: 'd', steps: [{ name: 'boot', action: { kind: 'boot' } }, { name: 'load', action: { kind: 'modprobe', module: 'virtio_mem' } }] };

describe('scenario files', () => {
  it('every built-in scenario is a valid file', async () => {
    const names = await builtinScenarioNames();
    expect(names).toEqual(expect.arrayContaining(['lifecycle', 'touch-unplugged', 'unclean-unload']));
    for (const n of names) expect((await resolveScenario(n)).name).toBe(n);
  });

  it("the scenario's profile decides the machine when the run names none", async () => {
    expect((await resolveScenario('pat-rebind')).profile).toBe('high-bars');
    expect(parseScenario({ ...ok, profile: 'high-bars' }, 'x.json').profile).toBe('high-bars');
    expect(parseScenario(ok, 'x.json').profile).toBeUndefined();
  });

  it('loads a user file by path', async () => {
    const p = join(dir, 'mine.json');
    writeFileSync(p, JSON.stringify(ok));
    expect((await resolveScenario(p)).steps.map((s) => s.name)).toEqual(['boot', 'load']);
  });

  it.each([
    ['an unknown action kind', { ...ok, steps: [ok.steps[0], { name: 'x', action: { kind: 'reboot' } }] }, /steps\.1\.action/],
    ['a first step that is not boot', { ...ok, steps: [ok.steps[1]] }, /first step must be/],
    ['duplicate step names', { ...ok, steps: [ok.steps[0], ok.steps[0]] }, /unique/],
    ['a module name with shell characters', { ...ok, steps: [ok.steps[0], { name: 'x', action: { kind: 'modprobe', module: 'virtio_mem; reboot' } }] }, /module name/],
    ['a negative size', { ...ok, steps: [ok.steps[0], { name: 'x', action: { kind: 'resize', sizeMiB: -2 } }] }, /sizeMiB/],
    ['an unknown field', { ...ok, extra: 1 }, /extra|Unrecognized/],
    ['a profile that is a path, not a qemu-config/ name', { ...ok, profile: '../../etc/x' }, /profile/],
    ['a pciBar that is not a PCI function', { ...ok, steps: [ok.steps[0], { name: 'a', action: { kind: 'hold', mappings: [{ name: 'h1', target: { pciBar: '00:03.0' } }] } }] }, /PCI function/],
    [
      'a second live hold of the same page (the agent keeps one mapping per address, length and kind)',
      { ...ok, steps: [ok.steps[0], { name: 'a', action: { kind: 'hold', mappings: [{ name: 'h1', target: { addr: '0x1000' } }] } }, { name: 'b', action: { kind: 'hold', mappings: [{ name: 'h2', target: { addr: '0x1000' } }] } }] },
      /same target, pages and kind as a mapping still held/,
    ],
  ])('rejects %s with E_SCENARIO naming the field', (_what, raw, msg) => {
    expect(() => parseScenario(raw, 'x.json')).toThrow(expect.objectContaining({ code: 'E_SCENARIO', kind: 'input', message: expect.stringMatching(msg) }));
  });

  it('rejects bad JSON and missing files as input errors', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{ "name": ');
    await expect(loadScenarioFile(p)).rejects.toMatchObject({ code: 'E_SCENARIO', kind: 'input' });
    await expect(resolveScenario(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'E_SCENARIO' });
    await expect(resolveScenario('no-such-builtin')).rejects.toMatchObject({ code: 'E_SCENARIO', hint: expect.stringContaining('lifecycle') });
  });
});
