// What a kind of kernel source is to the lab: the `--kernel` scheme it
// answers to (debian:, path:, …), the forms its usage text shows, its
// parser, and how it resolves to a kernel in the cache. Each source is one
// file in this folder exporting a KernelSource; index.ts lists them.
import type { Arch } from '../../util/arch.js';
import type { LabError } from '../../util/errors.js';
import type { ResolvedKernel } from '../types.js';

export interface ResolveOptions {
  /** The guest's architecture (default x86_64): which Debian flavour, which image format. */
  arch?: Arch;
  /** path: only — the kernel's modules (lib/modules/<release> or an INSTALL_MOD_PATH root). */
  modules?: string;
  /** path: only — the kernel's .config. */
  config?: string;
  /** build: only — a fragment file (.config syntax) of extra options. */
  configFragment?: string;
  /** build: only — parallel make jobs (default: the CPUs available). */
  jobs?: number;
  signal?: AbortSignal;
  /** Progress lines (downloads, list refreshes, build phases); the library never prints. */
  onProgress?: (msg: string) => void;
}

/** The options only some sources take. */
export type SourceOption = 'modules' | 'config' | 'configFragment';

export interface KernelSource<S extends { kind: string; text: string } = { kind: string; text: string }> {
  /** The text before the colon in --kernel. */
  scheme: string;
  /** Its forms in the usage text and in every E_KERNEL_SPEC hint. */
  forms: string[];
  /** `rest` is the text after the colon; `bad` makes the error every malformed spec gets. */
  parse: (text: string, rest: string, bad: (what: string) => LabError) => S;
  /** The architectures it can give kernels of (default x86_64 only). */
  arches?: Arch[];
  /** Which of the source-specific options it takes (none by default). */
  takes?: SourceOption[];
  /** What to write instead, when it is given an option it does not take. */
  optionHint?: string;
  resolve: (spec: S, opts: ResolveOptions) => Promise<ResolvedKernel>;
}

/** Keeps a source's spec type for index.ts. */
export const defineSource = <S extends { kind: string; text: string }>(s: KernelSource<S>): KernelSource<S> => s;
