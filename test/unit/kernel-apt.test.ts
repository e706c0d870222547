import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aptArgv, PRIVATE_APT_CONF, privateAptOptions } from '../../src/kernel/apt.js';
import { debianArchives, parseDeb822, parseOneLine, pocketsOf, privateSourcesList, readHostSources } from '../../src/kernel/sources.js';

// A bookworm host as Debian's installer and cloud images set it up, plus
// two third-party repositories that must not be taken for Debian.
const DEBIAN_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main
`;
const NODESOURCE = `Types: deb
URIs: https://deb.nodesource.example/node_20.x
Suites: nodistro
Components: main
Signed-By: /usr/share/keyrings/nodesource.gpg
`;
const LIST = `# comment
deb [arch=amd64 check-valid-until=no] http://snapshot.example/archive/debian/20250520T000000Z bookworm main contrib
deb https://packages.cloud.example/apt cloud-sdk-bookworm main
deb-src http://mirror.example/debian bookworm main
`;

describe('host apt sources', () => {
  it('reads deb822 stanzas, skipping deb-src and comments', () => {
    const s = parseDeb822(DEBIAN_SOURCES, 'debian.sources');
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({ uris: ['http://mirror.example/debian'], suites: ['bookworm', 'bookworm-updates'], components: ['main'], options: { 'signed-by': '/usr/share/keyrings/debian-archive-keyring.gpg' } });
    expect(parseDeb822('Types: deb\nURIs: http://x/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n', 'f')).toEqual([]);
  });
  it('reads one-line entries with options', () => {
    const s = parseOneLine(LIST, 'sources.list');
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({ uris: ['http://snapshot.example/archive/debian/20250520T000000Z'], suites: ['bookworm'], options: { arch: 'amd64', 'check-valid-until': 'no' } });
  });
  it('finds the Debian archives by the host suite, not by host name', () => {
    const a = debianArchives([...parseDeb822(DEBIAN_SOURCES, 'a'), ...parseDeb822(NODESOURCE, 'b'), ...parseOneLine(LIST, 'c')], 'bookworm');
    expect(a.main.map((x) => x.uri)).toEqual(['http://mirror.example/debian', 'http://snapshot.example/archive/debian/20250520T000000Z']);
    expect(a.security.map((x) => x.uri)).toEqual(['http://mirror.example/debian-security']);
    expect(a.main[1].options).toEqual({ 'check-valid-until': 'no' });
  });
  it('reads sources.list and sources.list.d/*.list|*.sources, ignoring other names', async () => {
    const etc = mkdtempSync(join(tmpdir(), 'devmem-lab-apt-'));
    try {
      mkdirSync(join(etc, 'sources.list.d'));
      writeFileSync(join(etc, 'sources.list.d', 'debian.sources'), DEBIAN_SOURCES);
      writeFileSync(join(etc, 'sources.list.d', 'node.sources.disabled'), NODESOURCE);
      writeFileSync(join(etc, 'sources.list'), LIST);
      const s = await readHostSources(etc);
      expect(s.map((x) => x.uris[0])).toEqual([
        'http://snapshot.example/archive/debian/20250520T000000Z',
        'https://packages.cloud.example/apt',
        'http://mirror.example/debian',
        'http://mirror.example/debian-security',
      ]);
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });
});

describe('private sources list', () => {
  const archives = debianArchives(parseDeb822(DEBIAN_SOURCES, 'a'), 'bookworm');
  it('has the suite, its updates and its security pocket', () => {
    expect(pocketsOf('bullseye')).toEqual({ main: ['bullseye', 'bullseye-updates'], security: ['bullseye-security'] });
    expect(pocketsOf('bookworm-backports')).toEqual({ main: ['bookworm-backports'], security: [] });
    expect(pocketsOf('sid')).toEqual({ main: ['sid'], security: [] });
    const k = 'signed-by=/usr/share/keyrings/debian-archive-keyring.gpg';
    expect(privateSourcesList(archives, 'bullseye', true)).toBe(
      `deb [arch=amd64 lang=none target=Packages ${k}] http://mirror.example/debian bullseye main\n` +
        `deb [arch=amd64 lang=none target=Packages ${k}] http://mirror.example/debian bullseye-updates main\n` +
        `deb [arch=amd64 lang=none target=Packages ${k}] http://mirror.example/debian-security bullseye-security main\n`,
    );
  });
  it('falls back to the Debian keyring when the host names none, and carries check-valid-until', () => {
    const a = debianArchives(parseOneLine(LIST, 'c'), 'bookworm');
    expect(privateSourcesList(a, 'trixie-backports', true)).toBe(
      'deb [arch=amd64 lang=none target=Packages signed-by=/usr/share/keyrings/debian-archive-keyring.gpg check-valid-until=no] http://snapshot.example/archive/debian/20250520T000000Z trixie-backports main\n',
    );
    expect(privateSourcesList(a, 'sid', false)).not.toContain('signed-by');
    // arm64 guests: the same archive, arm64's Packages index instead of amd64's.
    expect(privateSourcesList(a, 'sid', false, 'arm64')).toMatch(/^deb \[arch=arm64 lang=none target=Packages[^\]]*\] \S+ sid main$/m);
    expect(privateSourcesList(a, 'sid', false, 'arm64')).not.toContain('amd64');
  });
});

