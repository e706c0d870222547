// The kernel command line as the model reads it (/proc/cmdline): the
// parameters that change /dev/mem's answers, split the way the kernel
// splits them. Re-exported by facts.ts.

export interface BootCmdline {
  raw: string;
  /** Every iomem= value in command-line order (strict_iomem() runs once per occurrence). */
  iomem: string[];
  lockdown?: string;
  mem?: string;
  /** `nopat` turns pat_enabled() off (arch/x86/mm/pat/memtype.c). */
  nopat: boolean;
}

/**
 * Splits /proc/cmdline the way next_arg() in lib/cmdline.c does: spaces
 * separate, double quotes group, and everything after a bare "--" belongs
 * to init, so the kernel never parses it.
 */
export function splitCmdline(text: string): string[] {
  const args: string[] = [];
  let cur = '';
  let quoted = false;
  let have = false;
  for (const ch of text.trim()) {
    if (ch === '"') {
      quoted = !quoted;
      have = true;
      continue;
    }
    if (!quoted && /\s/.test(ch)) {
      if (have) args.push(cur);
      cur = '';
      have = false;
      continue;
    }
    cur += ch;
    have = true;
  }
  if (have) args.push(cur);
  const dashes = args.indexOf('--');
  return dashes >= 0 ? args.slice(0, dashes) : args;
}

export function parseCmdline(text: string): BootCmdline {
  const out: BootCmdline = { raw: text.trim(), iomem: [], nopat: false };
  for (const arg of splitCmdline(text)) {
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = eq >= 0 ? arg.slice(eq + 1) : '';
    if (key === 'iomem' && eq >= 0) out.iomem.push(value);
    else if (key === 'lockdown' && eq >= 0) out.lockdown = value;
    else if (key === 'mem' && eq >= 0) out.mem = value;
    else if (key === 'nopat' && eq < 0) out.nopat = true;
  }
  return out;
}
