// Upload progress for forms sent by htmx: shows how much of the file has reached the server.
// Without JavaScript the form posts normally; this only adds the progress bar.
(function () {
  if (window.uploadProgressBound) { return; }
  window.uploadProgressBound = true;
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    var box = form && form.querySelector(".upload-progress");
    if (!box || !event.detail.lengthComputable) { return; }
    var percent = Math.round((100 * event.detail.loaded) / event.detail.total);
    box.hidden = false;
    box.querySelector("progress").value = percent;
    box.querySelector(".upload-percent").textContent = percent + "%";
  });
})();
