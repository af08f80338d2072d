/* Progressive enhancement for GOV.UK-style forms. Every form works without
   this file; it only adds: focus on the error summary, and a live character
   count for textareas marked data-module="character-count". */
(function () {
  "use strict";
  if (!document.querySelector || !window.addEventListener) { return; }

  var summary = document.querySelector('[data-module="error-summary"]');
  if (summary) { summary.focus(); }

  var counts = document.querySelectorAll('[data-module="character-count"]');
  Array.prototype.forEach.call(counts, function (group) {
    var max = parseInt(group.getAttribute("data-maxlength"), 10);
    var field = group.querySelector("textarea");
    var message = group.querySelector(".character-count__message");
    if (!field || !message || !max) { return; }
    // The static hint stays for screen readers as the description; a
    // separate polite live region announces the count as people type.
    var live = document.createElement("div");
    live.className = "hint character-count__status";
    live.setAttribute("aria-live", "polite");
    message.parentNode.insertBefore(live, message.nextSibling);
    message.classList.add("visually-hidden");
    var update = function () {
      var left = max - field.value.length;
      var over = left < 0;
      var n = Math.abs(left);
      live.textContent = "You have " + n.toLocaleString("en-GB") + " character" + (n === 1 ? "" : "s") +
        (over ? " too many" : " remaining");
      live.classList.toggle("character-count__status--error", over);
      field.classList.toggle("input--error", over || group.classList.contains("form-group--error"));
    };
    field.addEventListener("input", update);
    update();
  });
})();
