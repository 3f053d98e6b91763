// A tiny element builder: attributes as an object, children as text or nodes (text is never parsed as HTML).

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

// Replace every child of `node`.
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

// A table body from rows of cells; each cell is text or a node, labelled for the narrow (stacked) layout.
export function rows(headings, data) {
  return data.map((cells) => el("tr", {}, cells.map((cell, i) => el("td", { "data-label": headings[i] }, cell))));
}

// A table with a caption (what it lists, for a screen reader's table list), column headings and rows.
export function table(headings, data, attrs = {}, caption = null) {
  return el(
    "table",
    attrs,
    caption && el("caption", {}, caption),
    el("thead", {}, el("tr", {}, headings.map((heading) => el("th", { scope: "col" }, heading)))),
    el("tbody", {}, rows(headings, data)),
  );
}
