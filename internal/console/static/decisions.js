// Follows the decision log: polls /decisions.json for decisions newer than the newest shown
// and adds them on top. Without script the page still works (reload it).
(function () {
  "use strict";
  var body = document.getElementById("decisions");
  var live = document.getElementById("live");
  if (!body) { return; }
  function newest() {
    var row = body.querySelector("tr[data-seq]");
    return row ? row.getAttribute("data-seq") : "0";
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
  }
  function poll() {
    var params = new URLSearchParams(window.location.search);
    params.set("after", newest());
    fetch("/decisions.json?" + params.toString(), {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (out) {
        var ds = out.decisions || [];
        if (ds.length === 0) { return; }
        var empty = body.querySelector("tr.empty");
        if (empty) { empty.remove(); }
        for (var i = ds.length - 1; i >= 0; i--) {
          var d = ds[i];
          var tr = document.createElement("tr");
          tr.setAttribute("data-seq", String(d.seq));
          cell(tr, d.time.replace("T", " ").replace(/(\.\d{3})\d*Z$/, "$1Z"));
          cell(tr, d.cluster);
          cell(tr, d.webhook);
          cell(tr, d.principal + (d.username && d.username !== d.principal ? " as " + d.username : ""));
          cell(tr, d.description || "");
          cell(tr, d.verdict.replace("_", " "), "verdict " + d.verdict);
          cell(tr, d.reason);
          body.insertBefore(tr, body.firstChild);
        }
        live.textContent = ds.length + " new decision" + (ds.length === 1 ? "" : "s") + ".";
      })
      .catch(function () { live.textContent = "Could not reach the server; retrying."; });
  }
  setInterval(poll, 1000);
})();
