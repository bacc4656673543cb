"""Retention emails: compiling MJML, rendering in the sandbox, the plain-text part; no I/O."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from retention.emails import (
    CompiledTemplate,
    TemplateError,
    compile_template,
    html_to_text,
    render,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"
KINDS = ["abandoned_cart", "cross_sell", "reorder", "win_back", "welcome", "nps"]


def sample_context() -> dict[str, Any]:
    shop = {"name": "Acme", "url": "https://acme.test", "logo_url": "https://acme.test/logo.png"}
    product = {
        "name": "Green tea",
        "url": "https://acme.test/p/tea",
        "image_url": "https://acme.test/tea.png",
        "price": "EUR 5.00",
        "in_stock": True,
    }
    return {
        "shop": shop,
        "customer": {"first_name": "Ann"},
        "unsubscribe_url": "https://acme.test/unsubscribe/abc",
        "items": [{**product, "quantity": 2, "in_stock": False}],
        "subtotal": "EUR 10.00",
        "cart_url": "https://acme.test/cart/1",
        "purchased": {"name": "Kettle"},
        "products": [product, {**product, "name": "Sold out mug", "in_stock": False}],
        "shop_url": "https://acme.test/",
        "reorder_url": "https://acme.test/reorder/1",
        "offer": "10% off with code BACK10",
        "nps_links": [{"score": s, "url": f"https://acme.test/nps/{s}"} for s in range(11)],
    }


def mjml(body: str, head: str = "") -> str:
    return (
        f"<mjml><mj-head>{head}</mj-head><mj-body><mj-section><mj-column>{body}"
        "</mj-column></mj-section></mj-body></mjml>"
    )


def render_text_block(source: str, **context: Any) -> str:
    return render(compile_template(mjml(f"<mj-text>{source}</mj-text>")), context).html


@pytest.mark.parametrize("kind", KINDS)
def test_every_default_template_compiles_and_renders_with_sample_data(kind: str) -> None:
    email = render(compile_template((TEMPLATES / f"{kind}.mjml").read_text()), sample_context())

    assert "Acme" in email.subject
    assert email.html.startswith("<!DOCTYPE html>")
    assert "{{" not in email.html and "{%" not in email.html
    assert "Unsubscribe (https://acme.test/unsubscribe/abc)" in email.text


def test_cart_items_out_of_stock_are_noted_and_product_blocks_show_only_stock() -> None:
    context = sample_context()
    cart = render(compile_template((TEMPLATES / "abandoned_cart.mjml").read_text()), context)
    cross = render(compile_template((TEMPLATES / "cross_sell.mjml").read_text()), context)

    assert "Out of stock" in cart.text
    assert "Green tea" in cross.text and "Sold out mug" not in cross.text


def test_nps_has_a_link_for_each_score_from_0_to_10() -> None:
    email = render(compile_template((TEMPLATES / "nps.mjml").read_text()), sample_context())

    for score in range(11):
        assert f"{score} (https://acme.test/nps/{score})" in email.text


def test_inline_styles_are_inlined_while_placeholders_in_text_href_and_src_survive() -> None:
    source = mjml(
        '<mj-text css-class="price">{% if qty > 1 %}{{ qty }} at {{ price }}{% endif %}</mj-text>'
        '<mj-image src="{{ image }}" href="{{ link }}" />',
        head='<mj-style inline="inline">.price { color: #c0392b; }</mj-style>',
    )
    compiled = compile_template(source)

    assert "{% if qty > 1 %}{{ qty }} at {{ price }}{% endif %}" in compiled.html
    assert 'src="{{ image }}"' in compiled.html and 'href="{{ link }}"' in compiled.html
    assert re.search(r'class="price"[^>]*style="[^"]*color: ?#c0392b', compiled.html)
    context = {"qty": 2, "price": "EUR 3", "image": "https://i/1.png", "link": "L"}
    html = render(compiled, context).html
    assert "2 at EUR 3" in html and 'src="https://i/1.png"' in html


def test_customer_values_are_html_escaped() -> None:
    html = render_text_block("Hi {{ name }}", name='<script>alert("x")</script>')

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_the_subject_is_the_mj_title_rendered_as_plain_text_on_one_line() -> None:
    source = mjml("<mj-text>x</mj-text>", head="<mj-title>{{ shop }} &\n news</mj-title>")

    email = render(compile_template(source), {"shop": "Tom & Jerry's\r\nBcc: evil"})

    assert email.subject == "Tom & Jerry's Bcc: evil & news"


def test_the_text_part_keeps_links_as_text_and_url() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body>"
        '<div style="display:none">preview</div><p>Hello <b>Ann</b>,</p>'
        '<p><a href="https://a.test/x?a=1&amp;b=2">your cart</a></p>'
        '<a href="https://a.test/"><img alt="Acme" src="logo.png"></a></body></html>'
    )

    assert text == ("Hello Ann,\n\nyour cart (https://a.test/x?a=1&b=2)\nAcme (https://a.test/)\n")


def test_a_missing_variable_is_a_clear_error() -> None:
    with pytest.raises(TemplateError, match="'customer' is undefined"):
        render_text_block("Hi {{ customer.first_name }}")


def test_syntax_errors_carry_the_line_of_the_mjml_source() -> None:
    source = mjml("\n\n<mj-text>{% if x %}oops{% endfor %}</mj-text>")

    with pytest.raises(TemplateError) as raised:
        compile_template(source)

    assert raised.value.line == 3


@pytest.mark.parametrize(
    "source",
    [
        mjml('<mj-include path="/etc/passwd" />'),
        mjml('< MJ-INCLUDE path="./header.mjml" />'),
        mjml("<mj-text>{% include 'other.html' %}</mj-text>"),
        mjml("<mj-text>{% import 'macros.html' as m %}</mj-text>"),
        "{% extends 'base.html' %}" + mjml("<mj-text>x</mj-text>"),
    ],
)
def test_templates_cannot_read_other_files(source: str) -> None:
    with pytest.raises(TemplateError, match="not allowed"):
        compile_template(source)


def test_malformed_mjml_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="invalid MJML"):
        compile_template("<mjml><mj-body><mj-section>")


SSTI_PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__dict__ }}",
    "{{ config }}",
    "{{ request }}",
    "{{ lipsum.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ dict.__class__.__base__.__subclasses__() }}",
    "{{ shop.__dict__ }}",
    "{{ shop|attr('__class__') }}",
    "{{ shop['__class__'] }}",
    "{{ range.__globals__ }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ '{0.__class__.__mro__}'.format_map({'x': 1}) }}",
    "{{ '%s'|format(shop.__class__) }}",
    "{{ '%(a)s' % {'a': 1} }}",
    "{{ '%999999999d'|format(1) }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
    "{{ 'a' * 10**9 }}",
    "{{ [1] * 10**8 }}",
    "{{ 10**10**10 }}",
    "{{ 2 ** (2 ** 100) }}",
    "{{ 10 ** 100000 }}",
    "{{ (10 ** 1000) * (10 ** 1000) }}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "{{ 'a'.ljust(10**9) }}",
    "{{ 'a'|center(10**9) }}",
    "{{ [1, 2]|slice(10**9)|list }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set t %}{{ ns.s }}{{ ns.s }}"
    "{% endset %}{% set ns.s = t %}{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% for i in range(1000) %}{{ 'x' * 100000 }}{% endfor %}",
    "{{ ('a' * 100000)|replace('a', 'a' * 1000) }}",
    "{{ (['a' * 100000] * 1000)|join }}",
    "{{ shop.items() }}",
    "{% set x = [] %}{{ x.append(1) }}",
]


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_template_injection_payloads_are_refused_or_harmless_and_bounded(payload: str) -> None:
    started = time.monotonic()
    try:
        compiled = compile_template(mjml(f"<mj-text>{payload}</mj-text>"))
        html = render(compiled, {"shop": {"name": "Acme"}}).html
    except TemplateError:
        html = ""
    finally:
        elapsed = time.monotonic() - started

    assert elapsed < 3, "a safety bound, not a performance target"
    for leak in ("<class", "__globals__", "__builtins__", "uid=", "popen", "Environment"):
        assert leak not in html
    assert len(html) < 1_100_000


def test_a_render_cannot_escape_by_calling_a_context_function() -> None:
    def nps_url(score: int) -> str:
        return f"https://acme.test/nps/{score}"

    html = render_text_block("{{ nps_url(7) }}", nps_url=nps_url)

    assert "https://acme.test/nps/7" in html


def test_compiled_templates_are_plain_values_that_can_be_stored() -> None:
    compiled = compile_template(mjml("<mj-text>{{ x }}</mj-text>", head="<mj-title>S</mj-title>"))

    again = CompiledTemplate(html=compiled.html, subject=compiled.subject)

    assert render(again, {"x": "y"}).subject == "S"
