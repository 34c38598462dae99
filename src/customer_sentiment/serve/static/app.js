// The service's page: score one review (its label, the probabilities as bars, the words that decided
// it) or a whole file (a summary and the scored CSV to download), through the service's JSON API.
// Its URLs are relative, so that it also works behind a proxy that serves the app under a path prefix.
// Reviews are untrusted: they reach the page as text nodes only, never as markup.
"use strict";

const FAINTEST = 0.1;   // words under this share of the strongest weight stay plain (as in the HTML report)
const TOP = 5;          // phrases listed on each side of an explanation
let downloadUrl = null; // the scored file's Blob URL, released when a newer one replaces it
let maxBytes = null;    // the service's body limit, from /v1/model: a larger file is not sent at all

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);              // strings become text nodes
  return node;
}

function percent(probability) {
  return `${(100 * probability).toFixed(1)}%`;
}

function signed(weight) {
  return (weight > 0 ? "+" : "") + weight.toFixed(2);
}

function authorization(headers = {}) {
  const key = document.getElementById("api-key").value.trim();
  return key ? { ...headers, Authorization: `Bearer ${key}` } : headers;
}

// The service's answer as JSON, or an Error whose message is the service's own reason, as text.
async function call(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { ...options, headers: authorization(options.headers) });
  } catch (error) {
    throw new Error(`Could not reach the service (${error.message}). Is it still running?`);
  }
  const body = await response.text();
  let data = null;
  try { data = body ? JSON.parse(body) : null; } catch { /* not JSON: the raw text is shown below */ }
  if (!response.ok) throw Object.assign(new Error(failure(response, data, body)), { status: response.status });
  if (data === null) throw new Error(`The service answered ${response.status} with no JSON.`);
  return data;
}

function failure(response, data, body) {
  const detail = data && data.detail;
  let reason;
  if (Array.isArray(detail)) {           // FastAPI's validation errors: [{loc, msg, type}, ...]
    reason = detail.map((d) => [...(d.loc || []).filter((part) => part !== "body"), d.msg].join(": ")).join("\n");
  } else if (typeof detail === "string") {
    reason = detail;
  } else if (response.status === 413) {
    reason = "The file is too large for this service.";
  } else {
    reason = body.trim().slice(0, 300) || response.statusText || "no reason given";
  }
  if (response.status === 401 || response.status === 403) reason += "\nFill in the API key field (below) and try again.";
  return `Error ${response.status}: ${reason}`;
}

function showError(region, error) {
  region.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
}

async function busy(form, region, message, work) {
  const button = form.querySelector("button");
  button.disabled = true;
  region.setAttribute("aria-busy", "true");
  region.replaceChildren(el("p", { class: "note" }, message));
  try {
    region.replaceChildren(...await work());
  } catch (error) {
    showError(region, error);
  } finally {
    button.disabled = false;
    region.removeAttribute("aria-busy");
  }
}

// ---- One review -------------------------------------------------------------------------------

function bars(labels, probabilities, label) {
  const list = el("ul", { class: "bars", "aria-label": "Probability of each label" });
  for (const name of labels) {
    const probability = probabilities[name];
    const fill = el("span", { class: "fill" });
    fill.style.width = percent(probability);   // CSSOM, which the page's Content-Security-Policy allows
    list.append(el("li", name === label ? { class: "chosen" } : {},
      el("span", { class: "name" }, name),
      el("span", { class: "track", "aria-hidden": "true" }, fill),
      el("span", { class: "value" }, percent(probability))));
  }
  return list;
}

// The cleaned text with each span marked toward or against the label, shaded by |weight|. Offsets count
// code points (Python's), so the text is split into code points rather than JavaScript's UTF-16 units;
// spans that overlap, fall outside the text or do not cover their own `text` are left plain.
function highlighted(text, spans) {
  const chars = Array.from(text);
  const strongest = Math.max(0, ...spans.map((span) => Math.abs(span.weight))) || 1;
  const paragraph = el("p", { class: "highlighted" });
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start || a.end - b.end)) {
    const { start, end, weight } = span;
    const words = chars.slice(start, end).join("");
    const strength = Math.abs(weight) / strongest;
    if (start < at || end > chars.length || start >= end || (span.text != null && span.text !== words)) continue;
    if (strength < FAINTEST) continue;
    const side = weight > 0 ? "toward" : "against";
    const mark = el("mark", { class: strength >= 0.5 ? `${side} strong` : side, title: `${side} the label: ${signed(weight)}` },
      words);
    mark.style.setProperty("--w", (0.15 + 0.6 * strength).toFixed(2));
    paragraph.append(chars.slice(at, start).join(""), mark);
    at = end;
  }
  paragraph.append(chars.slice(at).join(""));
  return paragraph;
}

function phrases(title, items) {
  const list = el("ul");
  for (const item of items.slice(0, TOP)) list.append(el("li", {}, `${item.phrase} (${signed(item.weight)})`));
  if (!items.length) list.append(el("li", {}, "none"));
  return el("div", {}, el("h3", {}, title), list);
}

