// Errors shown next to the field they are about (the core names the field of each error).



export function fieldError(form, field, message, { focus = true } = {}) {
  const box = form.querySelector(`[data-field="${field}"]`);
  if (!box) return false;
  box.classList.add("invalid");
  const error = box.querySelector(".error");
  error.textContent = message;
  const input = box.querySelector("input, select");
  if (input) { input.setAttribute("aria-invalid", "true"); if (!error.id) error.id = `${input.id || field}-error`; input.setAttribute("aria-describedby", error.id); }
  if (focus) input?.focus();
  return true;
}

export function clearErrors(form) {
  for (const b of form.querySelectorAll(".field")) { b.classList.remove("invalid"); b.querySelector(".error").textContent = ""; b.querySelector("input, select")?.removeAttribute("aria-invalid"); }
  form.querySelector(".form-error").textContent = "";
}
