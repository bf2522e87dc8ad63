/** The pages' one stylesheet (inline: the CSP allows inline styles and nothing else from outside). */
export const STYLE = `
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1f2328; background: #fff; overflow-wrap: break-word; }
header h1 { font-size: 20px; margin: 0 0 4px; }
header h1 a { color: inherit; text-decoration: none; }
h2 { font-size: 17px; margin: 20px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid #d8dee4; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #59636e; white-space: nowrap; }
td.filter { min-width: 140px; max-width: 260px; }
code, pre { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; border-radius: 4px; }
code { padding: 1px 4px; }
pre { padding: 8px; white-space: pre-wrap; margin: 4px 0; }
a { color: #0969da; }
.muted { color: #59636e; }
.small { font-size: 12px; }
.bad { color: #cf222e; }
.warn { color: #9a6700; }
.good { color: #1a7f37; }
.notice { background: #ddf4ff; border: 1px solid #54aeff; padding: 8px 12px; border-radius: 6px; }
.warning, .error-box { background: #ffebe9; border: 1px solid #ff8182; padding: 8px 12px; border-radius: 6px; white-space: pre-wrap; }
.health { margin: 12px 0 0; font-weight: 600; }
.toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-top: 12px; }
form { margin: 0; }
form.inline { display: inline; }
button, .button { font: inherit; cursor: pointer; border: 1px solid #d0d7de; background: #f6f8fa; color: #1f2328; border-radius: 6px; padding: 4px 10px; text-decoration: none; display: inline-block; white-space: nowrap; }
button.primary, .button.primary, button.run { background: #1f883d; border-color: #1f883d; color: #fff; }
button.danger { background: #cf222e; border-color: #cf222e; color: #fff; }
.actions { display: flex; gap: 6px; flex-wrap: wrap; align-items: flex-start; }
.switch { display: inline-flex; align-items: center; gap: 6px; border: 1px solid #d0d7de; border-radius: 999px; padding: 2px 10px 2px 2px; background: #f6f8fa; }
.switch .knob { width: 16px; height: 16px; border-radius: 50%; background: #8c959f; }
.switch.on { background: #dafbe1; border-color: #4ac26b; }
.switch.on .knob { background: #1f883d; }
button.link { border: 0; background: none; color: #0969da; padding: 0; font-size: 12px; text-decoration: underline; }
.running { color: #9a6700; font-weight: 600; }
.stale { display: inline-block; background: #fff8c5; border: 1px solid #d4a72c; color: #7d4e00; border-radius: 999px; padding: 0 8px; font-size: 12px; font-weight: 600; }
ul.runs { list-style: none; margin: 0; padding: 0; }
ul.runs li { margin-bottom: 4px; font-size: 12px; }
.status { display: inline-block; min-width: 64px; font-weight: 600; }
.st-succeeded .status, .status.st-succeeded { color: #1a7f37; }
.st-failed .status, .st-interrupted .status, .status.st-failed, .status.st-interrupted { color: #cf222e; }
.st-stopped .status, .st-running .status, .st-succeeded_with_skips .status, .st-succeeded_with_failures .status, .status.st-stopped, .status.st-running, .status.st-succeeded_with_skips, .status.st-succeeded_with_failures { color: #9a6700; }
details.menu { position: relative; display: inline-block; }
details.menu summary { list-style: none; cursor: pointer; border: 1px solid #d0d7de; border-radius: 6px; padding: 2px 10px; background: #f6f8fa; }
details.menu summary::-webkit-details-marker { display: none; }
details.menu .items { position: absolute; right: 0; z-index: 2; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px; display: flex; flex-direction: column; min-width: 120px; box-shadow: 0 4px 12px rgba(0,0,0,.12); }
details.menu .items a { padding: 4px 8px; text-decoration: none; color: #1f2328; }
details.menu .items a:hover { background: #f6f8fa; }
fieldset { border: 1px solid #d0d7de; border-radius: 6px; margin: 12px 0; padding: 8px 12px 12px; min-width: 0; }
legend { font-weight: 600; padding: 0 4px; }
label { display: inline-block; margin: 4px 12px 4px 0; }
label.block { display: block; }
input[type=text], input:not([type]), select, textarea { font: inherit; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 6px; max-width: 100%; }
[aria-invalid="true"] { border-color: #cf222e; outline: 2px solid #ff8182; }
textarea { width: 100%; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.rows { display: flex; flex-direction: column; gap: 6px; }
.row { display: flex; gap: 6px; flex-wrap: wrap; align-items: flex-start; padding: 6px; border: 1px solid #eaeef2; border-radius: 6px; }
.row textarea { width: 220px; min-height: 32px; }
.row input.wide { min-width: 260px; flex: 1; }
.hint { font-size: 12px; color: #59636e; margin: 2px 0 6px; }
.default-action { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.scroll { overflow-x: auto; max-width: 100%; }
table.preview td, table.history td { font-size: 12px; }
table.preview td { max-width: 320px; }
footer { margin-top: 16px; font-size: 12px; }
@media (max-width: 760px) {
  body { margin: 12px; overflow-wrap: anywhere; }
  table.pipelines thead { display: none; }
  table.pipelines, table.pipelines tbody, table.pipelines tr, table.pipelines td { display: block; width: 100%; }
  table.pipelines tr { border: 1px solid #d8dee4; border-radius: 6px; margin-bottom: 12px; padding: 4px; }
  table.pipelines td { border: 0; padding: 4px 6px; max-width: none; }
  table.pipelines td[data-label]::before { content: attr(data-label) ": "; font-size: 11px; text-transform: uppercase; color: #59636e; }
  .row textarea, .row input.wide { width: 100%; min-width: 0; }
}
`;
