// The page's inline style sheet and script (no external assets).
export const CSS = `
:root{--fg:#1d2330;--muted:#6b7280;--line:#d7dbe3;--bad:#d00000;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:12px 22px}header h1{margin:0;font-size:19px}header .sub{opacity:.85;margin-top:3px}
header nav{margin-top:8px}header nav a{color:#bcd4ff;margin-right:14px;text-decoration:none}header nav a:hover{text-decoration:underline}
main{padding:10px 22px 40px}section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0}
h2{font-size:15px;margin:0 0 8px}h2 small{font-weight:400;color:var(--muted);margin-left:6px}h3{font-size:14px;margin:0}
.cards{display:flex;gap:8px;flex-wrap:wrap}.card{border:1px solid var(--line);border-radius:6px;padding:3px 10px;min-width:80px;background:#fbfcfd;color:var(--muted)}.card b{display:block;font-size:17px;color:var(--fg)}.guest{margin:6px 0 0;font-size:12px}
header code{color:#d7e3f4}.card.bad b{color:var(--bad)}
.verdict{font-weight:700;padding:2px 10px;border-radius:12px;margin-left:8px}.verdict.pass{background:#2f9e5a;color:#fff}.verdict.fail{background:var(--bad);color:#fff}.verdict.error{background:#444;color:#fff}
.env{display:grid;grid-template-columns:max-content 1fr;gap:1px 12px;margin:8px 0 0;color:var(--muted)}.env dt{font-weight:600}.env dd{margin:0}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid #eceef2;padding:3px 6px;text-align:left;vertical-align:top}thead th{background:#f1f3f6;font-weight:600}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#101418;color:#d7e0ea;padding:8px;border-radius:6px;overflow:auto;max-height:360px}
.muted{color:var(--muted)}.ok{color:#2f9e5a;font-weight:600}.badn{color:var(--bad)}
.step{border-top:1px solid var(--line);padding:10px 0 4px}.step:first-of-type{border-top:0}.step .facts{color:var(--muted);margin:2px 0 4px}.step.hasbad h3::after{content:" ▼ mismatch";color:var(--bad);font-size:12px}.step.hasviol h3::after{content:" ▼ violation";color:var(--bad);font-size:12px}
.mapwrap{overflow-x:auto}svg.map{display:block;font:10px system-ui,sans-serif}
svg .lbl{fill:#5b6472;font-size:10px}svg .rl{fill:#2b3340;font-size:9.5px;pointer-events:none}svg .ax{fill:#4b5563;font-size:10px}
svg .range rect{stroke:#8d97a8;stroke-width:.6}svg .range:hover rect{stroke:#1d2330;stroke-width:1.4}
svg .track{fill:#fafbfc;stroke:#e3e6eb}svg .tint{opacity:.28}svg .probe{stroke:#ffffff;stroke-width:.5;cursor:pointer}svg .probe:hover{stroke:#000;stroke-width:1.2}
svg .probe.mismatch,svg .probe.violation{stroke:var(--bad);stroke-width:2}svg .probe.violation{stroke:#000}svg .probe.changed{stroke:#1565c0;stroke-width:1.6;stroke-dasharray:2 1}
svg .flag.mismatch{fill:var(--bad)}svg .flag.violation{fill:#000;stroke:var(--bad);stroke-width:1.5}svg .tick{stroke:#6b7280;stroke-width:1}
svg .hmt{fill:#c2185b}svg .strayblk{fill:#000;opacity:.75}svg .access{fill:#1565c0;stroke:#fff;stroke-width:1}svg .hm{stroke:#c2185b;stroke-width:1.4;stroke-dasharray:4 3}svg .axis{stroke:#6b7280}svg .devbox{fill:none;stroke:#1565c0;stroke-width:1.2;stroke-dasharray:5 3}svg .plugged{fill:#1565c0}svg .devl{fill:#1565c0;font-size:10px;font-weight:600}
.legend{margin:4px 0 8px}.legend>div{margin:3px 0}.chip{display:inline-block;border-left:10px solid var(--c);background:#f3f4f6;border-radius:3px;padding:0 6px;margin:1px 6px 1px 0;white-space:nowrap}
.lg{display:inline-flex;align-items:center;gap:4px;margin-right:12px}.sw{display:inline-block;width:14px;height:11px;border:1px solid #8d97a8;margin-right:4px;vertical-align:-1px}
table.classes td{font-size:12px}table.classes .rules{color:var(--muted);font-size:11px;margin-left:2px}td.badcell{background:#fff0f0}
table.bad tr.mismatch td:first-child,table.bad tr.violation td:first-child{color:var(--bad);font-weight:600}
table.bad tr.flaky td:first-child{color:#a66a00;font-weight:600}.card.flaky b{color:#a66a00}
.checks{margin:4px 0}.checks ul{margin:2px 0;color:var(--bad)}.pill{display:inline-block;border-radius:9px;padding:0 7px;margin:1px 3px;font-size:11.5px;cursor:help}.pill.match{background:#dff3e6;color:#1e6b3c}.pill.mismatch{background:var(--bad);color:#fff}.pill.flaky{background:#fdf0d5;color:#a66a00}
.status{padding:0 6px;border-radius:8px;white-space:nowrap}.status.holds{background:#dff3e6}.status.violated{background:var(--bad);color:#fff}.status.not-exercised{background:#eceef2}
tr.not-exercised td{color:var(--muted)}.fault{border-color:var(--bad)}.fault h2{color:var(--bad)}
.sev{display:inline-block;border-radius:8px;padding:0 7px;font-size:11px;background:#eceef2}.sev.regression{background:var(--bad);color:#fff}.sev.change{background:#ee8f2a;color:#fff}.sev.fix{background:#2f9e5a;color:#fff}.sev.rule{background:#8b79c6;color:#fff}.sev.content{background:#74b9e0}
ol.diffs>li{margin:4px 0}ol.diffs ul{margin:2px 0;color:#374151;font-size:12px}
#pin{position:fixed;right:14px;bottom:14px;max-width:560px;background:#1d2330;color:#e5edf7;padding:10px 12px;border-radius:8px;white-space:pre-wrap;font:12px ui-monospace,monospace;box-shadow:0 4px 18px rgba(0,0,0,.25);display:none}
#pin.on{display:block}
`;

// Pins a mark's tooltip text in a panel: native <title> tooltips are slow and vanish.
export const JS = `
(function(){var pin=document.getElementById('pin');var pinned=null;
function text(el){var t=el.querySelector('title');return t?t.textContent:'';}
document.addEventListener('mouseover',function(e){var el=e.target.closest&&e.target.closest('.probe,.flag,.tick,.range');if(!el||pinned)return;pin.textContent=text(el);pin.className='on';});
document.addEventListener('mouseout',function(e){if(!pinned&&e.target.closest&&e.target.closest('.probe,.flag,.tick,.range'))pin.className='';});
document.addEventListener('click',function(e){var el=e.target.closest&&e.target.closest('.probe,.flag,.tick,.range');if(el){pinned=el;pin.textContent=text(el)+'\\n\\n(click elsewhere to unpin)';pin.className='on';}else if(pinned){pinned=null;pin.className='';}});
})();
`;