describe('private apt argv', () => {
  it('redirects every piece of state into the private directory', () => {
    const o = privateAptOptions('/c/apt/bullseye');
    const argv = aptArgv({ kind: 'private', suite: 'bullseye', dir: '/c/apt/bullseye', options: o }, ['update', '-q']);
    const settings = Object.fromEntries(argv.flatMap((a, i) => (argv[i - 1] === '-o' ? [a.split('=') as [string, string]] : [])));
    expect(argv.slice(0, 2)).toEqual(['-c', '/c/apt/bullseye/apt.conf']);
    expect(settings).toMatchObject({
      'Dir::Etc::SourceList': '/c/apt/bullseye/sources.list',
      'Dir::Etc::SourceParts': '/c/apt/bullseye/empty',
      'Dir::Etc::PreferencesParts': '/c/apt/bullseye/empty',
      'Dir::State::Lists': '/c/apt/bullseye/lists',
      'Dir::State::status': '/c/apt/bullseye/status',
      'Dir::Cache': '/c/apt/bullseye/cache',
      'APT::Get::List-Cleanup': '0',
    });
    expect(settings['APT::Sandbox::User']).toBeUndefined();
    expect(argv.slice(-2)).toEqual(['update', '-q']);
    // Every path apt is told about is inside the private directory.
    for (const v of Object.values(settings)) if (v.startsWith('/')) expect(v === '/c/apt/bullseye' || v.startsWith('/c/apt/bullseye/')).toBe(true);
  });
  it('never turns off apt\'s download sandbox, and leaves the host argv alone', () => {
    expect(privateAptOptions('/c').join(' ')).not.toMatch(/Sandbox/);
    expect(aptArgv({ kind: 'host', suite: 'bookworm' }, ['show', 'x'])).toEqual(['show', 'x']);
  });
  it('clears the host update hooks', () => {
    expect(PRIVATE_APT_CONF).toContain('#clear APT::Update::Post-Invoke-Success;');
  });
});

describe('suiteCodename', () => {
  it("reads the Codename of a private suite's Release file; the host's lists have none to give", async () => {
    const { suiteCodename } = await import('../../src/kernel/apt.js');
    const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-codename-'));
    try {
      mkdirSync(join(dir, 'lists'));
      writeFileSync(join(dir, 'lists', 'deb.example_debian_dists_stable-backports_InRelease'), 'Origin: Debian Backports\nSuite: stable-backports\nCodename: trixie-backports\nDate: Fri, 30 Oct 2026 08:08:01 UTC\n');
      expect(await suiteCodename({ kind: 'private', suite: 'stable-backports', dir, options: [] })).toBe('trixie-backports');
      expect(await suiteCodename({ kind: 'private', suite: 'unstable', dir, options: [] })).toBeUndefined();
      expect(await suiteCodename({ kind: 'host', suite: 'bookworm' })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
