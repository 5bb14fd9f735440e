"""Forms as a browser sends them.

A test opens a page, takes one of its forms as served (every input, hidden field, selected
option, checkbox state), changes only what a person would type or choose, and presses one
of its buttons. A template whose form cannot be submitted (a renamed CSRF field, a select
without the needed option, a button outside the form) then fails its test, as it would
fail its users. Field values follow the HTML standard's "constructing the entry list".
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html
from werkzeug.datastructures import Headers

TEXT_LIKE = {"text", "search", "email", "url", "tel", "password", "number", "date", "time",
             "datetime-local", "month", "week", "color", "range", ""}
BUTTON_TYPES = {"submit", "image", "reset", "button"}


class FormError(AssertionError):
    """The page does not offer what the test wanted to do with it."""


@dataclass
class Control:
    """One form control as served: what it would send, and what a person may change."""

    element: lxml.html.HtmlElement
    name: str
    kind: str  # input type, or "select", "select-multiple", "textarea", "button"
    value: object = ""
    checked: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    selected: list[str] = field(default_factory=list)
    disabled: bool = False

    @property
    def label(self) -> str:
        return " ".join(self.element.text_content().split())


class ServedForm:
    """One form of a served page, ready to be filled in and submitted with `client`."""

    def __init__(self, client, page_url: str, form: lxml.html.HtmlElement):
        self.client = client
        self.page_url = page_url
        self.element = form
        self.controls = [control_of(el) for el in form_elements(form)]
        self.controls = [c for c in self.controls if c is not None]

    # What the page says
    @property
    def action(self) -> str:
        return urljoin(self.page_url, self.element.get("action") or self.page_url)

    @property
    def method(self) -> str:
        return (self.element.get("method") or "get").lower()

    @property
    def multipart(self) -> bool:
        return (self.element.get("enctype") or "").lower() == "multipart/form-data"

    def names(self) -> set[str]:
        return {c.name for c in self.controls}

    def __getitem__(self, name: str):
        """The value the form would send for `name` (a list for several)."""
        values = [value for key, value in self.entries() if key == name]
        if not values:
            raise KeyError(name)
        return values[0] if len(values) == 1 else values

    def __contains__(self, name: str) -> bool:
        return name in self.names()

    # What a person does
    def fill(self, typed: dict | None = None, /, **more) -> ServedForm:
        """Type into text fields and textareas, tick or untick checkboxes (True/False),
        choose a radio's or a select's option (by value or visible label), pick a file
        ((bytes, filename) or (bytes, filename, type)). Hidden, read-only and disabled
        fields cannot be typed into: `script()` is for what the page's JavaScript writes."""
        for name, value in {**(typed or {}), **more}.items():
            controls = self._controls(name)
            kinds = {c.kind for c in controls}
            if kinds & {"hidden"} or any(c.disabled or c.element.get("readonly") is not None
                                         for c in controls):
                raise FormError(f"{name!r} is hidden, disabled or read-only: a person cannot "
                                "type there (use script() for what JavaScript writes)")
            self._set(name, controls, value)
        return self

    def script(self, values: dict | None = None, /, **more) -> ServedForm:
        """Set fields the way the page's own script would (a hidden input it fills)."""
        for name, value in {**(values or {}), **more}.items():
            self._set(name, self._controls(name), value)
        return self

    def submit(self, button: str | None = None, *, follow_redirects: bool = False, **kwargs):
        """Press `button` (its name, value or visible text; the first submit button when
        None, as pressing Enter does) and send the form as the browser would."""
        pressed = self._button(button)
        method = (pressed and pressed.element.get("formmethod") or self.method).lower()
        action = self.action
        if pressed is not None and pressed.element.get("formaction"):
            action = urljoin(self.page_url, pressed.element.get("formaction"))
        entries = self.entries(pressed)
        path = relative(action)
        kwargs = self.as_a_browser(action, method, kwargs)
        if method == "get":
            query = urlencode([(k, v) for k, v in entries if isinstance(v, str)])
            path = urlsplit(path)._replace(query=query).geturl()
            return self.client.get(path, follow_redirects=follow_redirects, **kwargs)
        if self.multipart:
            data = {}
            for key, value in entries:
                data.setdefault(key, []).append(value)
            return self.client.post(path, data=data, content_type="multipart/form-data",
                                    follow_redirects=follow_redirects, **kwargs)
        body = urlencode([(k, v) for k, v in entries if isinstance(v, str)])
        return self.client.post(path, data=body,
                                content_type="application/x-www-form-urlencoded",
                                follow_redirects=follow_redirects, **kwargs)

    def as_a_browser(self, action: str, method: str, kwargs: dict) -> dict:
        """The request options with what a browser adds to a form sent from this page:
        the action's own host, Sec-Fetch-Site, the page as Referer (the Referrer-Policy
        allows it on the same origin), Origin on a POST. A test's own headers win."""
        target, page = urlsplit(action), urlsplit(self.page_url)
        same = (target.scheme, target.netloc) == (page.scheme, page.netloc)
        kwargs.setdefault("base_url", f"{target.scheme}://{target.netloc}")
        page_origin = kwargs["base_url"].rstrip("/") if same else f"{page.scheme}://{page.netloc}"
        headers = Headers({"Sec-Fetch-Site": "same-origin" if same else "cross-site",
                           "Referer": urljoin(page_origin, relative(self.page_url))})
        if method == "post":
            headers["Origin"] = page_origin
        for name, value in Headers(kwargs.pop("headers", None) or {}).items():
            headers.set(name, value)
        return {**kwargs, "headers": headers}

    def buttons(self) -> list[Control]:
        return [c for c in self.controls if c.kind in ("submit", "image")]

    def entries(self, pressed: Control | None = None) -> list[tuple[str, object]]:
        """The (name, value) pairs sent when `pressed` is pressed, in document order."""
        entries = []
        for c in self.controls:
            if c.disabled or not c.name:
                continue
            if c.kind in BUTTON_TYPES:
                if c is pressed and c.kind in ("submit", "image"):
                    entries.append((c.name, c.value))
            elif c.kind in ("checkbox", "radio"):
                if c.checked:
                    entries.append((c.name, c.value or "on"))
            elif c.kind in ("select", "select-multiple"):
                entries.extend((c.name, v) for v in c.selected)
            elif c.kind == "file":
                if self.multipart:
                    upload = c.value or (b"", "", "application/octet-stream")
                    content, filename, *kind = upload
                    entries.append((c.name, (io.BytesIO(content), filename, *kind)))
                elif c.value:
                    entries.append((c.name, c.value[1]))
                else:
                    entries.append((c.name, ""))
            elif c.kind == "textarea":
                entries.append((c.name, crlf(c.value)))
            else:
                entries.append((c.name, c.value))
        return entries

    # Inner workings
    def _controls(self, name: str) -> list[Control]:
        controls = [c for c in self.controls if c.name == name]
        if not controls:
            raise FormError(f"the form has no field {name!r}; it has {sorted(self.names())}")
        return controls

    def _set(self, name: str, controls: list[Control], value) -> None:
        first = controls[0]
        if first.kind == "checkbox":
            if isinstance(value, bool):
                for c in controls:
                    c.checked = value
            else:  # one box of a group, by its value
                wanted = set(value) if isinstance(value, (list, tuple, set)) else {value}
                for c in controls:
                    c.checked = (c.value or "on") in wanted
                if not any(c.checked for c in controls) and wanted:
                    raise FormError(f"no checkbox {name!r} has the value {value!r}")
        elif first.kind == "radio":
            matches = [c for c in controls if value in (c.value, c.label)]
            if not matches:
                raise FormError(f"no radio {name!r} offers {value!r}")
            for c in controls:
                c.checked = c is matches[0]
        elif first.kind in ("select", "select-multiple"):
            wanted = list(value) if isinstance(value, (list, tuple)) else [value]
            chosen = []
            for want in wanted:
                match = next((v for v, label in first.options if want in (v, label)), None)
                if match is None:
                    raise FormError(f"the select {name!r} offers no {want!r}; it offers "
                                    f"{first.options}")
                chosen.append(match)
            if first.kind == "select" and len(chosen) != 1:
                raise FormError(f"{name!r} takes one option")
            first.selected = chosen
        elif first.kind == "file":
            first.value = value
        else:
            if len(controls) > 1 and not isinstance(value, (list, tuple)):
                raise FormError(f"the form has {len(controls)} fields named {name!r}")
            values = value if isinstance(value, (list, tuple)) else [value]
            for c, v in zip(controls, values, strict=True):
                c.value = "" if v is None else str(v)

    def _button(self, wanted: str | None) -> Control | None:
        buttons = self.buttons()
        if wanted is None:
            return buttons[0] if buttons else None
        for b in buttons:
            if wanted in (b.name, b.value, b.label) and not b.disabled:
                return b
        raise FormError(f"no button {wanted!r}; the form has "
                        f"{[(b.name, b.value, b.label) for b in buttons]}")


