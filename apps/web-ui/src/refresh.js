// While the AI or Stripe is still working, the page's <main> carries
// data-refresh="<seconds>". Instead of a timed <meta refresh>, which
// reloads blindly and sends screen-reader and keyboard users back to the
// top every few seconds (WCAG 2.2.1), ask the server for the same page
// every so many seconds and reload once, when the work is done.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var secs = main ? Number(main.getAttribute("data-refresh")) : 0;
  if (!secs || !window.fetch || !window.DOMParser) return;
  function poll() {
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        return r.ok ? r.text() : Promise.reject(r.status);
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (next && next.hasAttribute("data-refresh")) {
          setTimeout(poll, secs * 1000);
        } else {
          location.reload();
        }
      })
      .catch(function () {
        setTimeout(poll, secs * 2000);
      });
  }
  setTimeout(poll, secs * 1000);
})();
