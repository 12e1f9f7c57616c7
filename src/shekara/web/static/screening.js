// Screening pages: keyboard-first checkpoint form and the live response clock of the hit inbox.
(function () {
  "use strict";
  function first() { return document.querySelector("[data-screen-first]"); }
  document.addEventListener("DOMContentLoaded", function () {
    var name = first();
    if (name && !document.querySelector("[aria-invalid=true]")) { name.focus(); name.select(); }
    var bad = document.querySelector("#screen-form [aria-invalid=true]");
    if (bad) { bad.focus(); }
  });
  // Esc: an empty form for the next traveller (the results go too).
  document.addEventListener("keydown", function (e) {
    var form = document.getElementById("screen-form");
    if (e.key !== "Escape" || !form) { return; }
    e.preventDefault();
    form.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (el) { el.value = ""; });
    form.querySelectorAll(".mrz-status, .mrz-problems").forEach(function (el) { el.remove(); });
    var results = document.getElementById("results");
    if (results) { results.innerHTML = ""; }
    var name = first();
    if (name) { name.focus(); }
  });
  // The 12-hour clock of each pending hit, updated every 30 seconds.
  function tick() {
    document.querySelectorAll(".clock[data-deadline]").forEach(function (el) {
      var table = el.closest("[data-tpl-left]");
      if (!table) { return; }
      var ms = Date.parse(el.getAttribute("data-deadline")) - Date.now();
      var mins = Math.floor(Math.abs(ms) / 60000);
      var span = table.getAttribute("data-tpl-span")
        .replace("{h}", String(Math.floor(mins / 60))).replace("{m}", String(mins % 60));
      el.textContent = table.getAttribute(ms < 0 ? "data-tpl-late" : "data-tpl-left").replace("{span}", span);
      el.classList.toggle("late", ms < 0);
    });
  }
  setInterval(tick, 30000);
})();
