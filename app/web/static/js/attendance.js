/* The attendance screen (templates/attendance/session.html): each click is saved at once through the API,
   PUT /api/v1/sessions/{id}/attendance, with the session's CSRF token (meta csrf-token) in the X-CSRF-Token header;
   the row says "saved" or, plainly, why not. "All present" marks everyone not yet marked, in one request. A late
   row's minutes late are saved with it as they are changed (their own save state beside them); a record sent
   without them keeps none, so every save of a late row sends its minutes; a row not late has its minutes field
   disabled (and hidden by the stylesheet). Without this script the form still sends the whole screen to the page,
   which saves it. */
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
  var maxMinutes = Number(form.getAttribute("data-session-minutes")) || 0;

  function rowOf(el) { return el.closest("tr[data-official-id]"); }
  function statusOf(row) {
    var checked = row.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }
  function minutesOf(row) { return row.querySelector("input.input--minutes"); }
  /* The minutes typed for a late row: a whole number, null when empty, NaN when not a number in bounds. */
  function minutesValue(row) {
    var input = minutesOf(row);
    var raw = input ? input.value.trim() : "";
    if (!raw) { return null; }
    if (!/^[0-9]+$/.test(raw)) { return NaN; }
    var n = Number(raw);
    return n >= 1 && (!maxMinutes || n <= maxMinutes) ? n : NaN;
  }
  /* The minutes field is for a late row only. */
  function syncMinutes(row) {
    var input = minutesOf(row);
    var choices = row.querySelector("fieldset");
    if (!input || (choices && choices.disabled)) { return; }
    input.disabled = statusOf(row) !== "late";
  }
  function show(row, state, message, minutes) {
    var cell = row.querySelector(minutes ? "[data-minutes-state]" : "[data-save-state]");
    if (!cell) { return; }
    cell.textContent = message;
    cell.className = "save-state save-state--" + state;
    row.setAttribute(minutes ? "data-minutes-save" : "data-save", state);
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

  /* Send rows [{row, note?, minutes?}] in one request; each row reports its own outcome (a save of minutes at the
     minutes' own state). A late row always carries its minutes when they are a number: sent without, it keeps none. */
  function save(items) {
    var records = items.map(function (item) {
      var record = { official_id: Number(item.row.getAttribute("data-official-id")), status: statusOf(item.row) };
      if (item.note !== undefined) { record.note = item.note; }
      if (record.status === "late") {
        var minutes = minutesValue(item.row);
        if (minutes !== null && !isNaN(minutes)) { record.minutes_late = minutes; }
      }
      return record;
    });
    items.forEach(function (item) { show(item.row, "saving", text("saving"), item.minutes); });
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
          if (/minutes_late$/.test(body.field || "")) { known = text("minutes_late"); }
          var why = text("failed") + " " + (known || body.detail || response.status);
          items.forEach(function (item) { show(item.row, "error", why, item.minutes); });
          if (live) { live.textContent = why; }
          return;
        }
        var failed = 0;
        items.forEach(function (item, i) {
          var result = body.rows && body.rows[i];
          if (result && result.result === "refused") {
            failed += 1;
            show(item.row, "error", text("failed") + " " + (text(result.error) || result.detail || result.error), item.minutes);
          } else {
            var saved = records[i].minutes_late === undefined ? "" : String(records[i].minutes_late);
            item.row.setAttribute("data-attendance-status", records[i].status);
            item.row.setAttribute("data-minutes-late", saved);
            var input = minutesOf(item.row);
            if (input) {
              /* A record saved as not late keeps no minutes: its (hidden) field is emptied. */
              if (records[i].status !== "late") { input.value = ""; }
              input.setAttribute("data-saved", saved);
            }
            show(item.row, "saved", text("saved"), item.minutes);
          }
        });
        if (live) { live.textContent = failed ? text("failed") : text("saved"); }
      });
    }).catch(function () {
      items.forEach(function (item) { show(item.row, "error", text("network"), item.minutes); });
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
      syncMinutes(row);
      clearTimeout(timers.get(row));
      timers.set(row, setTimeout(function () { save([{ row: row }]); }, 250));
    } else if (target.classList.contains("input--note")) {
      if (!statusOf(row)) { show(row, "error", text("pick")); return; }
      save([{ row: row, note: target.value }]);
    } else if (target.classList.contains("input--minutes")) {
      saveMinutes(row);
    }
  });

  /* Minutes late typed for a late row: saved with the row's status, unless they are no whole number in bounds
     (said beside them, nothing sent). Empty minutes are saved too: the late arrival then counts for the share. */
  function saveMinutes(row) {
    var input = minutesOf(row);
    if (!input || statusOf(row) !== "late") { return; }
    if (input.value.trim() === (input.getAttribute("data-saved") || "")) { return; }
    if (isNaN(minutesValue(row))) {
      input.setAttribute("aria-invalid", "true");
      show(row, "error", text("minutes_late"), true);
      if (live) { live.textContent = text("minutes_late"); }
      return;
    }
    input.removeAttribute("aria-invalid");
    save([{ row: row, minutes: true }]);
  }

  /* Enter in a text field of a row saves that field; it must not send the form (whose first button is "all
     present"). */
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target.tagName !== "INPUT" || target.type !== "text") { return; }
    var row = rowOf(target);
    if (!row) { return; }
    event.preventDefault();
    if (target.classList.contains("input--minutes")) {
      saveMinutes(row);
    } else if (target.classList.contains("input--note") && statusOf(row)) {
      save([{ row: row, note: target.value }]);
    }
  });

  form.querySelectorAll("tr[data-official-id]").forEach(function (row) {
    var input = minutesOf(row);
    if (input) { input.setAttribute("data-saved", input.value.trim()); }
    syncMinutes(row);
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
