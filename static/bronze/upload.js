"use strict";
(() => {
  const zone = document.getElementById("dropzone"), input = document.getElementById("file-input");
  const list = document.getElementById("uploads"), start = document.getElementById("start-upload");
  let queued = [];
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
      request.open("POST", "/api/bronze/upload");
      request.setRequestHeader("X-XSRF-TOKEN", csrfToken());
      request.upload.onprogress = (event) => { if (event.lengthComputable) { bar.style.width = `${100 * event.loaded / event.total}%`; } };
      request.onload = () => {
        let body = {}; try { body = JSON.parse(request.responseText); } catch (error) { body = {detail: request.statusText}; }
        const ok = request.status === 201;
        outcome.textContent = ok ? body.message : (body.detail || `HTTP ${request.status}`);
        outcome.className = ok ? "outcome badge SUCCESS" : "outcome error";
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
      try { const body = await apiFetch("/api/bronze/process", {method: "POST"}); list.insertAdjacentHTML("beforeend", '<li class="muted"></li>'); list.lastChild.textContent = body.message; }
      catch (error) { window.alert(error.message); }
    }
  });
})();
