// An escaping tagged template for the HTML report: every interpolated value
// is escaped (text and attribute values alike) unless it is itself the
// result of html`…`; arrays are joined; null, undefined and false vanish.
// A crafted report.json can then not put markup anywhere in the page.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** Markup that is already safe: made by html`…` or trusted() for the page's own constants. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** The page's own constant markup (CSS, JS, SVG defs): never data from a report. */
export const trusted = (text: string): Html => new Html(text);

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}
