"use strict";
// Silver schemas and mappings pages: API actions from data attributes, bulk actions, row filters.
(function () {
  const status = () => document.getElementById("action-status");

  function report(text, isError) {
    const box = status();
    if (!box) { window.alert(text); return; }
    box.textContent = text;
    box.className = isError ? "msg-error" : "msg-success";
    box.hidden = false;
  }

  async function run(action) {
    try {
      const body = await action();
      report((body && body.message) || "Done.", false);
      window.setTimeout(() => window.location.reload(), 600);
    } catch (error) {
      report(error.message, true);
    }
  }

  function formJson(form) {
    const data = {};
    for (const field of form.elements) {
      if (!field.name || field.disabled) { continue; }
      if (field.type === "checkbox") { data[field.name] = field.checked; continue; }
      if (field.value === "" && !field.dataset.keepEmpty) { continue; }
      data[field.name] = field.dataset.number !== undefined ? Number(field.value) : field.value;
    }
    return data;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-api]");
    if (!button) { return; }
    event.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) { return; }
    run(() => apiFetch(button.dataset.api, {method: button.dataset.method || "POST"}));
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-api-form]");
    if (!form) { return; }
    event.preventDefault();
    const submit = form.querySelector("button[type=submit], button:not([type])");
    if (submit) { submit.disabled = true; }
    run(() => apiFetch(form.dataset.apiForm, {method: form.dataset.method || "POST", json: formJson(form)}))
      .finally(() => { if (submit) { submit.disabled = false; } });
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-bulk]");
    if (!button) { return; }
    const ids = [...document.querySelectorAll("input.pick:checked")].map((box) => box.value);
    if (!ids.length) { report("Select at least one mapping.", true); return; }
    const approve = button.dataset.bulk === "approve";
    if (!window.confirm(`${approve ? "Approve" : "Delete"} ${ids.length} mapping(s)?`)) { return; }
    run(async () => {
      const results = await Promise.allSettled(ids.map((id) => apiFetch(
        approve ? `/api/silver/mappings/${id}/approve` : `/api/silver/mappings/${id}`,
        {method: approve ? "POST" : "DELETE"})));
      const failed = results.filter((result) => result.status === "rejected").length;
      if (failed) { throw new Error(`${failed} of ${ids.length} failed.`); }
      return {message: `${ids.length} mapping(s) ${approve ? "approved" : "deleted"}.`};
    });
  });

  document.addEventListener("change", (event) => {
    if (event.target.id === "pick-all") {
      document.querySelectorAll("tr:not([hidden]) input.pick").forEach((box) => { box.checked = event.target.checked; });
    }
  });

  function applyFilters() {
    const search = (document.getElementById("mapping-search") || {}).value || "";
    const method = (document.getElementById("mapping-method") || {}).value || "";
    const state = (document.getElementById("mapping-state") || {}).value || "";
    const needle = search.trim().toLowerCase();
    document.querySelectorAll("tr[data-mapping]").forEach((row) => {
      const matches = (!needle || row.dataset.search.includes(needle))
        && (!method || row.dataset.method === method)
        && (!state || row.dataset.state === state || (state === "duplicate" && row.dataset.duplicate === "yes"));
      row.hidden = !matches;
    });
  }
  document.addEventListener("input", (event) => {
    if (event.target.closest("[data-filter]")) { applyFilters(); }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-edit-mapping]");
    if (!button) { return; }
    const form = document.getElementById("edit-mapping");
    const row = button.closest("tr");
    form.hidden = false;
    form.dataset.apiForm = `/api/silver/mappings/${button.dataset.editMapping}`;
    form.elements.source_field.value = row.dataset.source;
    form.elements.target_column.value = row.dataset.target;
    form.elements.transformation_logic.value = row.dataset.expression || "";
    form.scrollIntoView({behavior: "smooth"});
  });
})();
