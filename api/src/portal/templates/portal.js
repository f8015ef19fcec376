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
  // A form that changes something is sent once: its buttons wait for the answer (a double
  // click would otherwise send it twice).
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.formTarget || form.target) return;
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
  // Coming back to the page with the browser's Back button: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
    });
  });
  // Audience form: the count follows the filter as it is typed.
  document.querySelectorAll("form[data-audience]").forEach(function (form) {
    var out = document.querySelector("[data-count=mailable]");
    var matched = document.querySelector("[data-count=matched]");
    if (!out) return;
    var pending = null;
    var refresh = debounce(function () {
      var params = new URLSearchParams(new FormData(form));
      // Only the latest count is shown: an earlier answer arriving late is dropped.
      if (pending) pending.abort();
      pending = new AbortController();
      fetch("/app/mail/audiences/count?" + params.toString(),
            { credentials: "same-origin", signal: pending.signal })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.error) { out.textContent = "—"; out.title = body.error; return; }
          out.textContent = body.mailable;
          out.title = "";
          if (matched) matched.textContent = body.matched;
        })
        .catch(function () {});
    }, 400);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
  });
})();
