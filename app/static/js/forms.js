/* Progressive enhancement for GOV.UK-style forms. Every form works without
   this file; it only adds: focus on the error summary, links in it that put
   the field's label (or legend) in view above the focused field, and a live
   character count for textareas marked data-module="character-count". */
(function () {
  "use strict";
  if (!document.querySelector || !window.addEventListener) { return; }

  var CONTROLS = "input:not([type=hidden]), select, textarea";

  // The field a summary link is about: the element it names when that is a
  // field, else the first field inside it (a date's first part in error).
  var fieldFor = function (target) {
    if (!target) { return null; }
    if (target.matches(CONTROLS)) { return target; }
    return target.querySelector("input.input--error") || target.querySelector(CONTROLS);
  };

  // As GOV.UK's error summary does: a radio or checkbox's fieldset legend;
  // for other fields in a fieldset (a date's parts) its legend when field
  // and legend both fit in the top half of the window; else the label.
  var labelFor = function (field) {
    var fieldset = field.closest("fieldset");
    var legend = fieldset && fieldset.querySelector("legend");
    if (legend) {
      if (field.type === "radio" || field.type === "checkbox") { return legend; }
      var box = field.getBoundingClientRect();
      if (box.height && window.innerHeight &&
          box.top + box.height - legend.getBoundingClientRect().top < window.innerHeight / 2) {
        return legend;
      }
    }
    var labels = field.labels;
    return (labels && labels.length ? labels[0] : null) || field.closest("label");
  };

  var summary = document.querySelector('[data-module="error-summary"]');
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a") : null;
      var hash = link && link.hash;
      if (!hash || hash.length < 2) { return; }
      var id;
      try { id = decodeURIComponent(hash.slice(1)); } catch (e) { return; }
      var field = fieldFor(document.getElementById(id));
      if (!field) { return; }  // not a field (a heading): the link does as usual
      var label = labelFor(field);
      event.preventDefault();
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

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
