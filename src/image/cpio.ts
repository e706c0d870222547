// A cpio "newc" writer (the format the kernel unpacks as an initramfs, see
// Documentation/driver-api/early-userspace/buffer-format.rst). Entries are
// written with mtime 0 and fixed inode numbers, so the same input gives the
// same bytes: the image cache key is the content.

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const TRAILER = 'TRAILER!!!';

const pad4 = (n: number) => (4 - (n % 4)) % 4;
const hex8 = (n: number) => {
  if (n < 0 || n > 0xffffffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
};

function header(ino: number, mode: number, nlink: number, size: number, nameSize: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
  // rdevmajor, rdevminor, namesize, check
  return '070701' + [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, nameSize, 0].map(hex8).join('');
}

function record(ino: number, mode: number, nlink: number, name: string, data: Buffer): Buffer[] {
  const nameBuf = Buffer.from(name + '\0');
  const head = Buffer.from(header(ino, mode, nlink, data.length, nameBuf.length), 'ascii');
  return [
    head,
    nameBuf,
    Buffer.alloc(pad4(head.length + nameBuf.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ];
}

/** Serialises entries (in the given order) into one newc archive. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, '');
    if (name === '' || name.split('/').includes('..')) throw new Error(`bad cpio path: ${JSON.stringify(e.path)}`);
    const ino = i + 1;
    if (e.type === 'dir') parts.push(...record(ino, S_IFDIR | (e.mode ?? 0o755), 2, name, Buffer.alloc(0)));
    else if (e.type === 'file') parts.push(...record(ino, S_IFREG | (e.mode ?? 0o644), 1, name, e.data));
    else parts.push(...record(ino, S_IFLNK | 0o777, 1, name, Buffer.from(e.target)));
  });
  parts.push(...record(0, 0, 1, TRAILER, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Reads a newc archive back (tests, and `report` tooling that inspects images). */
export function readCpio(buf: Buffer): { path: string; mode: number; data: Buffer }[] {
  const out: { path: string; mode: number; data: Buffer }[] = [];
  let off = 0;
  for (;;) {
    if (buf.toString('ascii', off, off + 6) !== '070701') throw new Error(`bad cpio magic at ${off}`);
    const field = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = buf.toString('utf8', off + 110, off + 110 + nameSize - 1);
    off += 110 + nameSize;
    off += pad4(off);
    if (name === TRAILER) return out;
    out.push({ path: name, mode, data: buf.subarray(off, off + size) });
    off += size + pad4(size);
  }
}
