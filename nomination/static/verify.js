// Continue a verification that the time limit cut short, so that a long log is verified over
// several bounded requests while the page shows the progress. Without JavaScript the
// "continue" button does the same.
document.addEventListener("DOMContentLoaded", () => {
  // The bar's width is set here: the Content-Security-Policy allows no style attributes.
  for (const bar of document.querySelectorAll(".progress-bar[data-percent]")) {
    bar.style.width = `${bar.dataset.percent}%`;
  }
  const form = document.querySelector("#continue-form[data-auto-continue]");
  if (form) {
    window.setTimeout(() => form.requestSubmit(), 300);
  }
});
