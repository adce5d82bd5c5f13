// Polls the job's JSON status and updates the progress page; goes to the result when done.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.state !== "running") { return; }
  var url = box.dataset.statusUrl;
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }
  function show(job) {
    var status = document.getElementById("job-status");
    document.getElementById("job-progress").value = job.elapsed_s;
    if (job.state === "running") {
      status.innerHTML = "Solving: <span id='job-stage'></span>, <span id='job-elapsed'></span> s of at most " +
        Math.round(job.time_limit_s) + " s. Best so far: <span id='job-best'></span> (bound <span id='job-bound'></span>).";
      text("job-stage", job.stage);
      text("job-elapsed", job.elapsed_s.toFixed(1));
      text("job-best", job.best === null ? "–" : String(job.best));
      text("job-bound", job.bound === null ? "–" : String(job.bound));
      window.setTimeout(poll, 700);
    } else if (job.state === "done") {
      status.textContent = job.message;
      document.getElementById("job-link").href = job.result_url;
      document.getElementById("job-result").hidden = false;
      window.location.assign(job.result_url + "?notice=" + encodeURIComponent(job.message));
    } else {
      status.textContent = "Failed: " + job.message;
    }
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
}());
