"use strict";
function csrfToken() {
  const match = document.cookie.match(/(?:^|; )XSRF-TOKEN=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
async function apiFetch(path, options = {}) {
  const headers = Object.assign({"X-XSRF-TOKEN": csrfToken()}, options.headers || {});
  if (options.json !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(options.json); }
  const response = await fetch(path, Object.assign({}, options, {headers, credentials: "same-origin"}));
  const body = response.headers.get("content-type", "").includes("json") ? await response.json() : null;
  if (!response.ok) { throw new Error((body && body.detail) || response.statusText); }
  return body;
}
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) { event.preventDefault(); }
});
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) { event.target.form.submit(); }
});