def form_elements(form: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The form's controls in document order, those outside it with form="its id" too."""
    tags = ("input", "button", "select", "textarea")
    inside = [el for el in form.iter(*tags) if el.get("form") in (None, form.get("id"))]
    outside = []
    if form.get("id"):
        root = form.getroottree().getroot()
        outside = [el for el in root.iter(*tags)
                   if el.get("form") == form.get("id") and not is_inside(el, form)]
    order = {el: n for n, el in enumerate(form.getroottree().getroot().iter(*tags))}
    return sorted(inside + outside, key=order.__getitem__)


def is_inside(element, ancestor) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())


def control_of(el: lxml.html.HtmlElement) -> Control | None:
    """What a browser knows of one control when the page has just loaded."""
    name = el.get("name") or ""
    disabled = el.get("disabled") is not None or any(
        p.tag == "fieldset" and p.get("disabled") is not None for p in el.iterancestors())
    if el.tag == "textarea":
        text = el.text_content()
        text = text[1:] if text.startswith("\n") else text  # the parser drops one newline
        return Control(el, name, "textarea", crlf(text), disabled=disabled)
    if el.tag == "select":
        options = [(opt.get("value", opt.text_content().strip()),
                    " ".join(opt.text_content().split()))
                   for opt in el.iter("option") if opt.get("disabled") is None]
        selected = [opt.get("value", opt.text_content().strip()) for opt in el.iter("option")
                    if opt.get("selected") is not None]
        multiple = el.get("multiple") is not None
        if not multiple:
            selected = selected[-1:] or [v for v, _ in options[:1]]
        return Control(el, name, "select-multiple" if multiple else "select", options=options,
                       selected=selected, disabled=disabled)
    if el.tag == "button":
        kind = (el.get("type") or "submit").lower()
        return Control(el, name, kind if kind in BUTTON_TYPES else "submit",
                       el.get("value", ""), disabled=disabled)
    kind = (el.get("type") or "text").lower()
    if kind == "file":
        return Control(el, name, "file", None, disabled=disabled)
    return Control(el, name, kind if kind in TEXT_LIKE | BUTTON_TYPES | {
        "checkbox", "radio", "hidden", "file"} else "text",
        el.get("value", ""), checked=el.get("checked") is not None, disabled=disabled)


