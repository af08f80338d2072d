/* Live progress on the console's case page. The page works without this
   file (its Refresh link shows the latest state); with it, while a gather or
   a pack build is under way, the page asks the progress URL every few
   seconds, puts each system's status, items and finish time in place,
   updates the polite live region, and reloads once the work is done so the
   next action and the timeline are current. The strings come from the
   server, already worded as the page words them. */
(function () {
  "use strict";
  var root = document.getElementById("case-summary");
  if (!root || !window.fetch || !document.querySelector) { return; }
  if (root.getAttribute("data-live") !== "true") { return; }

  var url = root.getAttribute("data-progress-url");
  var every = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 2) * 1000;
  // Each request counts as use of the console, so following a job must not
  // keep a forgotten tab signed in: stop well before the idle time-out.
  var stopAt = Date.now() + 10 * 60 * 1000;
  var status = document.getElementById("live-status");

  function put(element, value) {
    if (element && typeof value === "string" && element.textContent !== value) {
      element.textContent = value;
    }
  }

  function update(data) {
    put(status, data.message);
    (data.sources || []).forEach(function (line) {
      var rows = root.querySelectorAll("tr[data-source]");
      for (var i = 0; i < rows.length; i += 1) {
        if (rows[i].getAttribute("data-source") !== line.source) { continue; }
        var cell = rows[i].querySelector('[data-field="status"]');
        put(cell, line.status_label);
        if (cell) { cell.className = "status status--" + line.status; }
        put(rows[i].querySelector('[data-field="items"]'), line.count);
        put(rows[i].querySelector('[data-field="finished"]'), line.finished);
      }
    });
  }

  function giveUp(message) {
    put(status, message);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        // A redirect means the session ended (sign-in page): stop quietly.
        if (!response.ok || response.redirected) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        update(data);
        if (!data.live) {
          window.location.reload();
          return;
        }
        schedule();
      })
      .catch(function () {
        giveUp("The progress could not be updated. Use the Refresh link to see the latest.");
      });
  }

  function schedule() {
    if (Date.now() < stopAt) {
      window.setTimeout(poll, every);
    } else {
      giveUp("Stopped following the progress. Use the Refresh link to see the latest.");
    }
  }

  root.setAttribute("data-following", "true");
  schedule();
})();
