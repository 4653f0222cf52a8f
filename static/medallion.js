"use strict";
// Shared by every page (loaded first, deferred; page scripts are deferred after it, so they run in order):
// API calls, action buttons and forms, messages that stay until dismissed, the TPA selector.
function csrfToken() {
  const match = document.cookie.match(/(?:^|; )XSRF-TOKEN=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
async function apiFetch(path, options = {}) {
  const headers = Object.assign({"X-XSRF-TOKEN": csrfToken()}, options.headers || {});
  if (options.json !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(options.json); }
  const response = await fetch(path, Object.assign({}, options, {headers, credentials: "same-origin"}));
  const body = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
  if (!response.ok) { throw new Error((body && body.detail) || response.statusText); }
  return body;
}

const FLASH_KEY = "medallion.messages";

function showMessage(text, kind) {
  let list = document.querySelector("main > ul.messages");
  if (!list) {
    list = document.createElement("ul");
    list.className = "messages";
    document.querySelector("main").prepend(list);
  }
  const item = document.createElement("li");
  item.className = `msg-${kind}`;
  const label = document.createElement("span");
  label.textContent = text;
  const close = document.createElement("button");
  close.type = "button"; close.className = "dismiss"; close.setAttribute("aria-label", "Dismiss"); close.textContent = "×";
  item.append(label, close);
  list.append(item);
}

// A message survives the reload that follows an action, and stays until its × is clicked.
function flash(text, kind) {
  const pending = JSON.parse(window.sessionStorage.getItem(FLASH_KEY) || "[]");
  pending.push({text, kind});
  window.sessionStorage.setItem(FLASH_KEY, JSON.stringify(pending));
}

function showFlashed() {
  const pending = JSON.parse(window.sessionStorage.getItem(FLASH_KEY) || "[]");
  window.sessionStorage.removeItem(FLASH_KEY);
  for (const message of pending) { showMessage(message.text, message.kind); }
}

function summary(body) {
  return (body && (body.message || body.result || body.status)) || "Done.";
}

async function runAction(action, reload) {
  try {
    const body = await action();
    if (reload) { flash(summary(body), "success"); window.location.reload(); } else { showMessage(summary(body), "success"); }
    return body;
  } catch (error) {
    showMessage(error.message, "error");
    return null;
  }
}

function formJson(form) {
  const data = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) { continue; }
    if (field.type === "checkbox") { data[field.name] = field.checked; continue; }
    if (field.value === "" && !field.dataset.keepEmpty) { continue; }
    if (field.dataset.number !== undefined) { data[field.name] = Number(field.value); }
    else if (field.dataset.json !== undefined) { data[field.name] = JSON.parse(field.value); }
    else { data[field.name] = field.value; }
  }
  return data;
}

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) { event.preventDefault(); return; }
  const form = event.target.closest("form[data-api-form]");
  if (!form) { return; }
  event.preventDefault();
  const submit = form.querySelector("button[type=submit], button:not([type])");
  if (submit) { submit.disabled = true; }
  runAction(() => apiFetch(form.dataset.apiForm, {method: form.dataset.method || "POST", json: formJson(form)}), true)
    .finally(() => { if (submit) { submit.disabled = false; } });
});

document.addEventListener("click", (event) => {
  const dismiss = event.target.closest(".messages .dismiss");
  if (dismiss) { dismiss.closest("li").remove(); return; }
  const button = event.target.closest("[data-api]");
  if (!button) { return; }
  event.preventDefault();
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) { return; }
  const options = {method: button.dataset.method || "POST"};
  if (button.dataset.json) { options.json = JSON.parse(button.dataset.json); }
  button.disabled = true;
  runAction(() => apiFetch(button.dataset.api, options), true).finally(() => { button.disabled = false; });
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
});

document.addEventListener("DOMContentLoaded", showFlashed);

// Live pages: an element with an id and data-live="topic …" re-renders from the server whenever the event
// stream reports a change on one of its topics, through htmx and the same Django templates as the first load:
// with data-live-fragment the view answers htmx with just that fragment, otherwise htmx picks the element out
// of the whole page. data-live-listen only listens (the page's own script reacts to "medallion:event").
// Without JavaScript, or before the stream connects, a reload shows the same truth.
const LIVE_DEBOUNCE_MS = 250;
const liveTimers = new Map();
function liveTopics(element) { return element.dataset.live.split(/\s+/).filter(Boolean); }
function refreshLive(id) {
  if (liveTimers.has(id)) { return; }
  liveTimers.set(id, window.setTimeout(() => {
    liveTimers.delete(id);
    const element = document.getElementById(id);
    if (!element) { return; }
    const url = window.location.href;
    if (element.dataset.liveFragment !== undefined) {
      window.htmx.ajax("GET", url, {target: element, swap: "innerHTML"});
    } else {
      window.htmx.ajax("GET", url, {target: element, swap: "outerHTML", select: `#${id}`});
    }
  }, LIVE_DEBOUNCE_MS));
}
document.addEventListener("DOMContentLoaded", () => {
  const elements = [...document.querySelectorAll("[data-live]")];
  if (!elements.length || !window.EventSource || !window.htmx) { return; }
  const refreshed = elements.filter((element) => element.id && element.dataset.liveListen === undefined)
    .map((element) => ({id: element.id, topics: liveTopics(element)}));
  const topics = [...new Set(elements.flatMap(liveTopics))];
  const stream = new EventSource(`${document.body.dataset.events}?topics=${encodeURIComponent(topics.join(","))}`);
  const onEvent = (topic) => (event) => {
    for (const live of refreshed) { if (live.topics.includes(topic)) { refreshLive(live.id); } }
    document.dispatchEvent(new CustomEvent("medallion:event", {detail: {topic, event: JSON.parse(event.data)}}));
  };
  for (const topic of topics) { stream.addEventListener(topic, onEvent(topic)); }
  // A client that fell behind lost events: re-render everything once.
  stream.addEventListener("lagged", () => { for (const live of refreshed) { refreshLive(live.id); } });
  window.addEventListener("pagehide", () => stream.close());
});
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) { event.target.form.submit(); }
});
