"""A manager's template cannot hang a worker or exhaust memory: every budget breach is a
template error (a 422 when saved), the shipped templates still render."""

from __future__ import annotations

import time

import pytest

from heartline.errors import AppError
from heartline.playbooks import templates

ATTACKS = {
    "nested loops": "{% for a in range(5000) %}{% for b in range(5000) %}x{% endfor %}{% endfor %}",
    "silent loops": "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}",
    "huge output": "{% for a in range(9000) %}{{ 'y' * 9000 }}{% endfor %}",
    "repeat": "{{ 'x' * 30000000 }}",
    "doubling": "{% set a = 'xxxxxxxxxx' %}"
    + "".join(f"{{% set a{i + 1} = a{i} ~ a{i} %}}".replace("a0", "a") for i in range(40))
    + "{{ a40 }}",
    "plus": "{% set a = 'x' * 9000 %}{{ a + a + a }}",
    "power": "{{ 7 ** 99999999 }}",
    "width": "{{ '%999999999s' % 'x' }}",
    "center": "{{ 'x' | center(999999999) }}",
    "recursion": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "doubling macro": (
        "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s }}{% endif %}"
        "{% endmacro %}{{ d('xxxxxxxx', 60) }}"
    ),
    "zero division": "{{ 1 / 0 }}",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_budget_breaches_are_template_errors_quickly(name: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(AppError) as info:
        templates.check(ATTACKS[name], field="actions.0.body")
    assert info.value.http_status == 422 and info.value.details[0]["field"] == "actions.0.body"
    assert time.monotonic() - t0 < 10  # stopped by a budget, not by running to the end


def test_ordinary_templates_still_render() -> None:
    body = (
        "Hi {{ customer.first_name }},\n{% for t in tips %}- {{ t }}\n{% endfor %}"
        "{{ '%.1f' % 2.25 }} {{ 'ab' * 3 }} {{ 'x' ~ 'y' }} "
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ ['a', 'b'] | join(', ') }}"
    )
    out = templates.render(body, templates.sample_variables())
    assert "Break in new boots" in out and "2.2 ababab xy 012 a, b" in out
