"use strict";
function ruleBody(form) {
  const body = {};
  for (const [name, value] of new FormData(form)) {
    if (value === "") { continue; }
    body[name] = ["threshold_value", "priority", "execution_order"].includes(name) ? Number(value) : value;
  }
  for (const box of form.querySelectorAll("input[type=checkbox][name]")) { body[box.name] = box.checked; }
  return body;
}
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-kind]");
  if (!form) { return; }
  event.preventDefault();
  const status = form.querySelector(".form-status");
  try {
    await apiFetch(form.dataset.url, {method: form.dataset.method || "POST", json: ruleBody(form)});
    window.location.reload();
  } catch (error) { status.textContent = error.message; }
});
document.addEventListener("change", async (event) => {
  const toggle = event.target.closest("input[data-toggle]");
  if (!toggle) { return; }
  toggle.disabled = true;
  try {
    await apiFetch(toggle.dataset.url, {method: "PATCH", json: {is_active: toggle.checked}});
  } catch (error) { toggle.checked = !toggle.checked; window.alert(error.message); }
  toggle.disabled = false;
});
