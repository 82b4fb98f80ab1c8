// The two marks of the rooms list, as inline SVG (no icon font, nothing fetched).

const SVG = "http://www.w3.org/2000/svg";

/** A padlock for private rooms; decorative (the accessible name says "private"). */
export function lock(): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "12");
  svg.setAttribute("height", "12");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const body = document.createElementNS(SVG, "rect");
  for (const [name, value] of Object.entries({ x: "3", y: "7", width: "10", height: "8", rx: "1.5" })) {
    body.setAttribute(name, value);
  }
  const shackle = document.createElementNS(SVG, "path");
  shackle.setAttribute("d", "M5 7V5a3 3 0 0 1 6 0v2");
  shackle.setAttribute("fill", "none");
  shackle.setAttribute("stroke", "currentColor");
  shackle.setAttribute("stroke-width", "1.6");
  body.setAttribute("fill", "currentColor");
  svg.append(body, shackle);
  return svg;
}
