// Fidelis portal: the few live interactions a page offers without a reload. Pages work
// without it (every form submits normally).
(function () {
  "use strict";
  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }
  // Template editor: the preview follows what is typed.
  document.querySelectorAll("form[data-live-preview]").forEach(function (form) {
    var button = form.querySelector("#preview-button");
    if (!button || !form.requestSubmit) return;
    var refresh = debounce(function () { form.requestSubmit(button); }, 700);
    form.addEventListener("input", refresh);
    form.requestSubmit(button);
  });
  // Audience form: the count follows the filter as it is typed.
  document.querySelectorAll("form[data-audience]").forEach(function (form) {
    var out = document.querySelector("[data-count=mailable]");
    var matched = document.querySelector("[data-count=matched]");
    if (!out) return;
    var refresh = debounce(function () {
      var params = new URLSearchParams(new FormData(form));
      fetch("/app/mail/audiences/count?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.error) return;
          out.textContent = body.mailable;
          if (matched) matched.textContent = body.matched;
        })
        .catch(function () {});
    }, 400);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
  });
})();
