// The host's Debian archive, as its apt sources name it: which URIs serve
// the Debian suites (the main archive and the security archive) and with
// which keyring. Kernels of other suites are fetched from the same URIs
// with another suite name, so no host name is ever written into the code.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One `deb` source as apt reads it, from either file format. */
export interface AptSource {
  uris: string[];
  suites: string[];
  components: string[];
  /** Lower-cased option names (signed-by, check-valid-until, …) and values. */
  options: Record<string, string>;
  file: string;
}

export interface DebianArchive {
  uri: string;
  signedBy?: string;
  /** Options carried over verbatim (e.g. check-valid-until for snapshot mirrors). */
  options: Record<string, string>;
}

export interface DebianArchives {
  main: DebianArchive[];
  security: DebianArchive[];
}

export const DEFAULT_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** deb822 `.sources` stanzas; `Enabled: no` and non-`deb` types are dropped. */
export function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  // Comment lines are not part of a stanza; a paragraph ends at a blank line.
  const body = text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
  for (const stanza of body.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (/^\s/.test(line) && last) fields[last] += ' ' + line.trim();
      else {
        const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
        if (m) fields[(last = m[1].toLowerCase())] = m[2].trim();
      }
    }
    const words = (k: string) => (fields[k] ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || fields.enabled?.toLowerCase() === 'no') continue;
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) if (!['types', 'uris', 'suites', 'components', 'enabled'].includes(k)) options[k] = v;
    out.push({ uris: words('uris'), suites: words('suites'), components: words('components'), options, file });
  }
  return out.filter((s) => s.uris.length > 0 && s.suites.length > 0);
}

/** One-line `deb [opts] uri suite comp…` entries. */
export function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const options: Record<string, string> = {};
    for (const o of (m[1] ?? '').trim().split(/\s+/).filter(Boolean)) {
      const eq = o.indexOf('=');
      if (eq > 0) options[o.slice(0, eq).toLowerCase()] = o.slice(eq + 1);
    }
    out.push({ uris: [m[2]], suites: [m[3]], components: m[4].split(/\s+/).filter(Boolean), options, file });
  }
  return out;
}

/** Every enabled `deb` source of the host: sources.list and sources.list.d/*.list|*.sources. */
export async function readHostSources(etcApt = '/etc/apt'): Promise<AptSource[]> {
  const files: string[] = [join(etcApt, 'sources.list')];
  const partsDir = join(etcApt, 'sources.list.d');
  for (const n of (await readdir(partsDir).catch(() => [] as string[])).sort()) {
    if (n.endsWith('.list') || n.endsWith('.sources')) files.push(join(partsDir, n));
  }
  const out: AptSource[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    out.push(...(f.endsWith('.sources') ? parseDeb822(text, f) : parseOneLine(text, f)));
  }
  return out;
}

const isSecuritySuite = (s: string) => /-security$|\/updates$/.test(s);

/**
 * The URIs that serve the host's own Debian suite: a source counts when one
 * of its suites is the host's codename or one of its pockets (-updates,
 * -security, -backports, or the old "<suite>/updates" security form) and it
 * carries `main`. Third-party repositories name their own suites and drop
 * out.
 */
export function debianArchives(sources: AptSource[], hostSuite: string): DebianArchives {
  const out: DebianArchives = { main: [], security: [] };
  const seen = new Set<string>();
  for (const s of sources) {
    if (!s.components.includes('main')) continue;
    for (const suite of s.suites) {
      if (suite !== hostSuite && !suite.startsWith(`${hostSuite}-`) && suite !== `${hostSuite}/updates`) continue;
      const kind = isSecuritySuite(suite) ? 'security' : 'main';
      for (const uri of s.uris) {
        const key = `${kind} ${uri.replace(/\/+$/, '')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const { 'signed-by': signedBy, ...rest } = s.options;
        const options: Record<string, string> = {};
        for (const k of ['check-valid-until', 'trusted', 'allow-insecure', 'allow-weak', 'allow-downgrade-to-insecure']) if (rest[k]) options[k] = rest[k];
        // An inline key block (deb822 allows one) cannot go on a one-line
        // entry: the Debian keyring is used instead.
        out[kind].push({ uri: uri.replace(/\/+$/, ''), signedBy: signedBy?.startsWith('/') ? signedBy : undefined, options });
      }
    }
  }
  return out;
}

/** The suites fetched for `suite`: point releases, updates and security fixes where Debian has them. */
export function pocketsOf(suite: string): { main: string[]; security: string[] } {
  // Pockets have no pockets of their own; sid and experimental have none at all.
  if (/-(backports|backports-sloppy|updates|proposed-updates|security)$/.test(suite) || ['sid', 'unstable', 'experimental', 'rc-buggy'].includes(suite)) {
    return { main: [suite], security: [] };
  }
  return { main: [suite, `${suite}-updates`], security: [`${suite}-security`] };
}

/**
 * A one-line sources.list for `suite` from the host's archives: main of one
 * architecture (amd64 unless the guest's is another), Packages indexes only
 * (no translations, contents or DEP-11).
 */
export function privateSourcesList(archives: DebianArchives, suite: string, keyringExists: boolean, debianArch = 'amd64'): string {
  const pockets = pocketsOf(suite);
  const lines: string[] = [];
  const line = (a: DebianArchive, s: string) => {
    const opts = [`arch=${debianArch}`, 'lang=none', 'target=Packages'];
    const key = a.signedBy ?? (keyringExists ? DEFAULT_KEYRING : undefined);
    if (key) opts.push(`signed-by=${key}`);
    for (const [k, v] of Object.entries(a.options)) opts.push(`${k}=${v}`);
    lines.push(`deb [${opts.join(' ')}] ${a.uri} ${s} main`);
  };
  for (const a of archives.main) for (const s of pockets.main) line(a, s);
  for (const a of archives.security) for (const s of pockets.security) line(a, s);
  return lines.join('\n') + '\n';
}
