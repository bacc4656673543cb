// The template editor's live preview: a moment after the MJML (or the customer, or the
// kind) changes, the draft is posted to the preview frame, just as the Preview button does
// without JavaScript. The post carries the form's CSRF token; the frame shows the answer.
// Loaded as a file: the Content-Security-Policy allows no inline scripts.
(function () {
  "use strict";
  var PAUSE_MS = 600;
  var form = document.getElementById("template-editor");
  var button = document.getElementById("preview-button");
  if (!form || !button) {
    return; // read-only page: viewers preview saved versions only
  }
  var timer = null;

  function refresh() {
    timer = null;
    if (form.requestSubmit) {
      form.requestSubmit(button);
      return;
    }
    // Older browsers: submit with the button's action and target, then put them back.
    var action = form.getAttribute("action");
    form.setAttribute("action", button.getAttribute("formaction"));
    form.setAttribute("target", button.getAttribute("formtarget"));
    form.submit();
    form.setAttribute("action", action);
    form.removeAttribute("target");
  }

  function later() {
    if (timer !== null) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(refresh, PAUSE_MS);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  if (form.hasAttribute("data-draft")) {
    refresh(); // the page shows unsaved text: preview that, not the saved version
  }
})();
