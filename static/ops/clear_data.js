"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("clear-form");
  const input = document.getElementById("clear-confirm");
  const button = document.getElementById("clear-button");
  const result = document.getElementById("clear-result");
  input.addEventListener("input", () => { button.disabled = input.value !== "DELETE"; });

  function list(title, items) {
    const section = document.createElement("div");
    const heading = document.createElement("h3");
    heading.textContent = `${title} (${items.length})`;
    const ul = document.createElement("ul");
    for (const item of items) { const li = document.createElement("li"); li.textContent = item; ul.appendChild(li); }
    section.append(heading, ul);
    return section;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (input.value !== "DELETE") { return; }
    button.disabled = true;
    result.hidden = false;
    result.textContent = "Clearing…";
    try {
      const body = await apiFetch(form.dataset.url, {method: "POST", json: {confirm: "DELETE"}});
      const r = body.results;
      const message = document.createElement("p");
      message.className = r.errors.length ? "error" : "";
      message.textContent = body.message;
      result.replaceChildren(message, list("Stages cleared", r.stages_cleared), list("Tables emptied", r.tables_truncated),
        list("Silver tables dropped", r.silver_tables_dropped), list("Errors", r.errors));
    } catch (error) {
      result.replaceChildren(Object.assign(document.createElement("p"), {className: "error", textContent: error.message}));
    } finally {
      input.value = "";
    }
  });
});
