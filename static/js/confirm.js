// Buttons with data-confirm="question" ask before they submit; without JavaScript they
// just submit. One listener on the document also covers buttons added later.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
