// The live draft board (no framework, no build step).
// - The time left counts down each second from what the server rendered.
// - The draft's event stream (Server-Sent Events) refreshes the board when a pick is made
//   (here or elsewhere), the clock is paused or resumed, or the draft ends.
// Without JavaScript the board shows the time left when it was rendered, and its forms post.
(function () {
  "use strict";
  var heading = document.getElementById("draft");
  if (!heading) { return; }
  var draft = heading.getAttribute("data-draft");
  var status = document.getElementById("draft-status");
  var ends = null;

  function text(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    var ss = (s % 60 < 10 ? "0" : "") + (s % 60);
    return h > 0 ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }

  // The clock's end in this browser's time: the server's time left when it rendered the
  // board, from when the board arrived (the two clocks need not agree).
  function arm() {
    var timer = document.getElementById("time-left");
    ends = timer && timer.hasAttribute("data-left-ms")
      ? Date.now() + Number(timer.getAttribute("data-left-ms")) : null;
  }

  function tick() {
    var timer = document.getElementById("time-left");
    if (timer && ends !== null) { timer.textContent = text(ends - Date.now()); }
  }

  var loading = false, again = false;
  function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    fetch("/drafts/" + encodeURIComponent(draft), { credentials: "same-origin", headers: { accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("draft-live");
        var live = document.getElementById("draft-live");
        if (fresh && live) {
          // Keyboard users keep their place: the control that had focus gets it back.
          var focused = document.activeElement && live.contains(document.activeElement)
            ? document.activeElement.id : "";
          live.parentNode.replaceChild(document.adoptNode(fresh), live);
          var back = focused && document.getElementById(focused);
          if (back) { back.focus(); }
          arm();
          tick();
          if (status) { status.textContent = "The board was updated."; }
        }
      }, function () {
        if (status) { status.textContent = "The board could not be updated; reload the page."; }
      })
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  arm();
  tick();
  window.setInterval(tick, 1000);

  if (window.EventSource) {
    // From the log position the board was rendered at: only what happened since.
    var stream = new EventSource("/v1/drafts/" + encodeURIComponent(draft) +
                                 "/stream?after=" + heading.getAttribute("data-after"));
    ["draft.started", "draft.pick_made", "draft.autopicked", "draft.paused", "draft.resumed",
     "draft.pick_undone", "draft.picks_traded", "draft.completed"].forEach(function (name) {
      stream.addEventListener(name, refresh);
    });
  }
})();
