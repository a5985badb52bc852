// The icon set (static/icons/icons.svg, Lucide, vendored) and the bar's icon + label buttons.
const SPRITE = new URL("../icons/icons.svg", import.meta.url).href;
const SVG = "http://www.w3.org/2000/svg";

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `${SPRITE}#${name}`);
  svg.append(use);
  return svg;
}

// A control's short label and icon; `state` ("on"/"off") lets the bar colour a switched-off mic.
export function setControl(button, label, name, state) {
  const text = button.querySelector(".ctl-label");
  if (text) text.textContent = label;
  else button.textContent = label;
  if (name) button.querySelector(".icon use")?.setAttribute("href", `${SPRITE}#${name}`);
  if (state) button.dataset.state = state;
}
