// The live part of a tournament page (no framework, no build step).
//
// - The results form saves each result as soon as it is chosen: the page shows it at once
//   (optimistic), and puts everything back with the server's reason if it is refused
//   (a result recorded elsewhere first: 409; not allowed: 403).
// - The tournament's event stream (Server-Sent Events) shows results recorded elsewhere
//   within a second, and reloads the page when anything else changes (a round, the state).
// Without JavaScript the form still works: it posts and the server answers with the page.
(function () {
  "use strict";
  var heading = document.getElementById("live");
  if (!heading) { return; }
  var tournament = heading.getAttribute("data-tournament");
  var status = document.getElementById("live-status");
  var form = document.querySelector("form.results");

  function row(match) { return document.querySelector('tr[data-match="' + match + '"]'); }
  function control(match) { return document.querySelector('.result[data-match="' + match + '"]'); }

  function nameOf(match, entry) {
    var cells = row(match) ? row(match).querySelectorAll("td[data-entry]") : [];
    for (var i = 0; i < cells.length; i++) {
      if (cells[i].getAttribute("data-entry") === entry) { return cells[i].textContent; }
    }
    return entry;
  }

  function describe(match, result) {
    if (!result || result.type === "double_forfeit") { return "abandoned"; }
    if (result.type === "draw") { return "draw"; }
    return result.winner ? nameOf(match, result.winner) + " won" : result.type;
  }

  function say(text) { if (status) { status.textContent = text; } }

  function alertBox(text) {
    var box = document.createElement("p");
    box.className = "error";
    box.setAttribute("role", "alert");
    box.textContent = text;
    heading.parentNode.insertBefore(box, status.nextSibling);
  }

  // Why a result was not saved, in words for the person at the form.
  function refusal(match, code, answer) {
    var why = answer.error || ("the server refused it (" + code + ")");
    if (answer.code === "result_exists") {
      return "Not saved: a result for " + match + " was recorded first (" +
        describe(match, answer.recorded) + "). A director can correct it.";
    }
    if (code === 403) { return "Not saved: you may not report " + match + " (" + why + ")."; }
    if (code === 409) { return "Not saved: " + match + " cannot take a result now (" + why + ")."; }
    return "Not saved: " + match + ": " + why;
  }

  // A result known to be recorded: shown in the round's table, its control gone.
  function recorded(match, result) {
    var cell = row(match) && row(match).querySelector(".outcome");
    if (cell) { cell.textContent = describe(match, result); }
    var left = control(match);
    if (left) { left.parentNode.removeChild(left); }
    if (form && !form.querySelector(".result")) {
      // The round may now be advanced: the server says which buttons there are.
      window.location.reload();
    }
  }

  if (form) {
    var token = form.querySelector("input[name=csrf_token]").value;
    var save = form.querySelector("button[type=submit]");
    if (save) { save.hidden = true; }
    form.addEventListener("change", function (event) {
      var select = event.target;
      var match = select.getAttribute("data-match");
      if (!match || !select.value) { return; }
      var body = select.value.indexOf("win:") === 0
        ? { type: "win", winner: select.value.slice(4) }
        : { type: select.value };
      var cell = row(match) && row(match).querySelector(".outcome");
      var before = cell ? cell.textContent : "";
      var box = control(match);
      if (cell) { cell.textContent = describe(match, body); }
      box.classList.remove("refused");
      box.classList.add("saving");
      select.disabled = true;
      say("Saving " + match + "…");
      fetch("/v1/tournaments/" + encodeURIComponent(tournament) + "/matches/" +
            encodeURIComponent(match) + "/result", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": token },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (response.ok) {
          say(match + " saved.");
          recorded(match, body);
          return;
        }
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (cell) { cell.textContent = before; }
          select.value = "";
          select.disabled = false;
          box.classList.remove("saving");
          box.classList.add("refused");
          say("");
          alertBox(refusal(match, response.status, answer));
          if (answer.code === "result_exists" && answer.recorded) { recorded(match, answer.recorded); }
        });
      }, function () {
        if (cell) { cell.textContent = before; }
        select.value = "";
        select.disabled = false;
        box.classList.remove("saving");
        alertBox(match + ": the server could not be reached; nothing was saved.");
      });
    });
  }

  if (window.EventSource) {
    // From the log position the page was rendered at: only what happened since.
    var stream = new EventSource("/v1/tournaments/" + encodeURIComponent(tournament) +
                                 "/stream?after=" + heading.getAttribute("data-after"));
    var reloading = false;
    stream.addEventListener("match.result", function (event) {
      var envelope = JSON.parse(event.data);
      recorded(envelope.data.match, envelope.data.result);
    });
    ["tournament.state_changed", "tournament.edited", "tournament.deleted", "round.started",
     "round.finished", "tournament.finished", "match.corrected"].forEach(function (name) {
      stream.addEventListener(name, function () {
        if (!reloading) { reloading = true; window.setTimeout(function () { window.location.reload(); }, 300); }
      });
    });
  }
})();
