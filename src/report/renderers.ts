// The renderers: every format a run is written in besides report.json. A
// renderer is one module that turns a Report into text, listed once here; the
// run writes each one's file into its --out, `devmem-lab report DIR
// --<option> FILE` writes it anywhere, a matrix writes the ones that take many
// reports over all its cells, and the bundle carries the files.
import type { Renderer } from './renderer.js';
import { htmlRenderer } from './html.js';
import { junitRenderer } from './junit.js';
import { kcidbRenderer } from './kcidb.js';
import { ktapRenderer } from './ktap.js';

export type { Renderer };

export const RENDERERS: readonly Renderer[] = [
  junitRenderer,
  htmlRenderer,
  ktapRenderer,
  kcidbRenderer,
];

export const rendererFiles = (): string[] => RENDERERS.map((r) => r.file);

/** The files a run writes in its --out: the report, its event log, the console and each renderer's file. */
export const RUN_FILES: readonly string[] = ['report.json', 'events.jsonl', 'console.log', ...rendererFiles()];
