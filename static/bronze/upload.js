"use strict";
// Upload page: drop or choose files, send each with its progress, then start processing.
(() => {
  const zone = document.getElementById("dropzone"), input = document.getElementById("file-input");
  const list = document.getElementById("uploads"), start = document.getElementById("start-upload");
  let queued = [];
  // Each uploaded file follows the pipeline live: queued -> processing (rows) -> result, with a link.
  const watching = new Map();
  document.addEventListener("medallion:event", (event) => {
    const {topic, event: change} = event.detail;
    const item = watching.get(change.file_name);
    if (!item) { return; }
    const outcome = item.querySelector(".outcome");
    if (topic === "load") {
      const soFar = change.rows ? ` ${change.estimated ? "~" : ""}${change.rows.toLocaleString("en-US")} rows` : "";
      outcome.textContent = `loading…${soFar}`;
      outcome.className = "outcome badge PROCESSING";
      return;
    }
    outcome.className = `outcome badge ${change.status}`;
    if (change.status === "PENDING" || change.status === "PROCESSING") {
      outcome.textContent = change.status === "PENDING" ? "queued" : "processing…";
      return;
    }
    const rows = change.rows_loaded === null || change.rows_loaded === undefined ? "" : ` · ${change.rows_loaded.toLocaleString("en-US")} rows`;
    outcome.textContent = `${change.status}${rows} `;
    const link = document.createElement("a");
    link.href = `${zone.dataset.statusUrl}?tpa=${encodeURIComponent(change.tpa)}${change.status === "FAILED" ? "&status=FAILED" : ""}`;
    link.textContent = change.status === "FAILED" ? "why it failed →" : "status →";
    outcome.after(link);
    item.dataset.result = change.status;
    watching.delete(change.file_name);
  });
  function add(files) {
    for (const file of files) {
      const item = document.createElement("li");
      item.innerHTML = '<span class="name"></span><div class="progress"><div></div></div><span class="outcome muted">waiting</span>';
      item.querySelector(".name").textContent = `${file.name} (${(file.size / 1048576).toFixed(2)} MB)`;
      list.appendChild(item);
      queued.push({file, item});
    }
    start.disabled = queued.length === 0;
  }
  function send(entry, tpa) {
    return new Promise((resolve) => {
      const form = new FormData(); form.append("tpa", tpa); form.append("file", entry.file);
      const request = new XMLHttpRequest(), bar = entry.item.querySelector(".progress > div"), outcome = entry.item.querySelector(".outcome");
      request.open("POST", zone.dataset.uploadUrl);
      request.setRequestHeader("X-XSRF-TOKEN", csrfToken());
      request.upload.onprogress = (event) => { if (event.lengthComputable) { bar.style.width = `${100 * event.loaded / event.total}%`; } };
      request.onload = () => {
        let body = {}; try { body = JSON.parse(request.responseText); } catch (error) { body = {detail: request.statusText}; }
        const ok = request.status === 201;
        outcome.textContent = ok ? "uploaded · queued" : (body.detail || `HTTP ${request.status}`);
        outcome.className = ok ? "outcome badge PENDING" : "outcome error";
        if (ok) { entry.item.dataset.uploaded = `${body.tpa}/${body.file_name}`; watching.set(entry.item.dataset.uploaded, entry.item); }
        bar.style.width = "100%"; resolve(ok);
      };
      request.onerror = () => { outcome.textContent = "Network error"; outcome.className = "outcome error"; resolve(false); };
      outcome.textContent = "uploading…"; request.send(form);
    });
  }
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (event) => { if (event.key === "Enter") { input.click(); } });
  input.addEventListener("change", () => { add(input.files); input.value = ""; });
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => { event.preventDefault(); zone.classList.remove("over"); add(event.dataTransfer.files); });
  start.addEventListener("click", async () => {
    const tpa = document.getElementById("upload-tpa").value;
    if (!tpa) { window.alert("Choose an active TPA first."); return; }
    start.disabled = true;
    const batch = queued; queued = [];
    let uploaded = 0;
    for (const entry of batch) { if (await send(entry, tpa)) { uploaded += 1; } }
    if (uploaded && document.getElementById("process-now").checked) {
      try { const body = await apiFetch(zone.dataset.processUrl, {method: "POST"}); list.insertAdjacentHTML("beforeend", '<li class="muted process-note"></li>'); list.lastChild.textContent = body.message; }
      catch (error) { window.alert(error.message); }
    }
  });
})();