def crlf(text: str) -> str:
    """A textarea's value as browsers send it: every line break as CRLF, typed or served
    (the HTML standard's "constructing the entry list")."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def relative(url: str) -> str:
    """The path and query of `url`, as the test client takes them."""
    parts = urlsplit(url)
    return parts._replace(scheme="", netloc="").geturl() or "/"


def forms_of(client, html: str, page_url: str) -> list[ServedForm]:
    root = lxml.html.fromstring(html)
    return [ServedForm(client, page_url, form) for form in root.iter("form")]


def pick_form(forms: list[ServedForm], *, action: str | None = None,
              button: str | None = None, selector: str | None = None,
              has: str | None = None, page_url: str = "") -> ServedForm:
    """The one form that matches: its action ends with or contains `action`, it has a
    button `button`, it matches the CSS `selector`, or it has a field named `has`."""
    found = forms
    if selector is not None:
        wanted = set()
        for form in forms:
            root = form.element.getroottree().getroot()
            wanted |= set(root.cssselect(selector))
        found = [f for f in found if f.element in wanted]
    if action is not None:
        found = [f for f in found if action in relative(f.action)]
    if has is not None:
        found = [f for f in found if has in f.names()]
    if button is not None:
        found = [f for f in found if any(button in (b.name, b.value, b.label)
                                         for b in f.buttons())]
    if len(found) != 1:
        described = [(relative(f.action), [b.label for b in f.buttons()]) for f in forms]
        raise FormError(f"{len(found)} forms on {page_url} match action={action!r} "
                        f"button={button!r} selector={selector!r} has={has!r}; the page has "
                        f"{described}")
    return found[0]


def open_form(client, url: str, *, status: int = 200, **which) -> ServedForm:
    """GET `url` as a person would open it and take one of its forms (see pick_form)."""
    response = client.get(url)
    assert response.status_code == status, (
        f"{url} answered {response.status_code}, not {status}")
    return form_in(client, response, url, **which)


def form_in(client, response, url: str, **which) -> ServedForm:
    """A form of a response already in hand (a page redrawn with errors, say)."""
    page_url = urljoin("http://localhost/", url)
    return pick_form(forms_of(client, response.get_data(as_text=True), page_url),
                     page_url=page_url, **which)


def submit_form(client, url: str, typed: dict | None = None, *, button: str | None = None,
                follow_redirects: bool = False, which: dict | None = None, **more):
    """Open `url`, fill its form (the only one, or the one `which` picks) with what a
    person types, press `button`: the response."""
    form = open_form(client, url, **(which or {}))
    return form.fill(typed, **more).submit(button, follow_redirects=follow_redirects)
