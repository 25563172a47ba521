// Darbaza auditors' console: the verification page's progress bar. It asks
// /verify/status while a verification runs and draws what it answers.
// Everything else works without this script.
"use strict";
(function () {
  var box = document.getElementById("verify");
  if (!box) { return; }
  var bar = document.getElementById("verify-progress");
  var pct = document.getElementById("verify-percent");
  var summary = document.getElementById("verify-summary");
  var result = document.getElementById("verify-result");
  var start = document.getElementById("verify-start");
  function draw(st) {
    box.dataset.state = st.state;
    bar.value = st.percent;
    bar.textContent = st.percent + "%";
    pct.textContent = st.percent + "%";
    var words = box.dataset["t" + st.state.charAt(0).toUpperCase() + st.state.slice(1)] || st.state;
    summary.textContent = words + (st.auditor ? " (" + st.auditor + ", " + st.started + " UTC, " + st.first + ".." + st.last + ")" : "");
    result.textContent = (st.result || "") + (st.problem || "");
    start.disabled = st.state === "running";
  }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (st) { draw(st); if (st.state === "running") { setTimeout(poll, 400); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  if (box.dataset.state === "running") { poll(); }
})();
