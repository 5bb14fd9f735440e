// After signing in again, send the kept form at once (the button stays for no-JS readers).
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
