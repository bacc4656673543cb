// Forms marked data-confirm ask before they submit (cancelling an order, say).
// Loaded as a file: the Content-Security-Policy allows no inline scripts.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
