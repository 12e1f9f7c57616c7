// Keyboard shortcuts and small helpers shared by every page (no inline scripts: see the CSP).
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (e.key === "/" && !/INPUT|SELECT|TEXTAREA/.test(tag) && !e.ctrlKey && !e.metaKey) {
      var q = document.getElementById("q");
      e.preventDefault();
      if (q) { q.focus(); q.select(); } else { window.location.href = "/search"; }
    }
  });
  // Keep the label of a chosen person so that it survives a re-displayed form.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.tagName === "SELECT" && /\.person_id$/.test(el.name)) {
      var hidden = el.form && el.form.querySelector('input[name="' + el.name.replace(/person_id$/, "person_label") + '"]');
      if (hidden) { hidden.value = el.selectedIndex >= 0 && el.value ? el.options[el.selectedIndex].text : ""; }
    }
  });
  // htmx fills a person <select> with options: remember the first match's label too.
  document.addEventListener("htmx:after:swap", function (e) {
    var ctx = e.detail && e.detail.ctx;
    var el = ctx && ctx.target;
    if (el && el.tagName === "SELECT") { el.dispatchEvent(new Event("change", { bubbles: true })); }
  });
})();
