// Just enough ELF64 (little-endian) to read one object symbol's bytes from a
// kernel module: section headers, the symbol table and its string table.
// Modules are relocatable objects, so a symbol's value is its offset in
// its section.

export interface ElfSymbolBytes {
  section: string;
  /** The symbol's bytes; zeros for a symbol in a NOBITS (.bss) section. */
  data: Buffer;
}

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;

interface Section {
  name: number;
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function sections(buf: Buffer): Section[] {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const out: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    out.push({
      name: buf.readUInt32LE(o),
      type: buf.readUInt32LE(o + 4),
      offset: Number(buf.readBigUInt64LE(o + 0x18)),
      size: Number(buf.readBigUInt64LE(o + 0x20)),
      link: buf.readUInt32LE(o + 0x28),
      entsize: Number(buf.readBigUInt64LE(o + 0x38)),
    });
  }
  return out;
}

const cstr = (buf: Buffer, at: number) => buf.toString('latin1', at, buf.indexOf(0, at));

export function isElf64Le(buf: Buffer): boolean {
  return buf.length >= 0x40 && buf.readUInt32BE(0) === 0x7f454c46 && buf[4] === 2 && buf[5] === 1;
}

/**
 * The bytes of symbol `name`, or undefined when the file has no symbol
 * table or no such symbol (a stripped module).
 */
export function readElfSymbol(buf: Buffer, name: string): ElfSymbolBytes | undefined {
  if (!isElf64Le(buf)) throw new Error('not a little-endian ELF64 file');
  const secs = sections(buf);
  const shstr = secs[buf.readUInt16LE(0x3e)];
  const symtab = secs.find((s) => s.type === SHT_SYMTAB);
  if (!symtab || !shstr) return undefined;
  const strtab = secs[symtab.link];
  const entsize = symtab.entsize || 24;
  for (let o = symtab.offset; o + entsize <= symtab.offset + symtab.size; o += entsize) {
    if (cstr(buf, strtab.offset + buf.readUInt32LE(o)) !== name) continue;
    const shndx = buf.readUInt16LE(o + 6);
    const value = Number(buf.readBigUInt64LE(o + 8));
    const size = Number(buf.readBigUInt64LE(o + 16));
    const sec = secs[shndx];
    if (!sec) return undefined;
    const section = cstr(buf, shstr.offset + sec.name);
    const data = sec.type === SHT_NOBITS ? Buffer.alloc(size) : buf.subarray(sec.offset + value, sec.offset + value + size);
    return { section, data };
  }
  return undefined;
}
