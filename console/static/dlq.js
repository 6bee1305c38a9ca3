// Dead letters page: "Select all" ticks every row's checkbox (the button stays hidden without JavaScript).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-testid=dlq-select-all]");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const boxes = [...document.querySelectorAll("[data-testid=select-row]")];
    const on = !boxes.every((b) => b.checked);
    boxes.forEach((b) => { b.checked = on; });
  });
});
