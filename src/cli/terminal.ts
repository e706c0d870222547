// The terminal a live view draws on. log-update redraws the view in place
// (and wraps what is wider than the terminal); lines are cut to the width
// here first, measured in columns (string-width: a CJK character or an
// emoji takes two), so one view line stays one terminal row.
import { createLogUpdate } from 'log-update';
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';

/** What a view writes to: process.stderr, or a stand-in with the same fields. */
export interface TermStream {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  write(s: string): boolean;
}

/** Redraws a frame in place (log-update's function and its methods). */
export type LiveWriter = ReturnType<typeof createLogUpdate>;

export const liveWriter = (stream: TermStream): LiveWriter => createLogUpdate(stream as NodeJS.WriteStream);

/** Columns a line may take: the terminal's width less one (some terminals wrap on the last column), 80 when unknown. */
export const lineWidth = (stream: TermStream): number => Math.max(2, (stream.columns || 80) - 1);

/** `s` cut to `width` columns, with "…" where it was cut. */
export function fitLine(s: string, width: number): string {
  if (stringWidth(s) <= width) return s;
  let cut = sliceAnsi(s, 0, width - 1);
  // slice-ansi keeps a wide character that straddles the end: drop it.
  if (stringWidth(cut) > width - 1) cut = sliceAnsi(s, 0, width - 2);
  return `${cut}…`;
}

/** `s` cut to `width` columns in the middle, keeping both ends (where cell ids differ). */
export function fitMiddle(s: string, width: number): string {
  const w = stringWidth(s);
  if (w <= width) return s;
  const right = Math.floor((width - 1) / 2);
  // A wide character across either cut is dropped (the tail slice already leaves it out).
  let left = sliceAnsi(s, 0, width - 1 - right);
  if (stringWidth(left) > width - 1 - right) left = sliceAnsi(s, 0, width - 2 - right);
  return `${left}…${sliceAnsi(s, w - right)}`;
}

/** `s` padded with spaces to `width` columns. */
export const padCols = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - stringWidth(s)));

export { stringWidth };
