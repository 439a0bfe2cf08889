// The live part of an event page: after "Generate all brackets" the page follows the
// queued jobs (GET /v1/jobs/{id}) and updates its progress until every job is done, then
// reloads to show the divisions' new bracket states. Without JavaScript the page shows
// the jobs as they stood when it was rendered.
(function () {
  "use strict";
  var section = document.getElementById("jobs");
  if (!section || section.getAttribute("data-finished") === "true") { return; }
  var ids = section.getAttribute("data-jobs").split(",").filter(Boolean);
  var status = document.getElementById("job-progress");
  var bar = section.querySelector("progress");
  var done = {};
  var failures = 0;

  function finished(state) { return state === "succeeded" || state === "failed"; }

  function show(job) {
    var item = section.querySelector('li[data-job="' + job.id + '"] .job-status');
    if (item) { item.textContent = job.status; }
    if (finished(job.status)) { done[job.id] = true; }
  }

  function poll() {
    var pending = ids.filter(function (id) { return !done[id]; });
    Promise.all(pending.map(function (id) {
      return fetch("/v1/jobs/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(show);
    })).then(function () {
      failures = 0;
      var count = Object.keys(done).length;
      bar.value = count;
      if (count === ids.length) {
        status.textContent = "Done: " + count + " of " + ids.length +
          " brackets generated. Showing the new states…";
        window.location.reload();
      } else {
        status.textContent = "Generating: " + count + " of " + ids.length + " brackets done…";
        window.setTimeout(poll, 400);
      }
    }, function (error) {
      failures += 1;
      if (failures > 5) {
        status.textContent = "Cannot follow the jobs (" + error.message + "): reload the page.";
        return;
      }
      window.setTimeout(poll, 1000);
    });
  }

  poll();
}());
