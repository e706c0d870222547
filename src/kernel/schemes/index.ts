// The kernel sources --kernel accepts. A new source is a file in this folder
// exporting a KernelSource (source.ts) and its name in KERNEL_SOURCES: the
// parser, the usage text, every E_KERNEL_SPEC hint and resolveKernel() take
// it from there.
import { build } from './build.js';
import { debian } from './debian.js';
import { path } from './path.js';
import type { KernelSource } from './source.js';
import { tree } from './tree.js';

export const KERNEL_SOURCES = [debian, path, tree, build] as const;

/** A parsed --kernel value: one source's spec. */
export type KernelSpec = ReturnType<(typeof KERNEL_SOURCES)[number]['parse']>;

export const sourceOf = (scheme: string): KernelSource | undefined =>
  (KERNEL_SOURCES as readonly { scheme: string }[]).find((s) => s.scheme === scheme) as unknown as KernelSource | undefined;
