// Forms marked data-confirm="question" ask before they submit. A file, not an inline handler: the
// Content-Security-Policy allows scripts from our static files only.
document.addEventListener("submit", function (event) {
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);
