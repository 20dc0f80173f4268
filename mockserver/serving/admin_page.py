"""The admin page (`GET /__mock__/`): one self-contained HTML file, no external resources.

It shows the loaded operations, switches scenarios, resets the mock and polls the request journal
every second; a session field narrows all of it to one session (`X-Mock-Session`). Everything it shows
comes from the admin API, so the page holds no state of its own.
When the admin API needs a token, the page takes it from its address (`/__mock__/#token=...`, never
sent to the server as part of a URL), keeps it for the browser tab and sends it with every request.
"""

from __future__ import annotations

import html

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - mockserver</title>
<style>
  body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }}
  h1 {{ font-size: 1.3rem; margin: 0 0 .2rem; }}
  h2 {{ font-size: 1.05rem; margin: 1.4rem 0 .4rem; }}
  table {{ border-collapse: collapse; width: 100%; }}
  th, td {{ text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e4e4e4; vertical-align: top; }}
  th {{ font-weight: 600; background: #f6f6f6; }}
  code, td.mono {{ font-family: ui-monospace, monospace; font-size: 13px; }}
  .muted {{ color: #777; }}
  .s2 {{ color: #176b25; }} .s3 {{ color: #1b4f9c; }} .s4 {{ color: #a15c00; }} .s5 {{ color: #b3141b; }}
  .bar {{ display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }}
  button, select {{ font: inherit; padding: .15rem .5rem; }}
  tr.entry {{ cursor: pointer; }}
  pre.detail {{ margin: 0; white-space: pre-wrap; word-break: break-all; font-size: 12px; }}
</style>
</head>
<body data-prefix="{prefix}" data-ready="false">
<h1>{title}</h1>
<div class="bar muted"><span id="health">connecting...</span></div>

<h2>Scenario</h2>
<div class="bar">
  <label>Session <input id="session" aria-label="session" placeholder="every session" size="24"></label>
  <select id="scenario" aria-label="scenario"></select>
  <button id="reset" type="button">Reset mock</button>
  <span id="message" class="muted"></span>
</div>

<h2>Operations</h2>
<table id="operations">
  <thead><tr><th>Method</th><th>Path</th><th>Operation</th><th>Responses</th></tr></thead>
  <tbody></tbody>
</table>

<h2>Requests <span class="muted" id="journal-count"></span></h2>
<table id="journal">
  <thead><tr><th>Time</th><th>Method</th><th>Path</th><th>Status</th><th>Source</th><th>ms</th>
  <th>Session</th></tr></thead>
  <tbody></tbody>
</table>

<script>
"use strict";
const prefix = document.body.dataset.prefix;
const given = new URLSearchParams(location.hash.slice(1)).get("token");
if (given) {{
  sessionStorage.setItem("mockserver-admin-token", given);
  history.replaceState(null, "", location.pathname + location.search);
}}
const token = sessionStorage.getItem("mockserver-admin-token");
window.addEventListener("hashchange", () => {{  // a token pasted into the address of the open page
  if (new URLSearchParams(location.hash.slice(1)).get("token")) location.reload();
}});
const api = (path, options = {{}}) => {{
  const headers = {{...(options.headers || {{}})}};
  if (token) headers["X-Mock-Admin-Token"] = token;
  return fetch(prefix + path, {{...options, headers}}).then(async (response) => {{
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (response.status === 401) throw new Error("this admin API needs its token: open the page as " +
                                                 location.pathname + "#token=<token>");
    if (!response.ok) throw new Error((data && data.detail) || response.statusText);
    return data;
  }});
}};
const change = (path, method, body) => api(path, {{
  method, headers: {{"Content-Type": "application/json"}}, body: JSON.stringify(body),
}});
const cell = (row, text, className) => {{
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  return td;
}};
const say = (text) => {{ document.getElementById("message").textContent = text; }};
// The session the page is narrowed to ("" : every session's journal, the deployment's scenario).
const session = () => document.getElementById("session").value.trim();
const inSession = (path) => session() ? `${{path}}${{path.includes("?") ? "&" : "?"}}session=` +
  encodeURIComponent(session()) : path;
const withSession = (body) => session() ? {{...body, session: session()}} : body;

async function loadOperations() {{
  const body = document.querySelector("#operations tbody");
  body.replaceChildren();
  for (const op of await api("/operations")) {{
    const row = body.insertRow();
    cell(row, op.method, "mono");
    cell(row, op.path, "mono");
    cell(row, op.operation_id || "-", "mono");
    cell(row, op.responses.join(", "));
  }}
}}

async function loadScenario() {{
  const data = await api(inSession("/scenario"));
  const select = document.getElementById("scenario");
  const options = data.choices.map((name) => new Option(name, name, false, name === data.scenario));
  select.replaceChildren(...options);
}}

let shownJournal = null;  // what the table shows, so an unchanged journal keeps opened details open

async function loadJournal() {{
  const data = await api(inSession("/requests?limit=50"));
  const newest = data.requests[0];
  const key = `${{session()}}|${{data.total}}|${{newest ? newest.time + newest.method + newest.path : ""}}`;
  if (key === shownJournal) return;
  shownJournal = key;
  document.getElementById("journal-count").textContent = `(${{data.total}} kept, newest first)`;
  const body = document.querySelector("#journal tbody");
  body.replaceChildren();
  for (const entry of data.requests) {{
    const row = body.insertRow();
    row.className = "entry";
    cell(row, entry.time.slice(11, 23), "mono");
    cell(row, entry.method, "mono");
    cell(row, entry.path + (entry.query ? "?" + entry.query : ""), "mono");
    cell(row, entry.status, "s" + String(entry.status)[0]);
    cell(row, entry.source, "mono");
    cell(row, entry.duration_ms);
    cell(row, entry.session, "mono");
    row.addEventListener("click", () => {{
      const next = row.nextElementSibling;
      if (next && next.classList.contains("detail")) {{ next.remove(); return; }}
      const detail = body.insertRow(row.sectionRowIndex + 1);
      detail.className = "detail";
      const td = detail.insertCell();
      td.colSpan = 7;
      const pre = document.createElement("pre");
      pre.className = "detail";
      const shown = {{operation: entry.operation, headers: entry.headers, body: entry.body}};
      pre.textContent = JSON.stringify(shown, null, 2);
      td.appendChild(pre);
    }});
  }}
}}

async function loadHealth() {{
  const health = await api("/health");
  document.getElementById("health").textContent =
    `${{health.status}} - ${{health.operations}} operation(s), scenario: ${{health.scenario}}`;
}}

document.getElementById("scenario").addEventListener("change", async (event) => {{
  try {{
    await change("/scenario", "PUT", withSession({{scenario: event.target.value}}));
    say(`serving scenario ${{event.target.value}}`);
  }} catch (error) {{ say(error.message); }}
  await Promise.all([loadScenario(), loadHealth()]);
}});

document.getElementById("reset").addEventListener("click", async () => {{
  try {{
    await change("/reset", "POST", withSession({{}}));
    say(session() ? `session ${{session()}} reset` : "reset");
  }} catch (error) {{ say(error.message); }}
  await Promise.all([loadScenario(), loadJournal(), loadHealth()]);
}});

document.getElementById("session").addEventListener("change", async () => {{
  shownJournal = null;
  try {{ await Promise.all([loadScenario(), loadJournal()]); }} catch (error) {{ say(error.message); }}
}});

async function refresh() {{
  try {{
    await Promise.all([loadJournal(), loadHealth()]);
  }} catch (error) {{
    document.getElementById("health").textContent = "mock unreachable: " + error.message;
  }}
}}

(async () => {{
  try {{
    await Promise.all([loadOperations(), loadScenario(), loadJournal(), loadHealth()]);
  }} catch (error) {{
    document.getElementById("health").textContent = "mock unreachable: " + error.message;
  }}
  document.body.dataset.ready = "true";
  setInterval(refresh, 1000);
}})();
</script>
</body>
</html>
"""


def render_admin_page(title: str, prefix: str) -> str:
    """The page for an API called `title`, talking to the admin API under `prefix`."""
    return _PAGE.format(title=html.escape(title), prefix=html.escape(prefix, quote=True))
