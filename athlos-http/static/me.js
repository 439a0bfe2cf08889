// The live part of "my dashboard": when a notification arrives on the user's stream, the
// notifications section is read again from the server (which words them) and replaced.
(function () {
  "use strict";
  var section = document.getElementById("notifications");
  if (!section || !window.EventSource || !window.fetch) { return; }
  var user = section.getAttribute("data-user");
  var stream = new EventSource("/v1/users/" + encodeURIComponent(user) +
                               "/notifications/stream?after=" + section.getAttribute("data-after"));
  var pending = false;
  function refresh() {
    if (pending) { return; }
    pending = true;
    fetch("/me", { credentials: "same-origin" }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("notifications");
      if (fresh) { section.innerHTML = fresh.innerHTML; }
      pending = false;
    }, function () { pending = false; });
  }
  ["match_ready", "tournament_starting", "result_recorded", "tournament_finished",
   "state_changed"].forEach(function (kind) { stream.addEventListener(kind, refresh); });
})();
