// Building the page. Text goes in as text nodes only: nothing here (or
// anywhere in this client) parses HTML, so server text can never become markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** An element with attributes (`on*` are listeners; false/null are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Text from someone else, isolated from the text around it (bidi overrides stay inside). */
export function userText(text: string, tag: "bdi" | "span" = "bdi"): HTMLElement {
  const element = document.createElement(tag);
  element.setAttribute("dir", "auto");
  element.textContent = text;
  return element;
}

/** A labelled single-line text box: [label, input]. */
export function textBox(id: string, label: string, attrs: Attrs = {}): [HTMLLabelElement, HTMLInputElement] {
  const input = h("input", { id, type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
  return [h("label", { for: id }, label), input];
}
