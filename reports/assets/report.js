// Offline behaviour of the ftpspec report: matrix filters, opening the case a link points at,
// and expanding everything for print. No network, no libraries.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case-row"));
  var cases = Array.prototype.slice.call(document.querySelectorAll("details.case"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("tbody.group"));
  var shown = document.getElementById("shown");

  function matcher() {
    var outs = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=outcome]"), function (el) {
      if (el.checked) outs[el.value] = true;
    });
    var level = form.elements.level.value;
    var tag = form.elements.tag.value;
    var q = form.elements.q.value.trim().toLowerCase();
    var diff = form.elements.diff.checked;
    return function (el) {
      var d = el.dataset;
      if (level && d.level !== level) return false;
      if (tag && (" " + d.tags + " ").indexOf(" " + tag.replace(/ /g, "_") + " ") < 0) return false;
      if (q && d.text.indexOf(q) < 0) return false;
      if (diff && d.diff !== "1") return false;
      return (d.outcomes || "").split(" ").some(function (o) { return outs[o]; });
    };
  }

  function apply() {
    if (!form) return;
    var match = matcher();
    var n = 0;
    rows.forEach(function (r) { var m = match(r); r.hidden = !m; if (m) n++; });
    cases.forEach(function (c) { c.hidden = !match(c); });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.case-row:not([hidden])"); });
    if (shown) shown.textContent = n === rows.length ? rows.length + " cases" : n + " of " + rows.length + " cases shown";
  }

  if (form) {
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    var reset = document.getElementById("reset");
    if (reset) reset.addEventListener("click", function () { form.reset(); apply(); });
    apply();
  }

  // The second header row (counts per column) sticks just under the first.
  var head = document.querySelector(".matrix thead tr");
  if (head) {
    var setHeadHeight = function () {
      document.documentElement.style.setProperty("--head-h", head.getBoundingClientRect().height + "px");
    };
    setHeadHeight();
    window.addEventListener("resize", setHeadHeight);
  }

  // A link to a case or to one run's result opens the details around it.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (!el) return;
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") { p.open = true; p.hidden = false; }
    }
    var inner = el.querySelector("details.transcript");
    if (inner && el.classList.contains("result")) inner.open = true;
    el.scrollIntoView({ block: "start" });
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  Array.prototype.forEach.call(document.querySelectorAll("[data-expand]"), function (b) {
    b.addEventListener("click", function () {
      var how = b.getAttribute("data-expand");
      cases.forEach(function (c) {
        if (c.hidden) return;
        c.open = how === "open" || (how === "bad" && c.classList.contains("has-bad"));
      });
    });
  });

  // Print everything: remember what was open and restore it afterwards.
  var saved = null;
  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details");
    saved = [];
    Array.prototype.forEach.call(all, function (d) { saved.push([d, d.open]); d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    if (!saved) return;
    saved.forEach(function (s) { s[0].open = s[1]; });
    saved = null;
  });
})();
