/* The attendance screen (templates/attendance/session.html): each click is saved at once through the API,
   PUT /api/v1/sessions/{id}/attendance, with the session's CSRF token (meta csrf-token) in the X-CSRF-Token header;
   the row says "saved" or, plainly, why not. "All present" marks everyone not yet marked, in one request. Without
   this script the form still sends the whole screen to the page, which saves it. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-attendance-api]");
  if (!form) { return; }
  var api = form.getAttribute("data-attendance-api");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var live = form.querySelector("[data-live]");
  var count = document.getElementById("attendance-count");
  var text = function (name) { return form.getAttribute("data-text-" + name) || ""; };

  function rowOf(el) { return el.closest("tr[data-official-id]"); }
  function statusOf(row) {
    var checked = row.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }
  function show(row, state, message) {
    var cell = row.querySelector("[data-save-state]");
    cell.textContent = message;
    cell.className = "save-state save-state--" + state;
    row.setAttribute("data-save", state);
  }
  function recount() {
    if (!count) { return; }
    var rows = form.querySelectorAll("tr[data-official-id]");
    var taken = 0;
    rows.forEach(function (row) { if (statusOf(row)) { taken += 1; } });
    count.setAttribute("data-taken", String(taken));
    var bdis = count.querySelectorAll("bdi");
    if (bdis.length === 2) { bdis[0].textContent = String(taken); }
  }

  /* Send rows [{row, note?}] in one request; each row reports its own outcome. */
  function save(items) {
    var records = items.map(function (item) {
      var record = { official_id: Number(item.row.getAttribute("data-official-id")), status: statusOf(item.row) };
      if (item.note !== undefined) { record.note = item.note; }
      return record;
    });
    items.forEach(function (item) { show(item.row, "saving", text("saving")); });
    return fetch(api, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ records: records })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          /* In the page's words where the error is known; the API's own sentence otherwise. */
          var known = text(body.error || "") || (response.status === 401 || body.error === "csrf_failed" ? text("session") : "");
          var why = text("failed") + " " + (known || body.detail || response.status);
          items.forEach(function (item) { show(item.row, "error", why); });
          if (live) { live.textContent = why; }
          return;
        }
        var failed = 0;
        items.forEach(function (item, i) {
          var result = body.rows && body.rows[i];
          if (result && result.result === "refused") {
            failed += 1;
            show(item.row, "error", text("failed") + " " + (text(result.error) || result.detail || result.error));
          } else {
            item.row.setAttribute("data-attendance-status", records[i].status);
            show(item.row, "saved", text("saved"));
          }
        });
        if (live) { live.textContent = failed ? text("failed") : text("saved"); }
      });
    }).catch(function () {
      items.forEach(function (item) { show(item.row, "error", text("network")); });
      if (live) { live.textContent = text("network"); }
    });
  }

  /* Arrow keys move through a row's choices and each move is a change: wait for the last one before saving. */
  var timers = new WeakMap();
  form.addEventListener("change", function (event) {
    var target = event.target;
    var row = rowOf(target);
    if (!row) { return; }
    if (target.type === "radio") {
      recount();
      clearTimeout(timers.get(row));
      timers.set(row, setTimeout(function () { save([{ row: row }]); }, 250));
    } else if (target.classList.contains("input--note")) {
      if (!statusOf(row)) { show(row, "error", text("pick")); return; }
      save([{ row: row, note: target.value }]);
    }
  });

  var all = form.querySelector("[data-all-present]");
  if (all) {
    all.addEventListener("click", function (event) {
      event.preventDefault();
      var items = [];
      form.querySelectorAll("tr[data-official-id]").forEach(function (row) {
        if (statusOf(row)) { return; }
        var present = row.querySelector('input[type=radio][value="present"]');
        if (present) { present.checked = true; items.push({ row: row }); }
      });
      recount();
      if (items.length) { save(items); }
    });
  }
})();
