/* The digitization page: follow the running job without reloading (polls the
 * item's digitize-status.json every two seconds; reloads the page when the job
 * ends so the result, the Retry button and the review link appear). */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !window.fetch) { return; }
  var status = box.getAttribute("data-status");
  if (status !== "queued" && status !== "running") { return; }
  var url = box.getAttribute("data-status-url");
  function show(job) {
    var bar = document.getElementById("job-progress");
    if (bar) { bar.value = job.progress; }
    var pct = document.getElementById("job-percent");
    if (pct) { pct.textContent = job.progress + "%"; }
    var msg = document.getElementById("job-message");
    if (msg) { msg.textContent = job.message; }
    var list = document.getElementById("job-warnings");
    if (list) {
      list.textContent = "";
      job.warnings.forEach(function (w) {
        var li = document.createElement("li"); li.textContent = w; list.appendChild(li);
      });
    }
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.job) { return; }
        show(data.job);
        if (data.job.status !== "queued" && data.job.status !== "running") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
