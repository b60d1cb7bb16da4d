// The one classic (non-module) script of the console: it says in words when the console could not
// load, instead of leaving a blank page. A module of app.js's graph that fails to arrive (a 404, a
// 500) or to run (a SyntaxError from a page and modules of different versions) stops the whole
// graph, so this check cannot be one of those modules. The policy allows no inline script: it is a
// file of its own, loaded before the modules.
//
// It shows #console-load-failure when, before app.js has said it is ready (data-console="ready" on
// <html>), a console script or module preload fails, a console module throws, or nothing is ready
// after LOAD_TIMEOUT_MS. A console that becomes ready hides it again.
(function () {
  "use strict";
  var LOAD_TIMEOUT_MS = 20000;
  var CONSOLE_SCRIPT = /\/console\/[a-z0-9-]+\.js(\?|#|$)/;

  function ready() {
    return document.documentElement.getAttribute("data-console") === "ready";
  }

  function show() {
    if (ready()) return;
    var line = document.getElementById("console-load-failure");
    if (!line) {
      document.addEventListener("DOMContentLoaded", show);
      return;
    }
    line.hidden = false;
  }

  // Capture: a script's or a link's load error does not bubble to window.
  window.addEventListener(
    "error",
    function (event) {
      var target = event.target;
      var source = (target && (target.src || target.href)) || event.filename || "";
      if (CONSOLE_SCRIPT.test(source)) show();
    },
    true,
  );
  setTimeout(show, LOAD_TIMEOUT_MS);
})();