function explanation(found) {
  const legend = el("p", { class: "note legend" },
    el("mark", { class: "toward" }, "orange"), `pushed toward ${found.label}, `,
    el("mark", { class: "against" }, "blue"), "pushed away; underlined: the strongest.");
  return [el("h3", {}, "Why"), highlighted(found.text, found.spans || []), legend,
    el("div", { class: "phrases" },
      phrases(`Toward ${found.label}`, found.toward || []), phrases(`Against ${found.label}`, found.against || []))];
}

async function scoreReview(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const region = document.getElementById("review-result");
  const text = document.getElementById("review-text").value;
  await busy(form, region, "Scoring the review…", async () => {
    const answer = await call("v1/predict", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ texts: [text], explain: true, top: TOP }),
    });
    const prediction = answer.predictions[0];
    const verdict = el("p", { class: "verdict" }, "Label: ", el("strong", { id: "predicted-label" }, prediction.label),
      ` (${percent(prediction.probabilities[prediction.label])})`);
    const shown = [verdict, bars(answer.labels || Object.keys(prediction.probabilities), prediction.probabilities, prediction.label)];
    return prediction.explanation ? shown.concat(explanation(prediction.explanation)) : shown;
  });
}

// ---- A file -----------------------------------------------------------------------------------

function contentType(file) {
  if (/\.csv$/i.test(file.name)) return "text/csv";
  if (/\.(jsonl|ndjson|json)$/i.test(file.name)) return "application/x-ndjson";
  if (/\.(tsv|tab)$/i.test(file.name)) return "text/tab-separated-values";
  return file.type || "application/octet-stream";    // the service names what it accepts
}

function summary(answer) {
  const total = Object.values(answer.counts).reduce((sum, count) => sum + count, 0) || 1;
  const table = el("table", {}, el("caption", {}, "Labels"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Label"), el("th", { scope: "col", class: "n" }, "Reviews"),
      el("th", { scope: "col", class: "n" }, "Share"))));
  const rows = el("tbody");
  for (const [label, count] of Object.entries(answer.counts)) {
    rows.append(el("tr", {}, el("th", { scope: "row" }, label), el("td", { class: "n" }, String(count)),
      el("td", { class: "n" }, percent(count / total))));
  }
  table.append(rows);
  return table;
}

function download(answer) {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([answer.scored], { type: "text/csv" }));
  return el("a", { class: "download", href: downloadUrl, download: answer.filename }, `Download ${answer.filename}`);
}

async function scoreFile(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const region = document.getElementById("file-result");
  const file = document.getElementById("review-file").files[0];
  const query = new URLSearchParams({ text_column: document.getElementById("text-column").value.trim(), filename: file.name });
  await busy(form, region, `Scoring ${file.name}…`, async () => {
    if (maxBytes !== null && file.size > maxBytes) {       // the service would refuse it (413) after the upload
      throw new Error(`${file.name} is ${size(file.size)}: this service takes files up to ${size(maxBytes)}. ` +
        "Split it into smaller files, or ask for the service to be started with a larger --max-body-bytes.");
    }
    const answer = await call(`v1/score-file?${query}`, {
      method: "POST", headers: { "Content-Type": contentType(file) }, body: file,
    });
    const counts = el("p", { class: "verdict" }, "Rows: ", el("strong", { id: "file-rows" }, String(answer.rows)),
      " · without text (not scored): ", el("strong", { id: "file-skipped" }, String(answer.skipped)));
    return [counts, summary(answer), el("p", {}, download(answer))];
  });
}

// ---- The model --------------------------------------------------------------------------------

function size(bytes) {
  const [unit, scale] = bytes >= 1e6 ? ["MB", 1e6] : bytes >= 1e3 ? ["kB", 1e3] : ["bytes", 1];
  return `${(bytes / scale).toLocaleString("en", { maximumFractionDigits: 1 })} ${unit}`;
}

// The model's name and labels, its text column as the file's default, and the service's file size limit.
async function showModel() {
  const info = document.getElementById("model-info");
  try {
    const model = await call("v1/model");
    info.textContent = `Model: ${model.architecture} · labels: ${model.labels.join(", ")}`;
    const column = document.getElementById("text-column");
    if (model.text_column && column.value === column.defaultValue) column.value = model.text_column;
    if (model.limits && model.limits.max_body_bytes) {
      maxBytes = model.limits.max_body_bytes;
      document.getElementById("file-limit").textContent = ` Files up to ${size(maxBytes)}.`;
    }
  } catch (error) {
    info.textContent = error.message;
    if (error.status === 503) setTimeout(showModel, 1000);    // still loading: ask again
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("review-form").addEventListener("submit", scoreReview);
  document.getElementById("file-form").addEventListener("submit", scoreFile);
  document.getElementById("review-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) event.currentTarget.form.requestSubmit();
  });
  document.getElementById("api-key").addEventListener("change", showModel);
  showModel();
});
