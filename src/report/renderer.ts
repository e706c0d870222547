// What a renderer is (the list of them is report/renderers.ts).
import type { Report } from '../format/types.js';

export interface Renderer {
  /** The option of `devmem-lab report` (`--junit FILE`). */
  option: string;
  /** The file written next to report.json in every run directory. */
  file: string;
  /** One line for the usage text. */
  describe: string;
  render(report: Report): string;
  /** The same format over many runs (a matrix, a merge), when it has one. */
  renderMany?(reports: Report[]): string;
}
